"""Reading a problem from JSON data (file I/O stays outside the algorithms).

Part of :mod:`ekkyo.core.teams` (functional core: no Django import).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Problem, ProblemError, Student, Weights

# --------------------------------------------------------------------------- input


def _text(value: Any, entry: str, *, required: bool = True) -> str:
    if value is None:
        if required:
            raise ProblemError(entry, "missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProblemError(entry, f"must be a string, not {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise ProblemError(entry, "empty")
    return text


def _pairs(data: Mapping[str, Any], key: str, known: set[str]) -> tuple[tuple[str, str], ...]:
    raw = data.get(key, [])
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ProblemError(key, "must be a list of [id, id] pairs")
    out = []
    for r, pair in enumerate(raw):
        entry = f"{key}[{r}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise ProblemError(entry, "must be a pair [id, id]")
        a, b = (_text(v, f"{entry}[{x}]") for x, v in enumerate(pair))
        for x, v in enumerate((a, b)):
            if v not in known:
                raise ProblemError(f"{entry}[{x}]", f"unknown student {v}")
        if a == b:
            raise ProblemError(entry, f"pairs student {a} with themself")
        out.append((a, b))
    return tuple(out)


def read_problem(
    data: Mapping[str, Any], *, team_size: int, weights: Weights | None = None
) -> Problem:
    """Build a Problem from the JSON format; raises ProblemError naming the entry."""
    if not isinstance(data, Mapping):
        raise ProblemError("input", "must be a JSON object")
    raw = data.get("students")
    if not isinstance(raw, list):
        raise ProblemError("students", "missing" if raw is None else "must be a list")
    students: list[Student] = []
    seen: dict[str, int] = {}
    for r, row in enumerate(raw):
        entry = f"students[{r}]"
        if not isinstance(row, Mapping):
            raise ProblemError(entry, "must be an object")
        sid = _text(row.get("id"), f"{entry}.id")
        if sid in seen:
            raise ProblemError(f"{entry}.id", f"duplicate id {sid} (also students[{seen[sid]}])")
        seen[sid] = r
        fields = {
            name: _text(row.get(name), f"{entry}.{name}")
            for name in ("school", "municipality", "prefecture", "grade")
        }
        gender = _text(row.get("gender"), f"{entry}.gender", required=False)
        interests_raw = row.get("interests", [])
        if interests_raw is None:
            interests_raw = []
        if not isinstance(interests_raw, list):
            raise ProblemError(f"{entry}.interests", "must be a list of themes")
        interests = tuple(_text(v, f"{entry}.interests[{x}]") for x, v in enumerate(interests_raw))
        students.append(Student(id=sid, gender=gender, interests=interests, **fields))
    if isinstance(team_size, bool) or not isinstance(team_size, int):
        raise ProblemError("team_size", "must be an integer")
    if team_size < 2:
        raise ProblemError("team_size", f"must be at least 2, not {team_size}")
    if team_size > len(students):
        raise ProblemError("team_size", f"{team_size} is more than the {len(students)} students")
    known = set(seen)
    previous_raw = data.get("previous_teams", [])
    previous: list[tuple[str, ...]] = []
    if previous_raw is not None:
        if not isinstance(previous_raw, list):
            raise ProblemError("previous_teams", "must be a list of lists of ids")
        for r, team in enumerate(previous_raw):
            if not isinstance(team, list):
                raise ProblemError(f"previous_teams[{r}]", "must be a list of ids")
            previous.append(
                tuple(_text(v, f"previous_teams[{r}][{x}]") for x, v in enumerate(team))
            )
    return Problem(
        students=tuple(students),
        team_size=team_size,
        require=_pairs(data, "require", known),
        prevent=_pairs(data, "prevent", known),
        previous_teams=tuple(previous),
        weights=weights or Weights(),
    )
