"""``ekkyo funnel-import FILE --municipality CODE --fy FY``: the funnel import page, in bulk.

Same checks and the same all-or-nothing write as the page: if any row has a
problem, every problem is listed (row, column, reason) and nothing changes.
The file sets the month × stage cells it names, so running it twice changes
nothing. ``--export`` writes the town's current figures in the same format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from ekkyo.funnel.services import funnel_csv, funnel_import, parse_funnel_table
from ekkyo.people.services import translate_problem
from ekkyo.registry.models import Member, Municipality
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


class Command(BaseCommand):
    help = "Import residence funnel figures (month, stage, count) for one host town and intake FY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--municipality", required=True, help="団体コード (6 digits)")
        parser.add_argument("--fy", type=int, required=True, help="fiscal year of arrival")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--export", action="store_true", help="Write the current figures to FILE instead."
        )
        parser.add_argument("--language", default="ja", choices=["ja", "en"])

    def handle(self, *args: Any, **opts: Any) -> None:
        translation.activate(opts["language"])
        path: Path = opts["file"]
        fy: int = opts["fy"]
        municipality = Municipality.objects.filter(code=opts["municipality"]).first()
        if municipality is None:
            raise CommandError(f"--municipality {opts['municipality']}: no such municipality")
        member = Member.objects.filter(municipality=municipality).select_related("consortium")
        if not member.exists():
            raise CommandError(f"--municipality {municipality.code}: not a consortium member")
        consortium = member.first().consortium  # type: ignore[union-attr]
        reason = f"funnel-import {path.name}"
        with system_scope(reason=reason):
            if opts["export"]:
                path.write_bytes(funnel_csv(municipality=municipality, fy=fy))
                self.stdout.write(f"Wrote {path}")
                return
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            data = path.read_bytes()
            values, problems = parse_funnel_table(data, path.name)
            if not problems and not opts["dry_run"]:
                result = funnel_import(
                    actor=system_actor(reason=reason, consortium_id=consortium.pk),
                    consortium=consortium,
                    municipality=municipality,
                    fy=fy,
                    data=data,
                    filename=path.name,
                )
                problems = result.problems
        if problems:
            for p in problems:
                where = ", ".join(
                    x for x in (f"row {p.row}" if p.row else "", p.column or p.field or "") if x
                )
                self.stderr.write(f"{path.name}: {where}: {translate_problem(p)}")
            raise CommandError(f"{len(problems)} problem(s) found; nothing was imported.")
        if opts["dry_run"]:
            self.stdout.write(
                f"{path.name}: {len(values)} rows, no problems. Dry run: nothing written."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(f"Imported {result.rows} rows; {result.changed} cells changed.")
        )
