"""Sign-in with a school's Google Workspace or Microsoft Entra ID account, end
to end against a local OpenID Connect provider (``oidc_provider``): the real
redirects, code exchange with PKCE, signed ID token and JWKS, then ekkyo's
checks of the claims (``accounts.sso_services``, ``core.sso``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from ekkyo.accounts.models import SignInIdentity
from ekkyo.accounts.sso_services import sso_identity_add, sso_identity_remove
from ekkyo.audit.models import AuditEvent
from ekkyo.core.sso import IdentityError
from ekkyo.core.totp import totp_at
from ekkyo.people.models import Student
from ekkyo.tenancy.access import NotFound
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import Role, system_scope

from ..doors import actor_of as actor_for
from ..factories import TOTP_SECRET, World
from .oidc_provider import OIDCProvider, running_provider

pytestmark = pytest.mark.django_db

DOMAIN = "school-a.example.jp"
TENANT = "6f2c1a4e-0b7d-4c3e-9a51-2d8e7f9b0c13"
OTHER_TENANT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture
def oidc(settings: Any) -> Iterator[OIDCProvider]:
    cache.clear()
    with running_provider() as provider:
        settings.SOCIALACCOUNT_PROVIDERS = {"ekkyo_oidc": {"APPS": provider.apps()}}
        yield provider


@pytest.fixture
def school_accounts(world: World) -> Student:
    """School A registered its Google domain and its Microsoft tenant; one
    student has a school e-mail there, and so does the school's teacher."""
    with system_scope(reason="test"):
        actor = system_actor(reason="test")
        sso_identity_add(
            actor=actor, provider="google", domain=DOMAIN, school_code=world.a.school.code
        )
        sso_identity_add(
            actor=actor,
            provider="microsoft",
            domain=DOMAIN,
            tenant_id=TENANT,
            school_code=world.a.school.code,
        )
        student = world.a.students[0]
        student.school_email = f"taro@{DOMAIN}"
        student.save(update_fields=["school_email"])
        teacher = world.a.users[Role.SCHOOL_STAFF]
        teacher.email = f"teacher@{DOMAIN}"
        teacher.save(update_fields=["email"])
    return student


def google(email: str = f"taro@{DOMAIN}", **extra: Any) -> dict[str, Any]:
    return {"email": email, "email_verified": True, "hd": DOMAIN, **extra}


def microsoft(email: str = f"taro@{DOMAIN}", **extra: Any) -> dict[str, Any]:
    # Entra ID sends no email_verified; xms_edov is its optional claim.
    return {"email": email, "xms_edov": True, "tid": TENANT, **extra}


def sso(client: Client, oidc: OIDCProvider, provider: str, claims: dict[str, Any]) -> Any:
    """Press the button, let the provider sign the person in, come back."""
    oidc.next_claims = {k: v for k, v in claims.items() if v is not None}
    start = client.post(reverse("ekkyo_oidc_login", args=[provider]), {"process": "login"})
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(oidc.server_url(provider) + "/authorize?")
    answer = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("ekkyo_oidc_callback", args=[provider])
    return client.get(f"{back.path}?{back.query}")


def refusals(reason: str) -> list[AuditEvent]:
    with system_scope(reason="test"):
        return [
            e
            for e in AuditEvent.objects.filter(action="signin.sso.refused")
            if e.detail.get("new", {}).get("reason") == reason
        ]


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_a_student_signs_in_with_the_school_account_and_lands_on_their_page(
    provider: str, oidc: OIDCProvider, school_accounts: Student
) -> None:
    client = Client()
    claims = google() if provider == "google" else microsoft()
    response = sso(client, oidc, provider, claims)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")  # where a code sign-in lands
    with system_scope(reason="test"):
        school_accounts.refresh_from_db()
        assert school_accounts.user_id is not None
        assert client.session["_auth_user_id"] == str(school_accounts.user_id)
        event = AuditEvent.objects.get(action="signin.sso")
        assert event.actor_id == school_accounts.user_id
        assert event.detail["new"]["provider"] == provider
        assert not AuditEvent.objects.filter(action="student.sign_in").exists()
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert school_accounts.given_name in page.content.decode()
    # Nothing is stored of the provider's account: the address is the link.
    assert SocialAccount.objects.count() == 0
    assert oidc.token_requests == 1


