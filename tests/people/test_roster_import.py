"""Roster import: encodings, rare kanji, all-or-nothing, idempotent, in page and CLI."""

from __future__ import annotations

import io
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from ekkyo.audit.models import AuditEvent
from ekkyo.people.models import Guardian, ImportStatus, RosterImport, Student
from ekkyo.tenancy.principal import Role

from ..factories import World

pytestmark = pytest.mark.django_db

HEADER = "学籍番号,姓,名,姓（かな）,名（かな）,学年,生年月日,住所地の市区町村コード,保護者メール"


def _csv(rows: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def _rows(home: str) -> list[str]:
    return [
        f"R001,髙橋,一郎,たかはし,いちろう,1,2013-04-10,{home},taka@example.jp",
        f"R002,山﨑,花子,やまさき,はなこ,2,2012/6/1,{home},",
        f"R003,佐藤,健,サトウ,ケン,3,平成23年7月7日,{home},",
    ]


def _upload(client: Client, school_pk: int, data: bytes, name: str = "roster.csv") -> object:
    return client.post(
        reverse("people:roster_import"),
        {"school": school_pk, "file": SimpleUploadedFile(name, data)},
    )


def _school_client(world: World) -> Client:
    client = Client()
    client.force_login(world.a.users[Role.SCHOOL_STAFF])
    return client


def _names(world: World) -> set[tuple[str, str]]:
    return set(
        Student._unscoped.filter(school=world.a.school, student_number__startswith="R").values_list(
            "family_name", "given_name"
        )
    )


def test_cp932_file_imports_with_rare_kanji(world: World, system: None) -> None:
    client = _school_client(world)
    data = _csv(_rows(world.a.municipality.code[:5]), "cp932")
    response = _upload(client, world.a.school.pk, data)
    assert response.status_code == 302
    preview = client.get(response["Location"])
    body = preview.content.decode()
    assert "cp932" in body and "髙橋" in body and "山﨑" in body
    batch = RosterImport._unscoped.get(filename="roster.csv")
    applied = client.post(response["Location"], {"action": "apply"})
    assert applied.status_code == 302
    assert _names(world) == {("髙橋", "一郎"), ("山﨑", "花子"), ("佐藤", "健")}
    sato = Student._unscoped.get(student_number="R003")
    assert sato.family_name_kana == "さとう"  # katakana stored as hiragana
    assert sato.birth_date == date(2011, 7, 7)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED and bytes(batch.content) == b""
    assert Guardian._unscoped.filter(email="taka@example.jp").exists()
    assert AuditEvent._unscoped.filter(action="roster.import").count() == 1


def test_utf8_bom_file_keeps_characters_outside_cp932(world: World, system: None) -> None:
    client = _school_client(world)
    rows = [
        *_rows(world.a.municipality.code),
        f"R004,𠮷田,翔,よしだ,しょう,1,2013-05-05,{world.a.municipality.code},",
    ]
    data = b"\xef\xbb\xbf" + _csv(rows)
    response = _upload(client, world.a.school.pk, data)
    client.post(response["Location"], {"action": "apply"})
    assert ("𠮷田", "翔") in _names(world)
    page = client.get(reverse("people:student_list"), {"q": "𠮷田"})
    assert "𠮷田" in page.content.decode()
    exported = b"".join(client.get(reverse("people:student_export_csv")).streaming_content)
    assert exported.startswith(b"\xef\xbb\xbf")
    text = exported.decode("utf-8-sig")
    for name in ("𠮷田", "髙橋", "山﨑"):
        assert name in text


def test_bad_rows_are_listed_and_nothing_is_written(world: World, system: None) -> None:
    client = _school_client(world)
    home = world.a.municipality.code
    rows = [
        f"R001,髙橋,一郎,たかはし,いちろう,1,2013-04-10,{home},",
        f"R002,,花子,やまさき,はなこ,2,2012-06-01,{home},",  # no family name
        f"R003,佐藤,健,sato,けん,3,2011-07-07,{home},",  # kana in Latin letters
        f"R004,鈴木,次郎,すずき,じろう,7,2011-07-07,{home},",  # grade 7 in a 中学校
        f"R005,田中,三郎,たなか,さぶろう,1,2031-01-01,{home},",  # birth date in the future
        "R006,伊藤,四郎,いとう,しろう,1,2013-01-01,064018,",  # bad check digit
        f"R001,重複,五郎,ちょうふく,ごろう,1,2013-01-01,{home},",  # duplicate number
    ]
    response = _upload(client, world.a.school.pk, _csv(rows))
    preview = client.get(response["Location"])
    body = preview.content.decode()
    problems = preview.context["problems"]
    rows_with_problems = {p["row"] for p in problems}
    assert rows_with_problems == {3, 4, 5, 6, 7, 8}
    assert "姓" in body and "姓（かな）" in body and "生年月日" in body
    assert 'value="apply"' not in body  # no import button while there are problems
    forced = client.post(response["Location"], {"action": "apply"})
    assert forced.status_code == 200
    assert _names(world) == set()
    assert RosterImport._unscoped.get(filename="roster.csv").status == ImportStatus.PREVIEWED


def test_problem_messages_are_translated(world: World, system: None) -> None:
    client = _school_client(world)
    rows = [f"R001,佐藤,健,sato,けん,3,2011-07-07,{world.a.municipality.code},"]
    response = _upload(client, world.a.school.pk, _csv(rows))
    ja = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ja")
    client.cookies["django_language"] = "en"
    en = client.get(response["Location"])
    assert ja.context["problems"][0]["message"] != en.context["problems"][0]["message"]


def test_importing_twice_creates_no_duplicates(world: World, system: None) -> None:
    client = _school_client(world)
    data = _csv(_rows(world.a.municipality.code))
    for _ in range(2):
        response = _upload(client, world.a.school.pk, data)
        client.post(response["Location"], {"action": "apply"})
        client.post(response["Location"], {"action": "apply"})  # double click
    assert Student._unscoped.filter(student_number__startswith="R").count() == 3
    last = RosterImport._unscoped.filter(filename="roster.csv").order_by("-pk").first()
    assert last is not None and last.result == {"created": 0, "updated": 0, "unchanged": 3}


def test_xlsx_with_dates_and_lost_leading_zeros(world: World, system: None) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER.split(","))
    code5 = int(world.a.municipality.code[:5])  # Excel turned "06xxx" into a number
    ws.append(["X1", "𠮷田", "翔", "よしだ", "しょう", 1, date(2013, 5, 5), code5, None])
    buf = io.BytesIO()
    wb.save(buf)
    client = _school_client(world)
    response = _upload(client, world.a.school.pk, buf.getvalue(), "roster.xlsx")
    preview = client.get(response["Location"])
    assert preview.context["problems"] == []
    client.post(response["Location"], {"action": "apply"})
    s = Student._unscoped.get(student_number="X1")
    assert s.home_municipality == world.a.municipality and s.birth_date == date(2013, 5, 5)


