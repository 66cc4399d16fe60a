"""Audit event codes written by the portfolio doors."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

PORTFOLIO_EXPORT = event("portfolio.export", _("Exported a portfolio"))
PORTFOLIO_SHARE_CREATE = event("portfolio_share.create", _("Shared a portfolio"))
PORTFOLIO_SHARE_WITHDRAW = event("portfolio_share.withdraw", _("Withdrew a portfolio share"))
PORTFOLIO_SHARE_VIEW = event("portfolio_share.view", _("A shared portfolio was viewed"))
