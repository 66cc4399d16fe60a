"""``ekkyo import-roster FILE --school CODE``: the roster import page, in bulk.

Same checks and the same all-or-nothing write as the page: if any row has a
problem, every problem is listed (row, column, reason) and nothing changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation

from ekkyo.audit.services import audit_record
from ekkyo.core import codes
from ekkyo.people import events
from ekkyo.people.services import roster_check, roster_write, translate_problem
from ekkyo.registry.models import School
from ekkyo.registry.selectors import consortium_for_school
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


class Command(BaseCommand):
    help = "Import a student roster (CSV in UTF-8 or CP932, or XLSX) for one school."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--school", required=True, help="学校コード of the school")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument("--language", default="ja", choices=["ja", "en"])

    def handle(self, *args: Any, **opts: Any) -> None:
        translation.activate(opts["language"])
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            code = codes.validate_school_code(opts["school"]).code
        except codes.CodeError as exc:
            raise CommandError(f"--school {opts['school']}: {exc}") from exc
        school = School.objects.filter(code=code).first()
        if school is None:
            raise CommandError(f"--school {code}: no such school in the registry")
        consortium = consortium_for_school(school)
        if consortium is None:
            raise CommandError(f"--school {code}: its municipality is not a consortium member")
        data = path.read_bytes()
        with system_scope(reason=f"import-roster {path.name}"):
            check = roster_check(school=school, data=data, filename=path.name)
            if not check.ok:
                for p in check.problems:
                    where = ", ".join(
                        x for x in (f"row {p.row}" if p.row else "", p.column or p.field or "") if x
                    )
                    self.stderr.write(f"{path.name}: {where}: {translate_problem(p)}")
                raise CommandError(f"{len(check.problems)} problem(s) found; nothing was imported.")
            self.stdout.write(
                f"{path.name} ({check.format}, {check.encoding}): {len(check.rows)} rows — "
                f"{check.to_create} new, {check.to_update} to update, {check.unchanged} unchanged"
            )
            if opts["dry_run"]:
                self.stdout.write("Dry run: nothing written.")
                return
            with transaction.atomic():
                counts = roster_write(school=school, consortium_id=consortium.pk, check=check)
                audit_record(
                    actor=system_actor(
                        reason=f"import-roster {path.name}", consortium_id=consortium.pk
                    ),
                    event=events.ROSTER_IMPORT,
                    object_type="registry.school",
                    object_id=school.code,
                    consortium_id=consortium.pk,
                    summary=f"roster {path.name} (command line)",
                    detail=counts,
                )
        self.stdout.write(self.style.SUCCESS(f"Imported: {counts}"))
