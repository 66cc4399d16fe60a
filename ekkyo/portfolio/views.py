"""Portfolio pages: the student's own portfolio, its exports and shares; the
public share link; guardians' view of their children's shares.

A student reaches only their own portfolio (the principal's student id —
there is no student id in any URL). Staff have no page here: a school sees
what a student chose to share with it through the link. The link needs no
sign-in, shows only the chosen sections, read-only, is audit-logged on every
view, and answers 404 once withdrawn or expired (or for a wrong token).
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ekkyo.people.models import Student
from ekkyo.tenancy.access import Grant, public_route, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from .exports import portfolio_json, portfolio_pdf
from .models import SECTIONS, RecipientKind, Section
from .selectors import (
    children_shares,
    own_portfolio,
    own_student,
    portfolio_export,
    portfolio_for,
    share_by_token,
    shares_of_student,
)
from .services import ShareError, portfolio_share_create, portfolio_share_withdraw


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


class ShareForm(forms.Form):
    recipient_kind = forms.ChoiceField(
        label=gettext_lazy("Share with"), choices=RecipientKind.choices
    )
    recipient_label = forms.CharField(
        label=gettext_lazy("Name of the recipient"),
        max_length=120,
        help_text=gettext_lazy("For example: ○○大学 入試課, or the name of your next school."),
    )
    sections = forms.MultipleChoiceField(
        label=gettext_lazy("What to share"),
        choices=Section.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Link works until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_on(self) -> object:
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day


def _page(
    request: HttpRequest,
    student: Student,
    form: ShareForm,
    status: int = 200,
    data: dict[str, object] | None = None,
) -> HttpResponse:
    return render(
        request,
        "portfolio/portfolio.html",
        {
            "data": data if data is not None else portfolio_for(student),
            "shares": shares_of_student(actor=_actor(request), student=student),
            "form": form,
            "now": timezone.now(),
            # One key per form shown: a double submit of it makes one share.
            "request_key": request.POST.get("request_key") or secrets.token_urlsafe(16),
        },
        status=status,
    )


@require_GET
@require_roles(Role.STUDENT, grant=Grant.FULL)
def my_portfolio(request: HttpRequest) -> HttpResponse:
    student, data = own_portfolio(actor=_actor(request))
    return _page(request, student, ShareForm(initial={"sections": list(SECTIONS)}), data=data)


@require_GET
@require_roles(Role.STUDENT, grant=Grant.FULL)
def export_json(request: HttpRequest) -> HttpResponseBase:
    body = portfolio_json(portfolio_export(actor=_actor(request), fmt="json"))
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename="portfolio.json",
        content_type="application/json; charset=utf-8",
    )


@require_GET
@require_roles(Role.STUDENT, grant=Grant.FULL)
def export_pdf(request: HttpRequest) -> HttpResponseBase:
    body = portfolio_pdf(portfolio_export(actor=_actor(request), fmt="pdf"))
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename="portfolio.pdf",
        content_type="application/pdf",
    )


@require_POST
@require_roles(Role.STUDENT, grant=Grant.FULL)
def share_new(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    form = ShareForm(request.POST)
    if form.is_valid():
        day = form.cleaned_data["expires_on"]
        expires = timezone.make_aware(datetime.combine(day, time(23, 59, 59))) if day else None
        try:
            portfolio_share_create(
                actor=actor,
                recipient_kind=form.cleaned_data["recipient_kind"],
                recipient_label=form.cleaned_data["recipient_label"],
                sections=form.cleaned_data["sections"],
                expires_at=expires,
                request_key=request.POST.get("request_key", ""),
            )
        except ShareError:
            messages.error(request, _("The share could not be made; check the form."))
        else:
            messages.success(
                request, _("The link is ready. Send it only to the person it is meant for.")
            )
            return redirect("portfolio:mine")
    return _page(request, own_student(actor=actor), form, status=400)


@require_POST
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def share_withdraw_view(request: HttpRequest, share_id: int) -> HttpResponseBase:
    actor = _actor(request)
    share, _withdrawn = portfolio_share_withdraw(actor=actor, share_id=share_id)
    messages.success(request, _("The share was withdrawn; the link no longer works."))
    if actor.principal.student_id == share.student_id:
        return redirect("portfolio:mine")
    return redirect("portfolio:children")


@require_GET
@require_roles(Role.GUARDIAN, grant=Grant.FULL)
def children_shares_view(request: HttpRequest) -> HttpResponse:
    shares = children_shares(actor=_actor(request))
    return render(request, "portfolio/children.html", {"shares": shares, "now": timezone.now()})


@require_GET
@public_route
def shared(request: HttpRequest, share_token: str) -> HttpResponse:
    # The token is the right (share_by_token); a wrong, withdrawn or expired link is 404.
    found = share_by_token(actor=_actor(request), token=share_token)
    response = render(request, "portfolio/shared.html", {"data": found.data, "share": found.share})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
