from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "ekkyo.programmes"
    label = "programmes"
    verbose_name = _("Programmes")
    default_auto_field = "django.db.models.BigAutoField"
