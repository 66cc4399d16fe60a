"""Both catalogues are complete, compiled and current; dates show the era."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import polib
import pytest
from django.template import Context, Template
from django.utils import translation

from ekkyo.i18n_tools import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
PO = {lang: LOCALE_DIR / lang / "LC_MESSAGES" / "django.po" for lang in ("ja", "en")}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_catalogue_is_complete(lang: str) -> None:
    po = polib.pofile(str(PO[lang]))
    assert len(po) > 100
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"untranslated in {lang}: {missing[:10]}"
    assert not fuzzy, f"fuzzy in {lang}: {fuzzy[:10]}"


def test_english_catalogue_is_the_source_text() -> None:
    """msgmerge's fuzzy guesses must never leak into English pages."""
    po = polib.pofile(str(PO["en"]))
    wrong = [
        e.msgid
        for e in po
        if (e.msgid_plural and e.msgstr_plural.get(0) != e.msgid)
        or (not e.msgid_plural and e.msgstr != e.msgid)
    ]
    assert not wrong, wrong[:5]
    with translation.override("en"):
        from django.utils.translation import gettext

        assert gettext("Choose at most %(n)s programmes.") == "Choose at most %(n)s programmes."


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_compiled_catalogue_matches_its_source(lang: str) -> None:
    po = polib.pofile(str(PO[lang]))
    mo = polib.mofile(str(PO[lang].with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    for entry in po.translated_entries():
        assert (entry.msgctxt, entry.msgid) in compiled, f"run `make messages`: {entry.msgid!r}"
        msgstr, plural = compiled[(entry.msgctxt, entry.msgid)]
        if entry.msgid_plural:
            assert {int(k): v for k, v in plural.items()} == {
                int(k): v for k, v in entry.msgstr_plural.items()
            }
        else:
            assert msgstr == entry.msgstr, f"run `make messages`: {entry.msgid!r}"


def test_catalogue_holds_every_string_in_the_code(tmp_path: Path) -> None:
    """Re-extract into a copy of the sources and compare msgids (needs GNU gettext)."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("GNU gettext is required in CI")
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT / "ekkyo", copy / "ekkyo", ignore=shutil.ignore_patterns("*.pyc", "__pycache__")
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ekkyo.settings"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ekkyo",
            "makemessages",
            "-l",
            "ja",
            "--no-location",
            "--no-obsolete",
            "-i",
            "tests",
            "-i",
            "bench",
            "-i",
            "var",
            "-i",
            "docs",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(copy / "ekkyo" / "locale" / "ja" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(PO["ja"]))
    have = {(e.msgctxt, e.msgid) for e in committed}
    new = sorted(e.msgid for e in fresh if (e.msgctxt, e.msgid) not in have)
    assert not new, f"strings missing from the catalogue (run `make messages`): {new[:10]}"


def test_fiscal_year_and_era_filters() -> None:
    tpl = Template("{% load ekkyo %}{{ fy|fiscal_year }} / {{ d|jdate }}")
    ctx = Context({"fy": 2025, "d": date(2026, 4, 1)})
    with translation.override("ja"):
        ja = tpl.render(ctx)
    with translation.override("en"):
        en = tpl.render(ctx)
    assert "令和7年度" in ja and "2025" in ja and "令和8年" in ja
    assert "FY2025" in en and "2026-04-01" in en
