"""Seat allocation for an allocation round: student-proposing deferred acceptance.

Given programmes (each with a capacity and a strict priority order over the
students it finds acceptable) and students (each with an ordered list of
programmes), :func:`deferred_acceptance` computes the student-optimal stable
matching (Gale and Shapley 1962; the mechanism New York City and Boston adopted
for school choice and the residency matches use). It is strategy-proof for
students: nobody gains by misreporting their preferences. Every outcome is
explained: for each programme a student ranked above the one they got, the
result says why not (not acceptable there, or the seats went to students of
higher priority, with the priority cut-off).

Ties in priority are broken before allocation by :func:`priority_order`, with one
seeded lottery number per student shared across all programmes (single
tie-breaking).

The module also reads and writes the command-line JSON format and provides the
command itself (:func:`main`; ``ekkyo allocate`` wraps it).

This is part of ekkyo's functional core: standard library only, and it must
never import Django (or any third-party package). The Django layer builds a
:class:`Problem` from its models and stores the :class:`Result`.
"""

from __future__ import annotations

import argparse
import enum
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property
from heapq import heapreplace
from itertools import chain
from typing import Any, NamedTuple, NoReturn, TextIO

__all__ = [
    "AllocationInputError",
    "Problem",
    "Programme",
    "Reason",
    "Rejection",
    "Result",
    "Student",
    "deferred_acceptance",
    "draw_lottery",
    "from_json_dict",
    "lottery_number",
    "main",
    "priority_order",
    "read_problem",
    "to_json_dict",
    "validate",
]

# At most this many problems are collected from one malformed input.
_MAX_PROBLEMS = 100


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic data.

    Loading a round creates millions of lists, dicts and tuples, none in a
    reference cycle; the collector would scan them repeatedly for nothing
    (about a third of the loading time). Restores the previous state. The
    switch is process-wide: another thread's cyclic garbage waits until the
    end of the pause, which is harmless for the seconds this lasts.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------
# The problem
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Programme:
    """A programme with seats to allocate.

    ``ranking`` is the programme's strict priority order over student ids, best
    first. A student who is absent from the ranking is not acceptable to the
    programme and is never admitted to it.
    """

    id: str
    capacity: int
    ranking: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Student:
    """A student and the programmes they applied to, most wanted first."""

    id: str
    preferences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One allocation round: the programmes and the students, in input order."""

    programmes: tuple[Programme, ...]
    students: tuple[Student, ...]


class AllocationInputError(ValueError):
    """The input of an allocation round is malformed.

    ``str(error)`` is the first problem found, naming the offending entry, e.g.
    ``students[3] (id "s9"): preferences[2]: unknown programme "p77"``;
    ``problems`` holds every problem found (at most 100).
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems) or ("invalid allocation input",)
        message = self.problems[0]
        if len(self.problems) > 1:
            more = len(self.problems) - 1
            message += f" (and {more}{'+' if len(self.problems) >= _MAX_PROBLEMS else ''} more)"
        super().__init__(message)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _show(value: object) -> str:
    """A short, quoted rendering of a value for an error message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    """The JSON name of a value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _where(collection: str, index: int, ident: object) -> str:
    """Name an entry: ``students[3] (id "s9")``."""
    if isinstance(ident, str):
        return f"{collection}[{index}] (id {_show(ident)})"
    return f"{collection}[{index}]"


