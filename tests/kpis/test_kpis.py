"""KPI figures from the records, targets, the grant workbook and frozen reports."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ekkyo.core import kpi
from ekkyo.core.disclosure import SUPPRESSED_MARKER
from ekkyo.kpis.models import AnnualReport, KpiTarget
from ekkyo.kpis.services import figures_table, kpi_figures
from ekkyo.participation.models import Stay
from ekkyo.programmes.models import ProgrammeKind
from ekkyo.tenancy.principal import Role

from ..factories import World, programme, student

pytestmark = pytest.mark.django_db


def _stays(world: World) -> None:
    a_host = programme(world.a.consortium, world.a.municipality, title="A受入")
    a2_host = programme(world.a.consortium, world.a2.municipality, title="A2受入")
    guest = world.a.students[0]  # lives in Alpha, visits Aside twice and Alpha once
    for p, arrival, departure, cancelled in [
        (a2_host, date(2026, 3, 30), date(2026, 4, 2), False),  # crosses 31 March
        (a2_host, date(2026, 8, 1), date(2026, 8, 3), False),
        (a_host, date(2026, 9, 1), date(2026, 9, 2), False),
    ]:
        Stay._unscoped.create(
            programme=p, student=guest, arrival=arrival, departure=departure, cancelled=cancelled
        )
    Stay._unscoped.create(
        programme=a_host,
        student=world.a2.students[0],
        arrival=date(2026, 10, 1),
        departure=date(2026, 10, 2),
        cancelled=True,
    )


def test_counts_follow_the_rules(world: World, system: None) -> None:
    _stays(world)
    counted = kpi_figures(consortium=world.a.consortium, fys=[2025, 2026])
    a, a2 = world.a.municipality.code, world.a2.municipality.code
    # FY2025 sees only the stay that crosses 31 March.
    assert counted[2025].offline.received.get(a2) == 1
    fy26 = counted[2026].offline
    # Each town also hosts the factory's own guest (world.a.stay, world.a2.stay).
    assert fy26.received[a2] == 2  # students[0] twice + Aside's guest: distinct
    # students[0], Alpha's guest and the hosting-only guest from Aside (world.guest);
    # the cancelled stay is not counted.
    assert fy26.received[a] == 3
    # Sent from Alpha: students[0] (three stays) and the factory's guest, once each.
    assert fy26.sent[a] == 2
    # The consortium total is a distinct count, not the sum of towns.
    distinct = {
        world.a.students[0].pk,
        world.a.stay.student_id,
        world.a2.stay.student_id,
        world.guest.pk,
    }
    assert fy26.consortium == len(distinct) == 4
    assert sum(fy26.received.values()) == 5  # the sum over towns counts students[0] twice


def test_targets_workbook_and_page(world: World, system: None) -> None:
    _stays(world)
    KpiTarget.objects.create(
        consortium=world.a.consortium, municipality=None, kpi="offline_received",
        fiscal_year=2026, target=4,
    )  # fmt: skip
    table = figures_table(consortium=world.a.consortium, fy=2026)
    cell = table["consortium"]["offline_received"]
    assert cell["target"] == 4 and cell["rate"] == pytest.approx(cell["actual"] / 4)
    admin = Client()
    admin.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    assert admin.get(reverse("kpis:table", args=[2026])).status_code == 200
    xlsx = b"".join(admin.get(reverse("kpis:export", args=[2026])).streaming_content)
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["residence", "offline_received", "offline_sent", "online"]
    ws = wb["offline_received"]
    assert "令和8年度" in ws["A2"].value
    # 4 students, under k: the workbook leaves ekkyo, so the gate hides it and says why
    assert ws["B5"].value == 4 and ws["C5"].value == SUPPRESSED_MARKER
    assert ws["D5"].value is None
    notes = [row[0].value for row in ws.iter_rows(min_row=6) if row[0].value]
    assert any("fewer than" in str(n) or "人" in str(n) for n in notes[-3:]), notes
    town = Client()
    town.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    page = town.get(reverse("kpis:table", args=[2026]))
    assert [m["code"] for m in page.context["members"]] == [world.a.municipality.code]
    assert Client().get(reverse("kpis:table", args=[2026])).status_code == 302
    teacher = Client()
    teacher.force_login(world.a.users[Role.SCHOOL_STAFF])
    assert teacher.get(reverse("kpis:table", args=[2026])).status_code == 403


def test_submitted_report_is_frozen_and_edits_make_versions(world: World, system: None) -> None:
    town = Client()
    town.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    url = reverse("kpis:report", args=[2026])
    town.post(url, {"causes": "", "improvements": "", "action": "submit"})
    assert not AnnualReport.objects.filter(status="submitted").exists()  # text required
    town.post(
        url, {"causes": "漁業体験が好評", "improvements": "冬の受入を増やす", "action": "submit"}
    )
    v1 = AnnualReport.objects.get(version=1)
    assert v1.status == "submitted" and v1.municipality == world.a.municipality
    assert "offline_received" in v1.figures
    town.post(url, {"causes": "修正版", "improvements": "冬の受入を増やす", "action": "save"})
    v1.refresh_from_db()
    assert v1.causes == "漁業体験が好評"  # frozen
    v2 = AnnualReport.objects.get(version=2)
    assert v2.status == "draft" and v2.causes == "修正版"
    other = Client()
    other.force_login(world.b.users[Role.MUNICIPALITY_STAFF])
    assert "漁業体験が好評" not in other.get(url).content.decode()


def test_one_target_per_kpi_and_year_also_for_the_consortium(world: World, system: None) -> None:
    from django.db import IntegrityError, transaction

    base = {"consortium": world.a.consortium, "kpi": "online", "fiscal_year": 2026, "target": 5}
    KpiTarget.objects.create(municipality=None, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        KpiTarget.objects.create(municipality=None, **base)
    KpiTarget.objects.create(municipality=world.a.municipality, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        KpiTarget.objects.create(municipality=world.a.municipality, **base)


def _both_paths(world: World, fy: int) -> list[kpi.FyKpis]:
    """The figures by the full count and by the dashboards' aggregate rows."""
    from ekkyo.kpis.aggregates import aggregates_rebuild
    from ekkyo.kpis.services import aggregated_figures

    c = world.a.consortium
    aggregates_rebuild(c)
    return [kpi_figures(consortium=c, fys=[fy])[fy], aggregated_figures(consortium=c, fy=fy)]


