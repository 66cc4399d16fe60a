"""Dashboard pages: consortium, member town, school, programme — and the public page per FY.

Views stay thin: check who may see which dashboard, call the selector in
:mod:`ekkyo.kpis.dashboards`, render. Every figure they show is a count of
students from the aggregate rows, disclosure-controlled by the selector.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ekkyo.programmes.selectors import manageable_programmes
from ekkyo.registry.models import Consortium, Member, Municipality, School
from ekkyo.registry.selectors import current_fiscal_year
from ekkyo.tenancy.access import Grant, public_route, require_roles
from ekkyo.tenancy.principal import Principal, Role

from .aggregates import current_version
from .dashboards import (
    Dashboard,
    consortium_dashboard,
    member_dashboard,
    programme_dashboard,
    school_dashboard,
)
from .models import AnnualReport, KpiCode, ReportStatus
from .views import _consortium, _principal

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


def _member_links(principal: Principal, consortium: Consortium, fy: int) -> list[tuple[str, str]]:
    members = Member.objects.filter(consortium=consortium, municipality__isnull=False)
    if not principal.admin_consortium_ids:
        members = members.filter(municipality_id__in=principal.municipality_ids)
    return [
        (str(m.municipality), reverse("kpis:dashboard_member", args=[fy, m.municipality.code]))
        for m in members.select_related("municipality").order_by("municipality__code")
        if m.municipality and m.active_in(fy)
    ]


@require_GET
@require_roles(*STAFF, Role.PARTNER, grant=Grant.NONE)
def dashboard(request: HttpRequest, fy: int) -> HttpResponse:
    principal = _principal(request)
    consortium = _consortium(principal)

    def build() -> Dashboard:
        d = consortium_dashboard(consortium=consortium, fy=fy)
        if principal.has_role(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF):
            d.links = _member_links(principal, consortium, fy)
        return d

    scope = (
        "c:"
        + ",".join(sorted(str(m) for m in principal.municipality_ids))
        + (":admin" if principal.admin_consortium_ids else "")
    )
    return _render(
        request, consortium_id=consortium.pk, fy=fy, scope=scope, build=build,
        url_name="kpis:dashboard",
    )  # fmt: skip


@require_GET
@require_roles(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, grant=Grant.NONE)
def dashboard_member(request: HttpRequest, fy: int, municipality_code: str) -> HttpResponse:
    principal = _principal(request)
    consortium = _consortium(principal)
    municipality = Municipality.objects.filter(
        code=municipality_code, memberships__consortium=consortium
    ).first()
    if municipality is None or (
        not principal.admin_consortium_ids and municipality.pk not in principal.municipality_ids
    ):
        raise Http404

    def build() -> Dashboard:
        d = member_dashboard(consortium=consortium, municipality=municipality, fy=fy)
        d.links = [
            (str(s), reverse("kpis:dashboard_school", args=[fy, s.code]))
            for s in School.objects.filter(municipality=municipality).order_by("code")
        ]
        return d

    return _render(
        request, consortium_id=consortium.pk, fy=fy, scope=f"m:{municipality.code}",
        build=build, url_name="kpis:dashboard_member", args=(municipality_code,),
    )  # fmt: skip


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def dashboard_school(request: HttpRequest, fy: int, school_code: str) -> HttpResponse:
    principal = _principal(request)
    consortium = _consortium(principal)
    school = School.objects.filter(
        code=school_code, municipality__memberships__consortium=consortium
    ).first()
    if school is None:
        raise Http404
    own_school = school.pk in principal.school_ids
    allowed = (
        bool(principal.admin_consortium_ids)
        or own_school
        or school.municipality_id in principal.municipality_ids
    )
    if not allowed:
        raise Http404
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
    principal = _principal(request)
    programme = (
        manageable_programmes(principal)
        .select_related("host_municipality", "consortium")
        .filter(pk=programme_id)
        .first()
    )
    if programme is None:
        raise Http404
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
    from ekkyo.core.disclosure import Cell, suppress_cells

    from .dashboards import Figure

    consortia = []
    for consortium in Consortium.objects.order_by("pk"):
        report = (
            AnnualReport.objects.filter(
                consortium=consortium,
                municipality__isnull=True,
                fiscal_year=fy,
                status=ReportStatus.SUBMITTED,
            )
            .order_by("-version")
            .first()
        )
        rows = []
        if report is not None:
            actuals = {
                code: int(cell.get("actual") or 0)
                for code, cell in report.figures.items()
                if isinstance(cell, dict)
            }
            published = suppress_cells(
                {code: Cell(float(n), n) for code, n in actuals.items()},
                k=int(consortium.disclosure_k),
            )
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
