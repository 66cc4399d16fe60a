"""Audit event codes written by the background-job doors."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

JOB_START = event("job.start", _("Started a background job"))
JOB_RUN = event("job.run", _("Ran a background job"))
JOB_FAIL = event("job.fail", _("A background job failed"))
JOB_RETRY = event("job.retry", _("Retried a background job"))
JOB_VIEW = event("job.view", _("Viewed a background job"))
