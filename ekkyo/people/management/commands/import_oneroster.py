"""``ekkyo import-oneroster PATH --school CODE | --board CODE``: the OneRoster page, in bulk.

PATH is the zip a 校務支援システム exported (OneRoster 1.2, Japan Profile) or
the folder of its CSV files. Same checks and the same all-or-nothing write as
the page: if there is any problem, every one is printed as
``file:row:column: message`` and nothing changes (exit status 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from ekkyo.core import codes
from ekkyo.core.oneroster import normalize_board_code
from ekkyo.people.oneroster_services import OneRosterRejected, oneroster_check, oneroster_import
from ekkyo.people.services import translate_problem
from ekkyo.registry.models import School
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


class Command(BaseCommand):
    help = (
        "Import a OneRoster 1.2 Japan Profile package (zip or folder of CSV files) for one "
        "school (--school 学校コード) or every school of a board (--board 教育委員会コード)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the zip file, or a folder of CSV files")
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--school", help="学校コード of the school")
        scope.add_argument("--board", help="教育委員会コード of the board of education")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument("--language", default="ja", choices=["ja", "en"])

    def handle(self, *args: Any, **opts: Any) -> None:
        translation.activate(opts["language"])
        path: Path = opts["path"]
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        reason = f"import-oneroster {path.name}"
        with system_scope(reason=reason):
            school: School | None = None
            board: str | None = None
            if opts["school"]:
                try:
                    code = codes.validate_school_code(opts["school"]).code
                except codes.CodeError as exc:
                    raise CommandError(f"--school {opts['school']}: {exc}") from exc
                school = School.objects.filter(code=code).first()
                if school is None:
                    raise CommandError(f"--school {code}: no such school in the registry")
            else:
                try:
                    board = normalize_board_code(opts["board"])
                except codes.CodeError as exc:
                    raise CommandError(f"--board {opts['board']}: {exc}") from exc
            source: bytes | Path = path if path.is_dir() else path.read_bytes()
            check = oneroster_check(
                actor=system_actor(reason=reason), source=source, school=school, board_code=board
            )
            for warning in check.warnings:
                self.stdout.write(self._line(path, warning, translate_problem(warning)))
            if not check.ok:
                self._fail(path, check.problems)
            counts = check.counts
            schools = ", ".join(f"{s.name} ({s.code}): {s.students}" for s in check.result.schools)
            self.stdout.write(
                f"{path.name}: {len(check.students)} students in {schools} — "
                f"{counts.get('created', 0)} new, {counts.get('updated', 0)} to update, "
                f"{counts.get('unchanged', 0)} unchanged, {counts.get('left', 0)} to mark as left"
            )
            if opts["dry_run"]:
                self.stdout.write("Dry run: nothing written.")
                return
            actor = system_actor(reason=reason, consortium_id=check.consortium_id)
            try:
                written = oneroster_import(
                    actor=actor, check=check, label=f"{path.name} (command line)"
                )
            except OneRosterRejected as exc:
                self._fail(path, exc.check.problems)
        self.stdout.write(self.style.SUCCESS(f"Imported: {written.counts}"))

    def _line(self, path: Path, problem: Any, message: str) -> str:
        return f"{problem.file or path.name}:{problem.row or ''}:{problem.column or ''}: {message}"

    def _fail(self, path: Path, problems: list[Any]) -> NoReturn:
        for problem in problems:
            self.stderr.write(self._line(path, problem, translate_problem(problem)))
        raise CommandError(f"{len(problems)} problem(s) found; nothing was imported.")