def test_a_second_sign_in_reuses_the_students_account(
    oidc: OIDCProvider, school_accounts: Student
) -> None:
    first, second = Client(), Client()
    sso(first, oidc, "google", google())
    sso(second, oidc, "microsoft", microsoft())
    assert first.session["_auth_user_id"] == second.session["_auth_user_id"]


@pytest.mark.parametrize(
    ("provider", "claims", "reason"),
    [
        # Another school's Workspace: domain not registered by anyone.
        (
            "google",
            google(email="taro@elsewhere.example.com", hd="elsewhere.example.com"),
            "wrong_domain",
        ),
        # A consumer Google account with the school's address (no hd claim).
        ("google", google(hd=None), "wrong_domain"),
        # The request said hd=school, but the signed claim is another domain.
        ("google", google(hd="elsewhere.example.com"), "wrong_domain"),
        # Entra's common endpoint: someone else's tenant claiming our domain.
        ("microsoft", microsoft(tid=OTHER_TENANT), "wrong_tenant"),
        ("google", google(email_verified=False), "unverified_email"),
        ("microsoft", microsoft(xms_edov=False), "unverified_email"),
        # The school's domain, but no student or staff has this address.
        ("google", google(email=f"nobody@{DOMAIN}"), "no_account"),
    ],
)
def test_foreign_or_unverified_accounts_are_refused_and_audited(
    provider: str,
    claims: dict[str, Any],
    reason: str,
    oidc: OIDCProvider,
    school_accounts: Student,
) -> None:
    client = Client()
    response = sso(client, oidc, provider, claims)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert reverse("student_sign_in") in page
    [event] = refusals(reason)
    assert event.detail["new"]["provider"] == provider
    assert event.detail["new"]["email"] == claims["email"]
    with system_scope(reason="test"):
        assert not AuditEvent.objects.filter(action="signin.sso").exists()
    assert SocialAccount.objects.count() == 0


def test_another_schools_domain_does_not_sign_in_this_schools_student(
    oidc: OIDCProvider, school_accounts: Student, world: World
) -> None:
    """A registered domain of school A2 is no key to school A's student."""
    with system_scope(reason="test"):
        sso_identity_add(
            actor=system_actor(reason="test"),
            provider="google",
            domain="school-a2.example.jp",
            school_code=world.a2.school.code,
        )
        school_accounts.school_email = "taro@school-a2.example.jp"
        school_accounts.save(update_fields=["school_email"])
    claims = google(email="taro@school-a2.example.jp", hd="school-a2.example.jp")
    response = sso(Client(), oidc, "google", claims)
    assert response.status_code == 403
    assert len(refusals("wrong_domain")) == 1


def test_a_forged_id_token_signs_no_one_in(oidc: OIDCProvider, school_accounts: Student) -> None:
    oidc.forge_next = True
    client = Client()
    response = sso(client, oidc, "google", google())
    assert "_auth_user_id" not in client.session
    assert response.status_code == 401  # allauth's "sign-in failed" page
    with system_scope(reason="test"):
        assert not AuditEvent.objects.filter(action="signin.sso").exists()
    [event] = refusals("authentication_failed")
    assert event.detail["new"]["exception"] == "OAuth2Error"


def test_a_callback_without_the_sessions_state_is_refused(
    oidc: OIDCProvider, school_accounts: Student
) -> None:
    """A code replayed into another browser (no PKCE verifier, no state)."""
    oidc.next_claims = google()
    starter = Client()
    start = starter.post(reverse("ekkyo_oidc_login", args=["google"]), {"process": "login"})
    answer = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    thief = Client()
    assert thief.get(f"{back.path}?{back.query}").status_code == 401
    assert "_auth_user_id" not in thief.session
    assert oidc.token_requests == 0  # refused before the code was even exchanged
    assert len(refusals("authentication_failed")) == 1


def test_staff_still_give_their_totp_code(
    oidc: OIDCProvider, school_accounts: Student, world: World
) -> None:
    teacher = world.a.users[Role.SCHOOL_STAFF]
    client = Client()
    response = sso(client, oidc, "google", google(email=teacher.email))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("people:student_list")).status_code == 302
    ok = client.post(reverse("mfa_authenticate"), {"code": totp_at(TOTP_SECRET, time.time())})
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(teacher.pk)
    assert client.get(reverse("people:student_list")).status_code == 200
    with system_scope(reason="test"):
        event = AuditEvent.objects.get(action="signin.sso")
        assert event.actor_id == teacher.pk
        assert not AuditEvent.objects.filter(action="account.sign_in").exists()


