"""The synthetic demo consortium: sizes as asked, deterministic, rare kanji intact."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ekkyo.accounts.models import Membership
from ekkyo.people.models import Guardian, Student
from ekkyo.registry.models import Consortium, Member, School
from ekkyo.tenancy.principal import Role

pytestmark = pytest.mark.django_db

SMALL = ["--students", "600", "--schools", "30", "--municipalities", "12", "--prefectures", "5"]


def _seed(*extra: str) -> str:
    out = StringIO()
    call_command("seed_demo", *SMALL, *extra, stdout=out)
    return out.getvalue()


def test_seed_builds_the_requested_consortium(system: None) -> None:
    out = _seed()
    assert "600 students" in out
    consortium = Consortium.objects.get(slug="ekkyo-net")
    assert consortium.lead is not None and consortium.lead.code == "064017"
    members = Member.objects.filter(consortium=consortium)
    assert members.count() == 12
    assert members.values("municipality__prefecture").distinct().count() == 5
    assert School.objects.filter(municipality__memberships__consortium=consortium).count() == 30
    assert Student._unscoped.filter(consortium=consortium).count() == 600
    assert Guardian._unscoped.filter(consortium=consortium).count() >= 600
    roles = set(Membership.objects.filter(consortium=consortium).values_list("role", flat=True))
    assert {r.value for r in Role if r not in (Role.STUDENT, Role.GUARDIAN)} <= roles
    # Members join over time: not all in the same fiscal year.
    assert members.values("first_fy").distinct().count() == 2


def test_seed_is_deterministic_and_refuses_to_duplicate(system: None) -> None:
    _seed()
    first = list(
        Student._unscoped.order_by("pk").values_list("family_name", "given_name", "birth_date")
    )
    with pytest.raises(CommandError):
        _seed()
    assert "nothing to do" in _seed("--if-empty")
    _seed("--reset")
    again = list(
        Student._unscoped.order_by("pk").values_list("family_name", "given_name", "birth_date")
    )
    assert again == first


def test_rare_kanji_survive_the_database(system: None) -> None:
    args = ["--students", "3000", "--schools", "30", "--municipalities", "12", "--prefectures", "5"]
    call_command("seed_demo", *args, stdout=StringIO())
    names = set(Student._unscoped.values_list("family_name", flat=True))
    for ch in ("髙", "﨑", "𠮷"):
        assert any(ch in n for n in names), ch


def test_impossible_sizes_are_refused_with_a_message(system: None) -> None:
    with pytest.raises(CommandError, match="school"):
        call_command("seed_demo", "--schools", "20", stdout=StringIO())


def test_demo_accounts_prints_every_role(system: None) -> None:
    _seed()
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    for role in (
        "consortium_admin",
        "municipality_staff",
        "school_staff",
        "host",
        "partner",
        "guardian",
    ):
        assert role in text
    assert "TOTP secret" in text and "login ID" in text


def test_seed_fills_participation_for_two_fiscal_years(system: None) -> None:
    from django.utils import timezone

    from ekkyo.allocation.models import AllocationRound, RoundStatus, Seat
    from ekkyo.core.fiscal import fiscal_year_bounds, fiscal_year_of
    from ekkyo.participation.models import Attendance, Residence, Stay

    _seed()
    fy = fiscal_year_of(timezone.localdate())
    r = AllocationRound.objects.get()
    assert r.status == RoundStatus.PUBLISHED and r.fiscal_year == fy
    assert Seat._unscoped.filter(source="allocation").exists()
    for year in (fy - 1, fy):
        start, end = fiscal_year_bounds(year)
        assert Stay._unscoped.filter(arrival__lte=end, departure__gte=start).exists(), year
    assert Stay._unscoped.filter(cancelled=True).exists() or Stay._unscoped.count() < 25
    assert Residence._unscoped.exists() and Attendance._unscoped.exists()
    crossing = Stay._unscoped.filter(
        arrival__lte=fiscal_year_bounds(fy - 1)[1], departure__gt=fiscal_year_bounds(fy - 1)[1]
    )
    assert crossing.exists(), "a stay that crosses 31 March"


def test_seeded_survey_tokens_and_answers_are_what_the_survey_pages_use(system: None) -> None:
    """The seeder writes tokens and answers as plain rows: a printed token
    still opens the student's survey, and answers pass the instrument's checks."""
    from ekkyo.surveys.models import Response, SurveyToken
    from ekkyo.surveys.services import student_token, token_hash, validate_answers

    _seed()
    tokens = list(SurveyToken._unscoped.select_related("wave", "student").order_by("pk"))
    assert tokens
    for token in tokens:  # the seeder's base 32 (numpy) is the page's, for every token
        assert token.token_hash == token_hash(student_token(token.wave, token.student))
    responses = list(Response._unscoped.select_related("wave__instrument").order_by("pk")[:300])
    assert responses
    from ekkyo.crypto import decrypt_text

    for response in responses:  # answers written as JSON text read back as the pages read them
        inst = response.wave.instrument.parsed()
        answers = dict(response.answers)
        if response.class1_encrypted:
            answers.update(json.loads(decrypt_text(response.class1_encrypted)))
        plain, sensitive = validate_answers(inst, answers)
        assert plain == response.answers
        assert bool(sensitive) == bool(response.class1_encrypted)
    response = responses[0]
    assert response.respondent == Student._unscoped.get(pseudonym=response.respondent).pseudonym
