"""Reference-data pages: member towns (public) and schools (staff)."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ekkyo.tenancy.access import Grant, public_route, require_roles
from ekkyo.tenancy.principal import Role

from .models import Consortium, Member
from .selectors import current_fiscal_year, schools_for_principal


@require_GET
@public_route
def member_list(request: HttpRequest) -> HttpResponse:
    """Public: which towns are members in which fiscal years (no personal data)."""
    fy_param = request.GET.get("fy", "")
    fy = (
        int(fy_param)
        if fy_param.isdigit() and 2000 < int(fy_param) < 2100
        else current_fiscal_year()
    )
    consortia = []
    for consortium in Consortium.objects.order_by("pk"):
        members = [
            m
            for m in Member.objects.filter(consortium=consortium)
            .select_related("municipality__prefecture")
            .order_by("municipality__code", "name")
            if m.active_in(fy)
        ]
        prefectures = sorted(
            {m.municipality.prefecture.code for m in members if m.municipality_id}  # type: ignore[union-attr]
        )
        consortia.append({"consortium": consortium, "members": members, "prefectures": prefectures})
    return render(
        request,
        "registry/member_list.html",
        {"consortia": consortia, "fy": fy, "fy_choices": range(fy - 2, fy + 3)},
    )


@require_GET
@require_roles(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF, grant=Grant.NONE)
def school_list(request: HttpRequest) -> HttpResponse:
    schools = (
        schools_for_principal(request.actor.principal)  # type: ignore[attr-defined]
        .annotate(n=Count("students"))
        .order_by("municipality__code", "code")
    )
    return render(
        request, "registry/school_list.html", {"schools": schools, "fy": current_fiscal_year()}
    )
