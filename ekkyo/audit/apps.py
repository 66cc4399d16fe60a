from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "ekkyo.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from ekkyo.tenancy.access import set_denial_recorder
        from ekkyo.tenancy.actor import Actor

        from .events import ACCESS_DENIED
        from .services import audit_record

        def record(actor: Actor, what: str, detail: dict[str, Any]) -> None:
            audit_record(actor=actor, event=ACCESS_DENIED, summary=what[:300], detail=detail)

        set_denial_recorder(record)
        # Every app's ``events.py`` registers its codes (for the log's filter).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("events")
