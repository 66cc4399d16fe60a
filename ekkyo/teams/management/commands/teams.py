"""``ekkyo teams``: form cross-school teams from a JSON file (max-min team score).

A thin wrapper over :func:`ekkyo.core.teams.main` (the same options and file
formats), so team formation can be run in bulk from the command line.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ekkyo.core import teams

WEIGHTS = ("regions", "interests", "grades", "genders", "no_isolation")


class Command(BaseCommand):
    # Lazy, so that it is translated into the language active when shown;
    # create_parser() turns it into the str that argparse needs.
    help: str = _(  # type: ignore[assignment]
        "Form teams of students from many schools, maximising the worst team's score, "
        "reading students and rules from a JSON file."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input", required=True, metavar="IN.json", help=gettext("Students and rules as JSON.")
        )
        parser.add_argument(
            "--output",
            required=True,
            metavar="OUT.json",
            help=gettext('Where to write the result ("-" for standard output).'),
        )
        parser.add_argument(
            "--team-size",
            required=True,
            type=int,
            help=gettext("Target number of students per team."),
        )
        parser.add_argument(
            "--method",
            choices=("auto", "exact", "heuristic"),
            default="auto",
            help=gettext(
                "exact (CP-SAT), heuristic (local search) or auto (exact up to 60 students)."
            ),
        )
        parser.add_argument(
            "--time-limit", type=float, default=10.0, help=gettext("Time limit in seconds.")
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=0,
            help=gettext("Seed of the search (same seed, same teams)."),
        )
        defaults = teams.Weights()
        for name in WEIGHTS:
            parser.add_argument(
                f"--weight-{name.replace('_', '-')}",
                dest=f"weight_{name}",
                type=float,
                default=getattr(defaults, name),
                help=gettext("Weight of the %(component)s component of the team score.")
                % {"component": name.replace("_", "-")},
            )

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [
            "--input",
            options["input"],
            "--output",
            options["output"],
            "--team-size",
            str(options["team_size"]),
            "--method",
            options["method"],
            "--time-limit",
            repr(options["time_limit"]),
            "--seed",
            str(options["seed"]),
        ]
        for name in WEIGHTS:
            argv += [f"--weight-{name.replace('_', '-')}", repr(options[f"weight_{name}"])]
        # Capture both streams: Django's OutputWrapper appends a newline to
        # every write, which would corrupt JSON written in chunks.
        out, err = io.StringIO(), io.StringIO()
        code = teams.main(argv, stdout=out, stderr=err)
        if out.getvalue():
            self.stdout.write(out.getvalue(), ending="")
        messages = err.getvalue().splitlines()
        if code != 0:
            for line in messages[:-1]:
                self.stderr.write(line)
            last = messages[-1] if messages else f"team formation failed (exit status {code})"
            raise CommandError(last.removeprefix("error: "), returncode=code)
        for line in messages:
            self.stderr.write(line, style_func=lambda text: text)
