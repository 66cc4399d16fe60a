"""The application workflow in one place: apply → consent → approve → allocate → publish.

- A student saves ranked choices in an open round (``application_save``) and
  submits them (``application_submit``); they can withdraw at any stage.
- A guardian gives (or withdraws) consent where DESIGN.md requires it:
  always for middle-school students, and for everyone when an offline
  programme would give a host their data (``consents_missing``).
- The school approves or declines (``school_decide``).
- The secretariat runs the allocation (``round_allocate``): student-proposing
  deferred acceptance from ``ekkyo.core.allocation`` over the applications
  that are submitted, approved and consented; each programme ranks its
  applicants by the round's policy and one seeded lottery. Results can be
  reviewed, then published (``round_publish``), which creates the seats and
  tells every applicant what they got and why. Unfilled seats can go to a
  second round (``round_second``).

Every write is atomic, takes the acting user, writes an audit record, and
sends the emails of the status change (``notifications``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core import allocation as da
from ekkyo.people.models import Consent, ConsentPurpose, Guardian, Student

from . import notifications
from .models import (
    OFFLINE_KINDS,
    AllocationRound,
    Application,
    ApplicationChoice,
    ApplicationStatus,
    Programme,
    RoundStatus,
    SchoolDecision,
    Seat,
)
from .selectors import ineligibility, school_level_of


class ApplicationError(Exception):
    """A request the workflow refuses; ``message`` is for the person."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def _scope(round_: AllocationRound) -> str:
    return f"round:{round_.pk}"


# --- consent -------------------------------------------------------------------


def consents_required(application: Application) -> list[str]:
    """Purposes that need a guardian's consent for this application (DESIGN.md)."""
    needed: list[str] = []
    if school_level_of(application.student) == "middle":
        needed.append(ConsentPurpose.APPLICATION)
    if any(c.programme.kind in OFFLINE_KINDS for c in application.choices.all()):
        needed.append(ConsentPurpose.HOST_DATA)
    return needed


def consents_missing(application: Application) -> list[str]:
    needed = consents_required(application)
    if not needed:
        return []
    given = set(
        Consent._unscoped.filter(
            student_id=application.student_id,
            scope=_scope(application.round),
            purpose__in=needed,
            withdrawn_at__isnull=True,
        ).values_list("purpose", flat=True)
    )
    return [p for p in needed if p not in given]


@transaction.atomic
def consent_give(
    *,
    application: Application,
    guardian: Guardian | None,
    user: Any,
    request: Any = None,
    method: str = "online",
) -> list[Consent]:
    """Record consent for every purpose this application needs (idempotent)."""
    created = []
    for purpose in consents_missing(application):
        created.append(
            Consent._unscoped.create(
                student_id=application.student_id,
                guardian=guardian,
                purpose=purpose,
                scope=_scope(application.round),
                notice_version=application.round.notice_version,
                recorded_by=user if getattr(user, "pk", None) else None,
                method=method,
            )
        )
    if created:
        audit_record(
            request=request,
            user=user,
            action=Action.CREATE,
            obj=application.student,
            summary=f"consent given ({', '.join(c.purpose for c in created)})",
            detail={"round": application.round_id, "method": method},
        )
        notifications.application_changed(application, "consent_given")
    return created


@transaction.atomic
def consent_withdraw(*, application: Application, user: Any, request: Any = None) -> int:
    """Withdraw the round's consents; the application can no longer be allocated."""
    n = Consent._unscoped.filter(
        student_id=application.student_id,
        scope=_scope(application.round),
        withdrawn_at__isnull=True,
    ).update(withdrawn_at=timezone.now())
    if n:
        audit_record(
            request=request,
            user=user,
            action=Action.UPDATE,
            obj=application.student,
            summary="consent withdrawn",
            detail={"round": application.round_id},
        )
        notifications.application_changed(application, "consent_withdrawn")
    return n


# --- the student's application ---------------------------------------------------


@dataclass(frozen=True)
class ChoiceInput:
    programme_id: int
    answers: dict[str, str]


def _lock_application(round_: AllocationRound, student: Student) -> Application:
    application, _ = Application._unscoped.get_or_create(round=round_, student=student)
    return Application._unscoped.select_for_update().get(pk=application.pk)


