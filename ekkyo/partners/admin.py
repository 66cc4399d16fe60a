from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ekkyo.tenancy.principal import current_principal

from .models import Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "municipality"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ids = current_principal().admin_consortium_ids
        return super().get_queryset(request).filter(consortium_id__in=ids)