def test_upload_for_a_school_outside_ones_scope_is_refused(world: World, system: None) -> None:
    client = _school_client(world)
    response = _upload(client, world.a2.school.pk, _csv(_rows(world.a.municipality.code)))
    assert response.status_code == 200  # the form says the school is not a valid choice
    assert not RosterImport._unscoped.filter(filename="roster.csv").exists()


def test_command_line_import(world: World, system: None, tmp_path: Path) -> None:
    good = tmp_path / "roster.csv"
    good.write_bytes(_csv(_rows(world.a.municipality.code), "cp932"))
    out = StringIO()
    call_command(
        "import_roster", str(good), "--school", world.a.school.code, "--dry-run", stdout=out
    )
    assert "Dry run" in out.getvalue() and _names(world) == set()
    call_command("import_roster", str(good), "--school", world.a.school.code, stdout=StringIO())
    assert len(_names(world)) == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([f"Z1,,x,x,x,1,2013-01-01,{world.a.municipality.code},"]))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_roster",
            str(bad),
            "--school",
            world.a.school.code,
            "--language",
            "en",
            stderr=err,
        )
    assert "row 2" in err.getvalue()
    assert not Student._unscoped.filter(student_number="Z1").exists()


def test_a_new_home_town_from_the_roster_moves_the_kpi_rows(world: World, system: None) -> None:
    """The import announces the students it updated; the KPI aggregates follow at once."""
    from ekkyo.kpis.aggregates import aggregates_rebuild
    from ekkyo.kpis.models import StudentKeys
    from ekkyo.participation.models import Stay

    from ..factories import programme

    client = _school_client(world)
    response = _upload(client, world.a.school.pk, _csv(_rows(world.a.municipality.code)))
    client.post(response["Location"], {"action": "apply"})
    taka = Student._unscoped.get(school=world.a.school, student_number="R001")
    host = programme(world.a.consortium, world.a2.municipality, title="A2受入")
    Stay._unscoped.create(
        programme=host, student=taka, arrival=date(2026, 8, 1), departure=date(2026, 8, 3)
    )
    aggregates_rebuild(world.a.consortium)

    def sent_by(student: Student) -> set[str]:
        keys = StudentKeys.objects.get(student_id=student.pk).keys
        return {k[2] for k in keys if k[0] == "kpi" and k[5] == "kpi2" and k[6] == "sent"}

    assert sent_by(taka) == {world.a.municipality.code}
    moved = _rows(world.a2.municipality.code)
    response = _upload(client, world.a.school.pk, _csv(moved), name="moved.csv")
    client.post(response["Location"], {"action": "apply"})
    assert sent_by(taka) == {world.a2.municipality.code}


def test_school_e_mail_from_the_roster_and_an_address_already_taken(
    world: World, system: None
) -> None:
    home = world.a.municipality.code
    header = HEADER + ",学校メール"

    def data(rows: list[str]) -> bytes:
        return ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")

    client = _school_client(world)
    rows = [row + f",{row[:4].lower()}@chu.example.jp" for row in _rows(home)]
    response = _upload(client, world.a.school.pk, data(rows))
    client.post(response["Location"], {"action": "apply"})
    emails = dict(
        Student._unscoped.filter(student_number__startswith="R").values_list(
            "student_number", "school_email"
        )
    )
    assert emails == {
        "R001": "r001@chu.example.jp",
        "R002": "r002@chu.example.jp",
        "R003": "r003@chu.example.jp",
    }
    # Importing the same file again is no change; another student's address is a problem.
    other = world.a.students[0]
    other.school_email = "kept@chu.example.jp"
    other.save(update_fields=["school_email"])
    clash = [rows[0], rows[1], rows[2].rsplit(",", 1)[0] + ",kept@chu.example.jp"]
    response = _upload(client, world.a.school.pk, data(clash))
    preview = client.get(response["Location"])
    found = [(p["row"], p["message"]) for p in preview.context["problems"]]
    assert len(found) == 1 and found[0][0] == 4 and "kept@chu.example.jp" in found[0][1]
    client.post(response["Location"], {"action": "apply"})
    assert Student._unscoped.get(student_number="R003").school_email == "r003@chu.example.jp"
