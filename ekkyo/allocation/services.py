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

Every door takes the acting :class:`Actor` first, fetches what it acts on
at the grant it needs (an application or a student at ``Grant.FULL``: only
the student, their guardians, their school, their towns and the secretariat
may apply, consent, approve or withdraw; a round through
``selectors.round_managed``: the secretariat of its consortium), is atomic
with the rows it changes locked, writes an audit row with a specific event
code (``allocation.events``) and the old and new values, and sends the emails
of the status change (``notifications``) after the transaction commits.

The ``_unscoped`` reads below each say why they are safe: after ``access()``
the rows are about the one student or round checked, and the allocation
reads every application of a round the secretariat runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.audit.services import audit_record, snapshot
from ekkyo.bulk import bulk_update_fields
from ekkyo.core import allocation as da
from ekkyo.people.models import Consent, ConsentPurpose, Student
from ekkyo.programmes.models import OFFLINE_KINDS, Programme
from ekkyo.programmes.selectors import ineligibility, model_refusal, school_level_of
from ekkyo.programmes.services import user_of
from ekkyo.tenancy.access import Grant, access
from ekkyo.tenancy.actor import Actor

from . import events, notifications
from .models import (
    AllocationRound,
    Application,
    ApplicationChoice,
    ApplicationStatus,
    RoundStatus,
    SchoolDecision,
    Seat,
)
from .selectors import approval_filter, round_managed

APPLICATION_STATE = ("status", "school_decision", "placed_programme", "version")
ROUND_STATE = ("status", "allocated_at", "published_at")


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


def consents_missing(
    application: Application, *, given: Collection[str] | None = None
) -> list[str]:
    """Purposes still missing a guardian's consent. ``given`` (the purposes the
    student has consented to in this round) spares a query per application
    when a whole round is checked at once."""
    needed = consents_required(application)
    if not needed:
        return []
    if given is None:
        given = _consents_given(application)
    return [p for p in needed if p not in given]


def _consents_given(application: Application) -> set[str]:
    return set(
        Consent._unscoped.filter(  # safe: the consents of the application's own student
            student_id=application.student_id,
            scope=_scope(application.round),
            withdrawn_at__isnull=True,
        ).values_list("purpose", flat=True)
    )


def _round_consents(round_: AllocationRound) -> dict[int, set[str]]:
    """The purposes each student has consented to in the round, in one query
    (a round's consents carry its scope, so no id list is needed)."""
    given: dict[int, set[str]] = defaultdict(set)
    rows = Consent._unscoped.filter(  # safe: consents given for the checked round only
        scope=_scope(round_), withdrawn_at__isnull=True
    ).values_list("student_id", "purpose")
    for student_id, purpose in rows:
        given[student_id].add(purpose)
    return given


# Consent is given on applications past the draft stage (the guardians' page).
CONSENTABLE = [
    s
    for s in ApplicationStatus.values
    if s not in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN)
]


def _application_locked(actor: Actor, application_id: int, **lookup: Any) -> Application:
    """An application whose student the actor sees in full, locked for the change."""
    checked = access(actor, Application, grant=Grant.FULL, pk=application_id, **lookup)
    return Application._unscoped.select_for_update().get(  # safe: access() checked it above
        pk=checked.pk
    )


def _guardians_application(actor: Actor, application_id: int) -> Application:
    """An application of one of the actor's children (a guardian gives consent;
    a system job may record it too), locked for the change."""
    application = _application_locked(actor, application_id, status__in=CONSENTABLE)
    if not actor.principal.system and (
        application.student_id not in actor.principal.child_student_ids
    ):
        raise model_refusal(actor, Application, {"pk": application_id}, "guardian")
    return application


@transaction.atomic
def consent_give(*, actor: Actor, application_id: int, method: str = "online") -> list[Consent]:
    """Record consent for every purpose this application needs (idempotent).

    Only the student's guardian (or a system job) records it; the guardian
    recorded is the actor's own guardian record."""
    application = _guardians_application(actor, application_id)
    created = []
    for purpose in consents_missing(application):
        created.append(
            Consent._unscoped.create(  # safe: access() checked the student above
                student_id=application.student_id,
                guardian_id=actor.principal.guardian_id,
                purpose=purpose,
                scope=_scope(application.round),
                notice_version=application.round.notice_version,
                recorded_by=user_of(actor),
                method=method,
            )
        )
    if created:
        audit_record(
            actor=actor,
            event=events.CONSENT_GIVE,
            obj=application.student,
            summary=f"consent given ({', '.join(c.purpose for c in created)})",
            detail={
                "round": application.round_id,
                "application": application.pk,
                "method": method,
                "purposes": [c.purpose for c in created],
            },
        )
        notifications.application_changed(application, "consent_given")
    return created


