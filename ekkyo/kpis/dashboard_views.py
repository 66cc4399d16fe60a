"""Dashboard pages: consortium, member town, school, programme — and the public page per FY.

Views stay thin: check who may see which dashboard, call the selector in
:mod:`ekkyo.kpis.dashboards`, render. Every figure they show is a count of
students from the aggregate rows, disclosure-controlled by the selector.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ekkyo.registry.selectors import current_fiscal_year
from ekkyo.tenancy.access import Grant, public_route, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from .aggregates import current_version
from .dashboards import (
    Dashboard,
    consortium_dashboard,
    member_dashboard,
    programme_dashboard,
    school_dashboard,
)
from .models import KpiCode
from .publication import reader_towns, released_flows
from .selectors import (
    dashboard_member_links,
    dashboard_programme_for,
    dashboard_school_for,
    dashboard_town,
    kpi_consortium,
    published_reports,
    town_schools,
)

STAFF = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)


def _years(fy: int) -> range:
    return range(min(fy, current_fiscal_year()) - 4, current_fiscal_year() + 1)


CACHE_SECONDS = 600  # names of towns and schools may change without a version bump


def _render(
    request: HttpRequest,
    *,
    consortium_id: int,
    fy: int,
    scope: str,
    build: Callable[[], Dashboard],
    url_name: str,
    args: tuple[object, ...] = (),
) -> HttpResponse:
    """The page around a dashboard body, cached by the aggregates' version.

    The body depends only on the scope, the FY, the language and the data,
    never on who asks (rights are checked before), so one cached copy
    serves everyone allowed to see it until the data changes.
    """
    version = current_version(consortium_id)
    key = f"kpi-dash:{consortium_id}:{scope}:{fy}:{get_language()}:v{version}"
    cached = cache.get(key)
    if cached is None:
        dashboard = build()
        body = render_to_string("kpis/_dashboard_body.html", {"d": dashboard, "fy": fy})
        cached = (dashboard.title, body)
        cache.set(key, cached, CACHE_SECONDS)
    title, body = cached
    return render(
        request,
        "kpis/dashboard.html",
        {
            "title": title,
            "body": mark_safe(body),  # noqa: S308 — our own template's output, escaped there
            "fy": fy,
            "years": [(y, reverse(url_name, args=[y, *args])) for y in _years(fy)],
        },
    )


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


@require_GET
@require_roles(*STAFF, Role.PARTNER, grant=Grant.NONE)
def dashboard(request: HttpRequest, fy: int) -> HttpResponse:
    actor = _actor(request)
    principal = actor.principal
    consortium = kpi_consortium(actor=actor)

    towns = reader_towns(actor=actor, consortium=consortium, fy=fy)

    def build() -> Dashboard:
        # The reader's whole publication: the consortium's flows and those of
        # every town dashboard the reader may open, through the gate together.
        tables = released_flows(consortium=consortium, fy=fy, towns=towns)
        d = consortium_dashboard(consortium=consortium, fy=fy, flow_tables=tables)
        if principal.has_role(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF):
            d.links = [
                (str(town), reverse("kpis:dashboard_member", args=[fy, code]))
                for town, code in dashboard_member_links(actor=actor, consortium=consortium, fy=fy)
            ]
        return d

    scope = (
        "c:"
        + ",".join(sorted(str(m) for m in principal.municipality_ids))
        + (":admin" if principal.admin_consortium_ids else "")
        + ":"
        + ",".join(towns)
    )
    return _render(
        request, consortium_id=consortium.pk, fy=fy, scope=scope, build=build,
        url_name="kpis:dashboard",
    )  # fmt: skip


@require_GET
@require_roles(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, grant=Grant.NONE)
def dashboard_member(request: HttpRequest, fy: int, municipality_code: str) -> HttpResponse:
    actor = _actor(request)
    consortium = kpi_consortium(actor=actor)
    municipality = dashboard_town(
        actor=actor, consortium=consortium, municipality_code=municipality_code
    )

    towns = reader_towns(actor=actor, consortium=consortium, fy=fy, page_town=municipality.code)

    def build() -> Dashboard:
        tables = released_flows(consortium=consortium, fy=fy, towns=towns)
        d = member_dashboard(
            consortium=consortium, municipality=municipality, fy=fy, flow_tables=tables
        )
        d.links = [
            (str(s), reverse("kpis:dashboard_school", args=[fy, s.code]))
            for s in town_schools(municipality=municipality)
        ]
        return d

    scope = f"m:{municipality.code}:{','.join(towns)}"  # the reader's publication, not the page's
    return _render(
        request, consortium_id=consortium.pk, fy=fy, scope=scope,
        build=build, url_name="kpis:dashboard_member", args=(municipality_code,),
    )  # fmt: skip


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def dashboard_school(request: HttpRequest, fy: int, school_code: str) -> HttpResponse:
    actor = _actor(request)
    consortium = kpi_consortium(actor=actor)
    school, own_school = dashboard_school_for(
        actor=actor, consortium=consortium, school_code=school_code
    )
    # The school's own coordinator sees its own figures unsuppressed (DESIGN.md:
    # control applies to figures that leave the school).
    return _render(
        request, consortium_id=consortium.pk, fy=fy, scope=f"s:{school.code}:{int(own_school)}",
        build=lambda: school_dashboard(
            consortium=consortium, school=school, fy=fy, controlled=not own_school
        ),
        url_name="kpis:dashboard_school", args=(school_code,),
    )  # fmt: skip


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def dashboard_programme(request: HttpRequest, fy: int, programme_id: int) -> HttpResponse:
    programme = dashboard_programme_for(actor=_actor(request), programme_id=programme_id)
    return _render(
        request, consortium_id=programme.consortium_id, fy=fy, scope=f"p:{programme.pk}",
        build=lambda: programme_dashboard(
            consortium=programme.consortium, programme=programme, fy=fy
        ),
        url_name="kpis:dashboard_programme", args=(programme_id,),
    )  # fmt: skip


@require_GET
@public_route
def public(request: HttpRequest, fy: int) -> HttpResponse:
    """The consortium's published figures for a FY: what its submitted report froze.

    Only the consortium-wide figures of the latest submitted report, through
    disclosure control; nothing until a report is submitted.
    """
    from ekkyo.core.disclosure import Cell, Publication, publish

    from .dashboards import Figure

    consortia = []
    for published_report in published_reports(fy=fy):
        consortium, report = published_report.consortium, published_report.report
        rows = []
        if report is not None:
            actuals = {
                code: int(cell.get("actual") or 0)
                for code, cell in report.figures.items()
                if isinstance(cell, dict)
            }
            published = publish(
                Publication({code: Cell(float(n), n) for code, n in actuals.items()}),
                k=int(consortium.disclosure_k),
            ).figures
            for code, label in KpiCode.choices:
                if code in published:
                    cell = report.figures[code]
                    rows.append(
                        {
                            "label": label,
                            "actual": Figure.of(published[code]),
                            "target": Figure.plain(cell.get("target")),
                        }
                    )
        consortia.append({"consortium": consortium, "report": report, "rows": rows})
    return render(
        request,
        "kpis/public.html",
        {
            "fy": fy,
            "consortia": consortia,
            "title": _("Published KPI figures"),
            "years": [(y, reverse("kpis:public", args=[y])) for y in _years(fy)],
        },
    )
