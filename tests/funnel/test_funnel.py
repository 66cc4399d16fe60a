"""The residence funnel: who may see and edit it, the grid, the all-or-nothing
import, arrivals derived exactly as KPI ① counts them, and the overview's
disclosure control."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ekkyo.funnel.models import FunnelEntry
from ekkyo.funnel.services import (
    derived_arrivals,
    funnel_overview,
    grid_fingerprint,
    month_grid,
    project,
    town_funnel,
)
from ekkyo.kpis.models import KpiCode, KpiTarget
from ekkyo.kpis.selectors import kpi_target
from ekkyo.kpis.services import kpi_figures
from ekkyo.participation.models import Residence
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, student

pytestmark = pytest.mark.django_db
FY = 2026


def _town_url(world: World, code: str | None = None, view: str = "funnel_town") -> str:
    return reverse(
        f"programmes:{view}",
        kwargs={"fy": FY, "municipality_code": code or world.a.municipality.code},
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        (Role.CONSORTIUM_ADMIN, 200),
        (Role.MUNICIPALITY_STAFF, 200),
        (Role.SCHOOL_STAFF, 403),
        (Role.HOST, 403),
        (Role.PARTNER, 403),
        (Role.STUDENT, 403),
        (Role.GUARDIAN, 403),
    ],
)
def test_town_page_by_role(world: World, client_as, role: Role | None, status: int) -> None:  # type: ignore[no-untyped-def]
    client = client_as(role)
    for view in ("funnel_town", "funnel_edit", "funnel_import", "funnel_export"):
        assert client.get(_town_url(world, view=view)).status_code == status, view
    overview = client.get(reverse("programmes:funnel_overview", kwargs={"fy": FY}))
    assert overview.status_code == status


def test_other_towns_are_not_found(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    town = client_as(Role.MUNICIPALITY_STAFF)
    assert town.get(_town_url(world, world.a2.municipality.code)).status_code == 404
    assert town.get(_town_url(world, world.b.municipality.code)).status_code == 404
    admin = client_as(Role.CONSORTIUM_ADMIN)
    assert admin.get(_town_url(world, world.a2.municipality.code)).status_code == 200
    assert admin.get(_town_url(world, world.b.municipality.code)).status_code == 404


def _grid_post(world: World, values: dict[str, int], fingerprint: str) -> dict[str, str]:
    return {"fingerprint": fingerprint, **{k: str(v) for k, v in values.items()}}


def test_grid_save_conflict_and_double_submit(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.MUNICIPALITY_STAFF)
    url = _town_url(world, view="funnel_edit")
    with system_scope(reason="test"):
        first = grid_fingerprint(month_grid(municipality=world.a.municipality, fy=FY))
    data = _grid_post(world, {"c_inquiry_6": 40, "c_visit_8": 12}, first)
    assert client.post(url, data).status_code == 302
    with system_scope(reason="test"):
        grid = month_grid(municipality=world.a.municipality, fy=FY)
        assert grid["inquiry"][6] == 40 and grid["visit"][8] == 12
        assert FunnelEntry._unscoped.count() == 2
    # The same form again (a double submit): nothing changes, no conflict.
    assert client.post(url, data).status_code == 302
    # Another value on the stale form: refused, the stored figures stay.
    stale = _grid_post(world, {"c_inquiry_6": 99}, first)
    client.post(url, stale)
    with system_scope(reason="test"):
        assert month_grid(municipality=world.a.municipality, fy=FY)["inquiry"][6] == 40
    # Clearing a cell removes its row.
    with system_scope(reason="test"):
        now = grid_fingerprint(month_grid(municipality=world.a.municipality, fy=FY))
    client.post(url, _grid_post(world, {"c_inquiry_6": 40}, now))
    with system_scope(reason="test"):
        assert FunnelEntry._unscoped.count() == 1


def _upload(client, url: str, text: str, name: str = "funnel.csv"):  # type: ignore[no-untyped-def]
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode("utf-8-sig"))})


def test_import_is_all_or_nothing_and_idempotent(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.MUNICIPALITY_STAFF)
    url = _town_url(world, view="funnel_import")
    bad = "month,stage,count\n6,inquiry,30\n13,visit,4\n7,arrival,2\n8,visit,x\n6,問い合わせ,3\n"
    response = _upload(client, url, bad)
    assert response.status_code == 200
    problems = response.context["problems"]
    assert [(p["row"], p["field"]) for p in problems] == [
        (3, "month"),
        (4, "stage"),
        (5, "count"),
        (6, "stage"),
    ]
    with system_scope(reason="test"):
        assert FunnelEntry._unscoped.count() == 0  # nothing of the good row either
    good = "月,段階,件数\n6,問い合わせ,30\n8,オープンスクール,12\n2,application,9\n3,合格,5\n"
    assert _upload(client, url, good).status_code == 302
    assert _upload(client, url, good).status_code == 302  # again: adds nothing
    with system_scope(reason="test"):
        assert FunnelEntry._unscoped.count() == 4
        totals = town_funnel(
            consortium=world.a.consortium, municipality=world.a.municipality, fy=FY
        ).totals()
    assert totals == {
        "inquiry": 30,
        "session": 0,
        "visit": 12,
        "application": 9,
        "admission": 5,
        "arrival": 0,
    }
    page = client.get(_town_url(world)).content.decode()
    assert "<svg" in page and "<caption>" in page
    assert "75%" in page and "56%" in page  # 9 of 12 visits applied, 5 of 9 admitted
    # The export reads back as the same figures (UTF-8 with BOM).
    csv = client.get(_town_url(world, view="funnel_export"))
    body = b"".join(csv.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf") and b"6,inquiry,30" in body
    assert _upload(client, url, body.decode("utf-8-sig")).status_code == 302
    with system_scope(reason="test"):
        assert FunnelEntry._unscoped.count() == 4


def test_derived_arrivals_agree_with_kpi1(world: World) -> None:
    with system_scope(reason="test"):
        host, school = world.a.municipality, world.a.school
        away = world.a2.municipality

        def resident(home, start: date, end: date | None = None) -> None:  # type: ignore[no-untyped-def]
            s = student(school, consortium=world.a.consortium, home_municipality=home)
            Residence._unscoped.create(
                student=s, home_municipality=home, host_municipality=host, school=school,
                start=start, end=end,
            )  # fmt: skip

        resident(away, date(2026, 4, 6))  # arrives in FY2026: counts
        resident(None, date(2026, 9, 1))  # from abroad, arrives in FY2026: counts
        resident(host, date(2026, 4, 6))  # home is the host: not KPI ①
        resident(away, date(2025, 4, 7))  # continuing from FY2025: not an arrival
        resident(away, date(2024, 4, 7), date(2025, 3, 31))  # left before FY2026
        resident(away, date(2027, 4, 5))  # next year's intake
        derived = derived_arrivals(consortium=world.a.consortium, municipality=host, fy=FY)
        counted = kpi_figures(consortium=world.a.consortium, fys=[FY])[FY].residence
        KpiTarget.objects.create(
            consortium=world.a.consortium, municipality=host, kpi=KpiCode.RESIDENCE,
            fiscal_year=FY, target=4,
        )  # fmt: skip
        target = kpi_target(
            consortium=world.a.consortium, municipality=host, kpi=KpiCode.RESIDENCE, fy=FY
        )
        funnel = town_funnel(consortium=world.a.consortium, municipality=host, fy=FY, target=target)
    assert derived == 2
    assert derived == (counted.new_arrivals_by_municipality or {})[host.code]
    assert funnel.totals()["arrival"] == 2
    p = funnel.projection
    assert (p.continuing, p.arrivals, p.projected, p.target) == (1, 2, 3, 4)
    assert p.continuing + p.arrivals == counted.by_municipality[host.code]


def test_projection_uses_last_years_conversion() -> None:
    last = {"application": 20, "admission": 10, "arrival": 8}
    p = project(continuing=5, arrivals=0, totals={"admission": 10}, last_year=last, target=12)
    assert (p.expected_arrivals, p.basis, p.projected) == (8, "admission", 13)
    p = project(continuing=5, arrivals=0, totals={"application": 30}, last_year=last, target=12)
    assert (p.expected_arrivals, p.basis) == (12, "application")
    p = project(continuing=5, arrivals=9, totals={"admission": 10}, last_year=last, target=None)
    assert (p.expected_arrivals, p.basis, p.achievement) == (9, "arrivals", None)
    p = project(continuing=0, arrivals=0, totals={"admission": 3}, last_year={}, target=None)
    assert p.expected_arrivals == 3  # no rate last year: admissions count in full


def test_overview_suppresses_small_student_counts(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    with system_scope(reason="test"):
        for stage, count in (("inquiry", 4), ("application", 3), ("admission", 12)):
            FunnelEntry._unscoped.create(
                consortium=world.a.consortium, municipality=world.a.municipality,
                fiscal_year=FY, stage=stage, month=2, count=count,
            )  # fmt: skip
        rows = {
            r.member.municipality_id: r
            for r in funnel_overview(consortium=world.a.consortium, fy=FY)
        }
    cells = rows[world.a.municipality.pk].cells
    assert cells["inquiry"].value == 4 and not cells["inquiry"].suppressed  # families
    assert cells["application"].suppressed  # 3 students < k
    assert cells["admission"].value == 12
    page = client_as(Role.MUNICIPALITY_STAFF).get(
        reverse("programmes:funnel_overview", kwargs={"fy": FY})
    )
    assert page.status_code == 200
    assert world.a2.municipality.display_name in page.content.decode()


def test_demo_funnels_agree_with_residences(system: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    from ekkyo.registry.models import Consortium, Member

    call_command(
        "seed_demo", "--students", "600", "--schools", "30", "--municipalities", "12",
        "--prefectures", "5", stdout=StringIO(),
    )  # fmt: skip
    consortium = Consortium.objects.get(slug="ekkyo-net")
    assert FunnelEntry._unscoped.filter(consortium=consortium).exists()
    fys = sorted(set(FunnelEntry._unscoped.values_list("fiscal_year", flat=True)))
    towns = [m.municipality for m in Member.objects.filter(consortium=consortium)]
    funnels = [
        town_funnel(consortium=consortium, municipality=t, fy=fy)
        for t in towns
        if t is not None
        for fy in fys[:-1]  # the last intake is still being recruited
    ]
    with_arrivals = [f for f in funnels if f.totals()["arrival"]]
    assert with_arrivals
    for f in with_arrivals:
        t = f.totals()
        assert t["inquiry"] >= t["session"] >= t["visit"] >= t["application"]
        assert t["application"] >= t["admission"] >= t["arrival"]


def test_command_line_import(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import CommandError, call_command

    code = world.a.municipality.code
    bad = tmp_path / "bad.csv"
    bad.write_text("month,stage,count\n7,session,20\n7,session,21\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command(
            "funnel_import", str(bad), "--municipality", code, "--fy", "2026", stderr=StringIO()
        )
    with system_scope(reason="test"):
        assert FunnelEntry._unscoped.count() == 0
    good = tmp_path / "good.csv"
    good.write_text("month,stage,count\n7,session,20\n", encoding="cp932")
    for expected in ("1 cells changed", "0 cells changed"):
        out = StringIO()
        call_command("funnel_import", str(good), "--municipality", code, "--fy", "2026", stdout=out)
        assert expected in out.getvalue()
    with system_scope(reason="test"):
        assert FunnelEntry._unscoped.get().count == 20