@transaction.atomic
def consent_withdraw(*, actor: Actor, application_id: int) -> int:
    """Withdraw the round's consents; the application can no longer be allocated.

    Only the student's guardian (or a system job) withdraws it."""
    application = _guardians_application(actor, application_id)
    withdrawn = Consent._unscoped.filter(  # safe: access() checked the student above
        student_id=application.student_id,
        scope=_scope(application.round),
        withdrawn_at__isnull=True,
    )
    purposes = sorted(withdrawn.values_list("purpose", flat=True))
    n = withdrawn.update(withdrawn_at=timezone.now())
    if n:
        audit_record(
            actor=actor,
            event=events.CONSENT_WITHDRAW,
            obj=application.student,
            summary="consent withdrawn",
            detail={
                "round": application.round_id,
                "application": application.pk,
                "purposes": purposes,
            },
        )
        notifications.application_changed(application, "consent_withdrawn")
    return n


# --- the student's application ---------------------------------------------------


@dataclass(frozen=True)
class ChoiceInput:
    programme_id: int
    answers: dict[str, str]


def _lock_application(round_: AllocationRound, student: Student) -> Application:
    # safe: the caller checked the student with access() at FULL
    application, _ = Application._unscoped.get_or_create(round=round_, student=student)
    return Application._unscoped.select_for_update().get(  # safe: the same checked student
        pk=application.pk
    )


@transaction.atomic
def application_save(
    *,
    actor: Actor,
    round_id: int,
    student_id: int,
    choices: list[ChoiceInput],
    expected_version: int | None,
) -> Application:
    """Replace the student's ranked choices (draft or submitted, before closing).

    Needs FULL access to the student (the student themself, in practice);
    the round must be one of the student's consortium. ``expected_version``
    guards against lost updates from two tabs or a double submit: a save
    based on an older version is refused.
    """
    student = access(actor, Student, grant=Grant.FULL, pk=student_id)
    round_ = AllocationRound.objects.filter(
        pk=round_id, consortium_id=student.consortium_id
    ).first()
    if round_ is None:
        raise ApplicationError(_("This round is not accepting applications now."))
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
    old = snapshot(application, APPLICATION_STATE)
    application.version += 1
    application.save(update_fields=["version", "status", "updated_at"])
    audit_record(
        actor=actor,
        event=events.APPLICATION_SAVE,
        obj=student,
        summary="application saved",
        detail={"application": application.pk, "round": round_.pk, "programmes": ids},
        old=old,
        new=snapshot(application, APPLICATION_STATE),
    )
    return application


@transaction.atomic
def application_submit(*, actor: Actor, application_id: int) -> Application:
    """Submit the saved choices (needs FULL access to the student); twice is once."""
    application = _application_locked(actor, application_id)
    if not application.round.is_open():
        raise ApplicationError(_("This round is not accepting applications now."))
    if not application.choices.exists():
        raise ApplicationError(_("Choose at least one programme."))
    if application.status == ApplicationStatus.SUBMITTED:
        return application  # a double submit changes nothing
    old = snapshot(application, APPLICATION_STATE)
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = timezone.now()
    application.school_decision = SchoolDecision.PENDING
    application.version += 1
    application.save()
    audit_record(
        actor=actor,
        event=events.APPLICATION_SUBMIT,
        obj=application.student,
        summary="application submitted",
        detail={"application": application.pk, "round": application.round_id},
        old=old,
        new=snapshot(application, APPLICATION_STATE),
    )
    notifications.application_changed(application, "submitted")
    return application


