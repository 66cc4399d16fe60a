"""OneRoster Japan Profile import: page, doors and command, on synthetic packages.

The packages are written like the published samples (ekkyo.core.oneroster_sample);
nobody in them is real.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ekkyo.accounts.selectors import principal_for_user
from ekkyo.audit.models import AuditEvent
from ekkyo.core.codes import school_code_with_check_digit
from ekkyo.core.fiscal import fiscal_year_of
from ekkyo.core.oneroster_sample import (
    SamplePackage,
    SampleSchool,
    package_zip,
    sample_package,
    write_folder,
)
from ekkyo.core.roster import normalize_kana
from ekkyo.people.models import ImportKind, ImportStatus, RosterImport, Student
from ekkyo.people.oneroster_services import (
    OneRosterRefused,
    oneroster_check,
    oneroster_import,
    oneroster_upload,
)
from ekkyo.registry.models import School
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role, activate

from ..factories import World

pytestmark = pytest.mark.django_db

BOARD = "069000"
TAKA, SAKI, YOSHI = "\u9ad9", "\ufa11", "\U00020bb7"


def _fy() -> int:
    return fiscal_year_of(timezone.localdate())


def _package(world: World, students: int = 6) -> SamplePackage:
    school = world.a.school
    return sample_package(
        schools=[SampleSchool(school.code, school.name, students)], fiscal_year=_fy()
    )


def _client(world: World, role: Role = Role.SCHOOL_STAFF, tenant: str = "a") -> Client:
    client = Client()
    client.force_login(getattr(world, tenant).users[role])
    return client


def _upload(client: Client, data: bytes, **fields: Any) -> Any:
    return client.post(
        reverse("people:oneroster_import"),
        {**fields, "file": SimpleUploadedFile("oneroster.zip", data)},
    )


def _import_page(client: Client, world: World, data: bytes) -> Any:
    response = _upload(client, data, school=world.a.school.pk)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def _students(package: SamplePackage) -> list[dict[str, str]]:
    return [u for u in package["users.csv"].rows if u["grades"]]


def _imported(world: World) -> dict[str, Student]:
    return {
        s.oneroster_sourced_id: s
        for s in Student._unscoped.filter(school=world.a.school).exclude(oneroster_sourced_id="")
    }


def _actor(world: World, role: Role, tenant: str = "a") -> Actor:
    user = getattr(world, tenant).users[role]
    return Actor(
        principal=principal_for_user(user),
        user_id=user.pk,
        label=str(user),
        consortium_id=getattr(world, tenant).consortium.pk,
        user=user,
    )


def test_a_thousand_students_import_with_names_and_kana_intact(world: World, system: None) -> None:
    package = _package(world, 1000)
    users = _students(package)
    users[0]["familyName"] = f"{TAKA}橋"
    users[1]["familyName"] = f"山{SAKI}"
    users[2]["familyName"] = f"{YOSHI}田"
    users[3]["familyName"] = "葛\U000e0100城"  # with an ideographic variation selector
    client = _client(world)
    preview_url = _import_page(client, world, package_zip(package, encoding="utf-8-sig"))
    preview = client.get(preview_url)
    assert preview.status_code == 200
    assert preview.context["problems"] == []
    check = preview.context["check"]
    assert check.counts == {"created": 1000, "updated": 0, "unchanged": 0, "left": 3, "returned": 0}
    assert {s.pk for s in check.to_leave} == {s.pk for s in world.a.students}
    body = preview.content.decode()
    assert 'value="apply"' in body and world.a.students[0].family_name in body

    applied = client.post(preview_url, {"action": "apply"})
    assert applied.status_code == 302
    imported = _imported(world)
    assert len(imported) == 1000
    for user in users:
        student = imported[user["sourcedId"]]
        assert (student.family_name, student.given_name) == (user["familyName"], user["givenName"])
        assert student.family_name_kana == normalize_kana(user["metadata.jp.kanaFamilyName"])[0]
        assert student.given_name_kana == normalize_kana(user["metadata.jp.kanaGivenName"])[0]
        assert student.student_number == user["identifier"]
        assert student.left_on is None and student.home_class.endswith("組")
        assert student.consortium_id == world.a.consortium.pk
    assert imported[users[3]["sourcedId"]].family_name.encode() == "葛\U000e0100城".encode()
    assert {imported[u["sourcedId"]].family_name for u in users[:3]} == {
        f"{TAKA}橋",
        f"山{SAKI}",
        f"{YOSHI}田",
    }
    # The school's earlier students are not in the package: marked as left, not deleted.
    for student in world.a.students:
        student.refresh_from_db()
        assert student.left_on == timezone.localdate()
    batch = RosterImport._unscoped.get(kind=ImportKind.ONEROSTER)
    assert batch.status == ImportStatus.APPLIED and bytes(batch.content) == b""
    assert AuditEvent._unscoped.filter(action="oneroster.upload").count() == 1
    event = AuditEvent._unscoped.get(action="oneroster.import")
    assert event.detail["created"] == 1000 and event.detail["schools"] == [world.a.school.code]
    done = client.get(preview_url)
    assert "1000" in done.content.decode()
    page = client.get(reverse("people:student_list"), {"q": f"{YOSHI}田"})
    assert f"{YOSHI}田" in page.content.decode()


def test_importing_twice_changes_nothing_and_a_double_click_applies_once(
    world: World, system: None
) -> None:
    data = package_zip(_package(world, 30))
    client = _client(world)
    first = _import_page(client, world, data)
    client.post(first, {"action": "apply"})
    client.post(first, {"action": "apply"})  # double click
    before = {
        s.pk: (s.updated_at, s.family_name, s.left_on)
        for s in Student._unscoped.filter(school=world.a.school)
    }
    second = _import_page(client, world, data)
    assert client.get(second).context["check"].counts == {
        "created": 0,
        "updated": 0,
        "unchanged": 30,
        "left": 0,
        "returned": 0,
    }
    client.post(second, {"action": "apply"})
    after = {
        s.pk: (s.updated_at, s.family_name, s.left_on)
        for s in Student._unscoped.filter(school=world.a.school)
    }
    assert after == before
    assert len(_imported(world)) == 30
    assert AuditEvent._unscoped.filter(action="oneroster.import").count() == 2
    batches = RosterImport._unscoped.filter(kind=ImportKind.ONEROSTER).order_by("pk")
    assert [b.result["created"] for b in batches] == [30, 0]


def test_a_student_dropped_from_the_package_is_marked_left_and_can_return(
    world: World, system: None
) -> None:
    package = _package(world, 5)
    client = _client(world)
    client.post(_import_page(client, world, package_zip(package)), {"action": "apply"})
    dropped = _students(package)[0]
    users = package["users.csv"]
    users.rows.remove(dropped)
    for name in ("roles.csv", "enrollments.csv"):
        package[name].rows = [
            r for r in package[name].rows if r["userSourcedId"] != dropped["sourcedId"]
        ]
    package["demographics.csv"].rows = [
        r for r in package["demographics.csv"].rows if r["sourcedId"] != dropped["sourcedId"]
    ]
    url = _import_page(client, world, package_zip(package))
    assert client.get(url).context["check"].counts["left"] == 1
    client.post(url, {"action": "apply"})
    student = _imported(world)[dropped["sourcedId"]]
    assert student.left_on == timezone.localdate()
    assert Student._unscoped.filter(school=world.a.school).count() == 5 + 3  # nobody deleted

    # Listed again (e.g. back from a stay abroad): enrolled again.
    url = _import_page(client, world, package_zip(_package(world, 5)))
    assert client.get(url).context["check"].counts["returned"] == 1
    client.post(url, {"action": "apply"})
    student.refresh_from_db()
    assert student.left_on is None


def test_tobedeleted_and_ended_enrollments_give_the_day_they_left(
    world: World, system: None
) -> None:
    package = _package(world, 3)
    users = _students(package)
    users[0]["status"] = "tobedeleted"
    users[0]["dateLastModified"] = "2025-07-20T00:00:00Z"
    enrollment = package["enrollments.csv"].find(userSourcedId=users[1]["sourcedId"])
    enrollment["endDate"] = "2025-08-31"
    client = _client(world)
    client.post(_import_page(client, world, package_zip(package)), {"action": "apply"})
    imported = _imported(world)
    assert str(imported[users[0]["sourcedId"]].left_on) == "2025-07-20"
    assert str(imported[users[1]["sourcedId"]].left_on) == "2025-08-31"
    assert imported[users[2]["sourcedId"]].left_on is None


def _broken(world: World) -> tuple[SamplePackage, dict[str, tuple[str, int, str]]]:
    package = _package(world, 6)
    users = _students(package)
    expected: dict[str, tuple[str, int, str]] = {}

    def row(file: str, cells: dict[str, str]) -> int:
        return package[file].rows.index(cells) + 2

    users[0]["metadata.jp.kanaFamilyName"] = "ﾔﾏﾀﾞ"
    expected["half_width"] = ("users.csv", row("users.csv", users[0]), "metadata.jp.kanaFamilyName")
    users[1]["familyName"] = ""
    expected["empty_name"] = ("users.csv", row("users.csv", users[1]), "familyName")
    users[2]["grades"] = "H1"
    expected["grade"] = ("users.csv", row("users.csv", users[2]), "grades")
    enrollment = package["enrollments.csv"].find(userSourcedId=users[3]["sourcedId"])
    enrollment["metadata.jp.ShussekiNo"] = "X"
    expected["number"] = (
        "enrollments.csv",
        row("enrollments.csv", enrollment),
        "metadata.jp.ShussekiNo",
    )
    demo = package["demographics.csv"].find(sourcedId=users[4]["sourcedId"])
    demo["sex"] = "男"
    expected["sex"] = ("demographics.csv", row("demographics.csv", demo), "sex")
    package["academicSessions.csv"].rows[0]["title"] = "令和7年度"
    expected["title"] = ("academicSessions.csv", 2, "title")
    return package, expected


def test_a_broken_package_writes_nothing_and_lists_every_problem(
    world: World, system: None
) -> None:
    package, expected = _broken(world)
    client = _client(world)
    url = _import_page(client, world, package_zip(package))
    preview = client.get(url)
    listed = {(p["file"], p["row"], p["column"]) for p in preview.context["problems"]}
    assert listed == set(expected.values())
    body = preview.content.decode()
    assert 'value="apply"' not in body
    for file in ("users.csv", "enrollments.csv", "demographics.csv", "academicSessions.csv"):
        assert file in body
    forced = client.post(url, {"action": "apply"})
    assert forced.status_code == 200
    assert _imported(world) == {}
    assert all(s.left_on is None for s in Student._unscoped.filter(school=world.a.school))
    assert RosterImport._unscoped.get(kind=ImportKind.ONEROSTER).status == ImportStatus.PREVIEWED
    assert not AuditEvent._unscoped.filter(action="oneroster.import").exists()


def test_discard(world: World, system: None) -> None:
    client = _client(world)
    url = _import_page(client, world, package_zip(_package(world, 2)))
    response = client.post(url, {"action": "discard"})
    assert response.status_code == 302
    batch = RosterImport._unscoped.get(kind=ImportKind.ONEROSTER)
    assert batch.status == ImportStatus.DISCARDED and bytes(batch.content) == b""
    assert AuditEvent._unscoped.filter(action="oneroster.discard").count() == 1
    assert client.post(url, {"action": "apply"}).status_code == 302
    assert _imported(world) == {}


def test_another_schools_staff_is_refused(world: World, system: None) -> None:
    data = package_zip(_package(world, 2))
    own = _client(world)
    url = _import_page(own, world, data)
    outsider = _client(world, Role.SCHOOL_STAFF, tenant="b")
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"action": "apply"}).status_code == 404
    assert _imported(world) == {}
    # The upload form offers only one's own schools.
    response = _upload(outsider, data, school=world.a.school.pk)
    assert response.status_code == 200 and "school" in response.context["form"].errors
    assert RosterImport._unscoped.filter(kind=ImportKind.ONEROSTER).count() == 1
    # The door refuses it too, whatever the form does.
    actor = _actor(world, Role.SCHOOL_STAFF, tenant="b")
    with activate(actor.principal), pytest.raises(OneRosterRefused):
        oneroster_upload(actor=actor, data=data, filename="x.zip", school=world.a.school)
    # A roster preview does not open a OneRoster upload, nor the reverse.
    batch = RosterImport._unscoped.get(kind=ImportKind.ONEROSTER)
    roster_url = reverse("people:roster_preview", args=[batch.pk])
    assert own.get(roster_url).status_code == 404
    other_url = reverse("people:oneroster_preview", args=[world.a.import_batch.pk])
    assert own.get(other_url).status_code == 404


def test_school_staff_may_not_import_a_board(world: World, system: None) -> None:
    client = _client(world)
    page = client.get(reverse("people:oneroster_import"))
    assert "board" not in page.context["form"].fields
    actor = _actor(world, Role.SCHOOL_STAFF)
    with activate(actor.principal), pytest.raises(OneRosterRefused):
        oneroster_upload(actor=actor, data=b"PK", filename="x.zip", board=BOARD)


def _board_package(world: World, *extra: SampleSchool) -> SamplePackage:
    schools = [SampleSchool(world.a.school.code, world.a.school.name, 4), *extra]
    return sample_package(schools=schools, fiscal_year=_fy(), board=(BOARD, "試験町教育委員会"))


def test_a_board_import_by_the_towns_staff(world: World, system: None) -> None:
    second = School.objects.create(
        code=school_code_with_check_digit(f"D1{world.a.municipality.code[:2]}29900001"),
        kind="D1",
        name="試験高等学校",
        municipality=world.a.municipality,
        is_sample=True,
    )
    elementary = school_code_with_check_digit(f"B1{world.a.municipality.code[:2]}29900002")
    package = _board_package(
        world,
        SampleSchool(second.code, second.name, 3),
        SampleSchool(elementary, "試験小学校", 6),
    )
    client = _client(world, Role.MUNICIPALITY_STAFF)
    response = _upload(client, package_zip(package), board=BOARD)
    assert response.status_code == 302, response.content.decode()[:3000]
    preview = client.get(response["Location"])
    assert preview.context["problems"] == []
    assert [w["file"] for w in preview.context["warnings"]] == ["orgs.csv"]  # 小学校 skipped
    client.post(response["Location"], {"action": "apply"})
    assert len(_imported(world)) == 4
    assert Student._unscoped.filter(school=second).count() == 3
    batch = RosterImport._unscoped.get(kind=ImportKind.ONEROSTER)
    assert batch.school is None and batch.board_code == BOARD
    assert batch.municipality == world.a.municipality
    # The town's school staff does not see the board's upload; B's town neither.
    assert _client(world).get(response["Location"]).status_code == 404
    b_town = _client(world, Role.MUNICIPALITY_STAFF, tenant="b")
    assert b_town.get(response["Location"]).status_code == 404


def test_a_board_package_with_a_school_the_actor_does_not_manage(
    world: World, system: None
) -> None:
    """A's town sees A2's student only for hosting; A2's school is not its to import."""
    package = _board_package(world, SampleSchool(world.a2.school.code, world.a2.school.name, 2))
    client = _client(world, Role.MUNICIPALITY_STAFF)
    response = _upload(client, package_zip(package), board=BOARD)
    preview = client.get(response["Location"])
    codes = [p["message"] for p in preview.context["problems"]]
    assert len(codes) == 1 and world.a2.school.code in codes[0]
    assert preview.context["problems"][0]["file"] == "orgs.csv"
    assert client.post(response["Location"], {"action": "apply"}).status_code == 200
    assert _imported(world) == {}
    assert (
        Student._unscoped.filter(school=world.a2.school, oneroster_sourced_id__gt="").count() == 0
    )
    # The secretariat manages both schools: the same package is fine for it.
    admin = _client(world, Role.CONSORTIUM_ADMIN)
    response = _upload(admin, package_zip(package), board=BOARD)
    assert admin.get(response["Location"]).context["problems"] == []


