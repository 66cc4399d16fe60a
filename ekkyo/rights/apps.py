from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "ekkyo.rights"
    label = "rights"
    verbose_name = _("Rights of the data subject")

    def ready(self) -> None:
        from . import events  # noqa: F401 — registers the audit event codes
