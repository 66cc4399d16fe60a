"""A data subject with a record of every kind: tenant A's signed-in student.

``world.a.students[1]`` is the student with an account (``Role.STUDENT``);
here tenant A's guardian account becomes their guardian too (so that
guardian has two children), and a second guardian with an account has this
child only (deleting the child's data deletes them).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ekkyo.accounts.models import User
from ekkyo.accounts.services import student_code_issue
from ekkyo.allocation.models import Application, ApplicationChoice, ApplicationStatus, Seat
from ekkyo.crypto import encrypt_text
from ekkyo.hosting.models import HostRequest
from ekkyo.participation.models import Attendance, Reflection, Residence, Stay
from ekkyo.people.models import Consent, Guardian, GuardianLink, Student
from ekkyo.portfolio.models import PortfolioShare
from ekkyo.programmes.models import ProgrammeKind, ProgrammeQuestion, Session
from ekkyo.surveys.models import InstrumentVersion, Response, SurveyToken
from ekkyo.surveys.services import student_token, token_hash
from ekkyo.teams.models import TeamFile, TeamMember, TeamPost
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, programme, user

FAMILY, GIVEN = "髙﨑", "𠮷子"
HEALTH_NOTE = "卵アレルギー、エピペン携帯"
ANSWER = "海の町で暮らす人の話を聞きたいです"
REFLECTION = "港の朝は早かった"
POST = "班の調べ学習の下書き"


@dataclass
class Subject:
    student: Student
    lone_guardian: Guardian
    stay: Stay
    response: Response
    application: Application
    online_session: Session


def _answers(*, class1: bool) -> tuple[dict[str, int], dict[str, int]]:
    inst = InstrumentVersion.objects.get(code="ekkyo-student").parsed()
    scales = {s.code: s for s in inst.scales}
    plain = {i.code: scales[i.scale].max for i in inst.items if i.data_class != "I"}
    sensitive = {i.code: scales[i.scale].min for i in inst.items if i.data_class == "I"}
    return plain, sensitive if class1 else {}


def build_subject(world: World) -> Subject:
    a = world.a
    with system_scope(reason="test: a data subject"):
        me = a.students[1]
        me.family_name, me.given_name = FAMILY, GIVEN
        me.romanized_name = "Takasaki Yoshiko"
        me.save()
        GuardianLink.objects.create(guardian=a.guardian, student=me, relationship="mother")
        lone = Guardian._unscoped.create(
            consortium=a.consortium,
            family_name="単独保護者",
            given_name="一郎",
            email="lone-guardian@example.jp",
            user=user("lone-guardian@example.jp", name="単独保護者"),
        )
        GuardianLink.objects.create(guardian=lone, student=me, relationship="father")
        Consent._unscoped.create(
            student=me, guardian=a.guardian, purpose="application", notice_version="2026-04"
        )
        question = ProgrammeQuestion.objects.create(programme=a.published, text="志望動機")
        application = Application._unscoped.create(
            round=a.round,
            student=me,
            status=ApplicationStatus.SUBMITTED,
            submitted_at=timezone.now(),
            school_note="面談済み、推薦します",
        )
        ApplicationChoice.objects.create(
            application=application,
            programme=a.published,
            rank=1,
            answers={str(question.pk): ANSWER},
        )
        Seat._unscoped.create(programme=a.published, student=me, source="manual")
        stay = Stay._unscoped.create(
            programme=a.published,
            student=me,
            arrival=a.published.starts_on,
            departure=a.published.ends_on,
            host_family=a.family,
        )
        stay.health = {"allergies": ["egg"], "notes": HEALTH_NOTE}
        stay.save()
        Consent._unscoped.create(
            student=me,
            guardian=a.guardian,
            purpose="health",
            scope=f"stay:{stay.pk}",
            notice_version="2026-04",
        )
        HostRequest._unscoped.create(stay=stay, host_family=a.family, status="host_accepted")
        Residence._unscoped.create(
            student=me,
            home_municipality=world.a2.municipality,
            host_municipality=a.municipality,
            school=a.school,
            start=date(2025, 4, 1),
            end=date(2027, 3, 31),
        )
        online = programme(
            a.consortium, a.municipality, title="オンライン探究", kind=ProgrammeKind.ONLINE
        )
        session = Session.objects.create(
            programme=online,
            kind="online",
            title="第1回",
            starts_at=timezone.now() - timedelta(days=3),
            ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=1),
        )
        Attendance._unscoped.create(session=session, student=me, minutes=60)
        Reflection._unscoped.create(
            student=me,
            programme=a.published,
            about_other_region=REFLECTION,
            about_own_region="自分の町にも港がある",
        )
        SurveyToken._unscoped.create(
            wave=a.wave, student=me, token_hash=token_hash(student_token(a.wave, me))
        )
        plain, sensitive = _answers(class1=True)
        response = Response._unscoped.create(
            wave=a.wave,
            client_id=uuid.uuid4(),
            content_hash="x",
            respondent=me.pseudonym,
            school=a.school,
            grade=me.grade,
            answers=plain,
            class1_encrypted=encrypt_text(json.dumps(sensitive)),
            submitted_on=timezone.localdate(),
            submitted_at=timezone.now(),
        )
        PortfolioShare._unscoped.create(
            student=me,
            recipient_kind="school",
            recipient_label="進学先高校",
            sections=["programmes"],
        )
        TeamMember._unscoped.create(team_set=a.team_set, team=a.team, student=me)
        TeamPost._unscoped.create(
            team=a.team, author=me.user, author_label=f"{FAMILY} {GIVEN}\t{GIVEN}", body=POST
        )
        TeamFile._unscoped.create(
            team=a.team,
            uploader=me.user,
            uploader_label=f"{FAMILY} {GIVEN}\t{GIVEN}",
            file="teams/subject/missing",
            original_name="調べ学習.pdf",
            content_type="application/pdf",
            size=10,
        )
        student_code_issue(student=me, issued_by=a.users[Role.SCHOOL_STAFF])
        me.refresh_from_db()
    return Subject(me, lone, stay, response, application, session)


@pytest.fixture
def subject(world: World) -> Subject:
    return build_subject(world)


def guardian_account(world: World, *, name: str, children: list[Student]) -> User:
    """A new guardian account of ``children`` (returns the user)."""
    with system_scope(reason="test: another guardian"):
        account = user(f"{uuid.uuid4().hex[:8]}@example.jp", name=name)
        g = Guardian._unscoped.create(consortium=world.a.consortium, family_name=name, user=account)
        for child in children:
            GuardianLink.objects.create(guardian=g, student=child)
    return account


def staff_of(world: World, school: Any) -> User:
    """A new school-staff account of ``school``."""
    from ekkyo.accounts.models import Membership

    with system_scope(reason="test: school staff"):
        account = user(f"{uuid.uuid4().hex[:8]}@example.jp", name="別校先生", mfa=True)
        Membership.objects.create(
            user=account, role=Role.SCHOOL_STAFF, consortium=world.a.consortium, school=school
        )
    return account