def test_roster_students_are_adopted_and_numbers_must_not_collide(
    world: World, system: None
) -> None:
    package = _package(world, 3)
    users = _students(package)
    existing = world.a.students[0]
    users[0]["identifier"] = existing.student_number  # the same student, from a roster import
    actor = _actor(world, Role.SCHOOL_STAFF)
    with activate(actor.principal):
        check = oneroster_check(actor=actor, source=package_zip(package), school=world.a.school)
        assert check.ok and check.counts["created"] == 2 and check.counts["updated"] == 1
        oneroster_import(actor=actor, check=check)
    existing.refresh_from_db()
    assert existing.oneroster_sourced_id == users[0]["sourcedId"]
    assert existing.family_name == users[0]["familyName"]

    # Another student of the school (not in the package) holds the number: refused.
    users[1]["identifier"] = world.a.students[1].student_number
    with activate(actor.principal):
        check = oneroster_check(actor=actor, source=package_zip(package), school=world.a.school)
    assert [p.code for p in check.problems] == ["oneroster.student_number_taken"]
    assert (check.problems[0].file, check.problems[0].column) == ("users.csv", "identifier")


def test_two_students_may_swap_student_numbers(world: World, system: None) -> None:
    package = _package(world, 2)
    actor = _actor(world, Role.SCHOOL_STAFF)
    users = _students(package)
    with activate(actor.principal):
        check = oneroster_check(actor=actor, source=package_zip(package), school=world.a.school)
        oneroster_import(actor=actor, check=check)
        users[0]["identifier"], users[1]["identifier"] = (
            users[1]["identifier"],
            users[0]["identifier"],
        )
        check = oneroster_check(actor=actor, source=package_zip(package), school=world.a.school)
        assert check.ok and check.counts["updated"] == 2
        oneroster_import(actor=actor, check=check)
    imported = _imported(world)
    assert [imported[u["sourcedId"]].student_number for u in users] == [
        users[0]["identifier"],
        users[1]["identifier"],
    ]


