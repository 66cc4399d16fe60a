"""Audit event codes written by the residence funnel doors (one code per kind of action)."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

# --- the residence funnel (services.py)
FUNNEL_GRID_SAVE = event("funnel.grid.save", _("Saved a town's residence funnel"))
FUNNEL_IMPORT = event("funnel.import", _("Imported a town's residence funnel"))
FUNNEL_OVERVIEW_VIEW = event("funnel.overview.view", _("Viewed the residence funnel overview"))
