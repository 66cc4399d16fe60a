"""Dashboards: aggregates agree with the counting module, disclosure control, pinned queries."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from ekkyo.allocation.seat_services import seat_confirm
from ekkyo.core.disclosure import SUPPRESSED_MARKER
from ekkyo.kpis import aggregates
from ekkyo.kpis.aggregates import aggregates_rebuild
from ekkyo.kpis.dashboards import consortium_dashboard
from ekkyo.kpis.models import KeyCount
from ekkyo.kpis.services import aggregated_figures, kpi_figures
from ekkyo.participation.models import Stay
from ekkyo.participation.services import (
    attendance_record,
    residence_create,
    stay_cancelled_toggle,
    stays_create_from_seats,
)
from ekkyo.people.models import Student
from ekkyo.people.signals import announce_students
from ekkyo.programmes.models import ProgrammeKind
from ekkyo.programmes.services import programme_update, session_create
from ekkyo.programmes.signals import programme_changed
from ekkyo.registry.models import Member
from ekkyo.registry.signals import announce_membership
from ekkyo.tenancy.principal import Role

from ..doors import SYSTEM
from ..factories import World, programme, student

pytestmark = pytest.mark.django_db

JST = ZoneInfo("Asia/Tokyo")


def _counts(consortium_id: int) -> dict[tuple, int]:
    return {
        (r.dim, r.fy, r.muni, r.school, r.programme, r.a, r.b, r.c): r.n
        for r in KeyCount.objects.filter(consortium_id=consortium_id, n__gt=0)
    }


def test_incremental_aggregates_equal_a_full_recount(world: World, system: None) -> None:
    """Every writer's event keeps the aggregates equal to counting everything again."""
    c = world.a.consortium
    host = programme(c, world.a2.municipality, title="A2受入")
    guest, other = world.a.students[0], world.a.students[1]
    aggregates_rebuild(c)
    # Stays from seats (participation_changed, one event for every seat holder) …
    for s in (guest, other):
        seat_confirm(actor=SYSTEM, programme_id=host.pk, student_id=s.pk)
    assert stays_create_from_seats(actor=SYSTEM, programme_id=host.pk) == 2
    stay = Stay._unscoped.get(programme=host, student=guest)
    # … cancelled and restored …
    stay_cancelled_toggle(actor=SYSTEM, programme_id=host.pk, stay_id=stay.pk)
    stay_cancelled_toggle(actor=SYSTEM, programme_id=host.pk, stay_id=stay.pk)
    stay_cancelled_toggle(actor=SYSTEM, programme_id=host.pk, stay_id=stay.pk)
    # … a residence …
    residence_create(
        actor=SYSTEM,
        student_id=other.pk,
        host_municipality_id=world.a2.municipality.pk,
        school_id=world.a2.school.pk,
        start=date(2026, 4, 1),
        end=None,
    )
    # … attendance of an online programme's session, ticked and unticked …
    online = programme(c, world.a2.municipality, title="オンライン", kind=ProgrammeKind.ONLINE)
    for s in (guest, other):
        seat_confirm(actor=SYSTEM, programme_id=online.pk, student_id=s.pk)
    session = session_create(
        actor=SYSTEM,
        programme_id=online.pk,
        data={
            "kind": "online",
            "title": "第1回",
            "starts_at": datetime(2026, 6, 1, 16, tzinfo=JST),
            "ends_at": datetime(2026, 6, 1, 17, tzinfo=JST),
        },
    )
    attendance_record(actor=SYSTEM, session_id=session.pk, present_ids={guest.pk, other.pk})
    attendance_record(actor=SYSTEM, session_id=session.pk, present_ids={guest.pk})
    # … the programme changes kind (programme_changed) …
    data = {f: getattr(host, f) for f in ("title", "starts_on", "ends_on", "capacity")}
    programme_update(
        actor=SYSTEM,
        programme_id=host.pk,
        data={**data, "kind": ProgrammeKind.RESIDENCE, "host_municipality": world.a.municipality},
    )
    # … and a roster import gives a student another home (students_changed).
    Student._unscoped.filter(pk=guest.pk).update(home_municipality=world.a2.municipality)
    announce_students(sender=Student, student_ids=[guest.pk])
    incremental = _counts(c.pk)
    # The same as counting everything again.
    aggregates_rebuild(c)
    assert _counts(c.pk) == incremental
    for fy in (2025, 2026):
        assert aggregated_figures(consortium=c, fy=fy) == kpi_figures(consortium=c, fys=[fy])[fy]


