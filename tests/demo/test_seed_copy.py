"""The seeder's COPY path (PostgreSQL) writes the same world as the ORM path."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max

from ekkyo import bulk as shared_bulk
from ekkyo.allocation.models import Application, ApplicationChoice, Seat
from ekkyo.demo import bulk
from ekkyo.participation.models import Attendance, Residence, Stay
from ekkyo.people.models import Consent, Guardian, GuardianLink, Student
from ekkyo.registry.models import Consortium
from ekkyo.surveys.models import Response, SurveyToken

pytestmark = pytest.mark.django_db

SMALL = ["--students", "600", "--schools", "30", "--municipalities", "12", "--prefectures", "5"]
TABLES = [
    Student,
    Guardian,
    GuardianLink,
    Application,
    ApplicationChoice,
    Consent,
    Seat,
    Stay,
    Residence,
    Attendance,
    SurveyToken,
    Response,
]


def _counts() -> dict[str, int]:
    return {m.__name__: m._base_manager.count() for m in TABLES}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_path_writes_what_the_orm_path_writes(
    system: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_command("seed_demo", *SMALL, stdout=StringIO())
    by_copy = _counts()
    encrypted = Response._base_manager.exclude(class1_encrypted="").count()
    monkeypatch.setattr(bulk, "copy_available", lambda: False)
    monkeypatch.setattr(shared_bulk, "copy_available", lambda: False)
    call_command("seed_demo", *SMALL, "--reset", stdout=StringIO())
    assert _counts() == by_copy
    assert Response._base_manager.exclude(class1_encrypted="").count() == encrypted > 0
    assert all(n > 0 for n in by_copy.values()), by_copy


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_sequences_are_past_the_copied_ids(system: None) -> None:
    call_command("seed_demo", *SMALL, stdout=StringIO())
    consortium = Consortium.objects.get(slug="ekkyo-net")
    school = Student._unscoped.filter(consortium=consortium).first().school  # type: ignore[union-attr]
    top = Student._unscoped.aggregate(m=Max("pk"))["m"]
    # A row saved the ordinary way gets a fresh id (no duplicate key).
    s = Student._unscoped.create(
        consortium=consortium,
        school=school,
        student_number="NEW-1",
        family_name="試験",
        given_name="花子",
        family_name_kana="しけん",
        given_name_kana="はなこ",
        grade=1,
    )
    assert s.pk > top
    for model in (Guardian, GuardianLink, Seat, Stay, Attendance, SurveyToken, Response):
        assert bulk.reserve_ids(model, 1)[0] > model._base_manager.aggregate(m=Max("pk"))["m"]