@transaction.atomic
def application_save(
    *,
    round_: AllocationRound,
    student: Student,
    choices: list[ChoiceInput],
    expected_version: int | None,
    user: Any,
    request: Any = None,
) -> Application:
    """Replace the student's ranked choices (draft or submitted, before closing).

    ``expected_version`` guards against lost updates from two tabs or a
    double submit: a save based on an older version is refused.
    """
    if not round_.is_open():
        raise ApplicationError(_("This round is not accepting applications now."))
    application = _lock_application(round_, student)
    if expected_version is not None and expected_version != application.version:
        raise ApplicationError(
            _(
                "Your application was changed elsewhere (another tab or device). "
                "Reload and check it."
            )
        )
    if application.status == ApplicationStatus.WITHDRAWN:
        application.status = ApplicationStatus.DRAFT
    if not choices:
        raise ApplicationError(_("Choose at least one programme."))
    if len(choices) > round_.max_choices:
        raise ApplicationError(_("Choose at most %(n)s programmes.") % {"n": round_.max_choices})
    ids = [c.programme_id for c in choices]
    if len(set(ids)) != len(ids):
        raise ApplicationError(_("Each programme can be chosen only once."))
    programmes = {
        p.pk: p for p in round_.programmes.filter(pk__in=ids).prefetch_related("questions")
    }
    for c in choices:
        programme = programmes.get(c.programme_id)
        if programme is None:
            raise ApplicationError(_("A chosen programme is not part of this round."))
        why = ineligibility(programme, student)
        if why:
            raise ApplicationError(
                _("%(title)s is not open to you: %(why)s")
                % {"title": programme.display_title, "why": ", ".join(str(w) for w in why)}
            )
        for q in programme.questions.all():
            answer = (c.answers.get(str(q.pk)) or "").strip()
            if q.required and not answer:
                raise ApplicationError(
                    _("Answer “%(question)s” for %(title)s.")
                    % {"question": q.display_text, "title": programme.display_title}
                )
            if len(answer) > q.max_length:
                raise ApplicationError(
                    _("Your answer to “%(question)s” is longer than %(n)s characters.")
                    % {"question": q.display_text, "n": q.max_length}
                )
    application.choices.all().delete()
    ApplicationChoice.objects.bulk_create(
        [
            ApplicationChoice(
                application=application,
                programme_id=c.programme_id,
                rank=i,
                answers={k: v.strip() for k, v in c.answers.items() if v and v.strip()},
            )
            for i, c in enumerate(choices, start=1)
        ]
    )
    application.version += 1
    application.save(update_fields=["version", "status", "updated_at"])
    audit_record(
        request=request, user=user, action=Action.UPDATE, obj=student, summary="application saved"
    )
    return application


@transaction.atomic
def application_submit(*, application: Application, user: Any, request: Any = None) -> Application:
    application = Application._unscoped.select_for_update().get(pk=application.pk)
    if not application.round.is_open():
        raise ApplicationError(_("This round is not accepting applications now."))
    if not application.choices.exists():
        raise ApplicationError(_("Choose at least one programme."))
    if application.status == ApplicationStatus.SUBMITTED:
        return application  # a double submit changes nothing
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = timezone.now()
    application.school_decision = SchoolDecision.PENDING
    application.version += 1
    application.save()
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        obj=application.student,
        summary="application submitted",
    )
    notifications.application_changed(application, "submitted")
    return application


@transaction.atomic
def application_withdraw(*, application: Application, user: Any, request: Any = None) -> None:
    """Withdraw at any stage; a seat already given is released."""
    application = Application._unscoped.select_for_update().get(pk=application.pk)
    if application.status == ApplicationStatus.WITHDRAWN:
        return
    if application.placed_programme_id and application.round.status == RoundStatus.PUBLISHED:
        for seat in Seat._unscoped.filter(
            student_id=application.student_id,
            programme_id=application.placed_programme_id,
            cancelled_at__isnull=True,
        ):
            Programme.objects.select_for_update().get(pk=seat.programme_id)
            seat.cancelled_at = timezone.now()
            seat.save(update_fields=["cancelled_at"])
    application.status = ApplicationStatus.WITHDRAWN
    application.version += 1
    application.save()
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        obj=application.student,
        summary="application withdrawn",
    )
    notifications.application_changed(application, "withdrawn")


