from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FunnelConfig(AppConfig):
    name = "ekkyo.funnel"
    label = "funnel"
    verbose_name = _("Residence funnel")
    default_auto_field = "django.db.models.BigAutoField"