def test_a_towns_registration_covers_its_schools(oidc: OIDCProvider, world: World) -> None:
    """A board of education often runs one Workspace for all its schools."""
    with system_scope(reason="test"):
        sso_identity_add(
            actor=system_actor(reason="test"),
            provider="google",
            domain="town-a.example.jp",
            municipality_code=world.a.municipality.code,
        )
        student = world.a.students[1]
        student.school_email = "hanako@town-a.example.jp"
        student.save(update_fields=["school_email"])
    client = Client()
    response = sso(
        client, oidc, "google", google(email="hanako@town-a.example.jp", hd="town-a.example.jp")
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_buttons_appear_only_for_configured_providers(settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"ekkyo_oidc": {"APPS": []}}
    for page in ("student_sign_in", "account_login"):
        body = Client().get(reverse(page)).content.decode()
        assert "/accounts/sso/" not in body and 'class="sso' not in body
    settings.SOCIALACCOUNT_PROVIDERS = {
        "ekkyo_oidc": {
            "APPS": [{"provider_id": "google", "name": "Google", "client_id": "x", "secret": "y"}]
        }
    }
    for page in ("student_sign_in", "account_login"):
        body = Client().get(reverse(page)).content.decode()
        assert reverse("ekkyo_oidc_login", args=["google"]) in body
        assert reverse("ekkyo_oidc_login", args=["microsoft"]) not in body


def test_sso_apps_come_from_the_environment() -> None:
    from ekkyo.settings import sso_apps

    class Env:
        def __init__(self, values: dict[str, str]) -> None:
            self.values = values

        def str(self, name: str, default: str = "") -> str:
            return self.values.get(name, default)

    assert sso_apps(Env({})) == []
    [app] = sso_apps(Env({"SSO_MICROSOFT_CLIENT_ID": "cid", "SSO_MICROSOFT_CLIENT_SECRET": "s"}))
    assert app["provider_id"] == "microsoft"
    assert app["settings"]["server_url"] == "https://login.microsoftonline.com/common/v2.0"
    assert app["settings"]["fetch_userinfo"] is False


# --- Registering identities: the doors ------------------------------------------


def test_a_coordinator_registers_their_own_schools_domain_only(world: World) -> None:
    coordinator = actor_for(world.a.users[Role.SCHOOL_STAFF])
    identity = sso_identity_add(
        actor=coordinator,
        provider="google",
        domain="Chu.Example.JP",
        school_code=world.a.school.code,
    )
    assert identity.domain == "chu.example.jp"
    with pytest.raises(NotFound):
        sso_identity_add(
            actor=coordinator,
            provider="google",
            domain="other.example.jp",
            school_code=world.a2.school.code,
        )
    with pytest.raises(NotFound):  # a town is not the coordinator's to register
        sso_identity_add(
            actor=coordinator,
            provider="google",
            domain="other.example.jp",
            municipality_code=world.a.municipality.code,
        )
    with system_scope(reason="test"):
        assert AuditEvent.objects.filter(action="signin.identity.add").count() == 1


def test_registration_problems_say_what_is_wrong(world: World) -> None:
    coordinator = actor_for(world.a.users[Role.SCHOOL_STAFF])
    school = world.a.school.code
    for kwargs, code in [
        ({"provider": "google", "domain": "not a domain"}, "sso.domain.invalid"),
        ({"provider": "microsoft", "domain": DOMAIN, "tenant_id": "123"}, "sso.tenant.invalid"),
        ({"provider": "microsoft", "domain": DOMAIN}, "sso.tenant.required"),
        ({"provider": "yahoo", "domain": DOMAIN}, "sso.provider.invalid"),
    ]:
        with pytest.raises(IdentityError) as raised:
            sso_identity_add(actor=coordinator, school_code=school, **kwargs)
        assert raised.value.problem.code == code
    sso_identity_add(actor=coordinator, provider="google", domain=DOMAIN, school_code=school)
    town = actor_for(world.b.users[Role.MUNICIPALITY_STAFF])
    with pytest.raises(IdentityError) as taken:
        sso_identity_add(
            actor=town,
            provider="google",
            domain=DOMAIN,
            municipality_code=world.b.municipality.code,
        )
    assert taken.value.problem.code == "sso.identity.taken"
    with system_scope(reason="test"):
        assert SignInIdentity.objects.count() == 1


def test_removing_is_for_the_owners_staff_and_the_secretariat(world: World) -> None:
    coordinator = actor_for(world.a.users[Role.SCHOOL_STAFF])
    identity = sso_identity_add(
        actor=coordinator, provider="google", domain=DOMAIN, school_code=world.a.school.code
    )
    for outsider in (world.b.users[Role.SCHOOL_STAFF], world.b.users[Role.CONSORTIUM_ADMIN]):
        with pytest.raises(NotFound):
            sso_identity_remove(actor=actor_for(outsider), identity_id=identity.pk)
    with pytest.raises(NotFound):
        sso_identity_remove(actor=coordinator, identity_id=identity.pk + 999)
    sso_identity_remove(
        actor=actor_for(world.a.users[Role.CONSORTIUM_ADMIN]), identity_id=identity.pk
    )
    with system_scope(reason="test"):
        assert not SignInIdentity.objects.exists()
        assert AuditEvent.objects.filter(action="signin.identity.remove").count() == 1


def test_the_page_registers_lists_and_removes(world: World) -> None:
    client = Client()
    client.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    url = reverse("sign_in_identities")
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {
            "action": "add",
            "owner": f"town:{world.a.municipality.code}",
            "provider": "microsoft",
            "domain": DOMAIN,
            "tenant_id": "not-a-guid",
        },
    )
    assert bad.status_code == 422
    assert "not-a-guid" in bad.content.decode()
    ok = client.post(
        url,
        {
            "action": "add",
            "owner": f"school:{world.a.school.code}",
            "provider": "microsoft",
            "domain": DOMAIN,
            "tenant_id": TENANT.upper(),
        },
    )
    assert ok.status_code == 302
    page = client.get(url).content.decode()
    assert TENANT in page
    with system_scope(reason="test"):
        identity = SignInIdentity.objects.get()
    # Someone who does not manage school A cannot remove it by POST.
    other = Client()
    other.force_login(world.b.users[Role.SCHOOL_STAFF])
    other.post(url, {"action": "remove", "identity": identity.pk})
    with system_scope(reason="test"):
        assert SignInIdentity.objects.filter(pk=identity.pk).exists()
        assert AuditEvent.objects.filter(
            action="access.denied", actor_id=world.b.users[Role.SCHOOL_STAFF].pk
        ).exists()
    client.post(url, {"action": "remove", "identity": identity.pk})
    with system_scope(reason="test"):
        assert not SignInIdentity.objects.exists()