def test_the_route_is_linked_from_the_roster_page(world: World, system: None) -> None:
    page = _client(world).get(reverse("people:roster_import"))
    assert reverse("people:oneroster_import") in page.content.decode()


def test_command_line_import(world: World, system: None, tmp_path: Path) -> None:
    package = _package(world, 4)
    good = tmp_path / "oneroster.zip"
    good.write_bytes(package_zip(package))
    out = StringIO()
    call_command(
        "import_oneroster", str(good), "--school", world.a.school.code, "--dry-run", stdout=out
    )
    assert "Dry run" in out.getvalue() and _imported(world) == {}
    call_command("import_oneroster", str(good), "--school", world.a.school.code, stdout=StringIO())
    assert len(_imported(world)) == 4
    assert AuditEvent._unscoped.filter(action="oneroster.import").count() == 1

    folder = tmp_path / "export"
    write_folder(package, folder)
    out = StringIO()
    call_command("import_oneroster", str(folder), "--school", world.a.school.code, stdout=out)
    assert "'created': 0" in out.getvalue() and "'unchanged': 4" in out.getvalue()

    broken, expected = _broken(world)
    bad = tmp_path / "broken.zip"
    bad.write_bytes(package_zip(broken))
    err = StringIO()
    with pytest.raises(CommandError, match="6 problem"):
        call_command(
            "import_oneroster",
            str(bad),
            "--school",
            world.a.school.code,
            "--language",
            "en",
            stderr=err,
        )
    lines = err.getvalue().splitlines()
    for file, row, column in expected.values():
        assert any(line.startswith(f"{file}:{row}:{column}: ") for line in lines), lines
    assert len(_imported(world)) == 4  # nothing of the broken package was written

    with pytest.raises(CommandError, match="--board"):
        call_command("import_oneroster", str(good), "--board", "12", stderr=StringIO())


