"""Persisting the synthetic demo consortium (``ekkyo seed-demo``).

The data comes from ``ekkyo.core.synthetic`` (deterministic, fictional). This
module only writes it, in bulk, inside one transaction, under an explicit
system scope. Demo staff share one password and get deterministic TOTP
secrets so ``ekkyo demo-accounts`` can print what their second factor needs.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model

from ekkyo.accounts.models import Membership, User
from ekkyo.bulk import foreign_keys_checked_once, indexes_built_once
from ekkyo.core import synthetic
from ekkyo.crypto import encrypt_text
from ekkyo.demo.bulk import bulk_insert
from ekkyo.demo.participation import seed_participation
from ekkyo.demo.surveys import seed_waves
from ekkyo.people.models import Guardian, GuardianLink, Student
from ekkyo.registry.models import Consortium, Member, Municipality, Prefecture, School
from ekkyo.tenancy.principal import system_scope

DEMO_SLUG = "ekkyo-net"
DEMO_PASSWORD = "ekkyo-demo-2025"  # noqa: S105 — printed by demo-accounts; synthetic data only


def demo_totp_secret(email: str) -> str:
    """Deterministic TOTP secret for a demo account (never used for real accounts)."""
    digest = hashlib.sha256(f"ekkyo-demo-totp:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


@dataclass
class SeedSummary:
    municipalities: int
    members: int
    prefectures: int
    schools: int
    students: int
    guardians: int
    staff: int


def demo_reset() -> None:
    """Remove the demo consortium and everything seeded with it."""
    from ekkyo.kpis.models import AggregateVersion, KeyCount, StudentKeys

    # Everything goes, the dashboards' counts too (deleting announces nothing).
    with system_scope(reason="seed-demo --reset"), transaction.atomic():
        consortium = Consortium.objects.filter(slug=DEMO_SLUG).first()
        if consortium is None:
            return
        KeyCount.objects.filter(consortium=consortium).delete()
        StudentKeys.objects.filter(consortium=consortium).delete()
        AggregateVersion.objects.filter(consortium=consortium).delete()
        user_ids = list(
            Membership.objects.filter(consortium=consortium).values_list("user_id", flat=True)
        )
        user_ids += list(
            Guardian._unscoped.filter(consortium=consortium, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
        _reset_participation(consortium)
        GuardianLink.objects.filter(student__consortium=consortium).delete()
        Guardian._unscoped.filter(consortium=consortium).delete()
        user_ids += list(
            Student._unscoped.filter(consortium=consortium, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
        Student._unscoped.filter(consortium=consortium).delete()
        Membership.objects.filter(consortium=consortium).delete()
        User.objects.filter(pk__in=user_ids).delete()
        Member.objects.filter(consortium=consortium).delete()
        consortium.delete()
        School.objects.filter(is_sample=True, students__isnull=True).delete()
        Municipality.objects.filter(is_sample=True, schools__isnull=True).delete()


def _reset_participation(consortium: Consortium) -> None:
    from ekkyo.allocation.models import AllocationRound, Seat
    from ekkyo.hosting.models import HostFamily
    from ekkyo.participation.models import (
        Attendance,
        Reflection,
        Residence,
        Stay,
    )
    from ekkyo.partners.models import Partner
    from ekkyo.people.models import Consent
    from ekkyo.programmes.models import Programme
    from ekkyo.surveys.models import Wave

    Wave.objects.filter(consortium=consortium).delete()
    students = Student._unscoped.filter(consortium=consortium)
    programmes = Programme.objects.filter(consortium=consortium)
    Attendance._unscoped.filter(student__in=students).delete()
    Attendance._unscoped.filter(session__programme__in=programmes).delete()
    Consent._unscoped.filter(student__in=students).delete()
    AllocationRound.objects.filter(consortium=consortium).delete()
    for by_student in (Stay, Residence, Reflection, Seat):
        by_student._unscoped.filter(student__in=students).delete()
        by_student._unscoped.filter(programme__in=programmes).delete()
    programmes.delete()
    Membership.objects.filter(consortium=consortium).update(host_family=None, partner=None)
    HostFamily._unscoped.filter(consortium=consortium).delete()
    Partner.objects.filter(consortium=consortium).delete()


def demo_seed(
    *,
    students: int = 10_000,
    schools: int = 100,
    municipalities: int = 44,
    prefectures: int = 18,
    seed: int = 2025,
    reference_date: date,
    progress: Callable[[str], None] = lambda _msg: None,
) -> SeedSummary:
    data = synthetic.generate(
        seed=seed,
        municipalities=municipalities,
        prefectures=prefectures,
        schools=schools,
        students=students,
        reference_date=reference_date,
    )
    progress(f"generated {len(data.students)} students")
    # The seed allocates millions of objects that live to the end: the cyclic
    # collector would walk them again and again (gen 2). Park what exists now
    # and collect rarely until the seed is done.
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        return _seed(data, seed=seed, reference_date=reference_date, progress=progress)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _seed_bulk_models() -> list[type[Model]]:
    """The tables the seed fills by the hundred thousand: their foreign keys
    are checked once at the end instead of row by row (``ekkyo.bulk``)."""
    from ekkyo.allocation.models import Application, ApplicationChoice, Seat
    from ekkyo.audit.models import AuditEvent
    from ekkyo.kpis.models import KeyCount, StudentKeys
    from ekkyo.participation.models import Attendance, Residence, Stay
    from ekkyo.surveys.models import Response, SurveyToken

    return [
        Student, Guardian, GuardianLink, Application, ApplicationChoice, Seat, Stay,
        Residence, Attendance, SurveyToken, Response, StudentKeys, KeyCount, AuditEvent,
    ]  # fmt: skip


def _seed(
    data: synthetic.SynthConsortium,
    *,
    seed: int,
    reference_date: date,
    progress: Callable[[str], None],
) -> SeedSummary:
    with (
        system_scope(reason="seed-demo"),
        transaction.atomic(),
        foreign_keys_checked_once(_seed_bulk_models()),
    ):
        prefs = {p.code: p for p in Prefecture.objects.all()}
        existing = {
            m.code: m
            for m in Municipality.objects.filter(
                code__in=[m.code for m in data.municipalities] + data.non_member_municipality_codes
            )
        }
        new_munis = [
            Municipality(
                code=m.code,
                prefecture=prefs[m.prefecture_code],
                name=m.name,
                name_kana=m.name_kana,
                name_en=m.name_en,
                is_sample=m.is_sample,
            )
            for m in data.municipalities
            if m.code not in existing
        ]
        new_munis += [
            Municipality(
                code=code,
                prefecture=prefs[code[:2]],
                name=f"サンプル市{code[2:5]}",
                name_en=f"Sample City {code[2:5]}",
                is_sample=True,
            )
            for code in data.non_member_municipality_codes
            if code not in existing
        ]
        Municipality.objects.bulk_create(new_munis)
        munis = {
            m.code: m
            for m in Municipality.objects.filter(
                code__in=[m.code for m in data.municipalities] + data.non_member_municipality_codes
            )
        }
        lead = munis[data.lead.code]
        consortium = Consortium.objects.create(
            slug=DEMO_SLUG, name=data.name, name_en="Ekkyo-net (demo)", lead=lead
        )
        # Members join and leave: most since five years ago, the last two in the current FY.
        fy = data.fiscal_year
        members = []
        for i, m in enumerate(data.municipalities):
            first = fy - 4 if i < len(data.municipalities) - 2 else fy
            members.append(
                Member(consortium=consortium, municipality=munis[m.code], first_fy=first)
            )
        Member.objects.bulk_create(members)
        School.objects.bulk_create(
            [
                School(
                    code=s.code,
                    kind=s.kind,
                    name=s.name,
                    name_en=s.name_en,
                    municipality=munis[s.municipality_code],
                    is_sample=s.is_sample,
                )
                for s in data.schools
            ],
            ignore_conflicts=True,
        )
        school_ids = dict(
            School.objects.filter(code__in=[s.code for s in data.schools]).values_list("code", "pk")
        )
        progress("reference data written")
        from ekkyo.demo.timetables import seed_timetables

        seed_timetables(
            school_ids.values(),
            fiscal_years=(data.fiscal_year - 1, data.fiscal_year, data.fiscal_year + 1),
            rng=random.Random(seed + 6),  # noqa: S311 — reproducible synthetic data
            progress=progress,
        )
        muni_ids = {code: m.pk for code, m in munis.items()}
        rows = [
            Student(
                consortium=consortium,
                school_id=school_ids[s.school_code],
                student_number=s.student_number,
                family_name=s.family_name,
                given_name=s.given_name,
                family_name_kana=s.family_name_kana,
                given_name_kana=s.given_name_kana,
                romanized_name=s.romanized_name,
                gender=s.gender,
                grade=s.grade,
                birth_date=s.birth_date,
                home_municipality_id=muni_ids.get(s.home_municipality_code)
                if s.home_municipality_code
                else None,
                home_country=s.home_country,
                preferred_language=s.preferred_language,
            )
            for s in data.students
        ]
        with indexes_built_once([Student]):
            bulk_insert(Student, rows)
        student_ids = [s.pk for s in rows]
        del rows
        progress(f"students: {len(student_ids)}")
        guardians = [
            Guardian(
                consortium=consortium,
                family_name=g.family_name,
                given_name=g.given_name,
                family_name_kana=g.family_name_kana,
                given_name_kana=g.given_name_kana,
                email=g.email,
            )
            for g in data.guardians
        ]
        with indexes_built_once([Guardian]):
            bulk_insert(Guardian, guardians)
        guardian_ids = [g.pk for g in guardians]
        links = [
            GuardianLink(
                guardian_id=gid,
                student_id=student_ids[g.student_index],
                relationship=g.relationship,
            )
            for gid, g in zip(guardian_ids, data.guardians, strict=True)
        ]
        with indexes_built_once([GuardianLink]):
            bulk_insert(GuardianLink, links)
        progress(f"guardians: {len(guardians)}")
        _seed_staff(consortium=consortium, staff=data.staff, munis=munis, school_ids=school_ids)
        _seed_guardian_account(consortium=consortium)
        seed_participation(
            consortium=consortium,
            rng=random.Random(seed),  # noqa: S311 — reproducible synthetic data
            fy=data.fiscal_year,
            progress=progress,
        )
        from ekkyo.demo.funnel import seed_funnels

        seed_funnels(
            consortium=consortium,
            rng=random.Random(seed + 7),  # noqa: S311 — reproducible synthetic data
            fy=data.fiscal_year,
            reference_date=reference_date,
            progress=progress,
        )
        from ekkyo.surveys.models import Response, SurveyToken

        with indexes_built_once([Response, SurveyToken]):  # the waves only write them
            seed_waves(
                consortium=consortium,
                rng=random.Random(seed + 1),  # noqa: S311 — reproducible synthetic data
                fy=data.fiscal_year,
                progress=progress,
            )
        from ekkyo.demo.teams import seed_teams

        seed_teams(consortium, progress=progress)
        from ekkyo.demo.kpis import seed_kpis

        seed_kpis(consortium=consortium, rng=random.Random(seed + 2), fy=fy, progress=progress)  # noqa: S311
    return SeedSummary(
        municipalities=len(data.municipalities),
        members=len(members),
        prefectures=len(data.prefectures),
        schools=len(data.schools),
        students=len(student_ids),
        guardians=len(guardian_ids),
        staff=len(data.staff),
    )


def _seed_staff(
    *,
    consortium: Consortium,
    staff: list[synthetic.SynthStaff],
    munis: dict[str, Municipality],
    school_ids: dict[str, int],
) -> None:
    password = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 per user would take minutes
    users = [
        User(
            username=f"demo-{i}",
            email=s.email,
            display_name=f"{s.family_name} {s.given_name}",
            password=password,
            is_staff=s.role == "consortium_admin",
            is_superuser=s.role == "consortium_admin",
        )
        for i, s in enumerate(staff)
    ]
    User.objects.bulk_create(users)
    by_email = {u.email: u for u in User.objects.filter(email__in=[s.email for s in staff])}
    memberships = []
    authenticators = []
    for s in staff:
        user = by_email[s.email]
        memberships.append(
            Membership(
                user=user,
                role=s.role,
                consortium=consortium,
                municipality=munis[s.scope_code]
                if s.role in {"municipality_staff", "host"}
                else None,
                school_id=school_ids[s.scope_code] if s.role == "school_staff" else None,
                organisation=(
                    f"{munis[s.scope_code].name} ホストファミリー会"
                    if s.role == "host"
                    else ("サンプル株式会社" if s.role == "partner" else "")
                ),
            )
        )
        if s.role != "partner":
            authenticators.append(
                Authenticator(
                    user=user,
                    type=Authenticator.Type.TOTP,
                    data={"secret": encrypt_text(demo_totp_secret(s.email))},
                )
            )
    Membership.objects.bulk_create(memberships)
    Authenticator.objects.bulk_create(authenticators)


DEMO_GUARDIAN_EMAIL = "guardian.demo@example.jp"


def _seed_guardian_account(*, consortium: Consortium) -> None:
    """One guardian with an account, linked to the first student, for the demo."""
    guardian = Guardian._unscoped.filter(consortium=consortium).order_by("pk").first()
    if guardian is None:
        return
    user = User.objects.create(
        username="demo-guardian",
        email=DEMO_GUARDIAN_EMAIL,
        display_name=f"{guardian.family_name} {guardian.given_name}",
        password=make_password(DEMO_PASSWORD),
    )
    guardian.user = user
    guardian.email = DEMO_GUARDIAN_EMAIL
    guardian.save(update_fields=["user", "email"])
