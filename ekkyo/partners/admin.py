from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ekkyo.tenancy.principal import current_principal

from .models import Contribution, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "municipality"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ids = current_principal().admin_consortium_ids
        return super().get_queryset(request).filter(consortium_id__in=ids)


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):
    list_display = ["partner", "fiscal_year", "kind", "amount_yen", "hours", "programme"]
    list_filter = ["fiscal_year", "kind"]
    raw_id_fields = ["programme"]

    # Read-only: contributions are recorded on the KPI pages, through the
    # audited door (``kpis.services.contribution_create``), which also moves
    # the dashboards' cache on.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ids = current_principal().admin_consortium_ids
        return super().get_queryset(request).filter(partner__consortium_id__in=ids)