class _Problems:
    """Collects problems up to a limit, then stops the scan."""

    class Full(Exception):
        pass

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)
        if len(self.items) >= _MAX_PROBLEMS:
            raise self.Full

    def raise_if_any(self) -> None:
        if self.items:
            raise AllocationInputError(self.items)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _semantic_problems(problem: Problem, found: _Problems) -> None:
    """The detailed scan behind :func:`validate`; slow but precise."""
    programme_at: dict[str, int] = {}
    for index, programme in enumerate(problem.programmes):
        where = _where("programs", index, programme.id)
        if not isinstance(programme.id, str) or not programme.id:
            found.add(f"{where}: id must be a non-empty string, got {_show(programme.id)}")
        elif programme.id in programme_at:
            first = programme_at[programme.id]
            found.add(f"{where}: duplicate programme id (also programs[{first}])")
        else:
            programme_at[programme.id] = index
        if not _is_count(programme.capacity):
            found.add(
                f"{where}: capacity must be a non-negative integer, got {_show(programme.capacity)}"
            )
    student_at: dict[str, int] = {}
    for index, student in enumerate(problem.students):
        where = _where("students", index, student.id)
        if not isinstance(student.id, str) or not student.id:
            found.add(f"{where}: id must be a non-empty string, got {_show(student.id)}")
        elif student.id in student_at:
            first = student_at[student.id]
            found.add(f"{where}: duplicate student id (also students[{first}])")
        else:
            student_at[student.id] = index
    for index, programme in enumerate(problem.programmes):
        where = _where("programs", index, programme.id)
        seen: dict[object, int] = {}
        for position, sid in enumerate(programme.ranking):
            if not isinstance(sid, str):
                found.add(f"{where}: ranking[{position}]: expected a string, got {_show(sid)}")
            elif sid in seen:
                found.add(
                    f"{where}: ranking[{position}]: duplicate student {_show(sid)} "
                    f"(also ranking[{seen[sid]}])"
                )
            elif sid not in student_at:
                found.add(f"{where}: ranking[{position}]: unknown student {_show(sid)}")
            else:
                seen[sid] = position
    for index, student in enumerate(problem.students):
        where = _where("students", index, student.id)
        seen = {}
        for position, pid in enumerate(student.preferences):
            if not isinstance(pid, str):
                found.add(f"{where}: preferences[{position}]: expected a string, got {_show(pid)}")
            elif pid in seen:
                found.add(
                    f"{where}: preferences[{position}]: duplicate programme {_show(pid)} "
                    f"(also preferences[{seen[pid]}])"
                )
            elif pid not in programme_at:
                found.add(f"{where}: preferences[{position}]: unknown programme {_show(pid)}")
            else:
                seen[pid] = position


def validate(problem: Problem) -> None:
    """Check that ``problem`` is well formed, or raise :class:`AllocationInputError`.

    Programme and student ids must be unique non-empty strings, capacities
    non-negative integers, rankings and preference lists free of duplicates and
    of unknown ids. A fast set-based check runs first; the detailed scan that
    names the offending entries runs only when something is wrong.
    """
    if not _looks_valid(problem):
        found = _Problems()
        with suppress(_Problems.Full):
            _semantic_problems(problem, found)
        found.raise_if_any()


def _looks_valid(problem: Problem) -> bool:
    """The fast check behind :func:`validate`: set operations, mostly in C."""
    programmes = problem.programmes
    students = problem.students
    programme_ids = {p.id for p in programmes}
    student_ids = {s.id for s in students}
    if (
        len(programme_ids) != len(programmes)
        or len(student_ids) != len(students)
        or not all(type(x) is str and x for x in programme_ids)
        or not all(type(x) is str and x for x in student_ids)
        or not all(_is_count(p.capacity) for p in programmes)
    ):
        return False
    try:
        rankings = [p.ranking for p in programmes]
        preferences = [s.preferences for s in students]
        # A duplicate inside a list makes its set smaller than the list.
        return (
            sum(map(len, map(set, rankings))) == sum(map(len, rankings))
            and sum(map(len, map(set, preferences))) == sum(map(len, preferences))
            and set(chain.from_iterable(rankings)) <= student_ids
            and set(chain.from_iterable(preferences)) <= programme_ids
        )
    except TypeError:  # an unhashable entry
        return False


