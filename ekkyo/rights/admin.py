"""The secretariat's admin for retention periods (edits go through the audited door)
and a read-only list of the job's runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ekkyo.tenancy.principal import current_principal

from .models import RetentionPolicy, RetentionRun
from .services import retention_policy_set


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["kind", "consortium", "keep_days", "keep_fiscal_years", "updated_at"]
    list_filter = ["kind"]
    fields = ["consortium", "kind", "keep_days", "keep_fiscal_years"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ids = current_principal().admin_consortium_ids
        return super().get_queryset(request).filter(consortium_id__in=ids)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "consortium":
            from ekkyo.registry.models import Consortium

            kwargs["queryset"] = Consortium.objects.filter(
                pk__in=current_principal().admin_consortium_ids
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = retention_policy_set(
            actor=request.actor,  # type: ignore[attr-defined]
            consortium_id=obj.consortium_id,
            kind=obj.kind,
            keep_days=obj.keep_days,
            keep_fiscal_years=obj.keep_fiscal_years,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a kind without a row keeps its default: change it instead


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "consortium", "status", "dry_run", "actor_label", "finished_at"]
    list_filter = ["status", "dry_run"]
    readonly_fields = [f.name for f in RetentionRun._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return RetentionRun.objects.filter(
            consortium_id__in=current_principal().admin_consortium_ids
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
