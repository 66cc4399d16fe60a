"""The token management page (``/api/tokens/``): the secretariat and town staff
create and revoke their integration tokens. Parse, call a door, render; the
secret is shown once, in the answer to the creating POST."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ekkyo.tenancy.access import Grant, NotFound, record_pending_denial, require_roles
from ekkyo.tenancy.principal import Role
from ekkyo.web.params import whole

from .models import Scope
from .selectors import token_municipalities, tokens_managed
from .services import TokenError, api_token_create, api_token_revoke


@require_roles(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, grant=Grant.NONE)
def tokens(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    created = None
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "revoke":
            try:
                api_token_revoke(actor=actor, token_id=whole(request.POST.get("token", "")))
            except NotFound as exc:
                record_pending_denial(exc)  # the door's transaction rolled back
                messages.error(request, _("Not found."))
            else:
                messages.success(request, _("The token was revoked."))
            return redirect("api-tokens:tokens")
        if action == "create":
            town = whole(request.POST.get("municipality", "")) or None
            if not actor.principal.admin_consortium_ids:
                town = next(iter(sorted(actor.principal.municipality_ids)), None)
            days = whole(request.POST.get("days", ""))
            try:
                if not 1 <= days <= 730:
                    raise TokenError(_("Days until expiry: a whole number from 1 to 730."))
                created = api_token_create(
                    actor=actor,
                    consortium_id=actor.consortium_id or 0,
                    municipality_id=town,
                    name=request.POST.get("name", ""),
                    scopes=request.POST.getlist("scope"),
                    expires_at=timezone.now() + timedelta(days=days),
                )
            except TokenError as exc:
                error = str(exc)
            except NotFound as exc:
                record_pending_denial(exc)
                error = _("Not found.")
    return render(
        request,
        "api/tokens.html",
        {
            "tokens": list(tokens_managed(actor=actor)),
            "scopes": Scope.choices,
            "towns": token_municipalities(actor=actor)
            if actor.principal.admin_consortium_ids
            else [],
            "created": created,
            "error": error,
        },
        status=422 if error else 200,
    )