def _string_list(
    entry: Mapping[str, Any], key: str, where: str, found: _Problems
) -> tuple[str, ...] | None:
    value = entry[key]
    if not isinstance(value, list):
        found.add(f"{where}: {key} must be an array of strings, got {_kind(value)}")
        return None
    if not value or set(map(type, value)) == {str}:
        return tuple(value)
    for position, item in enumerate(value):
        if type(item) is not str:
            found.add(f"{where}: {key}[{position}]: expected a string, got {_show(item)}")
    return None


def _entries(
    d: Mapping[str, Any], collection: str, keys: tuple[str, ...], found: _Problems
) -> list[tuple[int, Mapping[str, Any]]]:
    """The well-shaped entries of ``d[collection]`` (objects with all ``keys``)."""
    value = d[collection]
    if not isinstance(value, list):
        found.add(f"input: {collection} must be an array, got {_kind(value)}")
        return []
    good = []
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            found.add(f"{collection}[{index}]: expected an object, got {_kind(entry)}")
            continue
        where = _where(collection, index, entry.get("id"))
        missing = [k for k in keys if k not in entry]
        if missing:
            names = ", ".join(f'"{k}"' for k in missing)
            found.add(f"{where}: missing key{'s' if len(missing) > 1 else ''} {names}")
            continue
        if not isinstance(entry["id"], str) or not entry["id"]:
            found.add(f"{where}: id must be a non-empty string, got {_show(entry['id'])}")
            continue
        good.append((index, entry))
    return good


def from_json_dict(d: object) -> Problem:
    """Parse and validate the JSON input format of the ``allocate`` command.

    ``{"programs": [{"id": "p1", "capacity": 3, "ranking": ["s2", "s1"]}],
    "students": [{"id": "s1", "preferences": ["p1", "p2"]}]}``; other keys are
    ignored. Raises :class:`AllocationInputError` naming the offending entry.
    """
    if not isinstance(d, Mapping):
        raise AllocationInputError([f"input: expected a JSON object, got {_kind(d)}"])
    missing = [k for k in ("programs", "students") if k not in d]
    if missing:
        names = ", ".join(f'"{k}"' for k in missing)
        raise AllocationInputError([f"input: missing key{'s' if len(missing) > 1 else ''} {names}"])
    found = _Problems()
    programmes: list[Programme] = []
    students: list[Student] = []
    try:
        programme_entries = _entries(d, "programs", ("id", "capacity", "ranking"), found)
        student_entries = _entries(d, "students", ("id", "preferences"), found)
        for index, entry in programme_entries:
            where = _where("programs", index, entry["id"])
            capacity = entry["capacity"]
            if not _is_count(capacity):
                found.add(
                    f"{where}: capacity must be a non-negative integer, got {_show(capacity)}"
                )
            ranking = _string_list(entry, "ranking", where, found)
            if ranking is not None and _is_count(capacity):
                programmes.append(Programme(entry["id"], capacity, ranking))
        for index, entry in student_entries:
            where = _where("students", index, entry["id"])
            preferences = _string_list(entry, "preferences", where, found)
            if preferences is not None:
                students.append(Student(entry["id"], preferences))
    except _Problems.Full:
        pass
    found.raise_if_any()
    problem = Problem(tuple(programmes), tuple(students))
    validate(problem)
    return problem


# --------------------------------------------------------------------------
# Priorities and the lottery
# --------------------------------------------------------------------------


def lottery_number(student_id: str, *, seed: int | str) -> int:
    """The student's lottery number for a round drawn with ``seed``; lower is better.

    It depends on the seed and the student's id only — never on which
    programme asks or who else applied — so every programme breaks ties with
    the same number (single tie-breaking) and a round can be re-run exactly.
    """
    # A reproducible, published-seed lottery, not a secret: no cryptographic
    # generator is wanted. String seeds are hashed with SHA-512 by `random`,
    # so the draw does not depend on PYTHONHASHSEED or the platform.
    rng = random.Random(f"{seed}\x1f{student_id}")  # noqa: S311
    return rng.getrandbits(64)


