from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ekkyo.tenancy.principal import current_principal

from .models import Consortium, Member, Municipality, Prefecture, School
from .selectors import schools_for_principal
from .signals import announce_membership


class ReferenceDataAdmin(admin.ModelAdmin):
    """Shared reference data: editable, never deleted (records point at it)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Prefecture)
class PrefectureAdmin(ReferenceDataAdmin):
    list_display = ["code", "name", "name_en", "region"]
    search_fields = ["code", "name", "name_en"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Municipality)
class MunicipalityAdmin(ReferenceDataAdmin):
    list_display = ["code", "name", "name_en", "prefecture", "is_sample"]
    list_filter = ["prefecture", "is_sample"]
    search_fields = ["code", "name", "name_kana", "name_en"]


@admin.register(School)
class SchoolAdmin(ReferenceDataAdmin):
    list_display = ["code", "name", "kind", "municipality", "is_sample"]
    list_filter = ["kind", "is_sample"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["municipality"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return schools_for_principal(current_principal())


@admin.register(Consortium)
class ConsortiumAdmin(ReferenceDataAdmin):
    list_display = ["name", "slug", "lead", "disclosure_k"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(pk__in=current_principal().admin_consortium_ids)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["display_name", "consortium", "kind", "first_fy", "last_fy"]
    list_filter = ["kind", "first_fy"]
    search_fields = ["municipality__name", "name", "municipality__code"]
    autocomplete_fields = ["municipality"]
    filter_horizontal = ["constituents"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .filter(consortium_id__in=current_principal().admin_consortium_ids)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A town that leaves gets a last fiscal year; its history stays.
        return False

    def save_model(self, request: HttpRequest, obj: Member, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        announce_membership(sender=Member, consortium_id=obj.consortium_id)