def test_a_door_and_the_aggregates_commit_together(
    world: World, system: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing recount rolls the door's write back: never a stay the KPIs missed."""
    c = world.a.consortium
    host = programme(c, world.a2.municipality, title="A2受入")
    seat_confirm(actor=SYSTEM, programme_id=host.pk, student_id=world.a.students[0].pk)
    stays_create_from_seats(actor=SYSTEM, programme_id=host.pk)
    stay = Stay._unscoped.get(programme=host)

    def broken(ids: object, **kwargs: object) -> None:
        raise RuntimeError("recount failed")

    monkeypatch.setattr(aggregates, "aggregates_refresh", broken)
    with pytest.raises(RuntimeError):
        stay_cancelled_toggle(actor=SYSTEM, programme_id=host.pk, stay_id=stay.pk)
    stay.refresh_from_db()
    assert stay.cancelled is False


def test_an_unrelated_programme_edit_announces_nothing(world: World, system: None) -> None:
    host = programme(world.a.consortium, world.a2.municipality, title="A2受入")
    heard: list[object] = []

    def listen(sender: object, **kwargs: object) -> None:
        heard.append(kwargs["programme_ids"])

    programme_changed.connect(listen)
    try:
        data = {f: getattr(host, f) for f in ("kind", "host_municipality", "starts_on", "ends_on")}
        programme_update(actor=SYSTEM, programme_id=host.pk, data={**data, "capacity": 3})
        assert heard == []
        programme_update(
            actor=SYSTEM, programme_id=host.pk, data={**data, "kind": ProgrammeKind.ONLINE}
        )
        assert heard == [frozenset({host.pk})]
    finally:
        programme_changed.disconnect(listen)


def test_a_member_joining_recounts(world: World, system: None) -> None:
    c = world.a.consortium
    aggregates_rebuild(c)
    member = c.members.get(municipality=world.a2.municipality)
    member.first_fy = 2026
    member.save()
    announce_membership(sender=Member, consortium_id=c.pk)  # as the admin does
    assert aggregated_figures(consortium=c, fy=2025) == kpi_figures(consortium=c, fys=[2025])[2025]


def test_small_figures_are_hidden_and_say_so(world: World, system: None) -> None:
    aggregates_rebuild(world.a.consortium)
    d = consortium_dashboard(consortium=world.a.consortium, fy=2026)
    figures = [f for p in d.panels for _h, figs in p.rows for f in figs] + [
        c["figure"] for c in d.cards
    ]
    hidden = [f for f in figures if f.suppressed]
    assert hidden, "the factory's handful of students must be hidden at k=10"
    assert all(f.value is None and f.reason for f in hidden)
    k = world.a.consortium.disclosure_k
    for panel in d.panels:
        if panel.id in {"contributions", "trend"}:
            continue
        for _h, figs in panel.rows:
            for f in figs:
                assert f.suppressed or not f.value or f.value >= k, (panel.id, f)


def _get(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response.status_code


def test_query_counts_are_pinned_and_do_not_grow(world: World, system: None) -> None:
    """Each dashboard takes a fixed number of queries, whatever the number of students."""
    from django.core.cache import cache

    a = world.a
    admin = Client()
    admin.force_login(a.users[Role.CONSORTIUM_ADMIN])
    urls = {
        "consortium": reverse("kpis:dashboard", args=[2026]),
        "member": reverse("kpis:dashboard_member", args=[2026, a.municipality.code]),
        "school": reverse("kpis:dashboard_school", args=[2026, a.school.code]),
        "programme": reverse("kpis:dashboard_programme", args=[2026, a.published.pk]),
    }
    aggregates_rebuild(a.consortium)
    cache.clear()
    before = {name: _get(admin, url)[0] for name, url in urls.items()}
    # Pinned (a miss: the dashboard is built; sessions, user, memberships included;
    # consortium and member also read the version and the flows for the
    # publishing gate's release of the flow tables; the secretariat's towns need
    # no query: its pages are released one by one, docs/disclosure.md).
    assert before == {"consortium": 16, "member": 17, "school": 12, "programme": 13}, before
    # Many more students with stays and a new version of the aggregates.
    host = programme(a.consortium, a.municipality, title="多")
    for _ in range(30):
        s = student(a.school, consortium=a.consortium, home_municipality=a.municipality)
        Stay._unscoped.create(
            programme=host, student=s, arrival=date(2026, 6, 1), departure=date(2026, 6, 3)
        )
    cache.clear()
    after = {name: _get(admin, url)[0] for name, url in urls.items()}
    assert after == before
    # A hit costs fewer queries still: the body comes from the cache.
    hits = {name: _get(admin, url)[0] for name, url in urls.items()}
    assert all(hits[n] < before[n] for n in urls), hits
    assert Student._unscoped.filter(school=a.school).count() > 30


def test_dashboard_workbook_and_report_agree_with_the_counting_module(
    world: World, system: None
) -> None:
    """The demo-like world: the same figures on the dashboard, in the XLSX and in the PDF data."""
    c = world.a.consortium
    aggregates_rebuild(c)
    counted = kpi_figures(consortium=c, fys=[2026])[2026]
    admin = Client()
    admin.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    xlsx = b"".join(admin.get(reverse("kpis:export", args=[2026])).streaming_content)
    k = c.disclosure_k

    def shown(n: int) -> object:  # the files leave ekkyo: through the publishing gate
        return n if n >= k else SUPPRESSED_MARKER

    ws = load_workbook(io.BytesIO(xlsx))["online"]
    assert ws["C5"].value == shown(counted.online.consortium)
    ws = load_workbook(io.BytesIO(xlsx))["offline_received"]
    assert ws["C5"].value == shown(counted.offline.consortium)
    page = admin.get(reverse("kpis:dashboard_member", args=[2026, world.a.municipality.code]))
    assert page.status_code == 200
    csv = admin.get(reverse("kpis:report_csv", args=[2026]))
    text = csv.content.decode("utf-8-sig")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert f",{shown(counted.online.consortium)}," in text
    pdf = admin.get(reverse("kpis:report_pdf", args=[2026]))
    body = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    assert body.startswith(b"%PDF") and b"IPAexGothic" in body


def test_who_sees_which_dashboard(world: World, system: None) -> None:
    a, a2 = world.a, world.a2

    def get(role: Role, url: str) -> int:
        c = Client()
        c.force_login(a.users[role])
        return c.get(url).status_code

    consortium = reverse("kpis:dashboard", args=[2026])
    own = reverse("kpis:dashboard_member", args=[2026, a.municipality.code])
    other = reverse("kpis:dashboard_member", args=[2026, a2.municipality.code])
    other_school = reverse("kpis:dashboard_school", args=[2026, a2.school.code])
    assert get(Role.PARTNER, consortium) == 200  # aggregated, disclosure-controlled
    assert get(Role.MUNICIPALITY_STAFF, own) == 200
    assert get(Role.MUNICIPALITY_STAFF, other) == 404
    assert get(Role.SCHOOL_STAFF, own) == 403
    assert get(Role.SCHOOL_STAFF, other_school) == 404
    assert get(Role.STUDENT, consortium) == 403
    assert get(Role.CONSORTIUM_ADMIN, other) == 200
    assert Client().get(consortium).status_code == 302


def test_own_school_sees_its_figures_in_full(world: World, system: None) -> None:
    aggregates_rebuild(world.a.consortium)
    teacher = Client(headers={"accept-language": "en"})
    teacher.force_login(world.a.users[Role.SCHOOL_STAFF])
    page = teacher.get(reverse("kpis:dashboard_school", args=[2026, world.a.school.code]))
    assert page.status_code == 200
    assert "must not leave the school" in page.content.decode()
    # The town sees the same school through disclosure control.
    town = Client(headers={"accept-language": "en"})
    town.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    page = town.get(reverse("kpis:dashboard_school", args=[2026, world.a.school.code]))
    assert "must not leave the school" not in page.content.decode()
    assert "are hidden" in page.content.decode()


def test_contributions_are_recorded_and_shown(world: World, system: None) -> None:
    from ekkyo.partners.models import Contribution, Partner

    partner = Partner.objects.create(
        consortium=world.a.consortium, kind="company", name="サンプル社"
    )
    town = Client()
    town.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    url = reverse("kpis:contributions", args=[2026])
    bad = town.post(url, {"partner": partner.pk, "kind": "money"})
    assert bad.status_code == 200 and not Contribution.objects.exists()
    ok = town.post(url, {"partner": partner.pk, "kind": "furusato", "amount_yen": "1200000"})
    assert ok.status_code == 302
    saved = Contribution.objects.get()
    assert saved.fiscal_year == 2026 and saved.municipality == world.a.municipality
    admin = Client()
    admin.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    page = admin.get(reverse("kpis:dashboard", args=[2026])).content.decode()
    assert "¥1,200,000" in page


def test_public_page_shows_only_submitted_consortium_figures(world: World, system: None) -> None:
    from ekkyo.kpis.models import AnnualReport

    url = reverse("kpis:public", args=[2025])
    assert (
        "Not published yet" in Client(headers={"accept-language": "en"}).get(url).content.decode()
    )
    AnnualReport.objects.create(
        consortium=world.a.consortium, fiscal_year=2025, status="submitted",
        figures={"online": {"actual": 42, "target": 50}, "residence": {"actual": 3, "target": 5}},
        causes="x", improvements="y",
    )  # fmt: skip
    page = Client(headers={"accept-language": "en"}).get(url).content.decode()
    assert "42" in page and "50" in page
    assert "fewer than" in page  # KPI ① of 3 students is hidden, with the reason


def test_the_command_recounts(world: World, system: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    KeyCount.objects.all().delete()
    out = StringIO()
    call_command("kpi_aggregates", stdout=out)
    assert world.a.consortium.slug in out.getvalue()
    c = world.a.consortium
    assert aggregated_figures(consortium=c, fy=2026) == kpi_figures(consortium=c, fys=[2026])[2026]


def test_kpi_master_targets_and_baselines(world: World, system: None) -> None:
    from ekkyo.kpis.models import KpiBaseline, KpiTarget

    a, a2 = world.a, world.a2
    url = reverse("kpis:targets", args=[2026])
    town = Client(headers={"accept-language": "en"})
    town.force_login(a.users[Role.MUNICIPALITY_STAFF])
    page = town.get(url).content.decode()
    assert "Distinct students" in page and f'name="t-{a.municipality.code}-online"' in page
    assert f'name="t-{a2.municipality.code}-online"' not in page  # another town's row
    assert 'name="t-c-online"' not in page  # the consortium's row is the secretariat's
    bad = town.post(url, {"baseline_fy": "2024", f"t-{a.municipality.code}-online": "12x"})
    assert "is not a whole number" in bad.content.decode()
    assert not KpiTarget.objects.exists()
    ok = town.post(
        url,
        {
            "baseline_fy": "2024",
            f"t-{a.municipality.code}-online": "1,200",
            f"b-{a.municipality.code}-online": "800",
            f"t-{a2.municipality.code}-online": "99",  # ignored: not theirs
            "t-c-online": "99",  # ignored
        },
    )
    assert ok.status_code == 302
    t = KpiTarget.objects.get()
    assert (t.municipality, t.kpi, t.fiscal_year, t.target) == (
        a.municipality,
        "online",
        2026,
        1200,
    )
    b = KpiBaseline.objects.get()
    assert (b.value, b.fiscal_year) == (800, 2024)
    # An empty box removes the target.
    town.post(url, {"baseline_fy": "2024", f"b-{a.municipality.code}-online": "800"})
    assert not KpiTarget.objects.exists()
    admin = Client()
    admin.force_login(a.users[Role.CONSORTIUM_ADMIN])
    admin.post(url, {"baseline_fy": "2024", "t-c-residence": "30"})
    assert KpiTarget.objects.get(municipality=None).target == 30


def test_grant_workbook_has_trend_causes_and_prints(world: World, system: None) -> None:
    from ekkyo.kpis.models import AnnualReport

    AnnualReport.objects.create(
        consortium=world.a.consortium, municipality=world.a.municipality, fiscal_year=2026,
        causes="受入家庭が増えた", improvements="冬の企画を増やす",
    )  # fmt: skip
    admin = Client()
    admin.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    xlsx = b"".join(admin.get(reverse("kpis:export", args=[2026])).streaming_content)
    ws = load_workbook(io.BytesIO(xlsx))["residence"]
    headers = [c.value for c in ws[4]]
    assert headers[4] == "実績 令和4年度（2022）" and headers[7] == "実績 令和7年度（2025）"
    assert headers[8:] == ["要因分析", "改善方策"]
    town_row = next(
        r for r in ws.iter_rows(min_row=5, values_only=True) if r[0] == str(world.a.municipality)
    )
    assert town_row[8:] == ("受入家庭が増えた", "冬の企画を増やす")
    assert ws.print_title_rows == "$4:$4" and ws.page_setup.orientation == "landscape"