def draw_lottery(student_ids: Iterable[str], *, seed: int | str) -> dict[str, int]:
    """Every student's :func:`lottery_number`, drawn once for a whole round.

    Pass the result to :func:`priority_order` as ``lottery=`` to avoid drawing a
    student's number again for each programme (about 10 µs per draw).
    """
    return {sid: lottery_number(sid, seed=seed) for sid in student_ids}


def priority_order(
    applicants: Iterable[str],
    *,
    keys: Mapping[str, Sequence[Any]] | Callable[[str], Sequence[Any]] | None,
    seed: int | str,
    lottery: Mapping[str, int] | None = None,
) -> list[str]:
    """A programme's ranking: applicants sorted by policy keys, ties broken by lottery.

    ``keys`` gives each student a tuple of sort keys (lower is better, e.g.
    ``(0 if local else 1, sibling_rank)``), as a mapping or a function; None
    means a pure lottery. Remaining ties are broken by the student's single
    lottery number for ``seed`` (:func:`lottery_number`; ``lottery`` may hold
    them precomputed by :func:`draw_lottery` for the same seed), then by id so
    that the order is total. Deterministic for a given seed.
    """
    students = list(applicants)
    if len(set(students)) != len(students):
        seen: set[str] = set()
        for sid in students:
            if sid in seen:
                raise ValueError(f"duplicate applicant {_show(sid)}")
            seen.add(sid)
    if keys is None:
        policy: Callable[[str], Sequence[Any]] = lambda _sid: ()  # noqa: E731
    elif isinstance(keys, Mapping):
        missing = [s for s in students if s not in keys]
        if missing:
            raise ValueError(f"no priority keys for applicant {_show(missing[0])}")
        policy = keys.__getitem__
    else:
        policy = keys
    numbers: Mapping[str, int]
    if lottery is None:
        numbers = draw_lottery(students, seed=seed)
    else:
        numbers = lottery
        missing = [s for s in students if s not in numbers]
        if missing:
            raise ValueError(f"no lottery number for applicant {_show(missing[0])}")
    return sorted(students, key=lambda s: (tuple(policy(s)), numbers[s], s))


# --------------------------------------------------------------------------
# The result and its explanations
# --------------------------------------------------------------------------


class Reason(enum.StrEnum):
    """Why a student did not get a programme they ranked above their assignment."""

    #: The student is not in the programme's ranking.
    NOT_ACCEPTABLE = "not_acceptable"
    #: Every seat went to a student of higher priority.
    FILLED = "filled"
    #: The programme has no seats (capacity 0).
    NO_SEATS = "no_seats"


class Rejection(NamedTuple):
    """Why a student was not admitted to a programme they preferred.

    Ranks are 1-based positions in the programme's ranking (1 = highest
    priority). ``rank`` is the student's own rank (None if not acceptable);
    ``cutoff_rank`` the rank of the lowest-priority admitted student (FILLED
    only), which is always better than ``rank``. No other student is named.
    """

    programme_id: str
    reason: Reason
    rank: int | None = None
    cutoff_rank: int | None = None

    def describe(self) -> str:
        """An English sentence for logs and the command line."""
        programme = _show(self.programme_id)
        if self.reason is Reason.NOT_ACCEPTABLE:
            return f"{programme}: you are not in its ranking (not acceptable)"
        if self.reason is Reason.NO_SEATS:
            return f"{programme}: it has no seats"
        return (
            f"{programme}: all seats went to students of higher priority "
            f"(your rank {self.rank}, cut-off rank {self.cutoff_rank})"
        )

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"program": self.programme_id, "reason": str(self.reason)}
        if self.rank is not None:
            out["rank"] = self.rank
        if self.cutoff_rank is not None:
            out["cutoff_rank"] = self.cutoff_rank
        return out


