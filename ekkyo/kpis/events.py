"""Audit event codes written by the KPI doors (targets, contributions, reports, exports)."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

KPI_TARGET_SET = event("kpi.target.set", _("Set KPI targets"))
KPI_BASELINE_SET = event("kpi.baseline.set", _("Set KPI baselines"))
KPI_WORKBOOK_EXPORT = event("kpi.workbook.export", _("Exported the KPI workbook"))
CONTRIBUTION_CREATE = event("contribution.create", _("Recorded a partner's contribution"))
REPORT_SAVE = event("report.save", _("Saved an annual report draft"))
REPORT_SUBMIT = event("report.submit", _("Submitted an annual report"))
REPORT_EXPORT = event("report.export", _("Exported annual reports"))
