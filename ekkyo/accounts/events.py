"""Audit event codes written by sign-in and account doors."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

SIGN_IN = event("account.sign_in", _("Signed in"))
SIGN_IN_FAILED = event("account.sign_in.fail", _("Sign-in failed"))
SIGN_OUT = event("account.sign_out", _("Signed out"))
LOCKED_OUT = event("account.lock_out", _("Locked out"))
STUDENT_SIGN_IN = event("student.sign_in", _("Student signed in with a code"))
STUDENT_SIGN_IN_FAILED = event("student.sign_in.fail", _("Student sign-in refused"))
SIGN_IN_CODE_ISSUE = event("student.sign_in_code.issue", _("Issued a student's sign-in code"))
SIGN_IN_CODES_ISSUE = event(
    "student.sign_in_code.issue_class", _("Issued sign-in codes for a class")
)
# Google Workspace / Microsoft Entra ID sign-in (ekkyo.core.sso decides; the
# refusal's reason -- unverified_email, wrong_domain, wrong_tenant, no_account --
# goes in the event's new values).
SSO_SIGN_IN = event("signin.sso", _("Signed in with Google or Microsoft"))
SSO_SIGN_IN_REFUSED = event("signin.sso.refused", _("Google or Microsoft sign-in refused"))
SSO_IDENTITY_ADD = event(
    "signin.identity.add", _("Registered a Google or Microsoft sign-in identity")
)
SSO_IDENTITY_REMOVE = event(
    "signin.identity.remove", _("Removed a Google or Microsoft sign-in identity")
)
