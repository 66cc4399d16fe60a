"""``ekkyo survey score --instrument I.yaml --responses R.csv --output S.json``."""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekkyo.core import survey_scoring


class Command(BaseCommand):
    help = "Survey tools. `survey score`: construct scores and reliabilities of a responses file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["score"])
        parser.add_argument("rest", nargs="*")
        parser.add_argument("--instrument", required=True)
        parser.add_argument("--responses", required=True)
        parser.add_argument("--output", required=True)
        parser.add_argument("--bootstrap", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **opts: Any) -> None:
        argv = [
            "--instrument", opts["instrument"],
            "--responses", opts["responses"],
            "--output", opts["output"],
            "--bootstrap", str(opts["bootstrap"]),
            "--seed", str(opts["seed"]),
        ]  # fmt: skip
        out, err = io.StringIO(), io.StringIO()
        code = survey_scoring.main(argv, stdout=out, stderr=err)
        if out.getvalue():
            self.stdout.write(out.getvalue(), ending="")
        if code != 0:
            lines = err.getvalue().splitlines()
            for line in lines:
                self.stderr.write(line)
            raise CommandError(f"{len(lines)} problem(s); nothing was written.", returncode=code)
