"""``ekkyo subject-access --student ID --format json|pdf --output FILE [--as-guardian ID]``:
the subject-access download, for a request made on paper or by mail.

Without ``--as-guardian`` the file is what the student downloads (health
notes, class I, withheld); with it, what that guardian downloads (class I
included) — the guardian must be linked to the student. Audited like the
page (``subject_access.export`` / ``subject_access.export_class1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from ekkyo.people.models import Student
from ekkyo.rights.exports import subject_access_json, subject_access_pdf
from ekkyo.rights.selectors import NotAGuardian, subject_access_export
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope


class Command(BaseCommand):
    help = "Write everything held about one student to a JSON or PDF file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--student", type=int, required=True, metavar="ID")
        parser.add_argument("--format", choices=["json", "pdf"], required=True)
        parser.add_argument("--output", type=Path, required=True, metavar="FILE")
        parser.add_argument("--as-guardian", type=int, metavar="GUARDIAN_ID", dest="guardian")
        parser.add_argument("--language", default="ja", choices=["ja", "en"])

    def handle(self, *args: Any, **opts: Any) -> None:
        translation.activate(opts["language"])
        out: Path = opts["output"]
        if out.is_dir() or not out.parent.is_dir():
            raise CommandError(f"--output {out}: not a file in an existing directory")
        reason = f"subject-access student {opts['student']}"
        with system_scope(reason=reason):
            # safe: a system command, the id given by the operator
            student = Student._unscoped.filter(pk=opts["student"]).first()
            if student is None:
                raise CommandError(f"--student {opts['student']}: no such student")
            actor = system_actor(reason=reason, consortium_id=student.consortium_id)
            try:
                data = subject_access_export(
                    actor=actor,
                    student_id=student.pk,
                    fmt=opts["format"],
                    as_guardian_id=opts["guardian"],
                )
            except NotAGuardian as exc:
                raise CommandError(
                    f"--as-guardian {opts['guardian']}: not a guardian of student {student.pk}"
                ) from exc
        self.stdout.write(f"student {student.pk}: collected; writing {opts['format']} …")
        body = subject_access_pdf(data) if opts["format"] == "pdf" else subject_access_json(data)
        out.write_bytes(body)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {out} ({len(body)} bytes; health notes (class I) "
                f"{'included' if data['class1_included'] else 'withheld'})."
            )
        )
