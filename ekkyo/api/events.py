"""Audit event codes of the API: integration tokens are created and revoked."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

API_TOKEN_CREATE = event("api_token.create", _("Created an API token"))
API_TOKEN_REVOKE = event("api_token.revoke", _("Revoked an API token"))
