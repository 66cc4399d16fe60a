"""apply → consent → approve → allocate → publish, and the rules along the way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ekkyo.allocation.models import (
    AllocationRound,
    Application,
    ApplicationStatus,
    RoundStatus,
    Seat,
)
from ekkyo.allocation.services import (
    ApplicationError,
    ChoiceInput,
    application_save,
    application_submit,
    application_withdraw,
    consent_give,
    consent_withdraw,
    consents_missing,
    round_allocate,
    round_publish,
    round_second,
    school_decide,
)
from ekkyo.people.models import Consent, Guardian, GuardianLink
from ekkyo.programmes.models import ProgrammeKind, ProgrammeQuestion
from ekkyo.tenancy.principal import Role

from ..doors import SYSTEM
from ..factories import World, programme, user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The refusals are matched by their English text below."""
    with translation.override("en"):
        yield


def _round(world: World, *programmes: object, **extra: object) -> AllocationRound:
    now = timezone.now()
    r = AllocationRound.objects.create(
        consortium=world.a.consortium,
        name="令和8年度 夏の越境",
        fiscal_year=2026,
        max_choices=2,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
        lottery_seed=7,
        status=RoundStatus.OPEN,
        **extra,
    )
    r.programmes.set(programmes)
    return r


def _future(world: World, host: object, title: str, capacity: int, **extra: object) -> object:
    start = timezone.localdate() + timedelta(days=60)
    return programme(
        world.a.consortium,
        host,  # type: ignore[arg-type]
        title=title,
        capacity=capacity,
        starts_on=start,
        ends_on=start + timedelta(days=3),
        **extra,
    )


def _apply(r: AllocationRound, student: object, *programmes: object) -> Application:
    a = application_save(
        actor=SYSTEM,
        round_id=r.pk,
        student_id=student.pk,  # type: ignore[attr-defined]
        choices=[ChoiceInput(p.pk, {}) for p in programmes],  # type: ignore[attr-defined]
        expected_version=None,
    )
    return application_submit(actor=SYSTEM, application_id=a.pk)


def _ready(a: Application, world: World) -> None:
    guardian = Guardian._unscoped.create(
        consortium=world.a.consortium, family_name="保護者", email=f"g{a.pk}@example.jp"
    )
    GuardianLink.objects.get_or_create(guardian=guardian, student=a.student)
    consent_give(actor=SYSTEM, application_id=a.pk)
    school_decide(actor=SYSTEM, application_id=a.pk, approve=True, note="")


