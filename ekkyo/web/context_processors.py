"""Navigation for the signed-in person's roles (built once per request)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.selectors import current_fiscal_year
from ekkyo.tenancy.principal import ANONYMOUS, Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    principal = getattr(request, "principal", ANONYMOUS)
    items: list[tuple[str, Any]] = [
        (reverse("home"), _("Home")),
        (reverse("programmes:catalogue"), _("Programmes")),
    ]
    if principal.has_role(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF):
        items.append((reverse("people:student_list"), _("Students")))
        items.append((reverse("people:roster_import"), _("Roster import")))
        items.append((reverse("registry:school_list"), _("Schools")))
        items.append((reverse("programmes:manage_list"), _("Manage programmes")))
        items.append((reverse("teams:index"), _("Teams")))
    if principal.has_role(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF):
        items.append((reverse("scheduling:index"), _("Scheduling")))
    elif principal.has_role(Role.SCHOOL_STAFF):
        items.append((reverse("scheduling:index"), _("Timetable")))
    if principal.has_role(Role.SCHOOL_STAFF):
        items.append((reverse("programmes:approvals"), _("Approvals")))
    if principal.has_role(Role.CONSORTIUM_ADMIN, Role.SCHOOL_STAFF):
        items.append((reverse("surveys:wave_list"), _("Surveys")))
    if principal.has_role(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF):
        items.append((reverse("kpis:table", args=[current_fiscal_year()]), _("KPIs")))
        items.append((reverse("kpis:dashboard", args=[current_fiscal_year()]), _("Dashboards")))
        items.append((reverse("hosting:family_list"), _("Host families")))
        items.append((reverse("programmes:residences"), _("Residences")))
        items.append((reverse("programmes:funnel"), _("Residence funnel")))
    if principal.has_role(Role.SCHOOL_STAFF, Role.PARTNER) and not principal.has_role(
        Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF
    ):
        items.append((reverse("kpis:dashboard", args=[current_fiscal_year()]), _("Dashboards")))
    if principal.has_role(Role.HOST):
        items.append((reverse("hosting:host_home"), _("Hosting")))
    if principal.has_role(Role.CONSORTIUM_ADMIN):
        items.append((reverse("programmes:rounds"), _("Allocation rounds")))
        items.append(
            (reverse("surveys:effects", args=[current_fiscal_year()]), _("Growth and effects"))
        )
        items.append((reverse("audit:event_list"), _("Audit log")))
    if principal.has_role(Role.STUDENT):
        items.append((reverse("programmes:my_applications"), _("My applications")))
        items.append((reverse("hosting:my_stays"), _("Stays")))
        items.append((reverse("teams:my_teams"), _("My teams")))
        items.append((reverse("people:me"), _("My profile")))
        items.append((reverse("portfolio:mine"), _("My portfolio")))
    if principal.has_role(Role.PARTNER):
        items.append((reverse("teams:my_teams"), _("My teams")))
    if principal.has_role(Role.GUARDIAN):
        items.append((reverse("people:my_children"), _("My children")))
        items.append((reverse("programmes:consents"), _("Consent")))
        items.append((reverse("portfolio:children"), _("Portfolio shares")))
        items.append((reverse("hosting:my_stays"), _("Stays")))
    if principal.has_role(Role.STUDENT, Role.GUARDIAN):
        items.append((reverse("rights:mine"), _("My data")))
    if principal.has_role(Role.SCHOOL_STAFF, Role.CONSORTIUM_ADMIN):
        items.append((reverse("rights:requests"), _("Deletion requests")))
    items.append((reverse("registry:member_list"), _("Member towns")))
    items.append((reverse("kpis:public", args=[current_fiscal_year() - 1]), _("Published figures")))
    # The one item whose URL is the longest prefix of this page is current.
    current = request.path
    matches = [
        url for url, _label in items if url == current or (url != "/" and current.startswith(url))
    ]
    best = max(matches, key=len) if matches else None
    nav = [{"url": url, "label": label, "current": url == best} for url, label in items]
    return {"nav_items": nav, "principal": principal}