@transaction.atomic
def school_decide(
    *, application: Application, approve: bool, note: str, user: Any, request: Any = None
) -> Application:
    application = Application._unscoped.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.SUBMITTED:
        raise ApplicationError(_("Only submitted applications can be approved or declined."))
    if application.round.status not in (RoundStatus.OPEN, RoundStatus.CLOSED):
        raise ApplicationError(_("The round has been allocated already."))
    application.school_decision = SchoolDecision.APPROVED if approve else SchoolDecision.DECLINED
    application.school_decided_by = user
    application.school_decided_at = timezone.now()
    application.school_note = note[:300]
    application.save()
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        obj=application.student,
        summary=f"school {application.school_decision}",
    )
    notifications.application_changed(application, application.school_decision)
    return application


# --- allocation ----------------------------------------------------------------


def _history(student_ids: list[int]) -> set[int]:
    """Students who already took part in a programme (a seat not cancelled)."""
    return set(
        Seat._unscoped.filter(student_id__in=student_ids, cancelled_at__isnull=True).values_list(
            "student_id", flat=True
        )
    )


def _spread(order: list[str], home_of: dict[str, Any]) -> list[str]:
    """Alternate between home municipalities, keeping each town's own order."""
    queues: dict[Any, list[str]] = defaultdict(list)
    towns: list[Any] = []
    for sid in order:
        town = home_of.get(sid)
        if town not in queues:
            towns.append(town)
        queues[town].append(sid)
    spread: list[str] = []
    depth = 0
    while len(spread) < len(order):
        for town in towns:
            if depth < len(queues[town]):
                spread.append(queues[town][depth])
        depth += 1
    return spread


@dataclass(frozen=True)
class AllocationSummary:
    considered: int
    excluded: int
    placed: int
    waitlisted: int
    not_placed: int


@transaction.atomic
def round_allocate(*, round_: AllocationRound, user: Any, request: Any = None) -> AllocationSummary:
    """Run deferred acceptance for the round and store every outcome (not yet public)."""
    round_ = AllocationRound.objects.select_for_update().get(pk=round_.pk)
    if round_.status not in (RoundStatus.CLOSED, RoundStatus.ALLOCATED):
        raise ApplicationError(_("Close the round before allocating."))
    applications = list(
        Application._unscoped.filter(round=round_)
        .exclude(status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])
        .select_related("student__school", "student__home_municipality")
        .prefetch_related("choices__programme")
    )
    eligible: list[Application] = []
    for a in applications:
        reasons = []
        if a.school_decision != SchoolDecision.APPROVED:
            reasons.append("school")
        if consents_missing(a):
            reasons.append("consent")
        if reasons:
            a.status = ApplicationStatus.EXCLUDED
            a.placed_programme = None
            a.outcome = {"excluded": reasons}
        else:
            eligible.append(a)
    programmes = list(round_.programmes.all())
    other_seats = dict(
        Seat._unscoped.filter(programme__in=programmes, cancelled_at__isnull=True)
        .values("programme_id")
        .annotate(n=Count("pk"))
        .values_list("programme_id", "n")
    )
    sid = {a.pk: f"a{a.pk}" for a in eligible}
    by_sid = {sid[a.pk]: a for a in eligible}
    first_timers = set(a.student_id for a in eligible) - _history([a.student_id for a in eligible])
    school_sizes = dict(
        Student._unscoped.filter(school_id__in={a.student.school_id for a in eligible})
        .values("school_id")
        .annotate(n=Count("pk"))
        .values_list("school_id", "n")
    )

    def keys(s: str) -> tuple[int, int]:
        a = by_sid[s]
        first = 0 if (not round_.prefer_first_time or a.student_id in first_timers) else 1
        size = school_sizes.get(a.student.school_id or 0, 0)
        small = 0 if (not round_.prefer_small_schools or size <= round_.small_school_size) else 1
        return (first, small)

    lottery = da.draw_lottery(sid.values(), seed=round_.lottery_seed)
    applicants: dict[int, list[str]] = defaultdict(list)
    for a in eligible:
        for c in a.choices.all():
            applicants[c.programme_id].append(sid[a.pk])
    home_of = {s: by_sid[s].student.home_municipality_id for s in by_sid}
    problem_programmes = []
    for p in programmes:
        order = da.priority_order(
            applicants.get(p.pk, []), keys=keys, seed=round_.lottery_seed, lottery=lottery
        )
        if round_.spread_municipalities:
            order = _spread(order, home_of)
        capacity = max(0, p.capacity - other_seats.get(p.pk, 0))
        problem_programmes.append(
            da.Programme(id=f"p{p.pk}", capacity=capacity, ranking=tuple(order))
        )
    problem = da.Problem(
        programmes=tuple(problem_programmes),
        students=tuple(
            da.Student(
                id=sid[a.pk],
                preferences=tuple(f"p{c.programme_id}" for c in a.choices.all()),
            )
            for a in eligible
        ),
    )
    result = da.deferred_acceptance(problem)
    explanations = result.explanations()
    positions = {
        pid: {s: i for i, s in enumerate(wl, start=1)} for pid, wl in result.waitlists.items()
    }
    counts = {"placed": 0, "waitlisted": 0, "not_placed": 0}
    for s, a in by_sid.items():
        got = result.assignment[s]
        a.placed_programme_id = int(got[1:]) if got else None
        why = [
            {
                "programme": int(r.programme_id[1:]),
                "reason": str(r.reason),
                "rank": r.rank,
                "cutoff": r.cutoff_rank,
                "waitlist": positions.get(r.programme_id, {}).get(s),
            }
            for r in explanations[s]
        ]
        a.outcome = {"why_not": why, "lottery": lottery[s]}
        if got:
            a.status = ApplicationStatus.PLACED
            counts["placed"] += 1
        elif any(w["waitlist"] for w in why):
            a.status = ApplicationStatus.WAITLISTED
            counts["waitlisted"] += 1
        else:
            a.status = ApplicationStatus.NOT_PLACED
            counts["not_placed"] += 1
    for a in applications:
        a.version += 1
    Application._unscoped.bulk_update(
        applications, ["status", "placed_programme", "outcome", "version"], batch_size=500
    )
    summary = AllocationSummary(
        considered=len(eligible),
        excluded=len(applications) - len(eligible),
        **counts,
    )
    round_.status = RoundStatus.ALLOCATED
    round_.allocated_at = timezone.now()
    round_.summary = summary.__dict__
    round_.save()
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="programmes.allocationround",
        object_id=round_.pk,
        consortium_id=round_.consortium_id,
        summary="allocation run",
        detail=round_.summary,
    )
    return summary


