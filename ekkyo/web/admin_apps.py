"""Django admin app config that installs the secretariat-only admin site.

Kept apart from ``admin_site`` so that INSTALLED_APPS imports nothing heavy.
"""

from django.contrib.admin.apps import AdminConfig


class EkkyoAdminConfig(AdminConfig):
    default_site = "ekkyo.web.admin_site.EkkyoAdminSite"
