"""``ekkyo allocate``: allocate seats from a JSON file by deferred acceptance.

A thin wrapper over :func:`ekkyo.core.allocation.main` (the same options and
file formats), so allocation runs can be done in bulk from the command line.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ekkyo.core import allocation


class Command(BaseCommand):
    # Lazy, so that it is translated into the language active when shown;
    # create_parser() turns it into the str that argparse needs.
    help: str = _(  # type: ignore[assignment]
        "Allocate seats by student-proposing deferred acceptance (the student-optimal "
        "stable matching), reading programmes and students from a JSON file."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input", required=True, metavar="IN.json", help=gettext("Problem as JSON.")
        )
        parser.add_argument(
            "--output",
            required=True,
            metavar="OUT.json",
            help=gettext('Where to write the result ("-" for standard output).'),
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help=gettext("Add per-student explanations to the output."),
        )
        parser.add_argument(
            "--verbose", action="store_true", help=gettext("Print timings to standard error.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        argv = ["--input", options["input"], "--output", options["output"]]
        if options["explain"]:
            argv.append("--explain")
        if options["verbose"]:
            argv.append("--verbose")
        # Capture both streams: Django's OutputWrapper appends a newline to
        # every write, which would corrupt JSON written in chunks.
        out, err = io.StringIO(), io.StringIO()
        code = allocation.main(argv, stdout=out, stderr=err)
        if out.getvalue():
            self.stdout.write(out.getvalue(), ending="")
        messages = err.getvalue().splitlines()
        if code != 0:
            for line in messages[:-1]:
                self.stderr.write(line)
            last = messages[-1] if messages else f"allocation failed (exit status {code})"
            raise CommandError(last.removeprefix("error: "), returncode=code)
        for line in messages:  # --verbose timings: information, not an error
            self.stderr.write(line, style_func=lambda text: text)
