"""``ekkyo demo-accounts``: print one demo sign-in per role, with its second factor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekkyo.accounts.models import Membership
from ekkyo.accounts.services import student_code_issue
from ekkyo.core.totp import totp_now
from ekkyo.demo.services import DEMO_GUARDIAN_EMAIL, DEMO_PASSWORD, DEMO_SLUG, demo_totp_secret
from ekkyo.people.models import Student
from ekkyo.tenancy.principal import Role, system_scope


class Command(BaseCommand):
    help = "Print one demo sign-in per role (and a fresh one-time code for a demo student)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--totp", metavar="EMAIL", help="Print the current TOTP code only.")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo accounts do not exist in production.")
        if opts["totp"]:
            self.stdout.write(totp_now(demo_totp_secret(opts["totp"].strip().lower())))
            return
        base = opts["base_url"].rstrip("/")
        w = self.stdout.write
        with system_scope(reason="demo-accounts"):
            w("")
            w(f"Demo sign-ins at {base}/  (synthetic data only)")
            w(f"Staff and guardians: {base}/accounts/login/  password: {DEMO_PASSWORD}")
            w("Staff with access to personal data also enter a TOTP code. Either add the")
            w("secret below to an authenticator app, or run:")
            w("  .venv/bin/ekkyo demo-accounts --totp EMAIL")
            w("")
            for role in (
                Role.CONSORTIUM_ADMIN,
                Role.MUNICIPALITY_STAFF,
                Role.SCHOOL_STAFF,
                Role.HOST,
                Role.PARTNER,
            ):
                m = (
                    Membership.objects.filter(role=role.value, consortium__slug=DEMO_SLUG)
                    .select_related("user", "school", "municipality")
                    .order_by("pk")
                    .first()
                )
                if m is None:
                    continue
                scope = m.school or m.municipality or m.organisation or m.consortium
                w(f"  {role.value:<19} {m.user.email:<40} {scope}")
                if role.sees_personal_data:
                    secret = demo_totp_secret(m.user.email)
                    w(f"  {'':<19} TOTP secret {secret}  (code now: {totp_now(secret)})")
            w(f"  {'guardian':<19} {DEMO_GUARDIAN_EMAIL:<40} (no second factor)")
            student = (
                Student.objects.filter(consortium__slug=DEMO_SLUG, school__isnull=False)
                .select_related("school")
                .order_by("pk")
                .first()
            )
            if student is not None:
                issued = student_code_issue(student=student, issued_by=None)
                w("")
                w(f"Student ({student.full_name}, {student.school_display}):")
                w(f"  {base}/student/sign-in/  login ID {issued.login_id}  code {issued.code}")
                w(f"  or open {base}/student/sign-in/qr/{issued.qr_token}/")
                w("  (the code works once; run `.venv/bin/ekkyo demo-accounts` again for another)")
            w("")
