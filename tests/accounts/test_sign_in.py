"""Sign-in: staff with password + TOTP, lock-out, students with one-time codes."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ekkyo.accounts.models import StudentSignInCode
from ekkyo.accounts.services import SignInRefused, student_code_issue, student_code_sign_in
from ekkyo.audit.models import AuditEvent
from ekkyo.core.totp import totp_at
from ekkyo.tenancy.principal import Role

from ..factories import PASSWORD, TOTP_SECRET, World, user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits() -> None:
    cache.clear()


def _login(client: Client, email: str, password: str = PASSWORD) -> object:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_staff_sign_in_asks_for_the_second_factor(world: World, system: None) -> None:
    client = Client()
    staff = world.a.users[Role.SCHOOL_STAFF]
    response = _login(client, staff.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Not signed in yet: personal data is out of reach.
    assert client.get(reverse("people:student_list")).status_code == 302
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    code = totp_at(TOTP_SECRET, time.time())
    ok = client.post(reverse("mfa_authenticate"), {"code": code})
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get(reverse("people:student_list")).status_code == 200
    assert AuditEvent.objects.filter(action="account.sign_in", actor_id=staff.pk).exists()


def test_staff_without_a_second_factor_must_enrol_first(world: World, system: None) -> None:
    newcomer = user("newcomer@example.jp", mfa=False)
    from ekkyo.accounts.models import Membership

    Membership.objects.create(
        user=newcomer, role=Role.SCHOOL_STAFF, consortium=world.a.consortium, school=world.a.school
    )
    client = Client()
    assert _login(client, newcomer.email).status_code == 302
    response = client.get(reverse("people:student_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    # allauth asks for the password again before enrolment (reauthentication).
    enrol = client.get(reverse("mfa_activate_totp"), follow=True)
    assert enrol.status_code == 200
    assert enrol.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))


def test_partner_and_guardian_need_no_second_factor(world: World) -> None:
    for role in (Role.PARTNER, Role.GUARDIAN):
        client = Client()
        assert _login(client, world.a.users[role].email).status_code == 302
        assert client.get(reverse("home")).status_code == 200


def test_staff_lock_out_after_repeated_failures(world: World, system: None) -> None:
    staff = world.a.users[Role.SCHOOL_STAFF]
    client = Client()
    for _ in range(5):
        response = _login(client, staff.email, "wrong-password")
        assert response.status_code == 200
    # Even the right password is refused now.
    locked = _login(client, staff.email)
    assert locked.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="account.sign_in.fail").count() >= 5
    failed = AuditEvent.objects.filter(action="account.sign_in.fail").first()
    assert failed is not None and failed.consortium_id == world.a.consortium.pk
    assert "wrong-password" not in str(failed.detail)


def test_student_code_signs_in_once(world: World, system: None) -> None:
    student = world.a.students[2]
    issued = student_code_issue(student=student, issued_by=None)
    assert issued.code not in StudentSignInCode.objects.get().code_hash
    client = Client()
    response = client.post(
        reverse("student_sign_in"), {"login_id": issued.login_id.lower(), "code": issued.code}
    )
    assert response.status_code == 302
    assert client.get(reverse("people:me")).status_code == 302
    page = client.get(reverse("people:student_detail", args=[student.pk]))
    assert page.status_code == 200
    assert student.family_name in page.content.decode()
    # Someone else's profile is not reachable.
    other = world.a.students[0]
    assert client.get(reverse("people:student_detail", args=[other.pk])).status_code == 404
    with pytest.raises(SignInRefused):
        student_code_sign_in(login_id=issued.login_id, code=issued.code)


def test_student_lock_out(world: World, system: None, settings) -> None:  # type: ignore[no-untyped-def]
    issued = student_code_issue(student=world.a.students[2], issued_by=None)
    client = Client()
    for _ in range(settings.STUDENT_LOCKOUT_FAILURES):
        client.post(reverse("student_sign_in"), {"login_id": issued.login_id, "code": "WRONG123"})
    response = client.post(
        reverse("student_sign_in"), {"login_id": issued.login_id, "code": issued.code}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="account.lock_out").exists()


def test_qr_sign_in_needs_a_tap_and_works_once(world: World, system: None) -> None:
    issued = student_code_issue(student=world.a.students[2], issued_by=None)
    url = reverse("student_sign_in_qr", args=[issued.qr_token])
    client = Client()
    assert client.get(url).status_code == 200  # a link preview does not use the code
    assert client.post(url).status_code == 302
    second = Client().post(url)
    assert second.status_code == 200
    assert "_auth_user_id" not in second.client.session


def test_new_code_replaces_the_old_one(world: World, system: None) -> None:
    student = world.a.students[2]
    first = student_code_issue(student=student, issued_by=None)
    second = student_code_issue(student=student, issued_by=None)
    with pytest.raises(SignInRefused):
        student_code_sign_in(login_id=first.login_id, code=first.code)
    user_, _ = student_code_sign_in(login_id=second.login_id, code=second.code)
    assert user_.pk == student.user_id


def test_cookies_are_http_only_and_secure_in_production(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_class_sheet_of_sign_in_cards(world: World, system: None) -> None:
    client = Client()
    client.force_login(world.a.users[Role.SCHOOL_STAFF])
    response = client.post(reverse("people:student_issue_codes"), {"school": world.a.school.code})
    assert response.status_code == 200
    cards = response.context["cards"]
    assert len(cards) == len(world.a.students)
    body = response.content.decode()
    assert body.count("<svg") == len(cards)
    first = cards[0]["issued"]
    user_, _ = student_code_sign_in(login_id=first.login_id, code=first.code)
    assert user_.pk == cards[0]["student"].user_id
    # Another school's class: nothing is issued.
    other = client.post(reverse("people:student_issue_codes"), {"school": world.b.school.code})
    assert other.status_code == 302
    assert not StudentSignInCode.objects.filter(student__school=world.b.school).exists()
