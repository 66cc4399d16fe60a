"""The ``ekkyo teams`` command line: read a problem file, form teams, write JSON.

Part of :mod:`ekkyo.core.teams` (functional core: no Django import).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from .io import read_problem
from .model import ProblemError, Weights
from .solve import form_teams, solution_to_json

# --------------------------------------------------------------------------- command


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ekkyo teams", description="Form cross-school teams (max-min score).")
    parser.add_argument("--input", required=True, metavar="IN.json")
    parser.add_argument("--output", required=True, metavar="OUT.json", help='"-" for stdout')
    parser.add_argument("--team-size", required=True, type=int)
    parser.add_argument("--method", choices=("auto", "exact", "heuristic"), default="auto")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    defaults = Weights()
    for name in ("regions", "interests", "grades", "genders", "no_isolation"):
        parser.add_argument(
            f"--weight-{name.replace('_', '-')}",
            dest=f"weight_{name}",
            type=float,
            default=getattr(defaults, name),
        )
    return parser


def main(argv: Sequence[str], *, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``ekkyo teams``: 0 on success, 2 on bad arguments or input, 1 on write errors."""

    def fail(message: str, code: int) -> int:
        stderr.write(f"error: {message}\n")
        stderr.flush()
        return code

    try:
        args = _parser().parse_args(list(argv))
    except _UsageError as e:
        return fail(str(e), 2)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    weights = {n: getattr(args, f"weight_{n}") for n in Weights.__dataclass_fields__}
    for name, value in weights.items():
        if not value >= 0 or math.isinf(value):
            return fail(f"--weight-{name.replace('_', '-')} must be a number >= 0", 2)
    if not args.time_limit > 0:
        return fail("--time-limit must be positive", 2)
    try:
        with open(args.input, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as e:
        return fail(f"cannot read {args.input}: {e.strerror or e}", 2)
    except UnicodeDecodeError as e:
        return fail(f"{args.input} is not UTF-8 text: {e.reason} at byte {e.start}", 2)
    except (json.JSONDecodeError, RecursionError) as e:
        return fail(f"{args.input} is not valid JSON: {e}", 2)
    try:
        problem = read_problem(data, team_size=args.team_size, weights=Weights(**weights))
    except ProblemError as e:
        return fail(f"{args.input}: {e}", 2)
    solution = form_teams(problem, method=args.method, time_limit=args.time_limit, seed=args.seed)
    text = json.dumps(solution_to_json(solution), ensure_ascii=False, indent=1) + "\n"
    try:
        if args.output == "-":
            stdout.write(text)
            stdout.flush()
        else:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
    except OSError as e:
        return fail(f"cannot write {args.output}: {e.strerror or e}", 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:], stdout=sys.stdout, stderr=sys.stderr))
