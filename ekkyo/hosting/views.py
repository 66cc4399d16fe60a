"""Host-family pages: the town's register and placements, the family's requests and
guests, and the guest side's confirmation and health notes.

Views parse, call a door (``hosting.services``, ``hosting.selectors``), render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ekkyo.core import hostmatch
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role
from ekkyo.web.params import whole

from . import selectors, services
from .forms import HealthForm, HostFamilyForm, WeightsForm

TOWN = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


@require_http_methods(["GET", "POST"])
@require_roles(*TOWN, grant=Grant.FULL)
def family_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = HostFamilyForm(request.POST or None, principal=actor.principal)
    if request.method == "POST" and form.is_valid():
        services.host_family_create(actor=actor, values=form.cleaned_data)
        messages.success(request, _("The host family was registered."))
        return redirect("hosting:family_list")
    families = selectors.host_family_register(actor=actor)
    return render(request, "hosting/family_list.html", {"families": families, "form": form})


@require_http_methods(["GET", "POST"])
@require_roles(*TOWN, grant=Grant.FULL)
def family_edit(request: HttpRequest, family_id: int) -> HttpResponse:
    actor = _actor(request)
    family = selectors.host_family(actor=actor, family_id=family_id)
    form = HostFamilyForm(request.POST or None, instance=family, principal=actor.principal)
    if request.method == "POST" and form.is_valid():
        services.host_family_update(actor=actor, family_id=family.pk, values=form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("hosting:family_list")
    return render(request, "hosting/family_edit.html", {"form": form, "family": family})


@require_http_methods(["GET", "POST"])
@require_roles(*TOWN, grant=Grant.HOSTING)
def placements(request: HttpRequest, programme_id: int) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        score = request.POST.get("score", "")
        try:
            req = services.host_request_send(
                actor=actor,
                programme_id=programme_id,
                stay_id=whole(request.POST.get("stay")),
                family_id=whole(request.POST.get("family")),
                score=float(score) if score.replace(".", "", 1).isdigit() else None,
            )
            messages.success(
                request, _("The request was sent to %(f)s.") % {"f": req.host_family.name}
            )
        except services.HostingError as exc:
            messages.error(request, exc.message)
        return redirect(request.get_full_path())
    wform = WeightsForm(request.GET or None)
    weights = hostmatch.Weights(**wform.cleaned_data) if wform.is_valid() else hostmatch.Weights()
    board = selectors.placement_board(actor=actor, programme_id=programme_id, weights=weights)
    return render(
        request,
        "hosting/placements.html",
        {
            "programme": board.programme,
            "rows": board.rows,
            "wform": wform,
            "families": board.families,
        },
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.HOST, grant=Grant.HOSTING)
def host_home(request: HttpRequest) -> HttpResponse:
    """The family's page: requests to answer and the guests it hosts."""
    actor = _actor(request)
    if request.method == "POST":
        try:
            services.host_request_host_answer(
                actor=actor,
                request_id=whole(request.POST.get("request")),
                accept=request.POST.get("action") == "accept",
            )
        except services.HostingError as exc:
            messages.error(request, exc.message)
        return redirect("hosting:host_home")
    home = selectors.host_home(actor=actor)
    return render(
        request, "hosting/host_home.html", {"requests": home.requests, "guests": home.guests}
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def my_stays(request: HttpRequest) -> HttpResponse:
    """The guest side: stays, host offers to confirm, health notes to give."""
    actor = _actor(request)
    if request.method == "POST":
        try:
            services.host_request_guest_answer(
                actor=actor,
                request_id=whole(request.POST.get("request")),
                accept=request.POST.get("action") == "accept",
            )
            messages.success(request, _("Thank you. Your answer was recorded."))
        except services.HostingError as exc:
            messages.error(request, exc.message)
        return redirect("hosting:my_stays")
    mine = selectors.my_stays(actor=actor)
    return render(
        request,
        "hosting/my_stays.html",
        {
            "stays": mine.stays,
            "offers": mine.offers,
            "is_guardian": bool(actor.principal.guardian_id),
        },
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.GUARDIAN, grant=Grant.FULL)
def stay_health(request: HttpRequest, stay_id: int) -> HttpResponse:
    """The guardian enters class I notes for one stay (encrypted; shared only with consent)."""
    actor = _actor(request)
    stay = selectors.stay_of_child(actor=actor, stay_id=stay_id)
    initial = {**stay.health, "share_with_host": selectors.health_shared_with_host(stay)}
    form = HealthForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "share_with_host" and v}
        services.stay_health_update(
            actor=actor,
            stay_id=stay.pk,
            data=data,
            share_with_host=form.cleaned_data["share_with_host"],
        )
        messages.success(request, _("The notes were saved."))
        return redirect("hosting:my_stays")
    return render(request, "hosting/stay_health.html", {"form": form, "stay": stay})