def test_the_import_door_checks_the_actor_itself(world: World, system: None) -> None:
    """A check made for the secretariat cannot be written by another school's staff."""
    admin = _actor(world, Role.CONSORTIUM_ADMIN)
    with activate(admin.principal):
        check = oneroster_check(
            actor=admin, source=package_zip(_package(world, 2)), school=world.a.school
        )
    assert check.ok
    outsider = _actor(world, Role.SCHOOL_STAFF, tenant="b")
    with activate(outsider.principal), pytest.raises(OneRosterRefused):
        oneroster_import(actor=outsider, check=check)
    assert _imported(world) == {}


def test_school_e_mail_addresses_are_imported_for_school_account_sign_in(
    world: World, system: None
) -> None:
    package = _package(world, 4)
    users = _students(package)
    for i, user in enumerate(users):
        user["email"] = f"S{i}@School-A.example.jp"  # written in any case
    client = _client(world)
    url = _import_page(client, world, package_zip(package))
    assert client.get(url).context["problems"] == []
    client.post(url, {"action": "apply"})
    imported = _imported(world)
    assert {imported[u["sourcedId"]].school_email for u in users} == {
        f"s{i}@school-a.example.jp" for i in range(4)
    }
    # A later package without addresses keeps them.
    for user in users:
        user["email"] = ""
    again = _import_page(client, world, package_zip(package))
    assert client.get(again).context["check"].counts["updated"] == 0


def test_bad_or_shared_e_mail_addresses_are_problems_with_their_rows(
    world: World, system: None
) -> None:
    other = world.a.students[0]
    other.school_email = "taken@school-a.example.jp"
    other.save(update_fields=["school_email"])
    package = _package(world, 4)
    users = _students(package)
    users[0]["email"] = "not an address"
    users[1]["email"] = "twice@school-a.example.jp"
    users[2]["email"] = "TWICE@school-a.example.jp"
    users[3]["email"] = "taken@school-a.example.jp"
    rows = {u["sourcedId"]: i + 2 for i, u in enumerate(package["users.csv"].rows)}
    client = _client(world)
    url = _import_page(client, world, package_zip(package))
    problems = client.get(url).context["problems"]
    found = {(p["file"], p["row"], p["column"]) for p in problems}
    assert found == {("users.csv", rows[u["sourcedId"]], "email") for u in users[:1] + users[2:]}
    assert client.post(url, {"action": "apply"}).status_code == 200
    assert _imported(world) == {}
