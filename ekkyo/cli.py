"""The ``ekkyo`` command: the project's manage.py (``ekkyo migrate``, ``ekkyo runserver``,
``ekkyo seed-demo``, ``ekkyo import-roster``, ``ekkyo allocate`` …)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekkyo.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["ekkyo", *argv])
    # Commands are spelt with hyphens for people (seed-demo) and underscores
    # for Django's module names (seed_demo); accept both.
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
