"""Catalogue tools that need no GNU gettext: fill the English catalogue and compile.

``python -m ekkyo.i18n_tools compile`` (run by ``make messages``):
- the English catalogue's msgstr is the msgid (the source strings are English),
  so "every string in both catalogues" holds without hand-copying;
- every ``.po`` under ``ekkyo/locale`` is compiled to ``.mo`` with polib, so a
  fresh machine without ``msgfmt`` runs the translated pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def fill_english(po: polib.POFile) -> int:
    """Make every English msgstr its msgid. msgmerge's fuzzy guesses (a similar
    old string's text) are overwritten, never kept. Returns entries changed."""
    changed = 0
    for entry in po:
        if entry.msgid_plural:
            wanted = {0: entry.msgid, 1: entry.msgid_plural}
            if entry.msgstr_plural != wanted:
                entry.msgstr_plural = wanted
                changed += 1
        elif entry.msgstr != entry.msgid:
            entry.msgstr = entry.msgid
            changed += 1
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            changed += 1
        entry.previous_msgid = None
        entry.previous_msgid_plural = None
    return changed


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po"))


def compile_all() -> None:
    for path in catalogues():
        po = polib.pofile(str(path))
        if path.parts[-3] == "en":
            n = fill_english(po)
            if n:
                po.save(str(path))
                print(f"{path}: filled {n} English entries")
        po.save_as_mofile(str(path.with_suffix(".mo")))
        print(f"{path.with_suffix('.mo')}: {len(po.translated_entries())} entries")


if __name__ == "__main__":
    if sys.argv[1:] != ["compile"]:
        sys.exit("usage: python -m ekkyo.i18n_tools compile")
    compile_all()
