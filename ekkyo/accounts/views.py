"""Student sign-in with a one-time code or a QR (no email address needed)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ekkyo.tenancy.access import public_route

from .services import SignInRefused, student_code_sign_in, student_sign_in_refused

BACKEND = "ekkyo.accounts.backends.StudentCodeBackend"


class StudentSignInForm(forms.Form):
    login_id = forms.CharField(
        label=gettext_lazy("Login ID"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "characters"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


def _refusal_message(reason: str) -> str:
    if reason == "locked":
        return _(
            "Too many wrong codes. This login ID is locked for a while; ask your teacher for help."
        )
    return _("The login ID or code is not right, or the code was already used or has expired.")


def _sign_in(request: HttpRequest, user: object) -> HttpResponse:
    request.session.cycle_key()
    login(request, user, backend=BACKEND)  # type: ignore[arg-type]
    return redirect("home")


@require_http_methods(["GET", "POST"])
@public_route
def student_sign_in(request: HttpRequest) -> HttpResponse:
    form = StudentSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _login_id = student_code_sign_in(
                login_id=form.cleaned_data["login_id"], code=form.cleaned_data["code"]
            )
        except SignInRefused as refused:
            student_sign_in_refused(
                actor=request.actor,  # type: ignore[attr-defined]
                login_id=form.cleaned_data["login_id"],
                locked=refused.reason == "locked",
            )
            form.add_error(None, _refusal_message(refused.reason))
        else:
            return _sign_in(request, user)
    return render(request, "accounts/student_sign_in.html", {"form": form})


@require_http_methods(["GET", "POST"])
@public_route
def student_sign_in_qr(request: HttpRequest, token: str) -> HttpResponse:
    """A scanned QR opens this page; signing in needs one tap (POST), so link
    previews and prefetching cannot use up the code."""
    error = ""
    if request.method == "POST":
        try:
            user, _login_id = student_code_sign_in(qr_token=token)
        except SignInRefused as refused:
            student_sign_in_refused(actor=request.actor, login_id="QR", locked=False)  # type: ignore[attr-defined]
            error = _refusal_message(refused.reason)
        else:
            return _sign_in(request, user)
    return render(request, "accounts/student_sign_in_qr.html", {"error": error})