@transaction.atomic
def application_withdraw(*, actor: Actor, application_id: int) -> Application:
    """Withdraw at any stage; a seat already given is released.

    Needs FULL access to the student (the student or a guardian)."""
    application = _application_locked(actor, application_id)
    if application.status == ApplicationStatus.WITHDRAWN:
        return application
    released: list[int] = []
    if application.placed_programme_id and application.round.status == RoundStatus.PUBLISHED:
        for seat in Seat._unscoped.filter(  # safe: the seats of the student checked above
            student_id=application.student_id,
            programme_id=application.placed_programme_id,
            cancelled_at__isnull=True,
        ):
            Programme.objects.select_for_update().get(pk=seat.programme_id)
            seat.cancelled_at = timezone.now()
            seat.save(update_fields=["cancelled_at"])
            released.append(seat.pk)
    old = snapshot(application, APPLICATION_STATE)
    application.status = ApplicationStatus.WITHDRAWN
    application.version += 1
    application.save()
    audit_record(
        actor=actor,
        event=events.APPLICATION_WITHDRAW,
        obj=application.student,
        summary="application withdrawn",
        detail={
            "application": application.pk,
            "round": application.round_id,
            "seats_released": released,
        },
        old=old,
        new=snapshot(application, APPLICATION_STATE),
    )
    notifications.application_changed(application, "withdrawn")
    return application


@transaction.atomic
def school_decide(
    *, actor: Actor, application_id: int, approve: bool, note: str = ""
) -> Application:
    """The school's (or the secretariat's) approval or refusal of a submitted application.

    Needs FULL access to the student *and* the application to be one the
    actor decides (``selectors.approval_filter``: a student of its school, or
    a round of its consortium): a host school that sees an applicant only for
    hosting gets 404, audited."""
    application = _application_locked(actor, application_id)
    if not Application._unscoped.filter(  # safe: an existence test of the caller's own grant
        approval_filter(actor.principal), pk=application.pk
    ).exists():
        raise model_refusal(actor, Application, {"pk": application_id}, "school approval")
    if application.status != ApplicationStatus.SUBMITTED:
        raise ApplicationError(_("Only submitted applications can be approved or declined."))
    if application.round.status not in (RoundStatus.OPEN, RoundStatus.CLOSED):
        raise ApplicationError(_("The round has been allocated already."))
    old = snapshot(application, (*APPLICATION_STATE, "school_note"))
    application.school_decision = SchoolDecision.APPROVED if approve else SchoolDecision.DECLINED
    application.school_decided_by = user_of(actor)
    application.school_decided_at = timezone.now()
    application.school_note = note[:300]
    application.save()
    audit_record(
        actor=actor,
        event=events.APPLICATION_APPROVE if approve else events.APPLICATION_DECLINE,
        obj=application.student,
        summary=f"school {application.school_decision}",
        detail={"application": application.pk, "round": application.round_id},
        old=old,
        new=snapshot(application, (*APPLICATION_STATE, "school_note")),
    )
    notifications.application_changed(application, application.school_decision)
    return application


# --- allocation ----------------------------------------------------------------


