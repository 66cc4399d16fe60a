"""Team pages per role: staff form/move/publish/export/compare; students see only
their own teams; mentors see first names only; files come back as attachments."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from ekkyo.accounts.models import Membership
from ekkyo.audit.models import AuditEvent
from ekkyo.partners.models import Partner
from ekkyo.teams import services
from ekkyo.teams.models import Team, TeamFile, TeamMember, TeamPost, TeamSet
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, user
from .conftest import SYSTEM, Online

pytestmark = pytest.mark.django_db

FORM = {
    "team_size": "4",
    "method": "heuristic",
    "regions": "3",
    "interests": "2",
    "grades": "1",
    "genders": "1",
    "no_isolation": "2",
}


def _login(client: Client, world: World, role: Role) -> Client:
    client.force_login(world.a.users[role])
    return client


def _formed(online: Online, world: World, *, publish: bool = True) -> TeamSet:
    with system_scope(reason="test arrange"):
        ts = services.teamset_form(
            actor=SYSTEM,
            programme_id=online.programme.pk,
            team_size=4,
            method="heuristic",
            time_limit=2,
        )
        if publish:
            ts = services.teamset_publish(actor=SYSTEM, team_set_id=ts.pk)
    return ts


@pytest.mark.parametrize("role", [Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF])
def test_staff_form_teams_from_the_page(
    client: Client, world: World, online: Online, role: Role
) -> None:
    _login(client, world, role)
    index = client.get("/teams/")
    assert index.status_code == 200 and online.programme.title in index.content.decode()
    url = f"/teams/programmes/{online.programme.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {**FORM, "name": "第1回"})
    assert response.status_code == 302
    with system_scope(reason="test assert"):
        ts = TeamSet.objects.get(programme=online.programme)
        assert TeamMember.objects.filter(team_set=ts).count() == len(online.students)
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "第1回" in body and "班員00" in body
    assert client.post(response["Location"], {"action": "publish"}).status_code == 302
    with system_scope(reason="test assert"):
        ts.refresh_from_db()
        assert ts.status == "published"


def test_staff_of_another_town_is_refused(client: Client, world: World, online: Online) -> None:
    ts = _formed(online, world)
    with system_scope(reason="test arrange"):
        other = user("town-other@example.jp", mfa=True)
        Membership.objects.create(
            user=other,
            role=Role.MUNICIPALITY_STAFF,
            consortium=world.a.consortium,
            municipality=world.a2.municipality,
        )
        team = Team.objects.filter(team_set=ts).first()
    client.force_login(other)
    assert client.get(f"/teams/programmes/{online.programme.pk}/").status_code == 404
    assert client.post(f"/teams/programmes/{online.programme.pk}/", FORM).status_code == 404
    assert client.get(f"/teams/sets/{ts.pk}/").status_code == 404
    assert client.get(f"/teams/sets/{ts.pk}/teams.xlsx").status_code == 404
    assert client.get(f"/teams/{team.pk}/").status_code == 404  # type: ignore[union-attr]


def test_another_towns_staff_cannot_moderate_or_move(
    client: Client, world: World, online: Online
) -> None:
    ts = _formed(online, world)
    with system_scope(reason="test arrange"):
        other = user("town-other@example.jp", mfa=True)
        Membership.objects.create(
            user=other,
            role=Role.MUNICIPALITY_STAFF,
            consortium=world.a.consortium,
            municipality=world.a2.municipality,
        )
        team = TeamMember.objects.get(team_set=ts, student=world.a.students[1]).team
        post = TeamPost.objects.create(team=team, body="投稿", author_label="a\tb")
        pairs = services.teamset_teams(ts)
    client.force_login(other)
    assert client.post(f"/teams/posts/{post.pk}/hide/", {"reason": "x"}).status_code == 404
    move = {
        "action": "move",
        "student": services.student_pk(pairs[0][1][0]),
        "to_team": pairs[1][0].pk,
    }
    assert client.post(f"/teams/sets/{ts.pk}/", move).status_code == 404
    with system_scope(reason="test assert"):
        post.refresh_from_db()
        assert post.hidden_at is None
        version = ts.version
        ts.refresh_from_db()
        assert ts.version == version
        denied = AuditEvent.objects.filter(action="access.denied", actor_id=other.pk)
        assert {d.detail["model"] for d in denied} >= {"teams.teampost", "teams.teamset"}


def test_move_form_updates_scores_and_stale_version_is_refused(
    client: Client, world: World, online: Online
) -> None:
    ts = _formed(online, world, publish=False)
    _login(client, world, Role.CONSORTIUM_ADMIN)
    with system_scope(reason="test arrange"):
        pairs = services.teamset_teams(ts)
    sid, target = services.student_pk(pairs[0][1][0]), pairs[1][0]
    data = {"action": "move", "student": sid, "to_team": target.pk, "version": "0"}
    assert client.post(f"/teams/sets/{ts.pk}/", data).status_code == 302
    with system_scope(reason="test assert"):
        assert TeamMember.objects.get(team_set=ts, student_id=sid).team_id == target.pk
        ts.refresh_from_db()
        assert ts.version == 1
    stale = {
        "action": "move",
        "student": services.student_pk(pairs[0][1][1]),
        "to_team": target.pk,
        "version": "0",
    }
    response = client.post(f"/teams/sets/{ts.pk}/", stale, follow=True)
    assert (
        "changed by someone else" in response.content.decode()
        or "他の" in response.content.decode()
    )
    with system_scope(reason="test assert"):
        assert (
            TeamMember.objects.get(
                team_set=ts, student_id=services.student_pk(pairs[0][1][1])
            ).team_id
            == pairs[0][0].pk
        )


def test_xlsx_lists_every_member(client: Client, world: World, online: Online) -> None:
    ts = _formed(online, world)
    _login(client, world, Role.CONSORTIUM_ADMIN)
    response = client.get(f"/teams/sets/{ts.pk}/teams.xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    cells = {str(c.value) for row in wb.active.iter_rows() for c in row if c.value is not None}  # type: ignore[union-attr]
    for s in online.students:
        assert s.full_name in cells
    with system_scope(reason="test assert"):
        [export] = AuditEvent.objects.filter(action="team_set.export")
        assert export.object_id == str(ts.pk)
        assert export.detail["students"] == len(online.students)


def test_compare_two_sets(client: Client, world: World, online: Online) -> None:
    a = _formed(online, world)
    with system_scope(reason="test arrange"):
        b = services.teamset_form(
            actor=SYSTEM,
            programme_id=online.programme.pk,
            team_size=3,
            method="heuristic",
            time_limit=2,
            previous_id=a.pk,
        )
    _login(client, world, Role.CONSORTIUM_ADMIN)
    response = client.get(f"/teams/programmes/{online.programme.pk}/compare/?a={a.pk}&b={b.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    assert a.name in body and b.name in body and "0" in body


def test_student_sees_only_own_team(client: Client, world: World, online: Online) -> None:
    ts = _formed(online, world)
    me = world.a.students[1]
    with system_scope(reason="test arrange"):
        mine = TeamMember.objects.get(team_set=ts, student=me).team
        other = Team.objects.filter(team_set=ts).exclude(pk=mine.pk).first()
        mates = [m.student for m in TeamMember.objects.filter(team=mine).select_related("student")]
    _login(client, world, Role.STUDENT)
    listing = client.get("/teams/mine/")
    assert listing.status_code == 200
    assert f"/teams/{mine.pk}/" in listing.content.decode()
    page = client.get(f"/teams/{mine.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    for s in mates:
        assert s.full_name in body
    assert client.get(f"/teams/{other.pk}/").status_code == 404  # type: ignore[union-attr]
    assert client.get(f"/teams/{world.a2.team.pk}/").status_code == 404
    assert client.get("/teams/").status_code == 403
    assert client.get(f"/teams/sets/{ts.pk}/").status_code == 403


def test_student_does_not_see_a_draft_set(client: Client, world: World, online: Online) -> None:
    ts = _formed(online, world, publish=False)
    with system_scope(reason="test arrange"):
        mine = TeamMember.objects.get(team_set=ts, student=world.a.students[1]).team
    _login(client, world, Role.STUDENT)
    assert client.get(f"/teams/{mine.pk}/").status_code == 404


def test_post_file_and_moderation_on_the_team_page(
    client: Client, world: World, online: Online, media: Path
) -> None:
    ts = _formed(online, world)
    with system_scope(reason="test arrange"):
        team = TeamMember.objects.get(team_set=ts, student=world.a.students[1]).team
    student = _login(Client(), world, Role.STUDENT)
    cid = str(uuid.uuid4())
    for _ in range(2):  # a double submit
        r = student.post(
            f"/teams/{team.pk}/",
            {"action": "post", "kind": "post", "body": "よろしく", "client_id": cid},
        )
        assert r.status_code == 302
    upload = SimpleUploadedFile("地図.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    assert student.post(f"/teams/{team.pk}/", {"action": "file", "file": upload}).status_code == 302
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 this is a program")
    r = student.post(f"/teams/{team.pk}/", {"action": "file", "file": fake}, follow=True)
    with system_scope(reason="test assert"):
        assert TeamPost.objects.filter(team=team).count() == 1
        assert TeamFile.objects.filter(team=team).count() == 1
        post = TeamPost.objects.get(team=team)
        tf = TeamFile.objects.get(team=team)
    download = student.get(f"/teams/files/{tf.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    # Students cannot moderate; staff can, and the post disappears for the team.
    assert student.post(f"/teams/posts/{post.pk}/hide/", {"reason": "x"}).status_code == 403
    staff = _login(Client(), world, Role.CONSORTIUM_ADMIN)
    assert staff.post(f"/teams/posts/{post.pk}/hide/", {"reason": "個人情報"}).status_code == 302
    assert "よろしく" not in student.get(f"/teams/{team.pk}/").content.decode()
    assert "個人情報" in staff.get(f"/teams/{team.pk}/").content.decode()
    with system_scope(reason="test assert"):
        assert AuditEvent.objects.filter(action="team_post.hide", object_id=str(post.pk)).exists()
        assert AuditEvent.objects.filter(action="team_post.create").count() == 1
        assert AuditEvent.objects.filter(action="team_file.upload").count() == 1
        assert AuditEvent.objects.filter(action="team.view", object_id=str(team.pk)).exists()
        assert AuditEvent.objects.filter(action="team.notifications.read").exists()
    assert staff.get(f"/teams/files/{tf.pk}/").status_code == 200
    with system_scope(reason="test assert"):
        # Staff downloads are views of personal data; the team's own are not logged.
        [download] = AuditEvent.objects.filter(action="team_file.download")
    assert download.actor_id == world.a.users[Role.CONSORTIUM_ADMIN].pk
    # Another tenant's student cannot fetch the file.
    outsider = Client()
    with system_scope(reason="test arrange"):
        b_student = world.b.users[Role.STUDENT]
    outsider.force_login(b_student)
    assert outsider.get(f"/teams/files/{tf.pk}/").status_code == 404


def test_mentor_sees_first_names_only(client: Client, world: World, online: Online) -> None:
    ts = _formed(online, world)
    with system_scope(reason="test arrange"):
        partner = Partner.objects.create(
            consortium=world.a.consortium, kind="company", name="山形製作所"
        )
        Membership.objects.filter(user=world.a.users[Role.PARTNER]).update(partner=partner)
        team = TeamMember.objects.get(team_set=ts, student=world.a.students[1]).team
        services.mentor_add(actor=SYSTEM, team_id=team.pk, partner_id=partner.pk, name="技師 佐藤")
        members = [
            m.student for m in TeamMember.objects.filter(team=team).select_related("student")
        ]
        other = Team.objects.filter(team_set=ts).exclude(pk=team.pk).first()
    _login(client, world, Role.PARTNER)
    assert client.get("/teams/mine/").status_code == 200
    body = client.get(f"/teams/{team.pk}/").content.decode()
    for s in members:
        assert s.given_name in body
        assert s.family_name not in body
        assert s.school_display not in body
    assert client.get(f"/teams/{other.pk}/").status_code == 404  # type: ignore[union-attr]


def test_set_detail_query_count_does_not_grow_with_students(client: Client, world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import make_online

    small = make_online(world, n=8, title="小")
    big = make_online(world, n=24, title="大")
    sets = [_formed(small, world), _formed(big, world)]
    _login(client, world, Role.CONSORTIUM_ADMIN)
    client.get(f"/teams/sets/{sets[0].pk}/")  # warm caches (principal, sessions)
    counts = []
    for ts in sets:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/teams/sets/{ts.pk}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[1] <= 25


def test_rules_not_met_are_shown_with_names(client: Client, world: World, online: Online) -> None:
    ts = _formed(online, world, publish=False)
    with system_scope(reason="test arrange"):
        a, b = online.students[2], online.students[3]
        ts.violations = [f"{services.core_id(a.pk)} and {services.core_id(b.pk)} are in team 2"]
        ts.save(update_fields=["violations"])
    _login(client, world, Role.CONSORTIUM_ADMIN)
    body = client.get(f"/teams/sets/{ts.pk}/").content.decode()
    assert f"{a.full_name} and {b.full_name} are in team 2" in body


def test_a_large_programme_is_formed_on_the_queue_with_a_progress_page(
    client: Client, world: World, online: Online, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "QUEUE_FROM_STUDENTS", 5)
    _login(client, world, Role.CONSORTIUM_ADMIN)
    url = f"/teams/programmes/{online.programme.pk}/"
    response = client.post(url, {**FORM, "name": "大人数"})
    assert response.status_code == 302
    assert response["Location"].startswith("/jobs/")
    job_page = client.get(response["Location"])
    assert job_page.status_code == 200
    with system_scope(reason="test assert"):
        ts = TeamSet.objects.get(programme=online.programme, name="大人数")
    assert f"/teams/sets/{ts.pk}/" in job_page.content.decode()
