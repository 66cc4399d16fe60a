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


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY 1",
            [table],
        )
        return cur.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's constraints")
def test_foreign_keys_checked_once_still_refuses_a_broken_row(system: None) -> None:
    """The seed's foreign keys come back as they were, and a row pointing
    nowhere still fails the transaction (at the end of the block)."""
    from django.db import IntegrityError, transaction

    table = GuardianLink._meta.db_table
    before = _foreign_keys(table)
    assert before and all("DEFERRABLE INITIALLY DEFERRED" in d for _n, d in before)
    with transaction.atomic(), shared_bulk.foreign_keys_checked_once([GuardianLink]):
        assert _foreign_keys(table) == []
    assert _foreign_keys(table) == before
    top = Student._unscoped.aggregate(m=Max("pk"))["m"] or 0
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        shared_bulk.foreign_keys_checked_once([GuardianLink]),
    ):
        shared_bulk.insert_rows(
            GuardianLink,
            ["guardian_id", "student_id", "relationship"],
            [(10**9, top + 10**9, "mother")],
        )
    assert _foreign_keys(table) == before


def _indexes(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
        )
        return cur.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_indexes_built_once_come_back_and_still_refuse_a_duplicate(system: None) -> None:
    """Every index of the table is rebuilt as it was (unique constraints,
    partial and expression indexes too), and a duplicate written meanwhile
    fails the transaction when its unique index is built."""
    from django.db import IntegrityError, transaction

    call_command("seed_demo", *SMALL, stdout=StringIO())
    table = SurveyToken._meta.db_table
    before = _indexes(table)
    assert len(before) >= 4
    with transaction.atomic(), shared_bulk.indexes_built_once([SurveyToken, Student]):
        assert [name for name, _d in _indexes(table)] == [f"{table}_pkey"]
    assert _indexes(table) == before
    token = SurveyToken._base_manager.first()
    assert token is not None
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        shared_bulk.indexes_built_once([SurveyToken]),
    ):
        shared_bulk.insert_rows(
            SurveyToken,
            ["wave_id", "student_id", "token_hash", "created_at", "reminded_at"],
            [(token.wave_id, token.student_id, token.token_hash, token.created_at, None)],
        )
    assert _indexes(table) == before