def test_kpi2_counts_short_and_mid_stays_only(world: World, system: None) -> None:
    """DESIGN.md: "at least one Stay (short or mid-term)" — a stay recorded on a
    residence (or online) programme is not KPI②."""
    before = _both_paths(world, 2026)
    kinds = {
        ProgrammeKind.SHORT_STAY: 1,
        ProgrammeKind.MID_STAY: 1,
        ProgrammeKind.RESIDENCE: 0,
        ProgrammeKind.ONLINE: 0,
    }
    for i, (kind, expected) in enumerate(kinds.items()):
        p = programme(world.a.consortium, world.a2.municipality, title=f"種類{i}", kind=kind)
        someone = student(world.a.school, consortium=world.a.consortium, family=f"種別{i}")
        Stay._unscoped.create(
            programme=p, student=someone, arrival=date(2026, 9, 1), departure=date(2026, 9, 3)
        )
        after = _both_paths(world, 2026)
        for old, new in zip(before, after, strict=True):
            assert new.offline.consortium - old.offline.consortium == expected, kind
        before = after


def test_kpi3_counts_in_person_sessions_of_online_programmes(world: World, system: None) -> None:
    """DESIGN.md: "attending at least one Session of an online programme" — the
    programme's kind decides, so its in-person day (a summit) counts; a session
    of a stay programme does not."""
    from django.utils import timezone

    from ekkyo.participation.models import Attendance
    from ekkyo.programmes.models import Session

    online = programme(
        world.a.consortium, world.a.municipality, title="サミット", kind=ProgrammeKind.ONLINE
    )
    stay_programme = programme(world.a.consortium, world.a.municipality, title="事前説明")
    at = timezone.make_aware(timezone.datetime(2026, 10, 3, 10, 0))
    cases = [(online, "offline", 1), (online, "online", 1), (stay_programme, "offline", 0)]
    before = _both_paths(world, 2026)
    for i, (p, session_kind, expected) in enumerate(cases):
        session = Session.objects.create(
            programme=p,
            kind=session_kind,
            title=f"回{i}",
            starts_at=at,
            ends_at=at + timezone.timedelta(hours=2),
        )
        someone = student(world.a.school, consortium=world.a.consortium, family=f"出席{i}")
        Attendance._unscoped.create(session=session, student=someone)
        after = _both_paths(world, 2026)
        for old, new in zip(before, after, strict=True):
            assert new.online.consortium - old.online.consortium == expected, (p, session_kind)
        before = after