def _history(student_ids: list[int]) -> set[int]:
    """Students who already took part in a programme (a seat not cancelled)."""
    return set(
        Seat._unscoped.filter(  # safe: applicants of a round the secretariat allocates
            student_id__in=student_ids, cancelled_at__isnull=True
        ).values_list("student_id", flat=True)
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


def _round_locked(actor: Actor, round_id: int) -> AllocationRound:
    """A round of the actor's secretariat (404 otherwise), locked for the change."""
    checked = round_managed(actor=actor, round_id=round_id)
    return AllocationRound.objects.select_for_update().get(pk=checked.pk)


ROUND_FIELDS = (
    "name",
    "fiscal_year",
    "max_choices",
    "opens_at",
    "closes_at",
    "prefer_first_time",
    "prefer_small_schools",
    "small_school_size",
    "spread_municipalities",
    "lottery_seed",
    "notice_version",
)


@transaction.atomic
def round_create(
    *, actor: Actor, consortium_id: int, data: dict[str, Any], programme_ids: list[int]
) -> AllocationRound:
    """A new round (being prepared) from the rounds page's cleaned form data.

    ``consortium_id`` must be one the actor runs as secretariat; only that
    consortium's programmes join the round."""
    if not actor.principal.system and consortium_id not in actor.principal.admin_consortium_ids:
        raise model_refusal(actor, AllocationRound, {"consortium_id": consortium_id}, "secretariat")
    round_ = AllocationRound(consortium_id=consortium_id)
    for name in ROUND_FIELDS:
        if name in data:
            setattr(round_, name, data[name])
    round_.save()
    programmes = list(
        Programme.objects.filter(pk__in=programme_ids, consortium_id=consortium_id).order_by("pk")
    )
    round_.programmes.set(programmes)
    audit_record(
        actor=actor,
        event=events.ROUND_CREATE,
        obj=round_,
        summary=f"round created: {round_.name}"[:300],
        new={**snapshot(round_, ROUND_FIELDS), "programmes": [p.pk for p in programmes]},
    )
    return round_


@transaction.atomic
def round_allocate(*, actor: Actor, round_id: int) -> AllocationSummary:
    """Run deferred acceptance for the round and store every outcome (not yet public)."""
    round_ = _round_locked(actor, round_id)
    if round_.status not in (RoundStatus.CLOSED, RoundStatus.ALLOCATED):
        raise ApplicationError(_("Close the round before allocating."))
    old = snapshot(round_, ROUND_STATE)
    applications = list(
        Application._unscoped.filter(round=round_)  # safe: every application of a checked round
        .exclude(status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])
        .select_related("student__school", "student__home_municipality")
        .prefetch_related("choices__programme")
    )
    eligible: list[Application] = []
    consented = _round_consents(round_)
    for a in applications:
        reasons = []
        if a.school_decision != SchoolDecision.APPROVED:
            reasons.append("school")
        if consents_missing(a, given=consented.get(a.student_id, set())):
            reasons.append("consent")
        if reasons:
            a.status = ApplicationStatus.EXCLUDED
            a.placed_programme = None
            a.outcome = {"excluded": reasons}
        else:
            eligible.append(a)
    programmes = list(round_.programmes.all())
    other_seats = dict(
        Seat._unscoped.filter(  # safe: counts per programme of the checked round
            programme__in=programmes, cancelled_at__isnull=True
        )
        .values("programme_id")
        .annotate(n=Count("pk"))
        .values_list("programme_id", "n")
    )
    sid = {a.pk: f"a{a.pk}" for a in eligible}
    by_sid = {sid[a.pk]: a for a in eligible}
    first_timers = set(a.student_id for a in eligible) - _history([a.student_id for a in eligible])
    school_sizes = dict(
        Student._unscoped.filter(  # safe: counts per school, no student's data leaves here
            school_id__in={a.student.school_id for a in eligible}
        )
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
    # safe: the applications of the checked round (one UPDATE on PostgreSQL)
    bulk_update_fields(
        Application, applications, ["status", "placed_programme", "outcome", "version"]
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
        actor=actor,
        event=events.ROUND_ALLOCATE,
        obj=round_,
        summary="allocation run",
        detail=dict(round_.summary),
        old=old,
        new=snapshot(round_, ROUND_STATE),
    )
    return summary


@transaction.atomic
def round_publish(*, actor: Actor, round_id: int) -> int:
    """Create the seats and tell every applicant their result. Returns seats created."""
    round_ = _round_locked(actor, round_id)
    if round_.status != RoundStatus.ALLOCATED:
        raise ApplicationError(_("Allocate the round before publishing its results."))
    old = snapshot(round_, ROUND_STATE)
    placed = list(
        Application._unscoped.filter(  # safe: the placed applications of the checked round
            round=round_, status=ApplicationStatus.PLACED
        ).select_related("student")
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
            confirmed_by=user_of(actor),
        )
        for a in placed
    ]
    Seat._unscoped.bulk_create(seats, ignore_conflicts=True)  # safe: seats of the checked round
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = timezone.now()
    round_.save()
    audit_record(
        actor=actor,
        event=events.ROUND_PUBLISH,
        obj=round_,
        summary=f"results published ({len(seats)} seats)",
        detail={"seats": len(seats)},
        old=old,
        new=snapshot(round_, ROUND_STATE),
    )
    for a in Application._unscoped.filter(round=round_).exclude(  # safe: the checked round's
        status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN]
    ):
        notifications.application_changed(a, "published")
    return len(seats)


