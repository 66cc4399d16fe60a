"""Home: the public landing page, and after sign-in each role's next steps."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ekkyo.allocation.views import todo_for
from ekkyo.people.models import Student
from ekkyo.people.selectors import student_list
from ekkyo.registry.models import Consortium, Member
from ekkyo.registry.selectors import current_fiscal_year, members_active, schools_for_principal
from ekkyo.tenancy.access import public_route
from ekkyo.tenancy.principal import Principal, Role


@public_route
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the load benchmark's baseline: the app answers."""
    return HttpResponse("ok", content_type="text/plain")


@public_route
def home(request: HttpRequest) -> HttpResponse:
    principal: Principal = request.actor.principal  # type: ignore[attr-defined]
    fy = current_fiscal_year()
    context: dict[str, Any] = {"fy": fy}
    if principal.is_anonymous:
        consortium = Consortium.objects.order_by("pk").first()
        context["consortium"] = consortium
        if consortium is not None:
            members = members_active(consortium=consortium, fy=fy)
            context["member_count"] = members.count()
            context["prefecture_count"] = (
                members.values("municipality__prefecture").distinct().count()
            )
        return render(request, "web/landing.html", context)

    sections: list[str] = []
    if principal.has_role(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF):
        sections.append("staff")
        schools = schools_for_principal(principal)
        context["schools"] = schools.annotate(n=Count("students"))[:12]
        context["school_count"] = schools.count()
        context["student_count"] = student_list(actor=request.actor).count()  # type: ignore[attr-defined]
    if principal.has_role(Role.CONSORTIUM_ADMIN):
        sections.append("admin")
        context["admin_consortia"] = Consortium.objects.filter(
            pk__in=principal.admin_consortium_ids
        )
        context["member_count"] = Member.objects.filter(
            consortium_id__in=principal.admin_consortium_ids
        ).count()
    if principal.has_role(Role.HOST):
        sections.append("host")
    if principal.has_role(Role.PARTNER):
        sections.append("partner")
    if principal.has_role(Role.STUDENT):
        sections.append("student")
        context["me"] = Student.objects.select_related("school", "home_municipality").get(
            pk=principal.student_id
        )
    if principal.has_role(Role.GUARDIAN):
        sections.append("guardian")
        context["children"] = Student.objects.filter(
            pk__in=principal.child_student_ids
        ).select_related("school")
    context["sections"] = sections
    context["todo"] = todo_for(principal)
    context["roles"] = sorted(r.label for r in principal.roles)
    return render(request, "web/home.html", context)
