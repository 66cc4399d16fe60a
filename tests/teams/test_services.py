"""Team sets and team spaces through their services: formation, moves, posts, files."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ekkyo.audit.models import AuditEvent
from ekkyo.core import teams as core
from ekkyo.partners.models import Partner
from ekkyo.teams import selectors, services
from ekkyo.teams.models import (
    Team,
    TeamMember,
    TeamNotification,
    TeamPost,
    TeamSet,
    TeamSetStatus,
)
from ekkyo.tenancy.access import NotFound
from ekkyo.tenancy.principal import Role

from ..factories import World
from .conftest import SYSTEM, Online, actor_of

pytestmark = pytest.mark.django_db


def _form(online: Online, world: World, **kw: object) -> TeamSet:
    return services.teamset_form(
        actor=actor_of(world.a.users[Role.CONSORTIUM_ADMIN]),
        programme_id=online.programme.pk,
        team_size=kw.pop("team_size", 4),  # type: ignore[arg-type]
        method=kw.pop("method", "heuristic"),  # type: ignore[arg-type]
        time_limit=2,
        **kw,  # type: ignore[arg-type]
    )


def _published(online: Online, world: World) -> TeamSet:
    ts = _form(online, world)
    return services.teamset_publish(actor=SYSTEM, team_set_id=ts.pk)


def test_formation_stores_teams_consistent_with_core(
    online: Online, world: World, system: None
) -> None:
    ts = _form(online, world)
    pairs = services.teamset_teams(ts)
    assert len(pairs) == 3
    members = sorted(services.student_pk(m) for _t, ms in pairs for m in ms)
    assert members == sorted(s.pk for s in online.students)
    problem = services.teamset_problem(ts)
    again = core.evaluate(problem, [ms for _t, ms in pairs])
    for (team, _ms), score in zip(pairs, again.team_scores, strict=True):
        assert team.score == pytest.approx(score)
    assert ts.min_score == pytest.approx(min(again.team_scores))
    assert ts.status == TeamSetStatus.DRAFT and ts.version == 0
    [formed] = AuditEvent.objects.filter(action="team_set.form")
    assert formed.object_id == str(ts.pk) and formed.detail["team_size"] == 4
    assert formed.actor_id == world.a.users[Role.CONSORTIUM_ADMIN].pk


def test_new_teammates_rule_splits_previous_pairs(
    online: Online, world: World, system: None
) -> None:
    first = _form(online, world)
    # Three old teams of four: four new teams of three can each take one from each.
    second = _form(online, world, previous_id=first.pk, team_size=3)
    assert second.previous_id == first.pk
    cmp = selectors.teamset_compare(first, second)
    assert cmp.pairs_a > 0
    assert cmp.shared_pairs == 0


def test_refuses_offline_programmes(world: World, system: None) -> None:
    with pytest.raises(services.TeamError):
        services.teamset_form(
            actor=actor_of(world.a.users[Role.CONSORTIUM_ADMIN]),
            programme_id=world.a.published.pk,
            team_size=3,
        )


def test_move_rescores_and_bumps_version(online: Online, world: World, system: None) -> None:
    ts = _form(online, world)
    pairs = services.teamset_teams(ts)
    (_t1, m1), (t2, _m2) = pairs[0], pairs[1]
    moved = services.student_pk(m1[0])
    after = services.teamset_move_member(
        actor=actor_of(world.a.users[Role.CONSORTIUM_ADMIN]),
        team_set_id=ts.pk,
        student_id=moved,
        to_team_id=t2.pk,
        expected_version=0,
    )
    assert after.version == 1
    assert TeamMember.objects.get(team_set=ts, student_id=moved).team_id == t2.pk
    pairs = services.teamset_teams(after)
    expected = core.evaluate(services.teamset_problem(after), [ms for _t, ms in pairs])
    stored = [t.score for t, _ms in pairs]
    assert stored == pytest.approx(expected.team_scores)
    assert after.min_score == pytest.approx(expected.min_score)
    assert len(pairs[1][1]) == 5
    [move] = AuditEvent.objects.filter(action="team_set.member.move")
    assert move.detail["student"] == moved and move.detail["to_team"] == t2.pk
    assert move.detail["old"]["version"] == 0 and move.detail["new"]["version"] == 1


def test_move_with_stale_version_is_refused(online: Online, world: World, system: None) -> None:
    ts = _form(online, world)
    pairs = services.teamset_teams(ts)
    actor = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    services.teamset_move_member(
        actor=actor,
        team_set_id=ts.pk,
        student_id=services.student_pk(pairs[0][1][0]),
        to_team_id=pairs[1][0].pk,
        expected_version=0,
    )
    with pytest.raises(services.TeamError):
        services.teamset_move_member(
            actor=actor,
            team_set_id=ts.pk,
            student_id=services.student_pk(pairs[0][1][1]),
            to_team_id=pairs[2][0].pk,
            expected_version=0,
        )
    assert (
        TeamMember.objects.get(team_set=ts, student_id=services.student_pk(pairs[0][1][1])).team_id
        == pairs[0][0].pk
    )


def test_publish_notifies_members_with_accounts(online: Online, world: World, system: None) -> None:
    ts = _form(online, world)
    admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    services.teamset_publish(actor=admin, team_set_id=ts.pk)
    services.teamset_publish(actor=admin, team_set_id=ts.pk)  # twice: harmless
    ts.refresh_from_db()
    assert ts.status == TeamSetStatus.PUBLISHED and ts.published_at is not None
    [published] = AuditEvent.objects.filter(action="team_set.publish")
    assert published.detail["old"]["status"] == "draft"
    assert published.detail["new"]["status"] == "published"
    student_user = world.a.users[Role.STUDENT]
    assert TeamNotification.objects.filter(user=student_user, kind="published").count() == 1


def test_double_submit_of_a_post_creates_one_row(
    online: Online, world: World, system: None
) -> None:
    ts = _published(online, world)
    team = TeamMember.objects.get(team_set=ts, student=world.a.students[1]).team
    cid = uuid.uuid4()
    student = actor_of(world.a.users[Role.STUDENT])
    first = services.post_create(actor=student, team_id=team.pk, body="はじめまして", client_id=cid)
    again = services.post_create(actor=student, team_id=team.pk, body="はじめまして", client_id=cid)
    assert first.pk == again.pk
    assert TeamPost.objects.filter(team=team).count() == 1
    assert first.author_full == world.a.students[1].full_name
    services.post_create(actor=student, team_id=team.pk, body="二つ目", client_id=uuid.uuid4())
    assert TeamPost.objects.filter(team=team).count() == 2
    assert AuditEvent.objects.filter(action="team_post.create").count() == 2
    # A team the student is not in is "not found".
    other = Team.objects.filter(team_set=ts).exclude(pk=team.pk).first()
    assert other is not None
    with pytest.raises(NotFound):
        services.post_create(actor=student, team_id=other.pk, body="越境", client_id=None)


def test_moderation_hides_and_audits(online: Online, world: World, system: None) -> None:
    ts = _published(online, world)
    team = TeamMember.objects.get(team_set=ts, student=world.a.students[1]).team
    student = actor_of(world.a.users[Role.STUDENT])
    post = services.post_create(actor=student, team_id=team.pk, body="不適切な投稿", client_id=None)
    admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    with pytest.raises(services.TeamError):
        services.post_hide(actor=admin, post_id=post.pk, reason=" ")
    with pytest.raises(NotFound):  # a member sees the post but may not moderate it
        services.post_hide(actor=student, post_id=post.pk, reason="個人情報")
    services.post_hide(actor=admin, post_id=post.pk, reason="個人情報")
    post.refresh_from_db()
    assert post.hidden_at is not None and post.hidden_reason == "個人情報"
    [hidden] = AuditEvent.objects.filter(action="team_post.hide")
    assert hidden.object_id == str(post.pk) and hidden.detail["new"]["hidden_reason"] == "個人情報"


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100),  # a Windows program
        ("report.pdf", b"<!doctype html><script>alert(1)</script>"),
        ("notes.txt", b"<html><body><script>alert(1)</script></body></html>"),
        ("photo.png", b"\xff\xd8\xff\xe0 not a png"),
        ("slides.pptx", _docx()),  # a Word file named as PowerPoint
        ("tool.exe", b"MZ\x90\x00"),
        ("page.html", b"<p>hi</p>"),
        ("empty.pdf", b""),
    ],
)
def test_file_checks_reject_mismatched_content(name: str, data: bytes) -> None:
    with pytest.raises(services.TeamError):
        services.file_check(name, data)


def test_file_checks_accept_real_files() -> None:
    assert services.file_check("a.pdf", b"%PDF-1.7\n...") == "application/pdf"
    assert services.file_check("a.PNG", b"\x89PNG\r\n\x1a\n....").startswith("image/png")
    assert "wordprocessingml" in services.file_check("a.docx", _docx())
    assert services.file_check("メモ.txt", "地域の課題".encode()).startswith("text/plain")
    assert services.file_check("sjis.txt", "地域の課題".encode("cp932")).startswith("text/plain")


def test_file_over_10_mb_is_refused() -> None:
    with pytest.raises(services.TeamError):
        services.file_check("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))


def test_upload_stores_file_and_notifies(
    online: Online, world: World, system: None, media: Path
) -> None:
    ts = _published(online, world)
    member = TeamMember.objects.get(team_set=ts, student=world.a.students[1])
    team = member.team
    tf = services.file_upload(
        actor=actor_of(world.a.users[Role.CONSORTIUM_ADMIN]),
        team_id=team.pk,
        uploaded=SimpleUploadedFile("../../調査メモ.pdf", b"%PDF-1.4 test"),
    )
    assert tf.original_name == "調査メモ.pdf" and tf.size == 13
    stored = Path(tf.file.path)
    assert stored.is_relative_to(media) and stored.read_bytes() == b"%PDF-1.4 test"
    assert TeamNotification.objects.filter(
        user=world.a.users[Role.STUDENT], team=team, kind="file"
    ).exists()
    [uploaded] = AuditEvent.objects.filter(action="team_file.upload")
    assert uploaded.object_id == str(tf.pk) and uploaded.detail["size"] == 13


def test_mentor_must_be_a_partner_of_the_consortium(
    online: Online, world: World, system: None
) -> None:
    ts = _form(online, world)
    team = Team.objects.filter(team_set=ts).first()
    assert team is not None
    own = Partner.objects.create(consortium=world.a.consortium, kind="company", name="地元企業")
    other = Partner.objects.create(consortium=world.b.consortium, kind="npo", name="他団体")
    admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    m = services.mentor_add(
        actor=admin, team_id=team.pk, partner_id=own.pk, name="佐藤", role="技師"
    )
    again = services.mentor_add(actor=admin, team_id=team.pk, partner_id=own.pk, name="佐藤")
    assert again.pk == m.pk
    assert AuditEvent.objects.filter(action="team_mentor.add").count() == 1
    with pytest.raises(services.TeamError):
        services.mentor_add(actor=admin, team_id=team.pk, partner_id=other.pk, name="鈴木")


def test_theme_is_set_and_audited(online: Online, world: World, system: None) -> None:
    ts = _form(online, world)
    team = Team.objects.filter(team_set=ts).first()
    assert team is not None
    admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    services.team_theme_set(actor=admin, team_set_id=ts.pk, team_id=team.pk, theme=" 港の未来 ")
    team.refresh_from_db()
    assert team.theme == "港の未来"
    [themed] = AuditEvent.objects.filter(action="team.theme.set")
    assert themed.detail["new"] == {"theme": "港の未来"}
    # A team of another set is not found under this one.
    with pytest.raises(NotFound):
        services.team_theme_set(actor=admin, team_set_id=ts.pk, team_id=world.a.team.pk, theme="x")


def test_staff_of_another_town_cannot_touch_the_set(
    online: Online, world: World, system: None
) -> None:
    """Team sets are reached at the hosting grant of the programme's managers:
    a town that does not host the programme is refused by every door."""
    from ekkyo.accounts.models import Membership

    from ..factories import user

    ts = _form(online, world)
    pairs = services.teamset_teams(ts)
    other = user("town-other@example.jp", mfa=True)
    Membership.objects.create(
        user=other,
        role=Role.MUNICIPALITY_STAFF,
        consortium=world.a.consortium,
        municipality=world.a2.municipality,
    )
    outsider = actor_of(other)
    attempts = [
        lambda: services.teamset_form(
            actor=outsider, programme_id=online.programme.pk, team_size=4
        ),
        lambda: services.teamset_publish(actor=outsider, team_set_id=ts.pk),
        lambda: services.teamset_move_member(
            actor=outsider,
            team_set_id=ts.pk,
            student_id=services.student_pk(pairs[0][1][0]),
            to_team_id=pairs[1][0].pk,
            expected_version=None,
        ),
        lambda: services.team_theme_set(
            actor=outsider, team_set_id=ts.pk, team_id=pairs[0][0].pk, theme="x"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    ts.refresh_from_db()
    assert ts.status == TeamSetStatus.DRAFT and ts.version == 0
    assert TeamSet.objects.filter(programme=online.programme).count() == 1


def test_a_large_programme_is_formed_on_the_queue_once(
    online: Online, world: World, system: None
) -> None:
    """teamset_form_start checks at once, the worker forms the set; a retried
    job (the worker died after writing) finds its set and forms no second one."""
    from ekkyo.jobs.models import Job, JobStatus
    from ekkyo.jobs.services import Progress

    admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    job = services.teamset_form_start(
        actor=admin, programme_id=online.programme.pk, team_size=4, method="heuristic",
        time_limit=2,
    )  # fmt: skip
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.rows_total == len(online.students)
    ts = TeamSet._unscoped.get(pk=job.result["team_set"])
    assert job.result_url.endswith(f"/{ts.pk}/")
    again = services.teamset_form_job(admin, job, Progress(job))
    assert again["team_set"] == ts.pk
    assert TeamSet._unscoped.filter(programme=online.programme).count() == 1
    # Refusals come at once, not from the worker.
    with pytest.raises(services.TeamError):
        services.teamset_form_start(actor=admin, programme_id=online.programme.pk, team_size=1)
    assert Job._unscoped.filter(kind="teams.form").count() == 1
