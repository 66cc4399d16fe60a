"""The Django admin, for the secretariat only, behind the same sign-in and MFA.

Django's own admin login form would bypass allauth's second factor, so the
admin's login redirects to the platform's sign-in page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from ekkyo.tenancy.principal import Role


class EkkyoAdminSite(admin.AdminSite):
    site_header = _("ekkyo administration")
    site_title = _("ekkyo administration")
    index_title = _("Secretariat")

    def has_permission(self, request: HttpRequest) -> bool:
        principal = getattr(request, "principal", None)
        return bool(
            request.user.is_active
            and request.user.is_staff
            and principal is not None
            and principal.has_role(Role.CONSORTIUM_ADMIN)
        )

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return redirect_to_login(request.GET.get("next", "/admin/"))