@transaction.atomic
def round_publish(*, round_: AllocationRound, user: Any, request: Any = None) -> int:
    """Create the seats and tell every applicant their result. Returns seats created."""
    round_ = AllocationRound.objects.select_for_update().get(pk=round_.pk)
    if round_.status != RoundStatus.ALLOCATED:
        raise ApplicationError(_("Allocate the round before publishing its results."))
    placed = list(
        Application._unscoped.filter(round=round_, status=ApplicationStatus.PLACED).select_related(
            "student"
        )
    )
    # Lock the programmes, as seat_confirm does, so a hand-confirmed seat
    # cannot slip in between the allocation and its publication.
    list(
        Programme.objects.select_for_update().filter(pk__in={a.placed_programme_id for a in placed})
    )
    seats = [
        Seat(
            programme_id=a.placed_programme_id or 0,
            student_id=a.student_id,
            source=Seat.Source.ALLOCATION,
            confirmed_by=user if getattr(user, "pk", None) else None,
        )
        for a in placed
    ]
    Seat._unscoped.bulk_create(seats, ignore_conflicts=True)
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = timezone.now()
    round_.save()
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="programmes.allocationround",
        object_id=round_.pk,
        consortium_id=round_.consortium_id,
        summary=f"results published ({len(seats)} seats)",
    )
    for a in Application._unscoped.filter(round=round_).exclude(
        status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN]
    ):
        notifications.application_changed(a, "published")
    return len(seats)


