"""The claim checks behind Google / Microsoft sign-in (``ekkyo.core.sso``)."""

from __future__ import annotations

import pytest

from ekkyo.core.sso import (
    Identities,
    IdentityError,
    check_claims,
    normalize_domain,
    normalize_tenant_id,
)

TID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
OTHER_TID = "9b2c1a3e-1111-4222-8333-444455556666"
SCHOOL = Identities.of(domains=["Nagai-hs.example.jp"], tenant_ids=[TID.upper()])


def google(**extra: object) -> dict[str, object]:
    return {
        "sub": "1",
        "email": "s1@nagai-hs.example.jp",
        "email_verified": True,
        "hd": "nagai-hs.example.jp",
    } | extra


def microsoft(**extra: object) -> dict[str, object]:
    return {
        "sub": "1",
        "email": "S1@nagai-hs.example.jp",
        "email_verified": True,
        "tid": TID,
    } | extra


def test_google_student_of_the_school_may_sign_in() -> None:
    verdict = check_claims("google", google(), SCHOOL)
    assert verdict.ok and verdict.email == "s1@nagai-hs.example.jp"


def test_microsoft_student_of_the_tenant_may_sign_in() -> None:
    verdict = check_claims("microsoft", microsoft(), SCHOOL)
    assert verdict.ok and verdict.email == "s1@nagai-hs.example.jp"


@pytest.mark.parametrize(
    ("provider", "claims", "reason"),
    [
        ("google", google(email_verified=False), "unverified_email"),
        ("google", google(email_verified="false"), "unverified_email"),
        ("google", google(email_verified=None), "unverified_email"),
        ("google", google(email=""), "unverified_email"),
        ("microsoft", microsoft(email_verified=False), "unverified_email"),
        ("google", google(email="s1@other.example.jp", hd="other.example.jp"), "wrong_domain"),
        # A personal Gmail account or another Workspace: hd missing or different.
        ("google", google(hd=None), "wrong_domain"),
        ("google", google(hd="other.example.jp"), "wrong_domain"),
        ("microsoft", microsoft(email="s1@other.example.jp"), "wrong_domain"),
        # Entra's `common` endpoint: a user of another tenant claiming our domain.
        ("microsoft", microsoft(tid=OTHER_TID), "wrong_tenant"),
        ("microsoft", microsoft(tid=None), "wrong_tenant"),
    ],
)
def test_refusals(provider: str, claims: dict[str, object], reason: str) -> None:
    assert check_claims(provider, claims, SCHOOL).reason == reason  # type: ignore[arg-type]


def test_string_true_counts_as_verified() -> None:
    assert check_claims("google", google(email_verified="true"), SCHOOL).ok


def test_a_school_without_identities_refuses_everyone() -> None:
    assert check_claims("google", google(), Identities()).reason == "wrong_domain"


@pytest.mark.parametrize(
    "value", ["school.example.jp", "Sub.School.EXAMPLE.jp.", "xn--wgv71a.jp", "長井.jp"]
)
def test_domains_accepted(value: str) -> None:
    assert normalize_domain(value) == normalize_domain(value).lower()


@pytest.mark.parametrize(
    "value", ["", "localhost", "-a.jp", "a..jp", "a b.jp", "1.2.3.4", "a_b.jp", "x" * 64 + ".jp"]
)
def test_domains_refused(value: str) -> None:
    with pytest.raises(IdentityError) as excinfo:
        normalize_domain(value)
    assert excinfo.value.problem.code.startswith("sso.domain.")


def test_tenant_id_canonical() -> None:
    assert normalize_tenant_id(" " + TID.upper() + " ") == TID
    assert normalize_tenant_id(TID.replace("-", "")) == TID


@pytest.mark.parametrize(
    "value",
    [
        "",
        "common",
        "organizations",
        "00000000-0000-0000-0000-000000000000",
        TID[:-1],
        TID + "0",
        "{" + TID + "}",
        "urn:uuid:" + TID,
    ],
)
def test_tenant_ids_refused(value: str) -> None:
    with pytest.raises(IdentityError) as excinfo:
        normalize_tenant_id(value)
    assert excinfo.value.problem.code.startswith("sso.tenant.")


def test_microsoft_domain_owner_verified_counts_as_verified() -> None:
    """Entra ID sends no ``email_verified``; ``xms_edov`` says the domain is verified."""
    claims = {k: v for k, v in microsoft().items() if k != "email_verified"}
    assert check_claims("microsoft", {**claims, "xms_edov": True}, SCHOOL).ok
    assert check_claims("microsoft", claims, SCHOOL).reason == "unverified_email"
    # Google has no such claim: it does not stand in for email_verified there.
    google_claims = {k: v for k, v in google().items() if k != "email_verified"}
    assert check_claims("google", {**google_claims, "xms_edov": True}, SCHOOL).reason == (
        "unverified_email"
    )