@transaction.atomic
def round_second(
    *, actor: Actor, round_id: int, opens_at: datetime, closes_at: datetime
) -> AllocationRound:
    """A second round over the programmes that still have free seats.

    The first round and its programmes are locked while the free seats are
    counted, so a seat confirmed or released at the same moment cannot make
    the second round's programmes wrong.

    Idempotent: a double click or double submit returns the second round the
    first call made (the first round's row lock serialises the two calls, so
    the later one sees the earlier one's round) instead of making another."""
    round_ = _round_locked(actor, round_id)
    if round_.status != RoundStatus.PUBLISHED:
        raise ApplicationError(_("Publish the first round's results first."))
    existing = AllocationRound.objects.filter(previous_round=round_).order_by("pk").first()
    if existing is not None:
        return existing
    programmes = list(Programme.objects.select_for_update().filter(rounds=round_).order_by("pk"))
    taken = dict(
        Seat._unscoped.filter(  # safe: counts per programme of the checked round
            programme__in=programmes, cancelled_at__isnull=True
        )
        .values("programme_id")
        .annotate(n=Count("pk"))
        .values_list("programme_id", "n")
    )
    free = [p for p in programmes if p.capacity > taken.get(p.pk, 0)]
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
    audit_record(
        actor=actor,
        event=events.ROUND_SECOND,
        obj=second,
        summary=f"second round of {round_.pk}",
        detail={
            "previous_round": round_.pk,
            "free_seats": {str(p.pk): p.capacity - taken.get(p.pk, 0) for p in free},
        },
        new={
            **snapshot(second, ("name", "status", "opens_at", "closes_at", "lottery_seed")),
            "programmes": [p.pk for p in free],
        },
    )
    return second


ROUND_TRANSITIONS = {
    RoundStatus.DRAFT: {RoundStatus.OPEN},
    RoundStatus.OPEN: {RoundStatus.CLOSED},
    RoundStatus.CLOSED: {RoundStatus.OPEN},
}


@transaction.atomic
def round_set_status(*, actor: Actor, round_id: int, status: str) -> AllocationRound:
    """Open, close or reopen a round; the change is checked on the locked row."""
    round_ = _round_locked(actor, round_id)
    if status not in ROUND_TRANSITIONS.get(round_.status, set()):  # type: ignore[call-overload]
        raise ApplicationError(_("That change of status is not possible now."))
    old = snapshot(round_, ["status"])
    round_.status = status
    round_.save(update_fields=["status"])
    audit_record(
        actor=actor,
        event=events.ROUND_STATUS_SET,
        obj=round_,
        summary=f"round {status}",
        old=old,
        new=snapshot(round_, ["status"]),
    )
    return round_


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
def round_fill_from_waitlists(*, actor: Actor, round_id: int) -> int:
    """Offer seats freed since publication (withdrawals, cancellations) to the
    waiting lists, in each programme's priority order. Returns seats offered."""
    round_ = _round_locked(actor, round_id)
    if round_.status != RoundStatus.PUBLISHED:
        raise ApplicationError(_("Publish the round's results first."))
    programmes = {p.pk: p for p in Programme.objects.select_for_update().filter(rounds=round_)}
    taken = dict(
        Seat._unscoped.filter(  # safe: counts per programme of the checked round
            programme_id__in=programmes, cancelled_at__isnull=True
        )
        .values("programme_id")
        .annotate(n=Count("pk"))
        .values_list("programme_id", "n")
    )
    waiting: dict[int, list[tuple[int, Application]]] = defaultdict(list)
    for a in Application._unscoped.filter(  # safe: the waiting lists of the checked round
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
                Seat._unscoped.filter(  # safe: an applicant of the checked round
                    student_id=a.student_id,
                    programme_id=a.placed_programme_id,
                    cancelled_at__isnull=True,
                ).update(cancelled_at=timezone.now())
            Seat._unscoped.create(  # safe: an applicant of the checked round
                programme_id=pid,
                student_id=a.student_id,
                source=Seat.Source.ALLOCATION,
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
        actor=actor,
        event=events.ROUND_WAITLIST_FILL,
        obj=round_,
        summary=f"seats offered from waiting lists ({offered})",
        detail={"offered": offered, "applications": sorted(moved)},
    )
    return offered