@dataclass(frozen=True)
class Result:
    """The outcome of an allocation round.

    - ``assignment``: every student id (in input order) to the programme id they
      got, or None.
    - ``admitted``: every programme id to its admitted students, best priority
      first.
    - ``waitlists``: every programme id to the students it turned down, best
      priority first: the acceptable students who ranked it above the
      programme they got, or are unassigned. (Students who got a programme they
      prefer never applied to it in the run and are not listed.)
    - ``cutoffs``: every programme id to the 1-based rank of its lowest admitted
      student, or None when nobody was admitted.

    :meth:`explain` says why a student did not get each programme they ranked
    above their assignment; it is computed on demand from the matching, in
    time linear in the student's preference list.
    """

    assignment: dict[str, str | None]
    admitted: dict[str, tuple[str, ...]]
    waitlists: dict[str, tuple[str, ...]]
    cutoffs: dict[str, int | None]
    _preferences: dict[str, tuple[str, ...]] = field(repr=False, compare=False)
    # Per programme id: (student id -> -(0-based rank) * _scale, capacity).
    _programmes: dict[str, tuple[dict[str, int], int]] = field(repr=False, compare=False)
    _scale: int = field(repr=False, compare=False)

    def explain(self, student_id: str) -> tuple[Rejection, ...]:
        """Why ``student_id`` did not get each programme ranked above their assignment.

        In the student's order of preference; empty for a student who got their
        first choice. Raises KeyError for an unknown student.
        """
        return self._explain(student_id, self.assignment[student_id], self._rejection_of)

    def explanations(self) -> dict[str, tuple[Rejection, ...]]:
        """:meth:`explain` for every student, in input order (linear time)."""
        explain = self._explain
        rejection_of = self._rejection_of
        with _collector_paused():  # hundreds of thousands of small acyclic tuples
            return {sid: explain(sid, got, rejection_of) for sid, got in self.assignment.items()}

    @cached_property
    def _rejection_of(self) -> dict[str, tuple[dict[str, int], Rejection, Reason, int | None]]:
        # Per programme: its keys, its shared NOT_ACCEPTABLE rejection, the
        # reason for acceptable students, the cut-off.
        not_acceptable = {pid: Rejection(pid, Reason.NOT_ACCEPTABLE) for pid in self.cutoffs}
        return {
            pid: (
                keys,
                not_acceptable[pid],
                Reason.FILLED if capacity else Reason.NO_SEATS,
                self.cutoffs[pid],
            )
            for pid, (keys, capacity) in self._programmes.items()
        }

    def _explain(
        self,
        student_id: str,
        got: str | None,
        rejection_of: dict[str, tuple[dict[str, int], Rejection, Reason, int | None]],
    ) -> tuple[Rejection, ...]:
        scale = self._scale
        out = []
        for pid in self._preferences[student_id]:
            if pid == got:
                break
            keys, not_acceptable, reason, cutoff = rejection_of[pid]
            key = keys.get(student_id)
            if key is None:
                out.append(not_acceptable)
            else:
                out.append(Rejection(pid, reason, -key // scale + 1, cutoff))
        return tuple(out)


# --------------------------------------------------------------------------
# Deferred acceptance
# --------------------------------------------------------------------------


def deferred_acceptance(problem: Problem, *, check: bool = True) -> Result:
    """The student-optimal stable matching, by student-proposing deferred acceptance.

    Each student proposes to the programmes on their list in order; a
    programme tentatively holds the best applicants up to its capacity in a
    heap whose top is the worst held one, so turning someone away costs
    O(log capacity). Each student proposes at most once to each programme, so
    the run is linear in the total length of the preference lists (times
    log capacity). Iterative, no recursion. The stable matching found does not
    depend on the order in which students propose, so it is deterministic.

    ``check=False`` skips :func:`validate` for a problem already validated (as
    :func:`from_json_dict` does); an invalid problem then gives undefined
    results.
    """
    if check:
        validate(problem)
    programmes = problem.programmes
    students = problem.students
    n = len(students)
    scale = max(n, 1)
    ids = [s.id for s in students]
    preferences = [s.preferences for s in students]

    # A proposal of student s (0-based index) ranked r by a programme is the
    # int key -(r * scale + s): keys compare like (rank, student) reversed, so
    # a heap's top (its minimum) is its worst held student, and -key % scale
    # recovers the student. keys[j] maps a student id to -r * scale.
    keys = [
        dict(zip(p.ranking, range(0, -len(p.ranking) * scale, -scale), strict=True))
        for p in programmes
    ]
    longest = max((len(p.ranking) for p in programmes), default=0)
    # A free seat holds EMPTY, below every real key; an unacceptable student
    # gets a key below EMPTY, so they are refused even by a programme with
    # free seats; a programme without seats holds one key (1) above every
    # real key, so it refuses everyone.
    empty = -(longest * scale + scale) - 1
    unacceptable = empty - scale
    heaps = [[empty] * p.capacity if p.capacity else [1] for p in programmes]
    refused_by: list[list[int]] = [[] for _ in programmes]
    by_pid = {p.id: (heaps[j], keys[j].get, refused_by[j]) for j, p in enumerate(programmes)}
    # next_choice[s]: where s resumes proposing if displaced. (Plain ints, not
    # iterators: the loop allocates no container the garbage collector tracks,
    # so it never triggers a full collection over the problem.)
    next_choice = [0] * n

    for s in range(n):
        # s proposes down their list until held; whoever s displaces goes next.
        while s >= 0:
            sid = ids[s]
            prefs = preferences[s]
            i = next_choice[s]
            length = len(prefs)
            while i < length:
                heap, key_of, refused = by_pid[prefs[i]]
                i += 1
                key = key_of(sid, unacceptable) - s
                if key > heap[0]:
                    next_choice[s] = i
                    worst = heapreplace(heap, key)
                    if worst == empty:
                        s = -1
                    else:
                        refused.append(worst)
                        s = -worst % scale
                    break
                refused.append(key)
            else:
                s = -1  # list exhausted: unassigned

    assignment: dict[str, str | None] = dict.fromkeys(ids)
    admitted: dict[str, tuple[str, ...]] = {}
    cutoffs: dict[str, int | None] = {}
    waitlists: dict[str, tuple[str, ...]] = {}
    for j, programme in enumerate(programmes):
        pid = programme.id
        held = heaps[j]
        held.sort(reverse=True)  # best first; free seats (EMPTY) last
        while held and (held[-1] == empty or held[-1] > 0):
            held.pop()
        members = tuple([ids[-key % scale] for key in held])
        assignment.update(dict.fromkeys(members, pid))
        admitted[pid] = members
        cutoffs[pid] = -held[-1] // scale + 1 if held else None
        # Everyone acceptable who proposed here and was refused or displaced:
        # exactly the acceptable students who ranked it above their outcome.
        refused = refused_by[j]
        refused.sort(reverse=True)  # best first; unacceptable ones (< EMPTY) last
        while refused and refused[-1] < empty:
            refused.pop()
        waitlists[pid] = tuple([ids[-key % scale] for key in refused])

    return Result(
        assignment=assignment,
        admitted=admitted,
        waitlists=waitlists,
        cutoffs=cutoffs,
        _preferences=dict(zip(ids, preferences, strict=True)),
        _programmes={p.id: (keys[j], p.capacity) for j, p in enumerate(programmes)},
        _scale=scale,
    )


def to_json_dict(result: Result, *, explanations: bool = False) -> dict[str, Any]:
    """The JSON output format of the ``allocate`` command.

    ``assignment`` maps every input student to a programme id or null;
    ``admitted``, ``waitlists`` and ``cutoffs`` are per programme (see
    :class:`Result`); with ``explanations=True``, ``explanations`` maps each
    student to the programmes they preferred and why they did not get them.
    """
    out: dict[str, Any] = {
        "assignment": dict(result.assignment),
        "admitted": {pid: list(v) for pid, v in result.admitted.items()},
        "waitlists": {pid: list(v) for pid, v in result.waitlists.items()},
        "cutoffs": dict(result.cutoffs),
    }
    if explanations:
        out["explanations"] = {
            sid: [r.to_json_dict() for r in why] for sid, why in result.explanations().items()
        }
    return out


def read_problem(path: str | os.PathLike[str]) -> Problem:
    """Read, parse and validate a JSON input file (UTF-8, a BOM is allowed).

    Raises OSError, UnicodeDecodeError, json.JSONDecodeError or
    :class:`AllocationInputError`.
    """
    with open(path, encoding="utf-8-sig") as f, _collector_paused():
        return from_json_dict(json.load(f))


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="allocate",
        description=(
            "Allocate seats by student-proposing deferred acceptance "
            "(the student-optimal stable matching)."
        ),
    )
    parser.add_argument("--input", required=True, metavar="IN.json", help="problem as JSON")
    parser.add_argument(
        "--output",
        required=True,
        metavar="OUT.json",
        help='where to write the result ("-" = stdout)',
    )
    parser.add_argument(
        "--explain", action="store_true", help="add per-student explanations to the output"
    )
    parser.add_argument("--verbose", action="store_true", help="print timings to stderr")
    return parser


def _write_json(data: object, path: str, stdout: TextIO) -> None:
    text = json.dumps(data, ensure_ascii=False)
    if path == "-":
        stdout.write(text + "\n")
        stdout.flush()
        return
    # Write beside the target and rename, so a failure never leaves half a file.
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".allocate-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def main(
    argv: list[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the ``allocate`` command: ``--input IN.json --output OUT.json``.

    Returns 0 on success; 2 when the arguments are wrong or the input cannot be
    read, is not JSON or is malformed (one line on stderr says why and names
    the offending entry); 1 when the output cannot be written. ``--verbose``
    prints the timings of each phase to stderr.
    """
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr

    def fail(message: str, code: int) -> int:
        err.write(f"error: {message}\n")
        err.flush()
        return code

    try:
        args = _parser().parse_args(argv)
    except _UsageError as e:
        return fail(str(e), 2)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0

    # Everything built from here on is acyclic and freed by reference
    # counting, so the cyclic collector only slows the run down.
    with _collector_paused():
        return _run(args, out, err, fail)


def _run(
    args: argparse.Namespace, out: TextIO, err: TextIO, fail: Callable[[str, int], int]
) -> int:
    started = time.perf_counter()
    try:
        problem = read_problem(args.input)
    except OSError as e:
        return fail(f"cannot read {args.input}: {e.strerror or e}", 2)
    except UnicodeDecodeError as e:
        return fail(f"{args.input} is not UTF-8 text: {e.reason} at byte {e.start}", 2)
    except json.JSONDecodeError as e:
        return fail(f"{args.input} is not valid JSON: {e}", 2)
    except RecursionError:
        return fail(f"{args.input} is not valid JSON: nested too deeply", 2)
    except AllocationInputError as e:
        return fail(f"{args.input}: {e}", 2)
    loaded = time.perf_counter()

    result = deferred_acceptance(problem, check=False)
    allocated = time.perf_counter()

    try:
        _write_json(to_json_dict(result, explanations=args.explain), args.output, out)
    except OSError as e:
        return fail(f"cannot write {args.output}: {e.strerror or e}", 1)
    written = time.perf_counter()

    if args.verbose:
        assigned = sum(1 for p in result.assignment.values() if p is not None)
        err.write(
            f"{len(problem.students)} students, {len(problem.programmes)} programmes, "
            f"{assigned} assigned\n"
            f"load+validate {loaded - started:.3f} s, allocate {allocated - loaded:.3f} s, "
            f"write {written - allocated:.3f} s\n"
        )
        err.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
