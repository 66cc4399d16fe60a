"""Aggregate rows behind the KPI dashboards, kept up to date when data changes.

The counting lives in :mod:`ekkyo.core.kpi_aggregates` (plain Python): each
student counts under a set of keys; :class:`~ekkyo.kpis.models.KeyCount`
holds the number of students per key and
:class:`~ekkyo.kpis.models.StudentKeys` the keys each student holds now.

- :func:`aggregates_refresh` recomputes some students' keys and applies the
  difference to the counts, in the caller's transaction. The event receivers
  at the bottom call it when a door announces a change: participation's
  ``participation_changed`` (stays, residences, attendance), the roster
  imports' ``students_changed`` (home town, school) and the programme door's
  ``programme_changed`` (kind, host). A door announces once per call, with
  every student it touched, so a page that changes participation changes the
  dashboards with it (atomically), and an import of 500 attendance rows
  refreshes each student once.
- :func:`aggregates_rebuild` recounts a whole consortium: after bulk writes
  that announce nothing (the demo seed), after a change of membership
  (``membership_changed``), and
  once a day (``ekkyo kpi-aggregates``), since an ongoing residence reaches a
  new month, and a new fiscal year, with the calendar alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ekkyo.bulk import insert_rows
from ekkyo.core import kpi
from ekkyo.core.fiscal import fiscal_year_of
from ekkyo.core.kpi_aggregates import Activity, Key, StudentInfo, key_delta, student_keys
from ekkyo.participation.models import Attendance, Residence, Stay
from ekkyo.people.models import Student
from ekkyo.programmes.models import STAY_KINDS, ProgrammeKind
from ekkyo.registry.models import Consortium, Member
from ekkyo.tenancy.principal import system_scope

from .kpi4 import kpi4_rebuild
from .models import AggregateVersion, KeyCount, StudentKeys

_FIELDS = ("dim", "fy", "muni", "school", "programme", "a", "b", "c")


def _key(row: Iterable[Any]) -> Key:
    return Key(*row)


def memberships(consortium_id: int) -> kpi.MemberYears:
    return kpi.MemberYears(
        kpi.Membership(code, first, last)
        for code, first, last in Member.objects.filter(
            consortium_id=consortium_id, municipality__isnull=False
        ).values_list("municipality__code", "first_fy", "last_fy")
    )


def fiscal_years(members: kpi.MemberYears, today: date | None = None) -> list[int]:
    """The years kept: from the first member year to the current one."""
    current = fiscal_year_of(today or timezone.localdate())
    first = min((m.first_fy for m in members), default=current)
    return list(range(min(first, current), current + 1))


def _activities(student_filter: dict[str, Any]) -> dict[int, list[Activity]]:
    """Every participation record of the students matched, as core activities.

    Codes come joined with the records (a programme hosted by a school is
    hosted by the school's town), so a refresh of one student reads only that
    student's rows.
    """
    acts: dict[int, list[Activity]] = defaultdict(list)
    # safe: system job (aggregates_rebuild/refresh); only counts of students leave
    for sid, home, host, programme, start, end in Residence._unscoped.filter(
        **student_filter
    ).values_list(
        "student_id", "home_municipality__code", "host_municipality__code", "programme_id",
        "start", "end",
    ):  # fmt: skip
        acts[sid].append(
            Activity(
                "residence", host, str(programme) if programme else None, start, end, home=home
            )
        )
    # safe: system job, as above
    for sid, programme, town, school_town, arrival, departure, cancelled in Stay._unscoped.filter(
        **student_filter, programme__kind__in=STAY_KINDS  # "a Stay (short or mid-term)"
    ).values_list(
        "student_id", "programme_id", "programme__host_municipality__code",
        "programme__host_school__municipality__code", "arrival", "departure", "cancelled",
    ):  # fmt: skip
        acts[sid].append(
            Activity(
                "stay", town or school_town, str(programme), arrival, departure, cancelled=cancelled
            )
        )
    for sid, programme, town, school_town, starts_at in (
        Attendance._unscoped.filter(  # safe: system job, as above
            # "a Session of an online programme", its in-person meetings included
            **student_filter,
            session__programme__kind=ProgrammeKind.ONLINE,
        )
        .values_list(
            "student_id",
            "session__programme_id",
            "session__programme__host_municipality__code",
            "session__programme__host_school__municipality__code",
            "session__starts_at",
        )
        .iterator(chunk_size=5000)
    ):
        day = timezone.localtime(starts_at).date()
        acts[sid].append(Activity("online", town or school_town, str(programme), day, day))
    return acts


def _infos(student_filter: dict[str, Any]) -> dict[int, tuple[int, StudentInfo]]:
    return {
        sid: (consortium_id, StudentInfo(str(sid), home, school))
        # safe: system job; home and school codes become keys, never shown per student
        for sid, consortium_id, home, school in Student._unscoped.filter(
            **{k.removeprefix("student__"): v for k, v in student_filter.items()}
        ).values_list("pk", "consortium_id", "home_municipality__code", "school__code")
    }


def aggregates_rebuild(consortium: Consortium, *, today: date | None = None) -> int:
    """Recount every key of the consortium from its records. Returns the number of keys."""
    today = today or timezone.localdate()
    with system_scope(reason="KPI aggregates: full recount"), transaction.atomic():
        members = memberships(consortium.pk)
        fys = fiscal_years(members, today)
        infos = _infos({"student__consortium": consortium})
        acts = _activities({"student__consortium": consortium})
        counts: dict[Key, int] = defaultdict(int)
        rows = []
        now = timezone.now()
        for sid, activities in acts.items():
            if sid not in infos:
                continue
            keys = student_keys(infos[sid][1], activities, members, fys, until=today)
            for k in keys:
                counts[k] += 1
            rows.append((sid, consortium.pk, sorted(keys), now))
        StudentKeys.objects.filter(consortium=consortium).delete()
        insert_rows(StudentKeys, ["student_id", "consortium_id", "keys", "updated_at"], rows)
        KeyCount.objects.filter(consortium=consortium).delete()
        insert_rows(
            KeyCount,
            ["consortium_id", *_FIELDS, "n"],
            [(consortium.pk, *k, n) for k, n in counts.items()],
        )
        kpi4_rebuild(consortium, fys)  # KPI ④ from the annual waves, by the core
        bump_version(consortium.pk)
    return len(counts)


def aggregates_refresh(student_ids: Iterable[int], *, today: date | None = None) -> None:
    """Recompute these students' keys and apply the difference to the counts."""
    ids = sorted({int(i) for i in student_ids})
    if not ids:
        return
    today = today or timezone.localdate()
    with system_scope(reason="KPI aggregates: refresh"), transaction.atomic():
        # Lock the students' key rows in id order (no deadlock between two refreshes).
        stored = {
            sk.student_id: sk
            for sk in StudentKeys.objects.select_for_update().filter(student_id__in=ids)
        }
        infos = _infos({"student__pk__in": ids})
        acts = _activities({"student__pk__in": ids})
        by_consortium: dict[int, kpi.MemberYears] = {}
        delta: dict[tuple[int, Key], int] = defaultdict(int)
        for sid in ids:
            old = stored.get(sid)
            before = {_key(k) for k in old.keys} if old else set()
            if sid in infos:
                consortium_id, info = infos[sid]
                if consortium_id not in by_consortium:
                    by_consortium[consortium_id] = memberships(consortium_id)
                members = by_consortium[consortium_id]
                after = set(
                    student_keys(
                        info, acts.get(sid, []), members, fiscal_years(members, today), until=today
                    )
                )
            else:  # deleted
                consortium_id, after = (old.consortium_id if old else 0), set()
            for k, d in key_delta(before, after).items():
                delta[(consortium_id, k)] += d
            if old is not None and not after:
                old.delete()
            elif old is not None:
                if after != before:
                    old.keys = sorted(after)
                    old.save(update_fields=["keys", "updated_at"])
            elif after:
                StudentKeys.objects.create(
                    student_id=sid, consortium_id=consortium_id, keys=sorted(after)
                )
        _apply(delta)


def bump_version(consortium_id: int) -> None:
    """Mark the consortium's dashboards as changed (their cache key moves on)."""
    updated = AggregateVersion.objects.filter(consortium_id=consortium_id).update(
        version=F("version") + 1
    )
    if not updated:
        AggregateVersion.objects.get_or_create(consortium_id=consortium_id)
        AggregateVersion.objects.filter(consortium_id=consortium_id).update(
            version=F("version") + 1
        )


def current_version(consortium_id: int) -> int:
    return int(
        AggregateVersion.objects.filter(consortium_id=consortium_id)
        .values_list("version", flat=True)
        .first()
        or 0
    )


def _apply(delta: dict[tuple[int, Key], int]) -> None:
    for consortium_id in sorted({c for (c, _k), d in delta.items() if d}):
        bump_version(consortium_id)
    for (consortium_id, k), d in sorted(delta.items()):
        if not d:
            continue
        fields = dict(zip(_FIELDS, k, strict=True))
        updated = KeyCount.objects.filter(consortium_id=consortium_id, **fields).update(
            n=F("n") + d
        )
        if not updated:
            # A new key. Two refreshes adding the same key at once: the unique
            # constraint makes the second one retry as an update.
            try:
                with transaction.atomic():
                    KeyCount.objects.create(consortium_id=consortium_id, n=d, **fields)
            except IntegrityError:
                KeyCount.objects.filter(consortium_id=consortium_id, **fields).update(n=F("n") + d)


# ---------------------------------------------------------------- keeping it current
#
# The aggregates follow explicit events that the writers' doors send inside
# their transactions (no model signals): what a student counts under changes
# only when their stays, residences or attendance change (participation's
# doors), when their home town or school changes (the roster imports), when a
# programme's kind or host changes (the programme door), or when the
# consortium's membership changes (then everything is recounted). A bulk
# writer that sends none (the demo seeder) recounts at its end, and the daily
# recount catches what the calendar alone changes.


def _on_participation_changed(sender: Any, *, student_ids: frozenset[int], **kwargs: Any) -> None:
    aggregates_refresh(student_ids)


def _on_students_changed(sender: Any, *, student_ids: frozenset[int], **kwargs: Any) -> None:
    aggregates_refresh(student_ids)


def _on_programme_changed(sender: Any, *, programme_ids: frozenset[int], **kwargs: Any) -> None:
    ids = set(
        # safe: ids only, to recount the participants of programmes a door just changed
        Stay._unscoped.filter(programme_id__in=programme_ids).values_list("student_id", flat=True)
    )
    ids |= set(
        Attendance._unscoped.filter(  # safe: as above
            session__programme_id__in=programme_ids
        ).values_list("student_id", flat=True)
    )
    ids |= set(
        Residence._unscoped.filter(  # safe: as above
            programme_id__in=programme_ids
        ).values_list("student_id", flat=True)
    )
    aggregates_refresh(ids)


def _on_membership_changed(sender: Any, *, consortium_id: int, **kwargs: Any) -> None:
    consortium = Consortium.objects.filter(pk=consortium_id).first()
    if consortium is not None and StudentKeys.objects.filter(consortium=consortium).exists():
        aggregates_rebuild(consortium)


def connect_events() -> None:
    """Listen to the writers' events (called once, from ``KpisConfig.ready``)."""
    from ekkyo.participation.signals import participation_changed
    from ekkyo.people.signals import students_changed
    from ekkyo.programmes.signals import programme_changed
    from ekkyo.registry.signals import membership_changed

    participation_changed.connect(_on_participation_changed, dispatch_uid="kpi-participation")
    students_changed.connect(_on_students_changed, dispatch_uid="kpi-students")
    programme_changed.connect(_on_programme_changed, dispatch_uid="kpi-programmes")
    membership_changed.connect(_on_membership_changed, dispatch_uid="kpi-membership")