@transaction.atomic
def round_second(
    *, round_: AllocationRound, opens_at: datetime, closes_at: datetime, user: Any
) -> AllocationRound:
    """A second round over the programmes that still have free seats."""
    if round_.status != RoundStatus.PUBLISHED:
        raise ApplicationError(_("Publish the first round's results first."))
    taken = dict(
        Seat._unscoped.filter(programme__in=round_.programmes.all(), cancelled_at__isnull=True)
        .values("programme_id")
        .annotate(n=Count("pk"))
        .values_list("programme_id", "n")
    )
    free = [p for p in round_.programmes.all() if p.capacity > taken.get(p.pk, 0)]
    if not free:
        raise ApplicationError(_("Every programme of this round is full."))
    second = AllocationRound.objects.create(
        consortium=round_.consortium,
        name=f"{round_.name}（二次）",
        fiscal_year=round_.fiscal_year,
        max_choices=round_.max_choices,
        opens_at=opens_at,
        closes_at=closes_at,
        prefer_first_time=round_.prefer_first_time,
        prefer_small_schools=round_.prefer_small_schools,
        small_school_size=round_.small_school_size,
        spread_municipalities=round_.spread_municipalities,
        lottery_seed=round_.lottery_seed + 1,
        notice_version=round_.notice_version,
        previous_round=round_,
        status=RoundStatus.DRAFT,
    )
    second.programmes.set(free)
    return second


def round_set_status(
    *, round_: AllocationRound, status: str, user: Any, request: Any = None
) -> None:
    allowed = {
        RoundStatus.DRAFT: {RoundStatus.OPEN},
        RoundStatus.OPEN: {RoundStatus.CLOSED},
        RoundStatus.CLOSED: {RoundStatus.OPEN},
    }
    if status not in allowed.get(round_.status, set()):  # type: ignore[call-overload]
        raise ApplicationError(_("That change of status is not possible now."))
    round_.status = status
    round_.save(update_fields=["status"])
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="programmes.allocationround",
        object_id=round_.pk,
        consortium_id=round_.consortium_id,
        summary=f"round {status}",
    )


def open_rounds_for(student: Student) -> list[AllocationRound]:
    now = timezone.now()
    return list(
        AllocationRound.objects.filter(
            consortium_id=student.consortium_id,
            status=RoundStatus.OPEN,
            opens_at__lte=now,
            closes_at__gt=now,
        )
    )


@transaction.atomic
def round_fill_from_waitlists(*, round_: AllocationRound, user: Any, request: Any = None) -> int:
    """Offer seats freed since publication (withdrawals, cancellations) to the
    waiting lists, in each programme's priority order. Returns seats offered."""
    round_ = AllocationRound.objects.select_for_update().get(pk=round_.pk)
    if round_.status != RoundStatus.PUBLISHED:
        raise ApplicationError(_("Publish the round's results first."))
    programmes = {p.pk: p for p in Programme.objects.select_for_update().filter(rounds=round_)}
    taken = dict(
        Seat._unscoped.filter(programme_id__in=programmes, cancelled_at__isnull=True)
        .values("programme_id")
        .annotate(n=Count("pk"))
        .values_list("programme_id", "n")
    )
    waiting: dict[int, list[tuple[int, Application]]] = defaultdict(list)
    for a in Application._unscoped.filter(
        round=round_, status__in=[ApplicationStatus.WAITLISTED, ApplicationStatus.PLACED]
    ).select_related("student"):
        for w in a.outcome.get("why_not", []):
            if w.get("waitlist"):
                waiting[w["programme"]].append((w["waitlist"], a))
    offered = 0
    moved: set[int] = set()
    for pid, queue in waiting.items():
        programme = programmes.get(pid)
        if programme is None:
            continue
        free = programme.capacity - taken.get(pid, 0)
        for _position, a in sorted(queue, key=lambda x: x[0]):
            if free <= 0:
                break
            if a.pk in moved or a.status == ApplicationStatus.WITHDRAWN:
                continue
            # The student moves up to a programme they ranked higher: release the old seat.
            if a.placed_programme_id:
                Seat._unscoped.filter(
                    student_id=a.student_id,
                    programme_id=a.placed_programme_id,
                    cancelled_at__isnull=True,
                ).update(cancelled_at=timezone.now())
            Seat._unscoped.create(
                programme_id=pid, student_id=a.student_id, source=Seat.Source.ALLOCATION
            )
            a.placed_programme_id = pid
            a.status = ApplicationStatus.PLACED
            a.version += 1
            a.save(update_fields=["placed_programme", "status", "version"])
            notifications.application_changed(a, "published")
            moved.add(a.pk)
            free -= 1
            offered += 1
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="programmes.allocationround",
        object_id=round_.pk,
        consortium_id=round_.consortium_id,
        summary=f"seats offered from waiting lists ({offered})",
    )
    return offered
