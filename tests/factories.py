"""Test data builders that keep related rows inside one tenant.

``build_world()`` makes two consortia. Consortium A has two member towns,
each with a school, students, guardians and staff of every role; consortium B
mirrors one town. Everything of B, and everything of A's second town, carries
a *marker* in its names so tests can assert that it never appears in a page
or file produced for someone who may not see it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password

from ekkyo.accounts.models import Membership, User
from ekkyo.allocation.models import (
    AllocationRound,
    Application,
    ApplicationChoice,
    ApplicationStatus,
    RoundStatus,
)
from ekkyo.core.codes import municipality_check_digit
from ekkyo.crypto import encrypt_text
from ekkyo.people.models import Guardian, GuardianLink, RosterImport, Student
from ekkyo.programmes.models import Programme, ProgrammeKind, ProgrammeStatus
from ekkyo.registry.models import Consortium, Member, Municipality, Prefecture, School
from ekkyo.registry.services import prefectures_ensure
from ekkyo.tenancy.principal import Role, system_scope

PASSWORD = "correct-horse-battery-staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_seq = itertools.count(1)
_password_hash: str | None = None


def password_hash() -> str:
    global _password_hash
    if _password_hash is None:
        _password_hash = make_password(PASSWORD)
    return _password_hash


def municipality(pref: str = "06", part: int | None = None, name: str = "") -> Municipality:
    part = part if part is not None else 900 + next(_seq) % 90
    five = f"{pref}{part:03d}"
    code = five + municipality_check_digit(five)
    m, _ = Municipality.objects.get_or_create(
        code=code,
        defaults={
            "prefecture": Prefecture.objects.get(code=pref),
            "name": name or f"試験町{part}",
            "name_en": f"Test Town {part}",
            "is_sample": True,
        },
    )
    return m


def school(muni: Municipality, *, kind: str = "C1", name: str = "") -> School:
    from ekkyo.core.codes import school_code_with_check_digit

    n = next(_seq)
    code = school_code_with_check_digit(f"{kind}{muni.code[:2]}2{9000000 + n:07d}")
    return School.objects.create(
        code=code, kind=kind, name=name or f"試験中学校{n}", municipality=muni, is_sample=True
    )


def user(email: str, *, name: str = "", mfa: bool = False, **extra: Any) -> User:
    u = User.objects.create(
        username=f"u{next(_seq)}",
        email=email,
        display_name=name or email.split("@")[0],
        password=password_hash(),
        **extra,
    )
    if mfa:
        Authenticator.objects.create(
            user=u, type=Authenticator.Type.TOTP, data={"secret": encrypt_text(TOTP_SECRET)}
        )
    return u


def student(school_: School, *, family: str = "山田", given: str = "花子", **extra: Any) -> Student:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "consortium": extra.pop("consortium"),
        "school": school_,
        "student_number": f"T{n:05d}",
        "family_name": family,
        "given_name": given,
        "family_name_kana": "やまだ",
        "given_name_kana": "はなこ",
        "grade": 2,
        "birth_date": date(2012, 5, 1),
        "home_municipality": school_.municipality,
    }
    defaults.update(extra)
    return Student._unscoped.create(**defaults)


def programme(
    consortium: Consortium,
    host: Municipality,
    *,
    title: str = "漁業体験",
    status: str = ProgrammeStatus.PUBLISHED,
    kind: str = ProgrammeKind.SHORT_STAY,
    capacity: int = 10,
    **extra: Any,
) -> Programme:
    return Programme.objects.create(
        consortium=consortium,
        kind=kind,
        title=title,
        host_municipality=host,
        starts_on=extra.pop("starts_on", date(2026, 8, 1)),
        ends_on=extra.pop("ends_on", date(2026, 8, 5)),
        capacity=capacity,
        status=status,
        **extra,
    )


@dataclass
class Tenant:
    consortium: Consortium
    municipality: Municipality
    school: School
    students: list[Student]
    guardian: Guardian
    import_batch: RosterImport
    draft: Programme
    published: Programme
    round: AllocationRound
    application: Application
    family: Any = None
    stay: Any = None
    session: Any = None
    wave: Any = None
    team_set: Any = None
    team: Any = None
    team_post: Any = None
    team_file: Any = None
    share: Any = None  # a withdrawn portfolio share of students[1]
    job: Any = None  # a failed background job of the school staff
    users: dict[Role, User] = field(default_factory=dict)


@dataclass
class World:
    a: Tenant  # the signed-in people's own tenant
    a2: Tenant  # same consortium, another town and school
    b: Tenant  # another consortium
    markers: dict[str, list[str]] = field(default_factory=dict)
    # A student of A2 (another town of A's consortium) seen by A's town, school
    # and host family *for hosting only*: an applicant to A's programme and a
    # guest of A's family. Whatever needs full access must refuse them.
    guest: Any = None
    guest_guardian: Any = None
    guest_application: Any = None
    guest_stay: Any = None

    def foreign_for(self, role: Role | None) -> list[Tenant]:
        """What a person of ``role`` in tenant A must never see."""
        if role is Role.CONSORTIUM_ADMIN:
            return [self.b]
        return [self.a2, self.b]


def _tenant(consortium: Consortium, *, pref: str, label: str, staff: bool) -> Tenant:
    muni = municipality(pref, name=f"{label}町")
    Member.objects.get_or_create(consortium=consortium, municipality=muni, first_fy=2025)
    sch = school(muni, name=f"{label}中学校")
    students = [
        student(sch, consortium=consortium, family=f"{label}秘匿", given=f"生徒{i}")
        for i in range(3)
    ]
    guardian = Guardian._unscoped.create(
        consortium=consortium,
        family_name=f"{label}保護者",
        given_name="太郎",
        email=f"{label.lower()}-guardian@example.jp",
    )
    GuardianLink.objects.create(guardian=guardian, student=students[0])
    batch = RosterImport._unscoped.create(
        consortium=consortium,
        school=sch,
        filename=f"{label}-roster.csv",
        content=f"学籍番号,姓\n1,{label}秘匿\n".encode(),
        sha256="0" * 64,
    )
    draft = programme(consortium, muni, title=f"{label}非公開企画", status=ProgrammeStatus.DRAFT)
    published = programme(consortium, muni, title=f"{label}公開企画")
    from django.utils import timezone

    round_ = AllocationRound.objects.create(
        consortium=consortium,
        name=f"{label}秘密ラウンド",
        fiscal_year=2026,
        opens_at=timezone.now() - timezone.timedelta(days=1),
        closes_at=timezone.now() + timezone.timedelta(days=1),
        lottery_seed=1,
        status=RoundStatus.OPEN,
    )
    round_.programmes.add(published)
    application = Application._unscoped.create(
        round=round_, student=students[2], status=ApplicationStatus.SUBMITTED
    )
    ApplicationChoice.objects.create(application=application, programme=published, rank=1)
    from ekkyo.hosting.models import HostFamily
    from ekkyo.participation.models import Stay

    family = HostFamily._unscoped.create(
        consortium=consortium, municipality=muni, name=f"{label}受入家庭", guest_capacity=2
    )
    stay = Stay._unscoped.create(
        programme=published,
        student=students[2],
        arrival=published.starts_on,
        departure=published.ends_on,
        host_family=family,
    )
    stay.health = {"allergies": ["egg"], "notes": f"{label}健康メモ"}
    stay.save()
    tenant = Tenant(
        consortium, muni, sch, students, guardian, batch, draft, published, round_, application
    )
    tenant.family = family
    tenant.stay = stay
    from ekkyo.programmes.models import Session
    from ekkyo.surveys.models import InstrumentVersion, Wave
    from ekkyo.surveys.services import instruments_ensure

    instruments_ensure()
    tenant.wave = Wave.objects.create(
        consortium=consortium,
        instrument=InstrumentVersion.objects.get(code="ekkyo-student"),
        title=f"{label}調査",
        kind="annual",
        mode="linked",
        fiscal_year=2026,
        opens_at=timezone.now() - timezone.timedelta(days=1),
        closes_at=timezone.now() + timezone.timedelta(days=5),
    )
    tenant.wave.schools.add(sch)
    from ekkyo.portfolio.models import PortfolioShare

    # Withdrawn: a live share link is public by design, so the matrix checks
    # that a withdrawn one shows nothing to anyone.
    tenant.share = PortfolioShare._unscoped.create(
        student=students[1],
        recipient_kind="university",
        recipient_label=f"{label}大学入試課",
        sections=["programmes", "regions"],
        withdrawn_at=timezone.now(),
    )
    tenant.session = Session.objects.create(
        programme=published,
        kind="online",
        title=f"{label}事前会",
        starts_at=timezone.now() - timezone.timedelta(days=2),
        ends_at=timezone.now() - timezone.timedelta(days=2) + timezone.timedelta(hours=1),
    )
    _team_space(tenant, label)
    if staff:
        slug = label.lower()
        admin = user(
            f"admin-{slug}@example.jp",
            name=f"{label}事務局",
            mfa=True,
            is_staff=True,
            is_superuser=True,
        )
        Membership.objects.create(user=admin, role=Role.CONSORTIUM_ADMIN, consortium=consortium)
        muni_user = user(f"town-{slug}@example.jp", name=f"{label}役場", mfa=True)
        Membership.objects.create(
            user=muni_user, role=Role.MUNICIPALITY_STAFF, consortium=consortium, municipality=muni
        )
        school_user = user(f"school-{slug}@example.jp", name=f"{label}先生", mfa=True)
        Membership.objects.create(
            user=school_user, role=Role.SCHOOL_STAFF, consortium=consortium, school=sch
        )
        host = user(f"host-{slug}@example.jp", name=f"{label}ホスト", mfa=True)
        Membership.objects.create(
            user=host,
            role=Role.HOST,
            consortium=consortium,
            municipality=muni,
            host_family=family,
            organisation=f"{label}ホストファミリー会",
        )
        partner = user(f"partner-{slug}@example.jp", name=f"{label}企業")
        Membership.objects.create(
            user=partner, role=Role.PARTNER, consortium=consortium, organisation=f"{label}株式会社"
        )
        student_user = user("", name=f"{label}生徒")
        students[1].user = student_user
        students[1].save(update_fields=["user"])
        guardian_user = user(f"parent-{slug}@example.jp", name=f"{label}保護者")
        guardian.user = guardian_user
        guardian.save(update_fields=["user"])
        tenant.users = {
            Role.CONSORTIUM_ADMIN: admin,
            Role.MUNICIPALITY_STAFF: muni_user,
            Role.SCHOOL_STAFF: school_user,
            Role.HOST: host,
            Role.PARTNER: partner,
            Role.STUDENT: student_user,
            Role.GUARDIAN: guardian_user,
        }
    from ekkyo.jobs.models import Job

    # A failed background job of the tenant's school staff (retry is a route too;
    # its upload is gone, so a retry fails again and changes nothing).
    tenant.job = Job._unscoped.create(
        consortium=consortium,
        kind="roster.apply",
        initiator=tenant.users.get(Role.SCHOOL_STAFF),
        params={"import_id": 0},
        status="failed",
        error=f"{label}失敗",
    )
    return tenant


def _team_space(tenant: Tenant, label: str) -> None:
    """A published team with a post and a file (the file's bytes are never read here)."""
    from ekkyo.teams.models import Team, TeamFile, TeamMember, TeamPost, TeamSet

    tenant.team_set = TeamSet._unscoped.create(
        programme=tenant.published, name=f"{label}班編成", team_size=2, status="published"
    )
    tenant.team = Team._unscoped.create(
        team_set=tenant.team_set, number=1, theme=f"{label}班テーマ"
    )
    TeamMember._unscoped.create(
        team_set=tenant.team_set, team=tenant.team, student=tenant.students[0]
    )
    tenant.team_post = TeamPost._unscoped.create(
        team=tenant.team, body=f"{label}班投稿", author_label=f"{label}秘匿 生徒0\t生徒0"
    )
    tenant.team_file = TeamFile._unscoped.create(
        team=tenant.team,
        file=f"teams/{label}/missing",
        original_name=f"{label}班資料.pdf",
        content_type="application/pdf",
        size=1,
    )


def _hosting_guest(world: World) -> None:
    from ekkyo.participation.models import Stay

    a, a2 = world.a, world.a2
    guest = student(
        a2.school, consortium=a2.consortium, family="来訪秘匿", given="客人", romanized_name="Raiho"
    )
    guardian = Guardian._unscoped.create(
        consortium=a2.consortium,
        family_name="来訪保護者",
        given_name="次郎",
        email="guest-guardian@example.jp",
    )
    GuardianLink.objects.create(guardian=guardian, student=guest)
    application = Application._unscoped.create(
        round=a.round, student=guest, status=ApplicationStatus.SUBMITTED
    )
    ApplicationChoice.objects.create(application=application, programme=a.published, rank=1)
    stay = Stay._unscoped.create(
        programme=a.published,
        student=guest,
        arrival=a.published.starts_on,
        departure=a.published.ends_on,
        host_family=a.family,
    )
    world.guest, world.guest_guardian = guest, guardian
    world.guest_application, world.guest_stay = application, stay


def build_world() -> World:
    with system_scope(reason="test world"):
        prefectures_ensure()
        ca = Consortium.objects.create(slug="cons-a", name="連合A")
        cb = Consortium.objects.create(slug="cons-b", name="連合B")
        a = _tenant(ca, pref="06", label="Alpha", staff=True)
        a2 = _tenant(ca, pref="32", label="Aside", staff=False)
        b = _tenant(cb, pref="47", label="Beta", staff=True)
    world = World(a=a, a2=a2, b=b)
    with system_scope(reason="test world: hosting-only guest"):
        _hosting_guest(world)
    for key, t in (("a2", a2), ("b", b)):
        world.markers[key] = [
            *(s.family_name for s in t.students),
            t.guardian.family_name,
            t.guardian.email,
            t.import_batch.filename,
            t.draft.title,
            t.family.name,
            t.team_post.body,
            t.team_file.original_name,
            t.team.theme,
            t.share.recipient_label,
            f"{'Aside' if key == 'a2' else 'Beta'}健康メモ",
            # Rounds are consortium-wide: only another consortium's is secret.
            *([t.round.name] if key == "b" else []),
            *([t.wave.title] if key == "b" else []),
            *(u.email for u in t.users.values() if u.email),
        ]
    return world
