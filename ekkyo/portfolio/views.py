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
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.people.models import Student
from ekkyo.tenancy.access import Grant, access_object, public_route, require_roles
from ekkyo.tenancy.principal import Principal, Role, system_scope

from .exports import portfolio_json, portfolio_pdf
from .models import SECTIONS, PortfolioShare, RecipientKind, Section
from .selectors import portfolio_for
from .services import ShareError, share_create, share_withdraw


def _principal(request: HttpRequest) -> Principal:
    return request.principal  # type: ignore[attr-defined,no-any-return]


def _me(request: HttpRequest) -> Student:
    student_id = _principal(request).student_id
    student = Student.objects.filter(pk=student_id or 0).first()
    if student is None:
        raise Http404
    return student


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
    request: HttpRequest, student: Student, form: ShareForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "portfolio/portfolio.html",
        {
            "data": portfolio_for(student),
            "shares": PortfolioShare.objects.filter(student=student),
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
    return _page(request, _me(request), ShareForm(initial={"sections": list(SECTIONS)}))


@require_GET
@require_roles(Role.STUDENT, grant=Grant.FULL)
def export_json(request: HttpRequest) -> HttpResponseBase:
    student = _me(request)
    body = portfolio_json(portfolio_for(student))
    audit_record(
        request=request, action=Action.EXPORT, obj=student, summary="own portfolio as JSON"
    )
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename="portfolio.json",
        content_type="application/json; charset=utf-8",
    )


@require_GET
@require_roles(Role.STUDENT, grant=Grant.FULL)
def export_pdf(request: HttpRequest) -> HttpResponseBase:
    student = _me(request)
    body = portfolio_pdf(portfolio_for(student))
    audit_record(request=request, action=Action.EXPORT, obj=student, summary="own portfolio as PDF")
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename="portfolio.pdf",
        content_type="application/pdf",
    )


@require_POST
@require_roles(Role.STUDENT, grant=Grant.FULL)
def share_new(request: HttpRequest) -> HttpResponseBase:
    student = _me(request)
    form = ShareForm(request.POST)
    if form.is_valid():
        day = form.cleaned_data["expires_on"]
        expires = timezone.make_aware(datetime.combine(day, time(23, 59, 59))) if day else None
        try:
            share_create(
                student=student,
                recipient_kind=form.cleaned_data["recipient_kind"],
                recipient_label=form.cleaned_data["recipient_label"],
                sections=form.cleaned_data["sections"],
                expires_at=expires,
                request_key=request.POST.get("request_key", ""),
                user=request.user,
                request=request,
            )
        except ShareError:
            messages.error(request, _("The share could not be made; check the form."))
        else:
            messages.success(
                request, _("The link is ready. Send it only to the person it is meant for.")
            )
            return redirect("portfolio:mine")
    return _page(request, student, form, status=400)


@require_POST
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def share_withdraw_view(request: HttpRequest, share_id: int) -> HttpResponseBase:
    share = access_object(request, PortfolioShare, pk=share_id)
    share_withdraw(share=share, user=request.user, request=request)
    messages.success(request, _("The share was withdrawn; the link no longer works."))
    if _principal(request).student_id == share.student_id:
        return redirect("portfolio:mine")
    return redirect("portfolio:children")


@require_GET
@require_roles(Role.GUARDIAN, grant=Grant.FULL)
def children_shares(request: HttpRequest) -> HttpResponse:
    shares = PortfolioShare.objects.select_related("student").order_by(
        "student__family_name_kana", "-created_at"
    )
    return render(request, "portfolio/children.html", {"shares": shares, "now": timezone.now()})


@require_GET
@public_route
def shared(request: HttpRequest, share_token: str) -> HttpResponse:
    # The token is the right: checked here, then the one student's portfolio is
    # read unscoped (portfolio_for). A wrong, withdrawn or expired link is 404.
    with system_scope(reason="portfolio share link: token check"):
        share = (
            PortfolioShare._unscoped.filter(token=share_token).select_related("student").first()
            if len(share_token) <= 64
            else None
        )
    if share is None or not share.is_live():
        raise Http404
    sections = tuple(s for s in SECTIONS if s in share.sections)
    data = portfolio_for(share.student, sections=sections)
    audit_record(
        request=request,
        action=Action.VIEW,
        object_type="portfolio.portfolioshare",
        object_id=share.pk,
        consortium_id=share.student.consortium_id,
        summary=f"shared portfolio viewed ({share.get_recipient_kind_display()}: "
        f"{share.recipient_label[:60]})",
    )
    response = render(request, "portfolio/shared.html", {"data": data, "share": share})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
