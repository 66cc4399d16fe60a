"""Aggregate rows behind the KPI dashboards, kept up to date when data changes.

The counting lives in :mod:`ekkyo.core.kpi_aggregates` (plain Python): each
student counts under a set of keys; :class:`~ekkyo.kpis.models.KeyCount`
holds the number of students per key and
:class:`~ekkyo.kpis.models.StudentKeys` the keys each student holds now.

- :func:`aggregates_refresh` recomputes some students' keys and applies the
  difference to the counts, in the caller's transaction. The signal receivers
  at the bottom call it whenever a residence, stay, attendance, session,
  programme or student is saved or deleted, so a page that changes
  participation changes the dashboards with it (atomically).
- :func:`aggregates_batch` defers those refreshes to the end of a block (an
  import of 500 attendance rows refreshes each student once).
- :func:`aggregates_rebuild` recounts a whole consortium: after bulk writes
  that send no signals (the demo seed), after a change of membership, and
  once a day (``ekkyo kpi-aggregates``), since an ongoing residence reaches a
  new month, and a new fiscal year, with the calendar alone.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from ekkyo.core import kpi
from ekkyo.core.fiscal import fiscal_year_of
from ekkyo.core.kpi_aggregates import Activity, Key, StudentInfo, key_delta, student_keys
from ekkyo.participation.models import Attendance, Residence, Stay
from ekkyo.people.models import Student
from ekkyo.programmes.models import STAY_KINDS, Programme, ProgrammeKind, Session
from ekkyo.registry.models import Consortium, Member, School
from ekkyo.tenancy.principal import system_scope

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
        for sid, activities in acts.items():
            if sid not in infos:
                continue
            keys = student_keys(infos[sid][1], activities, members, fys, until=today)
            for k in keys:
                counts[k] += 1
            rows.append(StudentKeys(student_id=sid, consortium=consortium, keys=sorted(keys)))
        StudentKeys.objects.filter(consortium=consortium).delete()
        StudentKeys.objects.bulk_create(rows, batch_size=2000)
        KeyCount.objects.filter(consortium=consortium).delete()
        KeyCount.objects.bulk_create(
            (
                KeyCount(consortium=consortium, n=n, **dict(zip(_FIELDS, k, strict=True)))
                for k, n in counts.items()
            ),
            batch_size=2000,
        )
        kpi4_rebuild(consortium, fys)
        bump_version(consortium.pk)
    return len(counts)


def kpi4_rebuild(consortium: Consortium, fys: Iterable[int]) -> int:
    """KPI ④ keys from each FY's annual wave (``dim="kpi4"``): respondents and reaching.

    Scoring a wave reads all its responses, so this runs with the full
    rebuild (daily), not on every submitted answer. Town rows are by the
    school's municipality (anonymous waves know no student's home).
    """
    from ekkyo.core.instrument import kpi4_thresholds
    from ekkyo.surveys.models import Wave
    from ekkyo.surveys.reports import wave_scores

    rows: list[KeyCount] = []
    town_of = dict(School.objects.values_list("pk", "municipality__code"))
    school_code = dict(School.objects.values_list("pk", "code"))
    for fy in fys:
        wave = (
            Wave.objects.filter(consortium=consortium, kind="annual", fiscal_year=fy)
            .annotate(count=Count("responses"))
            .order_by("-count", "pk")
            .select_related("instrument")
            .first()
        )
        if wave is None:
            continue
        inst = wave.instrument.parsed()
        thresholds = kpi4_thresholds(inst)
        wanted = {c.code for c in inst.constructs if c.code in thresholds}
        needs_class1 = any(i.data_class == "I" for i in inst.items if i.construct in wanted)
        # KPI ④ constructs hold no class I items in the default instruments:
        # score from the plain answers, without decrypting 90,000 health answers.
        scores = wave_scores(wave, include_class1=needs_class1)
        if scores.empty:
            continue
        for construct, threshold in thresholds.items():
            if construct not in scores:
                continue
            col = scores[construct]
            ok = col.notna()
            reach = ok & (col >= threshold)
            groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
            for school_id, responded, reached in zip(scores["_school"], ok, reach, strict=True):
                if not responded:
                    continue
                keys = [("", "")]
                if town_of.get(school_id):
                    keys.append((town_of[school_id], ""))
                if school_code.get(school_id):
                    keys.append(("", school_code[school_id]))
                for key in keys:
                    cell = groups[key]
                    cell[0] += 1
                    cell[1] += int(reached)
            for (muni, school), (respondents, reaching) in groups.items():
                for b, n in (("respondents", respondents), ("reaching", reaching)):
                    rows.append(
                        KeyCount(
                            consortium=consortium, fy=fy, dim="kpi4", muni=muni, school=school,
                            a=construct, b=b, c=f"{threshold:g}", n=n,
                        )
                    )  # fmt: skip
    KeyCount.objects.filter(consortium=consortium, dim="kpi4").delete()
    KeyCount.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


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
            except Exception:
                KeyCount.objects.filter(consortium_id=consortium_id, **fields).update(n=F("n") + d)


# ---------------------------------------------------------------- keeping it current

_local = threading.local()


@contextmanager
def aggregates_batch() -> Iterator[None]:
    """Refresh each touched student once, at the end of the block."""
    outer = getattr(_local, "pending", None)
    if outer is not None:
        yield
        return
    _local.pending = set()
    try:
        yield
        pending = _local.pending
    finally:
        _local.pending = None
    aggregates_refresh(pending)


@contextmanager
def aggregates_suspended() -> Iterator[None]:
    """No refresh inside the block: for deleting a whole consortium (the demo reset).

    The caller deletes the consortium's aggregate rows itself, or recounts.
    """
    before = getattr(_local, "suspended", False)
    _local.suspended = True
    try:
        yield
    finally:
        _local.suspended = before


def _suspended() -> bool:
    return bool(getattr(_local, "suspended", False))


def _touch(student_ids: Iterable[int]) -> None:
    if _suspended():
        return
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.update(student_ids)
    else:
        aggregates_refresh(student_ids)


def _on_record(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _touch([instance.student_id])


def _on_student(sender: Any, instance: Student, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    created = kwargs.get("created", False)
    if created:
        return  # a new student has no records yet
    _touch([instance.pk])


def _on_session(sender: Any, instance: Session, **kwargs: Any) -> None:
    if kwargs.get("raw") or kwargs.get("created"):
        return
    # safe: ids only, to recount the session's students (a signal of a saved session)
    _touch(Attendance._unscoped.filter(session_id=instance.pk).values_list("student_id", flat=True))


def _on_programme(sender: Any, instance: Programme, **kwargs: Any) -> None:
    if kwargs.get("raw") or kwargs.get("created"):
        return
    # safe: ids only, to recount the programme's participants (a signal of a saved programme)
    ids = set(Stay._unscoped.filter(programme_id=instance.pk).values_list("student_id", flat=True))
    ids |= set(
        Attendance._unscoped.filter(  # safe: as above
            session__programme_id=instance.pk
        ).values_list("student_id", flat=True)
    )
    ids |= set(
        Residence._unscoped.filter(  # safe: as above
            programme_id=instance.pk
        ).values_list("student_id", flat=True)
    )
    _touch(ids)


def _on_member(sender: Any, instance: Member, **kwargs: Any) -> None:
    if kwargs.get("raw") or _suspended():
        return
    consortium = Consortium.objects.filter(pk=instance.consortium_id).first()
    if consortium is not None and StudentKeys.objects.filter(consortium=consortium).exists():
        aggregates_rebuild(consortium)


def _on_target(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not kwargs.get("raw") and not _suspended():
        bump_version(instance.consortium_id)


def _on_contribution(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not kwargs.get("raw") and not _suspended():
        consortium_id = (
            type(instance.partner)
            .objects.filter(pk=instance.partner_id)
            .values_list("consortium_id", flat=True)
            .first()
        )
        if consortium_id:
            bump_version(consortium_id)


def connect_signals() -> None:
    from ekkyo.partners.models import Contribution

    from .models import KpiTarget

    for versioned, receiver in ((KpiTarget, _on_target), (Contribution, _on_contribution)):
        name = versioned.__name__
        post_save.connect(receiver, sender=versioned, dispatch_uid=f"kpi-ver-{name}")
        post_delete.connect(receiver, sender=versioned, dispatch_uid=f"kpi-ver-del-{name}")
    for record in (Residence, Stay, Attendance):
        name = record.__name__
        post_save.connect(_on_record, sender=record, dispatch_uid=f"kpi-agg-{name}")
        post_delete.connect(_on_record, sender=record, dispatch_uid=f"kpi-agg-del-{name}")
    post_save.connect(_on_student, sender=Student, dispatch_uid="kpi-agg-student")
    post_delete.connect(_on_student, sender=Student, dispatch_uid="kpi-agg-del-student")
    post_save.connect(_on_session, sender=Session, dispatch_uid="kpi-agg-session")
    post_save.connect(_on_programme, sender=Programme, dispatch_uid="kpi-agg-programme")
    post_save.connect(_on_member, sender=Member, dispatch_uid="kpi-agg-member")
    post_delete.connect(_on_member, sender=Member, dispatch_uid="kpi-agg-del-member")
