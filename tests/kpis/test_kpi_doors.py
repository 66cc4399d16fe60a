"""The KPI doors: each write happens, is audited with its own code and old/new
values, and refuses what is not the actor's (404, recorded as a refusal)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ekkyo.accounts.selectors import principal_for_user
from ekkyo.audit.models import AuditEvent
from ekkyo.kpis.models import AnnualReport, KpiBaseline, KpiTarget
from ekkyo.kpis.services import kpi_master_set
from ekkyo.partners.models import Contribution, Partner
from ekkyo.tenancy.access import NotFound
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from ..factories import World

pytestmark = pytest.mark.django_db


def _client(world: World, role: Role, tenant: str = "a") -> Client:
    c = Client()
    c.force_login(getattr(world, tenant).users[role])
    return c


def _actor(user: Any) -> Actor:
    principal = principal_for_user(user)
    return Actor(principal=principal, user_id=user.pk, label=str(user), user=user)


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent._unscoped.filter(action=action).order_by("pk"))


def _denials(user: Any) -> int:
    return AuditEvent._unscoped.filter(action="access.denied", actor_id=user.pk).count()


def test_targets_and_baselines_are_audited_with_old_and_new(world: World, system: None) -> None:
    code = world.a.municipality.code
    town = _client(world, Role.MUNICIPALITY_STAFF)
    url = reverse("kpis:targets", args=[2026])
    town.post(url, {"baseline_fy": "2024", f"t-{code}-online": "12", f"b-{code}-online": "8"})
    target, baseline = _events("kpi.target.set"), _events("kpi.baseline.set")
    assert len(target) == 1 and len(baseline) == 1
    assert target[0].detail == {"old": {f"{code}/online": None}, "new": {f"{code}/online": 12}}
    assert target[0].consortium_id == world.a.consortium.pk
    assert baseline[0].detail["new"] == {f"{code}/online": {"value": 8, "fiscal_year": 2024}}
    # A change records the old value; posting the same values again writes nothing.
    town.post(url, {"baseline_fy": "2024", f"t-{code}-online": "20", f"b-{code}-online": "8"})
    changed = _events("kpi.target.set")[-1]
    assert changed.detail == {"old": {f"{code}/online": 12}, "new": {f"{code}/online": 20}}
    town.post(url, {"baseline_fy": "2024", f"t-{code}-online": "20", f"b-{code}-online": "8"})
    assert len(_events("kpi.target.set")) == 2 and len(_events("kpi.baseline.set")) == 1
    assert KpiTarget.objects.get().target == 20


def test_kpi_master_door_refuses_rows_that_are_not_the_actors(world: World, system: None) -> None:
    town = world.a.users[Role.MUNICIPALITY_STAFF]
    for key in (world.a2.municipality.code, "c", world.b.municipality.code):
        with pytest.raises(NotFound) as refused:
            kpi_master_set(
                actor=_actor(town),
                fy=2026,
                targets={(key, "online"): 5},
                baselines={},
                baseline_fy=2024,
            )
        assert refused.value.pending_denial is not None  # recorded after the rollback
    assert not KpiTarget.objects.exists() and not KpiBaseline.objects.exists()
    assert not _events("kpi.target.set")


def test_contribution_is_recorded_by_the_door_and_foreign_partners_refused(
    world: World, system: None
) -> None:
    mine = Partner.objects.create(consortium=world.a.consortium, kind="company", name="自社")
    theirs = Partner.objects.create(consortium=world.b.consortium, kind="company", name="他社")
    town = _client(world, Role.MUNICIPALITY_STAFF)
    url = reverse("kpis:contributions", args=[2026])
    ok = town.post(url, {"partner": mine.pk, "kind": "money", "amount_yen": "5000"})
    assert ok.status_code == 302
    saved = Contribution.objects.get()
    (event,) = _events("contribution.create")
    assert event.object_id == str(saved.pk) and event.consortium_id == world.a.consortium.pk
    assert event.detail["new"]["amount_yen"] == 5000
    assert event.detail["new"]["municipality"] == world.a.municipality.pk  # the town's own
    # Another consortium's partner is not a choice, and the door refuses it too.
    from ekkyo.kpis.services import contribution_create

    with pytest.raises(NotFound):
        contribution_create(
            actor=_actor(world.a.users[Role.MUNICIPALITY_STAFF]),
            fy=2026,
            partner=theirs,
            kind="money",
            amount_yen=1,
        )
    with pytest.raises(NotFound):  # a town records for itself only
        contribution_create(
            actor=_actor(world.a.users[Role.MUNICIPALITY_STAFF]),
            fy=2026,
            partner=mine,
            kind="money",
            amount_yen=1,
            municipality=world.a2.municipality,
        )
    assert Contribution.objects.count() == 1


def test_report_save_and_submit_are_audited(world: World, system: None) -> None:
    town = _client(world, Role.MUNICIPALITY_STAFF)
    url = reverse("kpis:report", args=[2026])
    town.post(url, {"causes": "受入が好評", "improvements": "冬も", "action": "save"})
    (saved,) = _events("report.save")
    report = AnnualReport.objects.get()
    assert saved.object_id == str(report.pk)
    assert saved.detail["old"] == {"causes": "", "improvements": ""}
    assert saved.detail["new"] == {"causes": "受入が好評", "improvements": "冬も"}
    town.post(url, {"causes": "受入が好評", "improvements": "冬も", "action": "submit"})
    (submitted,) = _events("report.submit")
    assert submitted.detail["new"]["status"] == "submitted"
    assert submitted.detail["version"] == 1 and "online" in submitted.detail["figures"]
    report.refresh_from_db()
    assert report.submitted_by == world.a.users[Role.MUNICIPALITY_STAFF]


def test_a_report_of_another_town_or_consortium_is_refused(world: World, system: None) -> None:
    from ekkyo.kpis.services import report_submit

    report = AnnualReport.objects.create(
        consortium=world.a.consortium,
        municipality=world.a2.municipality,
        fiscal_year=2026,
        causes="x",
        improvements="y",
    )
    town = world.a.users[Role.MUNICIPALITY_STAFF]
    with pytest.raises(NotFound):
        report_submit(actor=_actor(town), report_id=report.pk)
    with pytest.raises(NotFound):
        report_submit(actor=_actor(world.b.users[Role.CONSORTIUM_ADMIN]), report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "draft"
    # The secretariat writes a member town's report, not a town of another consortium.
    admin = _client(world, Role.CONSORTIUM_ADMIN)
    url = reverse("kpis:report", args=[2026])
    page = admin.get(url, {"municipality": world.a2.municipality.code})
    assert page.status_code == 200
    foreign = admin.post(
        url + f"?municipality={world.b.municipality.code}",
        {"causes": "x", "improvements": "y", "action": "save"},
    )
    assert foreign.status_code == 404
    assert not AnnualReport.objects.filter(municipality=world.b.municipality).exists()
    assert _denials(world.a.users[Role.CONSORTIUM_ADMIN]) == 1


def test_exports_are_audited_with_their_codes(world: World, system: None) -> None:
    admin = _client(world, Role.CONSORTIUM_ADMIN)
    b"".join(admin.get(reverse("kpis:export", args=[2026])).streaming_content)
    admin.get(reverse("kpis:report_csv", args=[2026]))
    b"".join(admin.get(reverse("kpis:report_pdf", args=[2026])).streaming_content)
    assert [e.summary for e in _events("kpi.workbook.export")] == ["KPI workbook FY2026"]
    assert [e.detail["format"] for e in _events("report.export")] == ["csv", "pdf"]


def test_dashboards_of_others_are_refused_and_recorded(world: World, system: None) -> None:
    town = _client(world, Role.MUNICIPALITY_STAFF)
    user = world.a.users[Role.MUNICIPALITY_STAFF]
    other = reverse("kpis:dashboard_member", args=[2026, world.a2.municipality.code])
    missing = reverse("kpis:dashboard_member", args=[2026, "999999"])
    assert town.get(other).status_code == 404
    assert town.get(missing).status_code == 404  # the same answer
    assert _denials(user) == 1
    programme = reverse("kpis:dashboard_programme", args=[2026, world.a2.published.pk])
    assert town.get(programme).status_code == 404
    assert _denials(user) == 2
