"""The programmes doors: each write happens, leaves an audit row with its own
event code (and the old and new values), and a person seen only for hosting
(``world.guest``) is refused where the route needs full access."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ekkyo.allocation import events as allocation_events
from ekkyo.allocation.models import (
    AllocationRound,
    Application,
    ApplicationStatus,
    RoundStatus,
    Seat,
)
from ekkyo.allocation.seat_services import seat_cancel, seat_confirm
from ekkyo.allocation.services import (
    ApplicationError,
    ChoiceInput,
    application_save,
    application_submit,
    application_withdraw,
    consent_give,
    consent_withdraw,
    round_allocate,
    round_create,
    round_fill_from_waitlists,
    round_publish,
    round_second,
    round_set_status,
    school_decide,
)
from ekkyo.audit.models import AuditEvent
from ekkyo.funnel import events as funnel_events
from ekkyo.funnel.services import funnel_grid_save, funnel_import, grid_fingerprint, month_grid
from ekkyo.participation import events as participation_events
from ekkyo.participation.models import Attendance, Reflection, Residence, Stay
from ekkyo.participation.services import (
    attendance_import,
    attendance_record,
    reflection_save,
    residence_create,
    stay_cancelled_toggle,
    stays_create_from_seats,
)
from ekkyo.people.models import Consent, Student
from ekkyo.programmes import events
from ekkyo.programmes.models import Programme, ProgrammeKind, ProgrammeQuestion, ProgrammeStatus
from ekkyo.programmes.services import (
    programme_cancel,
    programme_create,
    programme_publish,
    programme_update,
    question_create,
    question_delete,
    session_create,
)
from ekkyo.tenancy.access import Grant, NotFound, access
from ekkyo.tenancy.principal import Role, system_scope

from ..doors import SYSTEM, actor_of
from ..factories import World, programme

pytestmark = pytest.mark.django_db


def _last(code: str) -> AuditEvent:
    with system_scope(reason="assert"):
        return AuditEvent._unscoped.filter(action=code).latest("pk")


def _count(code: str, **extra: Any) -> int:
    with system_scope(reason="assert"):
        return AuditEvent._unscoped.filter(action=code, **extra).count()


def _client(world: World, role: Role) -> Client:
    c = Client()
    c.force_login(world.a.users[role])
    return c


def test_every_code_is_registered() -> None:
    from ekkyo.audit.events import is_registered

    codes = [
        v
        for module in (events, allocation_events, participation_events, funnel_events)
        for k, v in vars(module).items()
        if k.isupper() and isinstance(v, str)
    ]
    assert len(codes) == len(set(codes)) >= 30
    assert all(is_registered(c) for c in codes)


# --- catalogue and editing ---------------------------------------------------------


def test_programme_doors_write_and_audit(world: World, system: None) -> None:
    town = actor_of(world.a.users[Role.MUNICIPALITY_STAFF])
    data = {
        "kind": ProgrammeKind.SHORT_STAY,
        "title": "磯の観察",
        "host_municipality": world.a.municipality,
        "starts_on": date(2026, 9, 1),
        "ends_on": date(2026, 9, 3),
        "capacity": 5,
        "languages": "ja",
        "themes": [],
        "partners": [],
    }
    p = programme_create(actor=town, consortium_id=world.a.consortium.pk, data=data)
    assert (
        p.status == ProgrammeStatus.DRAFT and p.created_by == world.a.users[Role.MUNICIPALITY_STAFF]
    )
    created = _last(events.PROGRAMME_CREATE)
    assert created.object_id == str(p.pk) and created.detail["new"]["title"] == "磯の観察"

    programme_update(actor=town, programme_id=p.pk, data={**data, "capacity": 8})
    updated = _last(events.PROGRAMME_UPDATE)
    assert updated.detail["old"] == {"capacity": 5} and updated.detail["new"] == {"capacity": 8}

    programme_publish(actor=town, programme_id=p.pk)
    published = _last(events.PROGRAMME_PUBLISH)
    assert published.detail == {"old": {"status": "draft"}, "new": {"status": "published"}}
    assert Programme.objects.get(pk=p.pk).status == ProgrammeStatus.PUBLISHED

    start = timezone.now() + timedelta(days=3)
    session = session_create(
        actor=town,
        programme_id=p.pk,
        data={
            "kind": "online",
            "title": "事前会",
            "starts_at": start,
            "ends_at": start + timedelta(hours=1),
        },
    )
    assert _last(events.SESSION_CREATE).object_id == str(session.pk)
    q = question_create(actor=town, programme_id=p.pk, data={"text": "志望動機", "max_length": 200})
    assert q.order == 1 and _last(events.QUESTION_CREATE).detail["new"]["text"] == "志望動機"
    assert question_delete(actor=town, programme_id=p.pk, question_id=q.pk)
    assert not ProgrammeQuestion.objects.filter(pk=q.pk).exists()
    assert _last(events.QUESTION_DELETE).detail["old"]["text"] == "志望動機"

    programme_cancel(actor=town, programme_id=p.pk)
    assert _last(events.PROGRAMME_CANCEL).detail["new"] == {"status": "cancelled"}

    # Another consortium's town manages none of it: 404, the refusal recorded.
    other = actor_of(world.b.users[Role.MUNICIPALITY_STAFF])
    denied_before = _count("access.denied")
    programme_publish_refused = False
    try:
        programme_publish(actor=other, programme_id=p.pk)
    except NotFound as exc:
        programme_publish_refused = True
        assert exc.pending_denial is not None  # raised inside the door's transaction
    assert programme_publish_refused
    assert Programme.objects.get(pk=p.pk).status == ProgrammeStatus.CANCELLED
    with pytest.raises(NotFound):
        programme_cancel(actor=other, programme_id=999999)
    assert _count("access.denied") == denied_before  # recorded by the middleware, not here


def test_manage_pages_audit_and_refuse_other_towns(world: World, system: None) -> None:
    town = _client(world, Role.MUNICIPALITY_STAFF)
    p = world.a.draft
    town.post(reverse("programmes:manage_detail", args=[p.pk]), {"action": "publish"})
    assert _last(events.PROGRAMME_PUBLISH).actor_id == world.a.users[Role.MUNICIPALITY_STAFF].pk
    other = Client()
    other.force_login(world.b.users[Role.MUNICIPALITY_STAFF])
    before = _count("access.denied", actor_id=world.b.users[Role.MUNICIPALITY_STAFF].pk)
    assert other.post(reverse("programmes:manage_cancel", args=[p.pk])).status_code == 404
    assert _count("access.denied", actor_id=world.b.users[Role.MUNICIPALITY_STAFF].pk) == before + 1
    assert Programme.objects.get(pk=p.pk).status == ProgrammeStatus.PUBLISHED


def test_seat_doors(world: World, system: None) -> None:
    admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    p = programme(world.a.consortium, world.a.municipality, title="席", capacity=3)
    s = world.a2.students[0]
    seat = seat_confirm(actor=admin, programme_id=p.pk, student_id=s.pk)
    confirmed = _last(allocation_events.SEAT_CONFIRM)
    assert confirmed.object_id == str(seat.pk) and confirmed.detail["student"] == s.pk
    seat_cancel(actor=admin, programme_id=p.pk, seat_id=seat.pk)
    assert Seat._unscoped.get(pk=seat.pk).cancelled_at is not None
    cancelled = _last(allocation_events.SEAT_CANCEL)
    assert (
        cancelled.detail["old"] == {"cancelled_at": None}
        and cancelled.detail["new"]["cancelled_at"]
    )
    # A seat of another programme cannot be cancelled through this one.
    elsewhere = seat_confirm(actor=SYSTEM, programme_id=world.a.published.pk, student_id=s.pk)
    with pytest.raises(NotFound):
        seat_cancel(actor=admin, programme_id=p.pk, seat_id=elsewhere.pk)
    assert Seat._unscoped.get(pk=elsewhere.pk).cancelled_at is None


def test_seat_for_a_student_out_of_sight_is_refused_and_audited(world: World, system: None) -> None:
    client = _client(world, Role.MUNICIPALITY_STAFF)
    foreign = world.b.students[0]
    before = _count("access.denied")
    response = client.post(
        reverse("programmes:manage_detail", args=[world.a.published.pk]),
        {
            "action": "seat",
            "seat-school": foreign.school.code,
            "seat-student_number": foreign.student_number,
        },
    )
    assert response.status_code == 200 and response.context["seat_form"].non_field_errors()
    assert _count("access.denied") == before + 1
    denied = _last("access.denied")
    assert denied.detail["model"] == "people.student" and denied.detail["grant"] == "hosting"
    # The guest, seen for hosting, may be placed: placing is part of hosting.
    ok = client.post(
        reverse("programmes:manage_detail", args=[world.a.published.pk]),
        {
            "action": "seat",
            "seat-school": world.guest.school.code,
            "seat-student_number": world.guest.student_number,
        },
    )
    assert ok.status_code == 302
    assert Seat._unscoped.filter(student=world.guest, programme=world.a.published).exists()


# --- the application workflow ---------------------------------------------------------


def _open_round(world: World, *programmes: Programme) -> AllocationRound:
    now = timezone.now()
    r = AllocationRound.objects.create(
        consortium=world.a.consortium,
        name="試験ラウンド",
        fiscal_year=2026,
        max_choices=2,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
        lottery_seed=3,
        status=RoundStatus.OPEN,
    )
    r.programmes.set(programmes)
    return r


def _future(world: World, title: str, capacity: int) -> Programme:
    start = timezone.localdate() + timedelta(days=60)
    return programme(
        world.a.consortium,
        world.a2.municipality,
        title=title,
        capacity=capacity,
        starts_on=start,
        ends_on=start + timedelta(days=2),
    )


def test_workflow_doors_audit_with_their_codes(world: World, system: None) -> None:
    p = _future(world, "川の学校", capacity=1)
    admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    r = round_create(
        actor=admin,
        consortium_id=world.a.consortium.pk,
        data={
            "name": "夏",
            "fiscal_year": 2026,
            "max_choices": 2,
            "opens_at": timezone.now() - timedelta(days=1),
            "closes_at": timezone.now() + timedelta(days=3),
            "lottery_seed": 5,
        },
        programme_ids=[p.pk, world.b.published.pk],  # another consortium's is ignored
    )
    assert list(r.programmes.all()) == [p]
    assert _last(allocation_events.ROUND_CREATE).detail["new"]["programmes"] == [p.pk]
    round_set_status(actor=admin, round_id=r.pk, status=RoundStatus.OPEN)
    status_set = _last(allocation_events.ROUND_STATUS_SET)
    assert status_set.detail == {"old": {"status": "draft"}, "new": {"status": "open"}}
    with pytest.raises(ApplicationError):
        round_set_status(actor=admin, round_id=r.pk, status=RoundStatus.PUBLISHED)
    assert _count(allocation_events.ROUND_STATUS_SET) == 1

    student = actor_of(world.a.users[Role.STUDENT])
    s = world.a.students[1]  # the student with a sign-in account
    a = application_save(
        actor=student,
        round_id=r.pk,
        student_id=s.pk,
        choices=[ChoiceInput(p.pk, {})],
        expected_version=None,
    )
    assert _last(allocation_events.APPLICATION_SAVE).detail["new"]["version"] == 1
    application_submit(actor=student, application_id=a.pk)
    assert _last(allocation_events.APPLICATION_SUBMIT).detail["new"]["status"] == "submitted"
    consent_give(actor=SYSTEM, application_id=a.pk)
    given = _last(allocation_events.CONSENT_GIVE)
    assert sorted(given.detail["purposes"]) == ["application", "host_data"]
    consent_withdraw(actor=SYSTEM, application_id=a.pk)
    assert _last(allocation_events.CONSENT_WITHDRAW).detail["application"] == a.pk
    consent_give(actor=SYSTEM, application_id=a.pk)
    teacher = actor_of(world.a.users[Role.SCHOOL_STAFF])
    school_decide(actor=teacher, application_id=a.pk, approve=False, note="")
    declined = _last(allocation_events.APPLICATION_DECLINE)
    assert declined.detail["new"]["school_decision"] == "declined"
    Application._unscoped.filter(pk=a.pk).update(school_decision="pending")
    school_decide(actor=teacher, application_id=a.pk, approve=True, note="よい")
    approved = _last(allocation_events.APPLICATION_APPROVE)
    assert approved.detail["old"]["school_decision"] == "pending"
    assert approved.detail["new"] == {"school_decision": "approved", "school_note": "よい"}

    round_set_status(actor=admin, round_id=r.pk, status=RoundStatus.CLOSED)
    round_allocate(actor=admin, round_id=r.pk)
    allocated = _last(allocation_events.ROUND_ALLOCATE)
    assert allocated.detail["placed"] == 1 and allocated.detail["new"]["status"] == "allocated"
    assert round_publish(actor=admin, round_id=r.pk) == 1
    assert _last(allocation_events.ROUND_PUBLISH).detail["new"]["status"] == "published"
    application_withdraw(actor=student, application_id=a.pk)
    withdrawn = _last(allocation_events.APPLICATION_WITHDRAW)
    assert withdrawn.detail["new"]["status"] == "withdrawn" and withdrawn.detail["seats_released"]
    assert round_fill_from_waitlists(actor=admin, round_id=r.pk) == 0
    assert _last(allocation_events.ROUND_WAITLIST_FILL).detail["offered"] == 0

    # The freed seat makes a second round possible: locked, audited, once per click.
    second = round_second(
        actor=admin,
        round_id=r.pk,
        opens_at=timezone.now(),
        closes_at=timezone.now() + timedelta(days=7),
    )
    assert list(second.programmes.all()) == [p] and second.previous_round_id == r.pk
    audited = _last(allocation_events.ROUND_SECOND)
    assert audited.object_id == str(second.pk)
    assert audited.detail["previous_round"] == r.pk and audited.detail["free_seats"] == {
        str(p.pk): 1
    }
    assert audited.detail["new"]["status"] == "draft"


def test_rounds_of_another_consortium_are_not_found(world: World, system: None) -> None:
    other = actor_of(world.b.users[Role.CONSORTIUM_ADMIN])
    for door, kwargs in (
        (round_set_status, {"status": RoundStatus.CLOSED}),
        (round_allocate, {}),
        (round_publish, {}),
        (round_fill_from_waitlists, {}),
        (round_second, {"opens_at": timezone.now(), "closes_at": timezone.now()}),
    ):
        with pytest.raises(NotFound) as refused:
            door(actor=other, round_id=world.a.round.pk, **kwargs)  # type: ignore[operator]
        assert refused.value.pending_denial is not None
    assert AllocationRound.objects.get(pk=world.a.round.pk).status == RoundStatus.OPEN
    with pytest.raises(NotFound):
        round_create(actor=other, consortium_id=world.a.consortium.pk, data={}, programme_ids=[])


@pytest.mark.parametrize("role", [Role.MUNICIPALITY_STAFF, Role.HOST])
def test_full_access_doors_refuse_a_hosting_only_guest(
    role: Role, world: World, system: None
) -> None:
    """A's town sees the guest (A2's student) as an applicant to its programme,
    A's host family as its guest: neither may apply, consent, approve or
    withdraw for them."""
    actor = actor_of(world.a.users[role])
    assert access(actor, Student, grant=Grant.HOSTING, pk=world.guest.pk)  # seen for hosting
    guest_app = world.guest_application
    before = list(
        Application._unscoped.filter(pk=guest_app.pk).values_list(
            "status", "school_decision", "version"
        )
    )
    attempts = [
        lambda: school_decide(actor=actor, application_id=guest_app.pk, approve=True),
        lambda: consent_give(actor=actor, application_id=guest_app.pk),
        lambda: consent_withdraw(actor=actor, application_id=guest_app.pk),
        lambda: application_withdraw(actor=actor, application_id=guest_app.pk),
        lambda: application_submit(actor=actor, application_id=guest_app.pk),
        lambda: application_save(
            actor=actor,
            round_id=world.a.round.pk,
            student_id=world.guest.pk,
            choices=[ChoiceInput(world.a.published.pk, {})],
            expected_version=None,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound) as refused:
            attempt()
        assert refused.value.pending_denial is not None
        assert refused.value.pending_denial[2]["grant"] == "full"
    after = list(
        Application._unscoped.filter(pk=guest_app.pk).values_list(
            "status", "school_decision", "version"
        )
    )
    assert after == before
    assert not Consent._unscoped.filter(student=world.guest).exists()


def test_a_host_school_cannot_approve_its_applicant(world: World, system: None) -> None:
    """The page: A's school hosts the programme the guest applied to (so sees
    them for hosting) but school approval needs FULL: 404, audited, unchanged."""
    Programme.objects.filter(pk=world.a.published.pk).update(host_school=world.a.school)
    teacher = world.a.users[Role.SCHOOL_STAFF]
    seen = access(actor_of(teacher), Student, grant=Grant.HOSTING, pk=world.guest.pk)
    assert seen == world.guest  # for hosting: an applicant to the school's programme
    client = _client(world, Role.SCHOOL_STAFF)
    assert world.guest.full_name not in client.get(reverse("programmes:approvals")).content.decode()
    before = _count("access.denied", actor_id=teacher.pk)
    response = client.post(
        reverse("programmes:approvals"),
        {"application": world.guest_application.pk, "action": "approve"},
    )
    assert response.status_code == 404
    assert _count("access.denied", actor_id=teacher.pk) == before + 1
    denied = _last("access.denied")
    assert denied.detail == {"grant": "full", "model": "allocation.application"}
    assert Application._unscoped.get(pk=world.guest_application.pk).school_decision == "pending"
    # The teacher's own student is approved on the same page.
    client.post(
        reverse("programmes:approvals"),
        {"application": world.a.application.pk, "action": "approve"},
    )
    assert Application._unscoped.get(pk=world.a.application.pk).school_decision == "approved"
    assert _last(allocation_events.APPLICATION_APPROVE).actor_id == teacher.pk


def test_guardian_consents_only_for_own_children(world: World, system: None) -> None:
    parent = _client(world, Role.GUARDIAN)  # guardian of world.a.students[0]
    a = world.a.application  # students[2]: not this guardian's child
    response = parent.post(
        reverse("programmes:consents"), {"application": a.pk, "action": "give", "agree": "1"}
    )
    assert response.status_code == 404
    assert not Consent._unscoped.filter(student_id=a.student_id).exists()
    child_app = Application._unscoped.create(
        round=world.a.round, student=world.a.students[0], status=ApplicationStatus.SUBMITTED
    )
    from ekkyo.allocation.models import ApplicationChoice

    ApplicationChoice.objects.create(application=child_app, programme=world.a.published, rank=1)
    parent.post(
        reverse("programmes:consents"),
        {"application": child_app.pk, "action": "give", "agree": "1"},
    )
    consent = Consent._unscoped.filter(student=world.a.students[0]).first()
    assert consent is not None and consent.guardian_id == world.a.guardian.pk
    assert _last(allocation_events.CONSENT_GIVE).actor_id == world.a.users[Role.GUARDIAN].pk


# --- participation ----------------------------------------------------------------------


def test_attendance_doors(world: World, system: None) -> None:
    town = actor_of(world.a.users[Role.MUNICIPALITY_STAFF])
    session = world.a.session  # of a.published
    for st in world.a2.students[:2]:
        seat_confirm(actor=SYSTEM, programme_id=session.programme_id, student_id=st.pk)
    s0, s1 = world.a2.students[0].pk, world.a2.students[1].pk
    outsider = world.b.students[0].pk
    assert attendance_record(actor=town, session_id=session.pk, present_ids={s0, outsider}) == 1
    assert set(
        Attendance._unscoped.filter(session=session).values_list("student_id", flat=True)
    ) == {s0}
    recorded = _last(participation_events.ATTENDANCE_RECORD)
    assert recorded.detail == {"old": {"present": []}, "new": {"present": [s0]}}
    assert attendance_import(
        actor=town, session_id=session.pk, minutes={s0: 40, s1: 30, outsider: 9}, source="zoom"
    ) == (2, 1)
    imported = _last(participation_events.ATTENDANCE_IMPORT)
    assert imported.detail == {"source": "zoom", "matched": 2, "created": 1}
    assert not Attendance._unscoped.filter(student_id=outsider).exists()
    other = actor_of(world.b.users[Role.MUNICIPALITY_STAFF])
    with pytest.raises(NotFound):
        attendance_record(actor=other, session_id=session.pk, present_ids=set())
    assert Attendance._unscoped.filter(session=session).count() == 2


def test_stay_and_residence_doors(world: World, system: None) -> None:
    town = actor_of(world.a.users[Role.MUNICIPALITY_STAFF])
    p = programme(world.a.consortium, world.a.municipality, title="滞在", capacity=4)
    for st in world.a2.students[:2]:
        seat_confirm(actor=SYSTEM, programme_id=p.pk, student_id=st.pk)
    assert stays_create_from_seats(actor=town, programme_id=p.pk) == 2
    assert stays_create_from_seats(actor=town, programme_id=p.pk) == 0
    assert _last(participation_events.STAY_CREATE_FROM_SEATS).detail["created"] == 0
    assert _count(participation_events.STAY_CREATE_FROM_SEATS) == 2
    stay = Stay._unscoped.filter(programme=p).first()
    assert stay is not None
    stay_cancelled_toggle(actor=town, programme_id=p.pk, stay_id=stay.pk)
    assert Stay._unscoped.get(pk=stay.pk).cancelled
    toggled = _last(participation_events.STAY_CANCELLED_SET)
    assert toggled.detail["old"] == {"cancelled": False} and toggled.detail["new"] == {
        "cancelled": True
    }
    with pytest.raises(NotFound):  # a stay of another programme
        stay_cancelled_toggle(actor=town, programme_id=p.pk, stay_id=world.a.stay.pk)

    guest = world.guest  # seen by A's town for hosting: it records the guest's arrival
    r = residence_create(
        actor=town,
        student_id=guest.pk,
        host_municipality_id=world.a.municipality.pk,
        school_id=world.a.school.pk,
        start=date(2026, 4, 1),
        end=None,
    )
    assert r.home_municipality_id == guest.home_municipality_id
    created = _last(participation_events.RESIDENCE_CREATE)
    assert created.object_id == str(guest.pk) and created.detail["new"]["start"] == "2026-04-01"
    with pytest.raises(NotFound):  # a student A's town does not see at all
        residence_create(
            actor=town,
            student_id=world.b.students[0].pk,
            host_municipality_id=world.a.municipality.pk,
            school_id=world.a.school.pk,
            start=date(2026, 4, 1),
            end=None,
        )
    assert not Residence._unscoped.filter(student=world.b.students[0]).exists()


def test_residence_page_checks_the_student_and_audits(world: World, system: None) -> None:
    town = _client(world, Role.MUNICIPALITY_STAFF)
    user = world.a.users[Role.MUNICIPALITY_STAFF]
    form = {
        "host_municipality": world.a.municipality.pk,
        "school": world.a.school.pk,
        "start": "2026-04-01",
    }
    foreign = world.b.students[0]
    before = _count("access.denied", actor_id=user.pk)
    refused = town.post(
        reverse("programmes:residences"),
        {**form, "school_code": foreign.school.code, "student_number": foreign.student_number},
    )
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    assert _count("access.denied", actor_id=user.pk) == before + 1
    assert not Residence._unscoped.filter(student=foreign).exists()
    ok = town.post(
        reverse("programmes:residences"),
        {
            **form,
            "school_code": world.guest.school.code,
            "student_number": world.guest.student_number,
        },
    )
    assert ok.status_code == 302
    assert _last(participation_events.RESIDENCE_CREATE).actor_id == user.pk


def test_reflection_door(world: World, system: None) -> None:
    student = actor_of(world.a.users[Role.STUDENT])
    s = world.a.students[1]
    p = world.a2.published
    with pytest.raises(NotFound):  # no seat, no reflection
        reflection_save(
            actor=student, programme_id=p.pk, about_other_region="海", about_own_region="山"
        )
    seat_confirm(actor=SYSTEM, programme_id=p.pk, student_id=s.pk)
    reflection_save(
        actor=student, programme_id=p.pk, about_other_region="海", about_own_region="山"
    )
    reflection_save(
        actor=student, programme_id=p.pk, about_other_region="海と川", about_own_region="山"
    )
    assert Reflection._unscoped.get(student=s, programme=p).about_other_region == "海と川"
    saved = _last(participation_events.REFLECTION_SAVE)
    assert saved.detail == {"programme": p.pk, "created": False}  # the words stay out of the log
    assert _count(participation_events.REFLECTION_SAVE) == 2


# --- the residence funnel ---------------------------------------------------------------


def test_funnel_doors_audit_changed_cells(world: World, system: None) -> None:
    town = actor_of(world.a.users[Role.MUNICIPALITY_STAFF])
    muni, c = world.a.municipality, world.a.consortium
    first = grid_fingerprint(month_grid(municipality=muni, fy=2026))
    changed = funnel_grid_save(
        actor=town,
        consortium=c,
        municipality=muni,
        fy=2026,
        values={("inquiry", 6): 40},
        fingerprint=first,
    )
    assert changed == 1
    saved = _last(funnel_events.FUNNEL_GRID_SAVE)
    assert saved.detail == {"old": {"inquiry/6": 0}, "new": {"inquiry/6": 40}}
    result = funnel_import(
        actor=town,
        consortium=c,
        municipality=muni,
        fy=2026,
        data=b"month,stage,count\n6,inquiry,45\n",
        filename="f.csv",
    )
    assert result.changed == 1
    imported = _last(funnel_events.FUNNEL_IMPORT)
    assert imported.detail["old"] == {"inquiry/6": 40} and imported.detail["new"] == {
        "inquiry/6": 45
    }


def test_funnel_pages_audit_views_and_refusals(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    town = client_as(Role.MUNICIPALITY_STAFF)
    user = world.a.users[Role.MUNICIPALITY_STAFF]
    assert town.get(reverse("programmes:funnel_overview", kwargs={"fy": 2026})).status_code == 200
    assert _last(funnel_events.FUNNEL_OVERVIEW_VIEW).actor_id == user.pk
    before = _count("access.denied", actor_id=user.pk)
    url = reverse(
        "programmes:funnel_town",
        kwargs={"fy": 2026, "municipality_code": world.b.municipality.code},
    )
    assert town.get(url).status_code == 404
    assert _count("access.denied", actor_id=user.pk) == before + 1


def test_pages_run_the_doors(world: World, system: None) -> None:
    """The manage page's forms reach the doors (question, stay, seat cancel)."""
    town = _client(world, Role.MUNICIPALITY_STAFF)
    p = world.a.published
    url = reverse("programmes:manage_detail", args=[p.pk])
    town.post(url, {"action": "stay_cancelled", "stay": world.a.stay.pk})
    assert _last(participation_events.STAY_CANCELLED_SET).object_id == str(world.a.stay.pk)
    seat = seat_confirm(actor=SYSTEM, programme_id=p.pk, student_id=world.a2.students[0].pk)
    town.post(url, {"action": "cancel_seat", "seat": seat.pk})
    assert Seat._unscoped.get(pk=seat.pk).cancelled_at is not None
    cancelled = _last(allocation_events.SEAT_CANCEL)
    assert cancelled.actor_id == world.a.users[Role.MUNICIPALITY_STAFF].pk
    online = programme(
        world.a.consortium, world.a.municipality, title="オンライン", kind=ProgrammeKind.ONLINE
    )
    assert town.post(reverse("programmes:stays_from_seats", args=[online.pk])).status_code == 404
    assert not Stay._unscoped.filter(programme=online).exists()
