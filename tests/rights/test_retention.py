"""The deletion and retention job: what it deletes, what it keeps, and its proof."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ekkyo.accounts.models import StudentSignInCode, User
from ekkyo.allocation.models import AllocationRound, Application, ApplicationChoice, Seat
from ekkyo.audit.models import AuditEvent
from ekkyo.core.fiscal import fiscal_year_of
from ekkyo.crypto import encrypt_text
from ekkyo.hosting.models import HostRequest
from ekkyo.kpis.aggregates import aggregates_rebuild
from ekkyo.kpis.models import KeyCount, StudentKeys
from ekkyo.kpis.services import aggregated_figures, kpi_figures
from ekkyo.participation.models import Attendance, Reflection, Residence, Stay
from ekkyo.people.models import Consent, Guardian, GuardianLink, RosterImport, Student
from ekkyo.portfolio.models import PortfolioShare
from ekkyo.rights.models import (
    DEFAULT_RETENTION,
    DeletionRequest,
    RecordKind,
    RequestStatus,
    RetentionPolicy,
    RetentionRun,
)
from ekkyo.rights.retention_services import PSEUDONYM_NAME, cutoff_for, retention_run
from ekkyo.surveys.models import InstrumentVersion, Response, SurveyToken, Wave
from ekkyo.teams.models import Team, TeamFile, TeamMember, TeamPost, TeamSet
from ekkyo.tenancy.actor import Actor, system_actor
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, programme
from .conftest import FAMILY, GIVEN, POST, REFLECTION, Subject

pytestmark = pytest.mark.django_db

MODELS = [
    Student, Guardian, GuardianLink, User, Consent, Application, ApplicationChoice, Seat, Stay,
    HostRequest, Residence, Attendance, Reflection, SurveyToken, Response, PortfolioShare,
    TeamMember, TeamPost, TeamFile, StudentSignInCode, RosterImport,
]  # fmt: skip


def _actor(world: World) -> Actor:
    return system_actor(reason="test retention run", consortium_id=world.a.consortium.pk)


def _run(world: World, **kwargs: Any) -> RetentionRun:
    with system_scope(reason="test retention run"):
        return retention_run(actor=_actor(world), consortium_id=world.a.consortium.pk, **kwargs)


def _approve(subject: Subject) -> DeletionRequest:
    with system_scope(reason="arrange"):
        return DeletionRequest._unscoped.create(
            student=subject.student,
            requested_role="student",
            reason="転校するため",
            status=RequestStatus.APPROVED,
            decided_at=timezone.now(),
        )


def _state() -> dict[str, Any]:
    """Everything the job could change."""
    with system_scope(reason="assert"):
        return {
            "rows": {m.__name__: m._base_manager.count() for m in MODELS},
            "students": sorted(
                Student._unscoped.values_list(
                    "pk",
                    "family_name",
                    "given_name",
                    "family_name_kana",
                    "birth_date",
                    "student_number",
                    "user_id",
                    "pseudonym",
                    "school_id",
                    "home_municipality_id",
                )
            ),
            "responses": sorted(
                Response._unscoped.values_list(
                    "pk", "respondent", "class1_encrypted", "submitted_at"
                )
            ),
            "health": sorted(Stay._unscoped.values_list("pk", "health_encrypted")),
            "answers": sorted(
                (pk, json.dumps(a))
                for pk, a in ApplicationChoice.objects.values_list("pk", "answers")
            ),
            "notes": sorted(Application._unscoped.values_list("pk", "school_note")),
            "consents": sorted(Consent._unscoped.values_list("pk", "guardian_id")),
            "requests": sorted(DeletionRequest._unscoped.values_list("pk", "status", "reason")),
        }


def _kpis(world: World) -> dict[str, Any]:
    ca = world.a.consortium
    with system_scope(reason="assert"):
        return {
            "counted": kpi_figures(consortium=ca, fys=[2025, 2026]),
            "aggregated": {fy: aggregated_figures(consortium=ca, fy=fy) for fy in (2025, 2026)},
            "keys": sorted(
                KeyCount.objects.filter(consortium=ca).values_list(
                    "fy", "dim", "muni", "school", "programme", "a", "b", "c", "n"
                )
            ),
        }


def test_a_request_is_carried_out_and_the_kpis_do_not_change(
    world: World, subject: Subject
) -> None:
    me = subject.student
    request = _approve(subject)
    with system_scope(reason="arrange"):
        aggregates_rebuild(world.a.consortium)  # KPI ④ from the annual wave too
        keys_before = StudentKeys.objects.get(student_id=me.pk).keys
        old_pseudonym, user_id = me.pseudonym, me.user_id
        me.school_email = "subject@chu.example.jp"
        me.save(update_fields=["school_email"])
        lone_user = subject.lone_guardian.user_id
    kpis_before = _kpis(world)
    assert kpis_before["counted"][2026].residence.consortium >= 1  # the KPIs count the subject
    assert any(k[1] == "kpi4" for k in kpis_before["keys"])

    run = _run(world)

    # The KPI figures: identical, from the live rows and after a full recount.
    assert _kpis(world) == kpis_before
    with system_scope(reason="assert"):
        aggregates_rebuild(world.a.consortium)
        assert StudentKeys.objects.get(student_id=me.pk).keys == keys_before
    assert _kpis(world) == kpis_before

    with system_scope(reason="assert"):
        me.refresh_from_db()
        # Pseudonymised in place.
        assert (me.family_name, me.given_name) == (PSEUDONYM_NAME, f"#{me.pk}")
        assert me.romanized_name == "" and me.birth_date is None and me.gender == ""
        assert me.school_email == ""  # no Google / Microsoft sign-in into the record
        assert me.student_number == f"deleted-{me.pk}" and me.user_id is None
        assert me.pseudonym != old_pseudonym
        assert (me.school_id, me.home_municipality_id) == (
            world.a.school.pk,
            world.a.municipality.pk,
        )
        # Accounts: the student's and the lone guardian's; the guardian of another child stays.
        assert not User.objects.filter(pk__in=[user_id, lone_user]).exists()
        assert not Guardian._unscoped.filter(pk=subject.lone_guardian.pk).exists()
        assert Guardian._unscoped.filter(pk=world.a.guardian.pk, user__isnull=False).exists()
        assert not GuardianLink.objects.filter(student=me).exists()
        assert GuardianLink.objects.filter(
            guardian=world.a.guardian, student=world.a.students[0]
        ).exists()
        # Deleted or cleared.
        assert not Reflection._unscoped.filter(student=me).exists()
        assert not PortfolioShare._unscoped.filter(student=me).exists()
        assert not TeamPost._unscoped.filter(body=POST).exists()
        assert not TeamFile._unscoped.filter(original_name="調べ学習.pdf").exists()
        assert not SurveyToken._unscoped.filter(student=me).exists()
        assert not StudentSignInCode.objects.filter(student=me).exists()
        assert not HostRequest._unscoped.filter(stay__student=me).exists()
        assert set(
            Stay._unscoped.filter(student=me).values_list("health_encrypted", flat=True)
        ) == {""}
        assert ApplicationChoice.objects.get(application=subject.application).answers == {}
        assert Application._unscoped.get(pk=subject.application.pk).school_note == ""
        response = Response._unscoped.get(pk=subject.response.pk)
        assert response.respondent is None and response.class1_encrypted == ""
        assert response.submitted_at is None and response.answers == subject.response.answers
        assert set(Consent._unscoped.filter(student=me).values_list("guardian_id", flat=True)) == {
            None
        }
        # Kept: participation (class III), linked to the pseudonymised record.
        assert Stay._unscoped.filter(student=me).count() == 1
        assert Residence._unscoped.filter(student=me).count() == 1
        assert Attendance._unscoped.filter(student=me).count() == 1
        assert Seat._unscoped.filter(student=me).count() == 1
        assert TeamMember._unscoped.filter(student=me).count() == 1
        assert Application._unscoped.filter(student=me).count() == 1
        # Nobody else was touched.
        assert Student._unscoped.get(pk=world.a.students[0].pk).family_name == "Alpha秘匿"
        # The proof.
        request.refresh_from_db()
        run.refresh_from_db()
    assert request.status == RequestStatus.DONE and request.run_id == run.pk
    assert request.carried_out_at and request.reason == ""
    assert run.status == "done" and run.finished_at and not run.dry_run
    assert run.actor_label == "system: test retention run"
    [done] = run.requests
    assert done["request"] == request.pk and done["student"] == me.pk
    assert done["counts"]["reflections"] == 1 and done["counts"]["accounts"] == 2
    assert done["counts"]["guardians"] == 1 and done["counts"]["guardian_links"] == 2
    assert set(run.counts) == set(RecordKind.values)
    with system_scope(reason="assert"):
        [deleted] = AuditEvent.objects.filter(action="student.delete")
        [proof] = AuditEvent.objects.filter(action="retention.run")
    assert deleted.object_id == str(me.pk) and deleted.detail["request"] == request.pk
    assert FAMILY not in json.dumps(deleted.detail, ensure_ascii=False)  # no old values
    assert proof.object_type == "rights.retentionrun" and proof.object_id == str(run.pk)
    # The guardian's download of the deleted child is gone with the link.
    client = Client()
    client.force_login(world.a.users[Role.GUARDIAN])
    assert client.get(reverse("rights:export_json", args=[me.pk])).status_code == 404


def test_a_second_run_changes_nothing(world: World, subject: Subject) -> None:
    _approve(subject)
    _run(world)
    before = _state()
    second = _run(world)
    assert _state() == before
    assert second.requests == [] and second.total == 0 and second.status == "done"
    with system_scope(reason="assert"):
        assert AuditEvent.objects.filter(action="student.delete").count() == 1
        assert RetentionRun._unscoped.count() == 2


def test_a_dry_run_changes_nothing_but_reports_counts(world: World, subject: Subject) -> None:
    request = _approve(subject)
    before = _state()
    run = _run(world, dry_run=True)
    assert _state() == before
    assert run.dry_run and run.status == "done"
    [would] = run.requests
    assert would["request"] == request.pk
    assert would["counts"]["reflections"] == 1 and would["counts"]["accounts"] == 2
    assert would["counts"]["survey_answers_unlinked"] == 1
    with system_scope(reason="assert"):
        assert not RetentionPolicy.objects.exists()  # defaults are not even stored
        assert not AuditEvent.objects.filter(action="student.delete").exists()
        [proof] = AuditEvent.objects.filter(action="retention.run")
    assert proof.detail["dry_run"] is True
    # The real run then does what the dry run counted.
    real = _run(world)
    assert real.requests[0]["counts"] == would["counts"]


def test_fiscal_year_periods_end_on_the_first_of_april() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    cut = cutoff_for(keep_days=None, keep_fiscal_years=1, now=now)
    # Ended in FY2024 (until 2025-03-31): gone; ended in FY2025: kept until 2027-03-31.
    assert cut.day == date(2025, 4, 1) and cut.fy == 2024
    assert date(2025, 3, 31) < cut.day <= date(2025, 4, 1)
    assert cutoff_for(keep_days=None, keep_fiscal_years=0, now=now).day == date(2026, 4, 1)
    days = cutoff_for(keep_days=90, keep_fiscal_years=None, now=now)
    assert days.day == date(2026, 9, 4) and days.at == now - timedelta(days=90)


def _fy_day(fy: int) -> date:
    return date(fy, 6, 1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _expired_and_fresh(world: World) -> dict[str, tuple[list[Any], list[Any]]]:
    """For every record kind, rows past the default period and rows within it."""
    a = world.a
    today = timezone.localdate()
    fy = fiscal_year_of(today)
    kid = a.students[0]
    out: dict[str, tuple[list[Any], list[Any]]] = {}
    with system_scope(reason="arrange"):

        def code(expires: datetime) -> StudentSignInCode:
            return StudentSignInCode.objects.create(
                student=kid, login_id="S1", code_hash="x", qr_token_hash=uuid.uuid4().hex,
                expires_at=expires,
            )  # fmt: skip

        out[RecordKind.SIGN_IN_CODE] = (
            [code(timezone.now() - timedelta(days=91))],
            [code(timezone.now() - timedelta(days=10))],
        )
        old_upload = RosterImport._unscoped.create(
            consortium=a.consortium, school=a.school, filename="old.csv", content=b"x", sha256="0"
        )
        RosterImport._unscoped.filter(pk=old_upload.pk).update(
            uploaded_at=timezone.now() - timedelta(days=31)
        )
        out[RecordKind.ROSTER_UPLOAD] = ([old_upload], [a.import_batch])

        inst = InstrumentVersion.objects.get(code="ekkyo-student")

        def wave(closes: date) -> Wave:
            return Wave.objects.create(
                consortium=a.consortium, instrument=inst, title=f"{closes}調査", kind="annual",
                mode="linked", fiscal_year=fiscal_year_of(closes),
                opens_at=_aware(closes - timedelta(days=10)), closes_at=_aware(closes),
            )  # fmt: skip

        def answered(w: Wave) -> tuple[SurveyToken, Response]:
            token = SurveyToken._unscoped.create(wave=w, student=kid, token_hash=uuid.uuid4().hex)
            response = Response._unscoped.create(
                wave=w, client_id=uuid.uuid4(), content_hash="x", respondent=kid.pseudonym,
                answers={"x": 1}, class1_encrypted=encrypt_text("{}"), submitted_on=today,
                submitted_at=timezone.now(),
            )  # fmt: skip
            return token, response

        # Past every survey period (1, 5 and 2 fiscal years), and within each.
        old_token, old_response = answered(wave(_fy_day(fy - 6)))
        new_token, new_response = answered(wave(_fy_day(fy - 1)))
        out[RecordKind.SURVEY_TOKEN] = ([old_token], [new_token])
        out[RecordKind.SURVEY_LINK] = ([old_response], [new_response])
        out[RecordKind.SURVEY_CLASS1] = ([old_response], [new_response])

        def stay(departure: date) -> tuple[Stay, HostRequest]:
            s = Stay._unscoped.create(
                programme=a.published, student=kid, arrival=departure - timedelta(days=3),
                departure=departure,
            )  # fmt: skip
            s.health = {"notes": "古い健康メモ"}
            s.save()
            return s, HostRequest._unscoped.create(stay=s, host_family=a.family)

        old_stay, old_request = stay(today - timedelta(days=400))
        new_stay, new_request = stay(today - timedelta(days=10))
        out[RecordKind.HOST_REQUEST] = ([old_request], [new_request])
        out[RecordKind.HEALTH_NOTES] = ([old_stay], [new_stay])

        def application(round_fy: int) -> Application:
            r = AllocationRound.objects.create(
                consortium=a.consortium, name=f"FY{round_fy}", fiscal_year=round_fy,
                opens_at=_aware(_fy_day(round_fy)),
                closes_at=_aware(_fy_day(round_fy) + timedelta(days=5)),
                lottery_seed=1,
            )  # fmt: skip
            return Application._unscoped.create(round=r, student=kid)

        out[RecordKind.APPLICATION] = ([application(fy - 6)], [application(fy - 1)])

        def share(**extra: Any) -> PortfolioShare:
            return PortfolioShare._unscoped.create(
                student=kid, recipient_kind="other", recipient_label="x", **extra
            )

        long_ago = timezone.now() - timedelta(days=400)
        out[RecordKind.PORTFOLIO_SHARE] = (
            [share(withdrawn_at=long_ago), share(expires_at=long_ago)],
            [a.share, share(), share(expires_at=timezone.now() - timedelta(days=10))],
        )

        def ended(day: date, title: str) -> Any:
            return programme(
                a.consortium, a.municipality, title=title, starts_on=day - timedelta(days=2),
                ends_on=day,
            )  # fmt: skip

        def reflection(p: Any) -> Reflection:
            return Reflection._unscoped.create(
                student=kid, programme=p, about_other_region=REFLECTION, about_own_region="-"
            )

        old_programme = ended(_fy_day(fy - 7), "昔の企画")
        new_programme = ended(today - timedelta(days=10), "最近の企画")
        out[RecordKind.REFLECTION] = ([reflection(old_programme)], [reflection(new_programme)])

        def team_rows(p: Any) -> list[Any]:
            ts = TeamSet._unscoped.create(programme=p, name="班", team_size=2)
            team = Team._unscoped.create(team_set=ts, number=1)
            return [
                TeamPost._unscoped.create(team=team, body="投稿"),
                TeamFile._unscoped.create(
                    team=team, file="teams/x/missing", original_name="f.pdf",
                    content_type="application/pdf", size=1,
                ),
            ]  # fmt: skip

        out[RecordKind.TEAM_POST] = (team_rows(old_programme), team_rows(new_programme))
    return out


def _gone(kind: str, row: Any) -> bool:
    """Deleted, or (for the kinds that clear a field) cleared."""
    model = type(row)
    current = model._base_manager.filter(pk=row.pk).first()
    if current is None:
        return True
    if kind == RecordKind.SURVEY_LINK:
        return current.respondent is None
    if kind == RecordKind.SURVEY_CLASS1:
        return current.class1_encrypted == ""
    if kind == RecordKind.HEALTH_NOTES:
        return current.health_encrypted == ""
    return False


def test_retention_deletes_expired_rows_only(world: World) -> None:
    rows = _expired_and_fresh(world)
    assert set(rows) == set(RecordKind.values)
    run = _run(world)
    with system_scope(reason="assert"):
        for kind, (expired, fresh) in rows.items():
            assert all(_gone(kind, r) for r in expired), kind
            assert not any(_gone(kind, r) for r in fresh), kind
            assert run.counts[kind] >= len(expired), kind
        # Participation is never a retention kind: the old stay itself stays.
        assert Stay._unscoped.filter(pk=rows[RecordKind.HEALTH_NOTES][0][0].pk).exists()
        # The defaults are stored on the first real run, editable from then on.
        assert RetentionPolicy.objects.filter(consortium=world.a.consortium).count() == len(
            DEFAULT_RETENTION
        )
    assert run.policies[RecordKind.SIGN_IN_CODE] == {"keep_days": 90, "keep_fiscal_years": None}
    again = _run(world)
    assert again.total == 0


def test_another_consortium_is_left_alone(world: World) -> None:
    with system_scope(reason="arrange"):
        RosterImport._unscoped.filter(pk=world.b.import_batch.pk).update(
            uploaded_at=timezone.now() - timedelta(days=400)
        )
    _run(world)
    with system_scope(reason="assert"):
        assert RosterImport._unscoped.filter(pk=world.b.import_batch.pk).exists()


def test_the_secretariat_changes_a_period_and_the_job_follows(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    with system_scope(reason="arrange"):
        recent = StudentSignInCode.objects.create(
            student=world.a.students[0], login_id="S1", code_hash="x", qr_token_hash="q",
            expires_at=timezone.now() - timedelta(days=10),
        )  # fmt: skip
    admin = client_as(Role.CONSORTIUM_ADMIN)
    assert admin.get(reverse("rights:retention")).status_code == 200
    response = admin.post(
        reverse("rights:retention"), {"kind": "sign_in_code", "unit": "days", "value": "5"}
    )
    assert response.status_code == 302
    with system_scope(reason="assert"):
        policy = RetentionPolicy.objects.get(consortium=world.a.consortium, kind="sign_in_code")
        [event] = AuditEvent.objects.filter(action="retention.policy.set")
    assert (policy.keep_days, policy.keep_fiscal_years) == (5, None)
    assert event.detail["old"]["keep_days"] == 90 and event.detail["new"]["keep_days"] == 5
    bad = admin.post(
        reverse("rights:retention"), {"kind": "sign_in_code", "unit": "days", "value": "0"}
    )
    assert bad.status_code == 400
    _run(world)
    with system_scope(reason="assert"):
        assert not StudentSignInCode.objects.filter(pk=recent.pk).exists()


def test_the_runs_page_starts_a_run_and_lists_the_proof(
    world: World, subject: Subject, client_as
) -> None:  # type: ignore[no-untyped-def]
    _approve(subject)
    admin = client_as(Role.CONSORTIUM_ADMIN)
    assert admin.post(reverse("rights:runs")).status_code == 400  # say which
    assert admin.post(reverse("rights:runs"), {"mode": "dry_run"}).status_code == 302
    with system_scope(reason="assert"):
        run = RetentionRun._unscoped.get()
    assert run.dry_run and run.actor_id == world.a.users[Role.CONSORTIUM_ADMIN].pk
    assert admin.post(reverse("rights:runs"), {"mode": "run"}).status_code == 302
    page = admin.get(reverse("rights:runs")).content.decode()
    assert page.count("<tr>") >= 3
    with system_scope(reason="assert"):
        assert Student._unscoped.get(pk=subject.student.pk).family_name == PSEUDONYM_NAME
    # Only the secretariat; another consortium's sees none of it.
    assert client_as(Role.SCHOOL_STAFF).get(reverse("rights:runs")).status_code == 403
    foreign = Client()
    foreign.force_login(world.b.users[Role.CONSORTIUM_ADMIN])
    assert (
        world.a.users[Role.CONSORTIUM_ADMIN].display_name
        not in foreign.get(reverse("rights:runs")).content.decode()
    )


def test_a_deleted_student_is_unknown_to_the_guardian_and_the_student(
    world: World, subject: Subject
) -> None:
    _approve(subject)
    _run(world)
    with system_scope(reason="assert"):
        assert not Student._unscoped.filter(family_name=FAMILY).exists()
        assert not Student._unscoped.filter(given_name=GIVEN).exists()
