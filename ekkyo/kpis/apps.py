from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "ekkyo.kpis"
    label = "kpis"
    verbose_name = _("KPIs and annual reports")

    def ready(self) -> None:
        from .aggregates import connect_events

        connect_events()