def test_whole_path_with_explanations(
    world: World,
    system: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    host = world.a2.municipality  # Alpha's students come from elsewhere: eligible
    sea = _future(world, host, "海の学校", capacity=1)
    mountain = _future(world, host, "山の学校", capacity=2)
    r = _round(world, sea, mountain)
    s1, s2, s3 = world.a.students
    apps = [_apply(r, s, sea, mountain) for s in (s1, s2, s3)]
    for a in apps:
        assert a.status == ApplicationStatus.SUBMITTED
        assert consents_missing(a)  # middle school + an offline programme
        _ready(a, world)
        assert not consents_missing(a)
    r.status = RoundStatus.CLOSED
    r.save()
    summary = round_allocate(actor=SYSTEM, round_id=r.pk)
    assert summary.placed == 3 and summary.excluded == 0
    placed = {a.student_id: a.placed_programme_id for a in Application._unscoped.filter(round=r)}
    assert sorted(placed.values()) == sorted([sea.pk, mountain.pk, mountain.pk])  # type: ignore[attr-defined]
    assert not Seat._unscoped.filter(
        programme__in=[sea, mountain]
    ).exists()  # not before publishing
    mail.outbox.clear()
    with pytest.raises(ApplicationError):
        round_second(actor=SYSTEM, round_id=r.pk, opens_at=timezone.now(), closes_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert round_publish(actor=SYSTEM, round_id=r.pk) == 3
    assert Seat._unscoped.filter(programme__in=[sea, mountain]).count() == 3
    # The two who ranked the sea first but did not get it are told why.
    losers = Application._unscoped.filter(round=r, placed_programme=mountain)
    for a in losers:
        assert a.outcome["why_not"][0]["reason"] == "filled"
        assert a.outcome["why_not"][0]["cutoff"] == 1
    # Every guardian with an address hears the result, in their language.
    recipients = sorted(m.to[0] for m in mail.outbox)
    expected = sorted([f"g{a.pk}@example.jp" for a in apps] + [world.a.guardian.email])
    assert recipients == expected
    assert all(m.subject.startswith("[越境ねっと]") for m in mail.outbox)


def test_missing_consent_or_approval_is_not_considered(world: World, system: None) -> None:
    p = _future(world, world.a2.municipality, "定員あり", capacity=5)
    r = _round(world, p)
    a1 = _apply(r, world.a.students[0], p)
    a2 = _apply(r, world.a.students[1], p)
    _ready(a1, world)
    school_decide(actor=SYSTEM, application_id=a2.pk, approve=True, note="")  # no consent
    r.status = RoundStatus.CLOSED
    r.save()
    s = round_allocate(actor=SYSTEM, round_id=r.pk)
    assert (s.placed, s.excluded) == (1, 1)
    a2.refresh_from_db()
    assert a2.status == ApplicationStatus.EXCLUDED and a2.outcome == {"excluded": ["consent"]}


def test_consent_withdrawal_stops_the_application(world: World, system: None) -> None:
    p = _future(world, world.a2.municipality, "撤回", capacity=5)
    r = _round(world, p)
    a = _apply(r, world.a.students[0], p)
    _ready(a, world)
    consent_withdraw(actor=SYSTEM, application_id=a.pk)
    assert consents_missing(a)
    consents = Consent._unscoped.filter(student=a.student)
    assert {c.purpose for c in consents} == {"application", "host_data"}
    for c in consents:
        assert c.withdrawn_at is not None and c.notice_version == r.notice_version


def test_rules_on_saving(world: World, system: None) -> None:
    p1 = _future(world, world.a2.municipality, "一", capacity=1)
    p2 = _future(world, world.a2.municipality, "二", capacity=1)
    p3 = _future(world, world.a2.municipality, "三", capacity=1)
    own_town = _future(world, world.a.municipality, "地元", capacity=1)
    outside = _future(world, world.a2.municipality, "ラウンド外", capacity=1)
    q = ProgrammeQuestion.objects.create(programme=p1, text="志望動機", max_length=10)  # type: ignore[misc]
    r = _round(world, p1, p2, p3, own_town)
    s = world.a.students[0]

    def save(*choices: ChoiceInput, version: int | None = None) -> Application:
        return application_save(
            actor=SYSTEM,
            round_id=r.pk,
            student_id=s.pk,
            choices=list(choices),
            expected_version=version,
        )

    with pytest.raises(ApplicationError, match="at most"):
        save(ChoiceInput(p1.pk, {str(q.pk): "海"}), ChoiceInput(p2.pk, {}), ChoiceInput(p3.pk, {}))  # type: ignore[attr-defined]
    with pytest.raises(ApplicationError, match="not part"):
        save(ChoiceInput(outside.pk, {}))  # type: ignore[attr-defined]
    with pytest.raises(ApplicationError):
        save(ChoiceInput(own_town.pk, {}))  # type: ignore[attr-defined]  # host residents excluded
    with pytest.raises(ApplicationError):
        save(ChoiceInput(p1.pk, {}))  # type: ignore[attr-defined]  # required answer missing
    with pytest.raises(ApplicationError):
        save(ChoiceInput(p1.pk, {str(q.pk): "あ" * 11}))  # type: ignore[attr-defined]
    a = save(ChoiceInput(p1.pk, {str(q.pk): "海が好き"}))  # type: ignore[attr-defined]
    assert a.version == 1
    with pytest.raises(ApplicationError, match="changed elsewhere"):
        save(ChoiceInput(p2.pk, {}), version=0)  # type: ignore[attr-defined]
    a = save(ChoiceInput(p2.pk, {}), ChoiceInput(p1.pk, {str(q.pk): "海"}), version=1)  # type: ignore[attr-defined]
    assert [c.programme_id for c in a.choices.all()] == [p2.pk, p1.pk]  # type: ignore[attr-defined]
    application_submit(actor=SYSTEM, application_id=a.pk)
    application_submit(actor=SYSTEM, application_id=a.pk)  # double submit: no change
    application_withdraw(actor=SYSTEM, application_id=a.pk)
    a.refresh_from_db()
    assert a.status == ApplicationStatus.WITHDRAWN
    r.status = RoundStatus.CLOSED
    r.save()
    with pytest.raises(ApplicationError, match="not accepting"):
        save(ChoiceInput(p2.pk, {}))  # type: ignore[attr-defined]


def test_online_programme_for_high_school_needs_no_consent(world: World, system: None) -> None:
    from ekkyo.registry.models import School

    high = School.objects.create(
        code="D106290000010", kind="D1", name="高校", municipality=world.a.municipality
    )
    s = world.a.students[0]
    s.school = high
    s.save()
    online = _future(
        world, world.a2.municipality, "オンライン", capacity=3, kind=ProgrammeKind.ONLINE
    )
    r = _round(world, online)
    a = _apply(r, s, online)
    assert consents_missing(a) == []


def test_pages_of_the_workflow(world: World, system: None) -> None:
    p = _future(world, world.a2.municipality, "ページ", capacity=2)
    r = _round(world, p)
    student = Client()
    student.force_login(world.a.users[Role.STUDENT])
    assert student.get(reverse("programmes:apply", args=[r.pk])).status_code == 200
    response = student.post(
        reverse("programmes:apply", args=[r.pk]),
        {"choice_1": str(p.pk), "version": "0", "action": "submit"},  # type: ignore[attr-defined]
    )
    assert response.status_code == 302
    a = Application._unscoped.get(round=r)
    assert a.status == ApplicationStatus.SUBMITTED
    # The student's guardian (linked to students[0] in the factory) is not this student's.
    parent_user = user("parent-of-s1@example.jp")
    guardian = Guardian._unscoped.create(
        consortium=world.a.consortium, family_name="親", user=parent_user
    )
    GuardianLink.objects.create(guardian=guardian, student=a.student)
    parent = Client()
    parent.force_login(parent_user)
    page = parent.get(reverse("programmes:consents"))
    assert a.student.family_name in page.content.decode()
    parent.post(reverse("programmes:consents"), {"application": a.pk, "action": "give"})
    assert consents_missing(a)  # the box was not ticked
    parent.post(
        reverse("programmes:consents"), {"application": a.pk, "action": "give", "agree": "1"}
    )
    assert not consents_missing(a)
    teacher = Client()
    teacher.force_login(world.a.users[Role.SCHOOL_STAFF])
    teacher.post(reverse("programmes:approvals"), {"application": a.pk, "action": "approve"})
    a.refresh_from_db()
    assert a.school_decision == "approved"
    other_teacher = Client()
    other_teacher.force_login(world.b.users[Role.SCHOOL_STAFF])
    assert (
        other_teacher.post(
            reverse("programmes:approvals"), {"application": a.pk, "action": "decline"}
        ).status_code
        == 404
    )
    admin = Client()
    admin.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    url = reverse("programmes:round_manage", args=[r.pk])
    for action in ("close", "allocate", "publish"):
        admin.post(url, {"action": action})
    r.refresh_from_db()
    assert r.status == RoundStatus.PUBLISHED
    mine = student.get(reverse("programmes:my_applications")).content.decode()
    assert "ページ" in mine
    assert Seat._unscoped.filter(student=a.student, programme=p).exists()


def test_freed_seat_goes_to_the_waiting_list(world: World, system: None) -> None:
    from ekkyo.allocation.services import round_fill_from_waitlists

    host = world.a2.municipality
    sea = _future(world, host, "海", capacity=1)
    mountain = _future(world, host, "山", capacity=5)
    r = _round(world, sea, mountain)
    apps = [_apply(r, s, sea, mountain) for s in world.a.students]
    for a in apps:
        _ready(a, world)
    r.status = RoundStatus.CLOSED
    r.save()
    round_allocate(actor=SYSTEM, round_id=r.pk)
    round_publish(actor=SYSTEM, round_id=r.pk)
    winner = Application._unscoped.get(round=r, placed_programme=sea)
    application_withdraw(actor=SYSTEM, application_id=winner.pk)
    assert not Seat._unscoped.filter(programme=sea, cancelled_at__isnull=True).exists()
    assert round_fill_from_waitlists(actor=SYSTEM, round_id=r.pk) == 1
    moved = Application._unscoped.get(round=r, placed_programme=sea, status="placed")
    assert moved.pk != winner.pk
    # The student moved up: the seat on their lower choice is released.
    assert not Seat._unscoped.filter(
        student=moved.student, programme=mountain, cancelled_at__isnull=True
    ).exists()
    assert Seat._unscoped.filter(programme=sea, cancelled_at__isnull=True).count() == 1
    assert round_fill_from_waitlists(actor=SYSTEM, round_id=r.pk) == 0
