"""Host-family pages: the town's register and placements, the family's requests and
guests, and the guest side's confirmation and health notes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core import hostmatch
from ekkyo.people.models import Guardian
from ekkyo.programmes.models import Stay
from ekkyo.programmes.selectors import manageable_programmes
from ekkyo.registry.models import Municipality
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.principal import Principal, Role

from .models import HostFamily, HostRequest, RequestStatus
from .services import (
    ALLERGENS,
    DIETS,
    HostingError,
    guest_view,
    health_save,
    health_shared_with_host,
    request_answer,
    request_send,
    suggestions,
)

TOWN = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF)


def _principal(request: HttpRequest) -> Principal:
    return request.principal  # type: ignore[attr-defined,no-any-return]


class HostFamilyForm(forms.ModelForm):
    class Meta:
        model = HostFamily
        fields = [
            "municipality",
            "name",
            "contact_name",
            "phone",
            "email",
            "household",
            "guest_capacity",
            "languages",
            "diet_options",
            "allergy_ok",
            "pets",
            "accepts_genders",
            "min_age",
            "max_age",
            "available_from",
            "available_until",
            "background_check_on",
            "background_check_until",
            "distance_km",
            "active",
        ]
        widgets = {
            f: forms.DateInput(attrs={"type": "date"})
            for f in (
                "available_from",
                "available_until",
                "background_check_on",
                "background_check_until",
            )
        }

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.filter(  # type: ignore[attr-defined]
            Q(pk__in=principal.municipality_ids)
            | Q(memberships__consortium_id__in=principal.admin_consortium_ids)
        ).distinct()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lo, hi = data.get("min_age"), data.get("max_age")
        if lo is not None and hi is not None and hi < lo:
            self.add_error("max_age", gettext_lazy("The oldest age is below the youngest."))
        a, b = data.get("available_from"), data.get("available_until")
        if a and b and b < a:
            self.add_error("available_until", gettext_lazy("The end is before the start."))
        return data


def _consortium_of(principal: Principal, municipality: Municipality) -> int:
    from ekkyo.registry.models import Member

    member = Member.objects.filter(municipality=municipality).order_by("-first_fy").first()
    if member is None:
        raise Http404
    return member.consortium_id


@require_http_methods(["GET", "POST"])
@require_roles(*TOWN, grant=Grant.FULL)
def family_list(request: HttpRequest) -> HttpResponse:
    principal = _principal(request)
    form = HostFamilyForm(request.POST or None, principal=principal)
    if request.method == "POST" and form.is_valid():
        family = form.save(commit=False)
        family.consortium_id = _consortium_of(principal, family.municipality)
        family.save()
        messages.success(request, _("The host family was registered."))
        return redirect("hosting:family_list")
    families = HostFamily.objects.select_related("municipality")
    audit_record(
        request=request, action=Action.VIEW, object_type="hosting.hostfamily", summary="register"
    )
    return render(request, "hosting/family_list.html", {"families": families, "form": form})


@require_http_methods(["GET", "POST"])
@require_roles(*TOWN, grant=Grant.FULL)
def family_edit(request: HttpRequest, family_id: int) -> HttpResponse:
    family = HostFamily.objects.filter(pk=family_id).first()
    if family is None:
        raise Http404
    form = HostFamilyForm(request.POST or None, instance=family, principal=_principal(request))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("hosting:family_list")
    return render(request, "hosting/family_edit.html", {"form": form, "family": family})


class WeightsForm(forms.Form):
    language = forms.FloatField(label=gettext_lazy("Shared language"), min_value=0, initial=3)
    distance = forms.FloatField(label=gettext_lazy("Near the school"), min_value=0, initial=2)
    diet = forms.FloatField(label=gettext_lazy("Diet provided"), min_value=0, initial=2)
    pets = forms.FloatField(label=gettext_lazy("No pets if preferred"), min_value=0, initial=1)


@require_http_methods(["GET", "POST"])
@require_roles(*TOWN, grant=Grant.HOSTING)
def placements(request: HttpRequest, programme_id: int) -> HttpResponse:
    principal = _principal(request)
    programme = manageable_programmes(principal).filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    stays = list(
        Stay.objects.filter(programme=programme, cancelled=False).select_related(
            "student__school", "host_family", "programme"
        )
    )
    families = list(HostFamily.objects.filter(municipality_id=programme.host_municipality_id))
    wform = WeightsForm(request.GET or None)
    weights = hostmatch.Weights(**wform.cleaned_data) if wform.is_valid() else hostmatch.Weights()
    if request.method == "POST":
        stay = next((s for s in stays if str(s.pk) == request.POST.get("stay")), None)
        family = next((f for f in families if str(f.pk) == request.POST.get("family")), None)
        if stay is None or family is None:
            raise Http404
        try:
            score = request.POST.get("score", "")
            request_send(
                stay=stay,
                family=family,
                score=float(score) if score.replace(".", "", 1).isdigit() else None,
                user=request.user,
                request=request,
            )
            messages.success(request, _("The request was sent to %(f)s.") % {"f": family.name})
        except HostingError as exc:
            messages.error(request, exc.message)
        return redirect(request.get_full_path())
    open_requests = {
        (r.stay_id, r.host_family_id): r
        for r in HostRequest.objects.filter(stay__in=stays).exclude(
            status__in=[RequestStatus.WITHDRAWN]
        )
    }
    rows = []
    for stay in stays:
        ranked = (
            []
            if stay.host_family_id
            else suggestions(stay=stay, families=families, weights=weights)
        )
        rows.append(
            {
                "stay": stay,
                "suggestions": [
                    {
                        "family": f,
                        "score": s,
                        "request": open_requests.get((stay.pk, f.pk)),
                        "why": s.messages(),
                    }
                    for f, s in ranked
                ],
            }
        )
    return render(
        request,
        "hosting/placements.html",
        {"programme": programme, "rows": rows, "wform": wform, "families": families},
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.HOST, grant=Grant.HOSTING)
def host_home(request: HttpRequest) -> HttpResponse:
    """The family's page: requests to answer and the guests it hosts."""
    principal = _principal(request)
    if request.method == "POST":
        req = HostRequest.objects.filter(
            pk=request.POST.get("request", "0") or 0, host_family_id__in=principal.host_ids
        ).first()
        if req is None:
            raise Http404
        try:
            request_answer(
                host_request=req,
                accept=request.POST.get("action") == "accept",
                side="host",
                user=request.user,
                request=request,
            )
        except HostingError as exc:
            messages.error(request, exc.message)
        return redirect("hosting:host_home")
    requests_ = HostRequest.objects.filter(host_family_id__in=principal.host_ids).select_related(
        "stay__student__school", "stay__programme"
    )
    guests = Stay.objects.filter(
        host_family_id__in=principal.host_ids, cancelled=False
    ).select_related("student__school", "programme")
    views = [guest_view(g) for g in guests]
    audit_record(
        request=request,
        action=Action.VIEW,
        object_type="programmes.stay",
        summary=f"host guests ({len(views)})",
    )
    return render(
        request,
        "hosting/host_home.html",
        {
            "requests": [{"req": r, "guest": guest_view(r.stay)} for r in requests_],
            "guests": views,
        },
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def my_stays(request: HttpRequest) -> HttpResponse:
    """The guest side: stays, host offers to confirm, health notes to give."""
    principal = _principal(request)
    students = [principal.student_id] if principal.student_id else list(principal.child_student_ids)
    if request.method == "POST":
        req = HostRequest.objects.filter(
            pk=request.POST.get("request", "0") or 0, stay__student_id__in=students
        ).first()
        if req is None:
            raise Http404
        try:
            request_answer(
                host_request=req,
                accept=request.POST.get("action") == "accept",
                side="student",
                user=request.user,
                request=request,
            )
            messages.success(request, _("Thank you. Your answer was recorded."))
        except HostingError as exc:
            messages.error(request, exc.message)
        return redirect("hosting:my_stays")
    stays = Stay.objects.filter(student_id__in=students, cancelled=False).select_related(
        "programme", "host_family", "student"
    )
    offers = HostRequest.objects.filter(
        stay__student_id__in=students, status=RequestStatus.HOST_ACCEPTED
    ).select_related("host_family", "stay__programme")
    return render(
        request,
        "hosting/my_stays.html",
        {
            "stays": [{"stay": s, "shared": health_shared_with_host(s)} for s in stays],
            "offers": offers,
            "is_guardian": bool(principal.guardian_id),
        },
    )


class HealthForm(forms.Form):
    allergies = forms.MultipleChoiceField(
        label=gettext_lazy("Food allergies"),
        required=False,
        choices=[(a, a) for a in ALLERGENS],
        widget=forms.CheckboxSelectMultiple,
    )
    diet = forms.MultipleChoiceField(
        label=gettext_lazy("Diet"),
        required=False,
        choices=[(d, d) for d in DIETS],
        widget=forms.CheckboxSelectMultiple,
    )
    pet_allergy = forms.BooleanField(label=gettext_lazy("Allergic to pets"), required=False)
    prefers_no_pets = forms.BooleanField(
        label=gettext_lazy("Prefers a home without pets"), required=False
    )
    notes = forms.CharField(
        label=gettext_lazy("Other notes for the host (medicine, care)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    share_with_host = forms.BooleanField(
        label=gettext_lazy("I consent to the host family seeing these notes for this stay."),
        required=False,
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.GUARDIAN, grant=Grant.FULL)
def stay_health(request: HttpRequest, stay_id: int) -> HttpResponse:
    """The guardian enters class I notes for one stay (encrypted; shared only with consent)."""
    principal = _principal(request)
    stay = (
        Stay.objects.filter(pk=stay_id, student_id__in=principal.child_student_ids)
        .select_related("programme", "student")
        .first()
    )
    if stay is None:
        raise Http404
    initial = {**stay.health, "share_with_host": health_shared_with_host(stay)}
    form = HealthForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "share_with_host" and v}
        health_save(
            stay=stay,
            data=data,
            share_with_host=form.cleaned_data["share_with_host"],
            guardian=Guardian.objects.get(pk=principal.guardian_id),
            user=request.user,
            request=request,
        )
        messages.success(request, _("The notes were saved."))
        return redirect("hosting:my_stays")
    return render(request, "hosting/stay_health.html", {"form": form, "stay": stay})