def test_hosts_and_partners_have_no_such_page(world: World) -> None:
    for role in (Role.HOST, Role.PARTNER):
        client = Client()
        client.force_login(world.a.users[role])
        assert client.get(reverse("sign_in_identities")).status_code == 403


def test_the_command_adds_lists_and_removes(world: World) -> None:
    out = StringIO()
    call_command(
        "sso_identity",
        "add",
        "--town",
        world.a.municipality.code[:5],
        "--microsoft",
        TENANT,
        "--domain",
        DOMAIN,
        stdout=out,
    )
    call_command(
        "sso_identity", "add", "--school", world.a.school.code, "--google", DOMAIN, stdout=out
    )
    listing = StringIO()
    call_command("sso_identity", "list", stdout=listing)
    lines = listing.getvalue().splitlines()
    assert len(lines) == 2 and any(TENANT in line for line in lines)
    with pytest.raises(Exception, match="already registered"):
        call_command("sso_identity", "add", "--school", world.a.school.code, "--google", DOMAIN)
    first = int(lines[0].split("\t")[0])
    call_command("sso_identity", "remove", str(first), stdout=out)
    with system_scope(reason="test"):
        assert SignInIdentity.objects.count() == 1


def test_the_sign_in_page_may_post_to_the_providers_only(settings: Any) -> None:
    """The button's POST is answered with a redirect to the provider, which the
    content security policy's form-action governs too (Chromium blocks it)."""
    settings.SOCIALACCOUNT_PROVIDERS = {"ekkyo_oidc": {"APPS": []}}
    csp = Client().get(reverse("student_sign_in"))["Content-Security-Policy"]
    assert "form-action 'self';" in csp
    settings.SOCIALACCOUNT_PROVIDERS = {
        "ekkyo_oidc": {
            "APPS": [
                {
                    "provider_id": "microsoft",
                    "client_id": "x",
                    "settings": {"server_url": "https://login.microsoftonline.com/common/v2.0"},
                }
            ]
        }
    }
    csp = Client().get(reverse("student_sign_in"))["Content-Security-Policy"]
    assert "form-action 'self' https://login.microsoftonline.com;" in csp
