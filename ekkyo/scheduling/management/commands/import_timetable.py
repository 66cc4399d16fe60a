"""``ekkyo import-timetable FILE --school CODE [--calendar]``: a bell schedule or calendar file.

The same all-or-nothing import as the pages: every problem is printed and
nothing is written if any row is bad; importing the same file twice adds
nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekkyo.registry.models import School
from ekkyo.registry.selectors import consortium_for_school
from ekkyo.scheduling.services import ImportRejected, bell_schedule_import, calendar_import
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


class Command(BaseCommand):
    help = "Import a school's bell schedule (default) or calendar (--calendar) from CSV/XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--school", required=True, help="school code (学校コード)")
        parser.add_argument("--calendar", action="store_true", help="the file is a calendar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        school = School.objects.filter(code=options["school"].strip().upper()).first()
        if school is None:
            raise CommandError(f"No school with code {options['school']}")
        consortium = consortium_for_school(school)
        actor = system_actor(
            reason=f"import-timetable {path.name}",
            consortium_id=consortium.pk if consortium else None,
        )
        with system_scope(reason="import-timetable command"):
            try:
                if options["calendar"]:
                    outcome = calendar_import(
                        actor=actor, school_code=school.code, data=path.read_bytes(),
                        filename=path.name,
                    )  # fmt: skip
                    self.stdout.write(
                        f"{school.code}: {outcome.created} new events, "
                        f"{outcome.unchanged} already there"
                    )
                else:
                    n = bell_schedule_import(
                        actor=actor, school_code=school.code, data=path.read_bytes(),
                        filename=path.name,
                    )  # fmt: skip
                    self.stdout.write(f"{school.code}: bell schedule of {n} periods")
            except ImportRejected as exc:
                for problem in exc.problems:
                    self.stderr.write(problem.render())
                raise CommandError("Nothing was imported.") from exc
