"""Scoring a responses file against an instrument: ``ekkyo survey score``.

Reads the instrument (YAML, ``ekkyo.core.instrument``) and a responses table
(CSV in UTF-8 with or without BOM, or CP932, or XLSX; first column
``respondent``, then one column per item code; empty = not answered), checks
every cell, and writes per construct ``n``, ``mean``, ``sd``, ``alpha``
(pairwise), ``alpha_ci``, ``omega``, ``omega_ci``, ``k`` and, for KPI ④
constructs, ``share_at_or_above`` (``ekkyo.core.psychometrics.summarize``).
Bad input exits 2 with every problem located by row and column; nothing is
written. No Django import.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from .instrument import (
    RESPONDENT_COLUMN,
    Instrument,
    InstrumentError,
    construct_specs,
    kpi4_thresholds,
    load_instrument,
)
from .messages import Problem, gettext_noop
from .psychometrics import ScaleSpec, summarize
from .tabular import TableError, read_table


class ResponsesError(ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.render() for p in problems[:5]))
        self.problems = list(problems)


def specs_for(instrument: Instrument) -> dict[str, ScaleSpec]:
    return {
        code: ScaleSpec(
            items=tuple(d["items"]),
            reverse=frozenset(d["reverse"]),
            scale_min=int(d["scale_min"]),
            scale_max=int(d["scale_max"]),
            min_answered=float(d["min_answered"]),
        )
        for code, d in construct_specs(instrument).items()
    }


def read_responses(data: bytes, filename: str, instrument: Instrument) -> pd.DataFrame:
    """The responses as a numeric frame (index = respondent); all-or-nothing."""
    try:
        table = read_table(data, filename)
    except TableError as exc:
        raise ResponsesError(exc.problems) from exc
    problems: list[Problem] = []
    items = {i.code: i for i in instrument.items}
    scales = {s.code: s for s in instrument.scales}
    if RESPONDENT_COLUMN not in table.headers:
        problems.append(
            Problem(
                code="responses.no_respondent",
                message=gettext_noop("The first column must be “respondent” (an opaque id)."),
                row=1,
            )
        )
    unknown = [h for h in table.headers if h != RESPONDENT_COLUMN and h not in items]
    for h in unknown:
        problems.append(
            Problem(
                code="responses.unknown_column",
                message=gettext_noop("Column “%(column)s” is not an item of this instrument."),
                params={"column": h},
                row=1,
                column=h,
            )
        )
    columns = [h for h in table.headers if h in items]
    seen: dict[str, int] = {}
    rows: list[list[float]] = []
    ids: list[str] = []
    for row_number, values in table.rows:
        rid = values.get(RESPONDENT_COLUMN, "").strip()
        if not rid:
            problems.append(
                Problem(
                    code="responses.no_id",
                    message=gettext_noop("Row %(row)s has no respondent id."),
                    params={"row": row_number},
                    row=row_number,
                    column=RESPONDENT_COLUMN,
                )
            )
        elif rid in seen:
            problems.append(
                Problem(
                    code="responses.duplicate",
                    message=gettext_noop(
                        "Respondent %(id)s appears again (first in row %(first)s)."
                    ),
                    params={"id": rid, "first": seen[rid]},
                    row=row_number,
                    column=RESPONDENT_COLUMN,
                )
            )
        else:
            seen[rid] = row_number
        out: list[float] = []
        for code in columns:
            raw = values.get(code, "").strip()
            if raw == "":
                out.append(np.nan)
                continue
            scale = scales[items[code].scale]
            try:
                v = int(raw)
            except ValueError:
                v = None
            if v is None or not scale.min <= v <= scale.max:
                problems.append(
                    Problem(
                        code="responses.value",
                        message=gettext_noop(
                            "“%(value)s” is not an answer to %(column)s "
                            "(whole numbers %(min)s to %(max)s)."
                        ),
                        params={"value": raw, "column": code, "min": scale.min, "max": scale.max},
                        row=row_number,
                        column=code,
                    )
                )
                out.append(np.nan)
            else:
                out.append(float(v))
        rows.append(out)
        ids.append(rid)
    if problems:
        raise ResponsesError(problems)
    frame = pd.DataFrame(rows, columns=columns, index=pd.Index(ids, name=RESPONDENT_COLUMN))
    for code in items:
        if code not in frame.columns:
            frame[code] = np.nan
    return frame


def score_file(
    instrument_path: str | Path, responses_path: str | Path, *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    instrument = load_instrument(Path(instrument_path))
    path = Path(responses_path)
    frame = read_responses(path.read_bytes(), path.name, instrument)
    return {
        "instrument": {
            "code": instrument.code,
            "version": instrument.version,
            "fingerprint": instrument.fingerprint,
        },
        "respondents": len(frame),
        "constructs": summarize(
            frame,
            specs_for(instrument),
            thresholds=kpi4_thresholds(instrument),
            n_boot=n_boot,
            seed=seed,
        ),
    }


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = argparse.ArgumentParser(prog="ekkyo survey score")
    parser.add_argument("--instrument", required=True)
    parser.add_argument("--responses", required=True)
    parser.add_argument("--output", required=True, help='"-" for standard output')
    parser.add_argument("--bootstrap", type=int, default=1000, help="omega CI replicates")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        result = score_file(args.instrument, args.responses, n_boot=args.bootstrap, seed=args.seed)
    except (InstrumentError, ResponsesError) as exc:
        for p in exc.problems:
            where = ", ".join(
                x for x in (f"row {p.row}" if p.row else "", p.column or p.field or "") if x
            )
            err.write(f"error: {where + ': ' if where else ''}{p.render()}\n")
        return 2
    except OSError as exc:
        err.write(f"error: {exc}\n")
        return 2
    text = json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False)
    if args.output == "-":
        out.write(text + "\n")
    else:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    return 0
