"""Reading survey responses exported by other tools (Google Forms and others).

A saved mapping says which column holds which item; answers may be the
scale's numbers or its labels in Japanese or English (Google Forms exports
the label text). Every problem is reported with its row and column, and the
caller writes nothing unless there are none. No Django import.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from .instrument import Instrument
from .messages import Problem, gettext_noop
from .tabular import TableError, read_table


@dataclass(frozen=True)
class ImportedResponse:
    row: int
    respondent: str
    answers: dict[str, int]


@dataclass
class ImportResult:
    responses: list[ImportedResponse] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unmapped_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def suggest_mapping(headers: list[str], instrument: Instrument) -> dict[str, str]:
    """Columns named like an item code or an item's text (ja or en) → item code."""
    by_key: dict[str, str] = {}
    for item in instrument.items:
        for key in (item.code, item.text_ja, item.text_en):
            by_key[_norm(key)] = item.code
    out: dict[str, str] = {}
    for h in headers:
        code = by_key.get(_norm(h))
        if code and code not in out.values():
            out[h] = code
    return out


def read_responses_file(
    data: bytes,
    filename: str,
    *,
    instrument: Instrument,
    mapping: Mapping[str, str],
    respondent_column: str = "",
    max_rows: int = 200_000,
) -> ImportResult:
    result = ImportResult()
    try:
        table = read_table(data, filename, max_rows=max_rows, max_bytes=64 * 1024 * 1024)
    except TableError as exc:
        result.problems.extend(exc.problems)
        return result
    items = {i.code: i for i in instrument.items}
    scales = {s.code: s for s in instrument.scales}
    for column, code in mapping.items():
        if column not in table.headers:
            result.problems.append(
                Problem(
                    code="import.missing_column",
                    message=gettext_noop(
                        "The file has no column “%(column)s” (saved in the mapping)."
                    ),
                    params={"column": column},
                    row=1,
                    column=column,
                )
            )
        if code not in items:
            result.problems.append(
                Problem(
                    code="import.unknown_item",
                    message=gettext_noop("The mapping names an unknown item “%(code)s”."),
                    params={"code": code},
                    column=column,
                )
            )
    if respondent_column and respondent_column not in table.headers:
        result.problems.append(
            Problem(
                code="import.missing_column",
                message=gettext_noop("The file has no column “%(column)s” (saved in the mapping)."),
                params={"column": respondent_column},
                row=1,
                column=respondent_column,
            )
        )
    if result.problems:
        return result
    result.unmapped_columns = [
        h for h in table.headers if h not in mapping and h != respondent_column
    ]
    labels: dict[str, dict[str, int]] = {}
    for s in scales.values():
        lookup = {str(v): v for v in range(s.min, s.max + 1)}
        for v, (ja, en) in zip(
            range(s.min, s.max + 1), zip(s.labels_ja, s.labels_en, strict=True), strict=True
        ):
            lookup[_norm(ja)] = v
            lookup[_norm(en)] = v
        labels[s.code] = lookup
    seen: dict[str, int] = {}
    for row_number, values in table.rows:
        rid = values.get(respondent_column, "").strip() if respondent_column else f"row{row_number}"
        if respondent_column:
            if not rid:
                result.problems.append(
                    Problem(
                        code="import.no_id",
                        message=gettext_noop("Row %(row)s has no respondent id."),
                        params={"row": row_number},
                        row=row_number,
                        column=respondent_column,
                    )
                )
                continue
            if rid in seen:
                result.problems.append(
                    Problem(
                        code="import.duplicate",
                        message=gettext_noop(
                            "Respondent %(id)s appears again (first in row %(first)s)."
                        ),
                        params={"id": rid, "first": seen[rid]},
                        row=row_number,
                        column=respondent_column,
                    )
                )
                continue
            seen[rid] = row_number
        answers: dict[str, int] = {}
        for column, code in mapping.items():
            raw = values.get(column, "").strip()
            if not raw:
                continue
            lookup = labels[items[code].scale]
            # Numbers are the common case: look them up before normalising text.
            value = lookup.get(raw)
            if value is None:
                value = lookup.get(_norm(raw))
            if value is None:
                scale = scales[items[code].scale]
                result.problems.append(
                    Problem(
                        code="import.value",
                        message=gettext_noop(
                            "“%(value)s” is not an answer to %(column)s "
                            "(whole numbers %(min)s to %(max)s)."
                        ),
                        params={"value": raw, "column": column, "min": scale.min, "max": scale.max},
                        row=row_number,
                        column=column,
                    )
                )
                continue
            answers[code] = value
        result.responses.append(ImportedResponse(row_number, rid, answers))
    return result
