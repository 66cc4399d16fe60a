"""Audit event codes written by the rights doors and the retention job."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

SUBJECT_ACCESS_EXPORT = event(
    "subject_access.export", _("Downloaded everything held about a student")
)
SUBJECT_ACCESS_EXPORT_CLASS1 = event(
    "subject_access.export_class1",
    _("Downloaded everything held about a student, health notes (class I) included"),
)
DELETION_REQUEST_FILE = event(
    "deletion_request.file", _("Asked for a student's data to be deleted")
)
DELETION_REQUEST_WITHDRAW = event("deletion_request.withdraw", _("Withdrew a deletion request"))
DELETION_REQUEST_APPROVE = event("deletion_request.approve", _("Approved a deletion request"))
DELETION_REQUEST_REFUSE = event("deletion_request.refuse", _("Refused a deletion request"))
DELETION_REQUEST_LIST_VIEW = event("deletion_request.list.view", _("Viewed deletion requests"))
STUDENT_DELETE = event(
    "student.delete", _("Deleted a student's personal data (pseudonymised the record)")
)
RETENTION_RUN = event("retention.run", _("Ran the deletion and retention job"))
RETENTION_POLICY_SET = event("retention.policy.set", _("Changed a retention period"))
