"""Sign-in pages: students' one-time codes and QR (no email address needed),
and the registration of the schools' Google / Microsoft sign-in identities."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.core.sso import IdentityError
from ekkyo.people.services import translate_problem
from ekkyo.registry.selectors import schools_for_principal
from ekkyo.tenancy.access import (
    Grant,
    NotFound,
    public_route,
    record_pending_denial,
    require_roles,
)
from ekkyo.tenancy.principal import Role
from ekkyo.web.params import whole

from .models import SSOProvider
from .selectors import municipalities_for_principal, sso_identities_managed
from .services import SignInRefused, student_code_sign_in, student_sign_in_refused
from .sso_services import sso_configured_providers, sso_identity_add, sso_identity_remove

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


@require_http_methods(["GET", "POST"])
@require_roles(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF, grant=Grant.NONE)
def sign_in_identities(request: HttpRequest) -> HttpResponse:
    """Register or remove the Google Workspace domains and Microsoft tenants of
    the schools and towns the signed-in staff member manages."""
    actor = request.actor  # type: ignore[attr-defined]
    error = ""
    form_values: dict[str, str] = {}
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            try:
                sso_identity_remove(actor=actor, identity_id=whole(request.POST.get("identity")))
            except NotFound as exc:
                record_pending_denial(exc)  # the door's transaction rolled back
                messages.error(request, _("Not found."))
            else:
                messages.success(request, _("The sign-in identity was removed."))
            return redirect("sign_in_identities")
        form_values = {
            k: request.POST.get(k, "").strip() for k in ("owner", "provider", "domain", "tenant_id")
        }
        kind, _sep, code = form_values["owner"].partition(":")
        try:
            if kind not in ("school", "town") or not code:
                raise IdentityError(
                    Problem(
                        "sso.owner.required",
                        gettext_noop("Choose the school or town that owns the account."),
                        field="owner",
                    )
                )
            sso_identity_add(
                actor=actor,
                provider=form_values["provider"],
                domain=form_values["domain"],
                tenant_id=form_values["tenant_id"],
                school_code=code if kind == "school" else "",
                municipality_code=code if kind == "town" else "",
            )
        except IdentityError as exc:
            error = translate_problem(exc.problem)
        except NotFound as exc:
            record_pending_denial(exc)
            error = _("Not found.")
        else:
            messages.success(request, _("The sign-in identity was registered."))
            return redirect("sign_in_identities")
    principal = actor.principal
    return render(
        request,
        "accounts/sign_in_identities.html",
        {
            "identities": list(sso_identities_managed(actor=actor)),
            "schools": list(schools_for_principal(principal).order_by("code")),
            "towns": list(municipalities_for_principal(principal).order_by("code")),
            "providers": SSOProvider.choices,
            "configured": sso_configured_providers(),
            "values": form_values,
            "error": error,
        },
        status=422 if error else 200,
    )
