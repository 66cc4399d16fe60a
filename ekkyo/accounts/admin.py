from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from ekkyo.tenancy.principal import current_principal

from .models import Membership, User
from .selectors import users_visible_to

# Not managed through the admin: e-mail addresses live on User, and second
# factors are enrolled and reset only by their owner (MFA pages).
for _model in (EmailAddress, Authenticator):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["municipality", "school"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["email", "display_name", "username", "is_active", "last_login"]
    search_fields = ["email", "display_name", "username"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("ekkyo", {"fields": ("display_name", "language")}),
    )
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(users_visible_to(current_principal()))
