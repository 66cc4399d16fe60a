"""A student's portfolio: its content, exports, and sharing under the student's control."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ekkyo.audit.models import AuditEvent
from ekkyo.participation.models import Attendance, Reflection, Residence, Stay
from ekkyo.portfolio.exports import portfolio_pdf
from ekkyo.portfolio.models import SECTIONS, PortfolioShare
from ekkyo.portfolio.selectors import SCHEMA, portfolio_for
from ekkyo.programmes.models import ProgrammeKind, Session
from ekkyo.surveys.models import InstrumentVersion, Response, Wave
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, municipality, programme, school

pytestmark = pytest.mark.django_db


def _answers(value: int) -> dict[str, int]:
    inst = InstrumentVersion.objects.get(code="ekkyo-student").parsed()
    scales = {sc.code: sc for sc in inst.scales}
    return {
        i.code: max(scales[i.scale].min, min(scales[i.scale].max, value - 2))
        if scales[i.scale].max < 2
        else value
        for i in inst.items
    }


def _respond(wave: Wave, respondent: uuid.UUID, value: int) -> None:
    Response._unscoped.create(
        wave=wave,
        client_id=uuid.uuid4(),
        content_hash="x",
        respondent=respondent,
        answers=_answers(value),
        submitted_on=date(2026, 6, 1),
    )


def _build(world: World):  # type: ignore[no-untyped-def]
    """The signed-in student of tenant A, with programmes in two other towns."""
    with system_scope(reason="test"):
        me = world.a.students[1]
        far = municipality("13", name="遠方町")
        stay_prog = programme(world.a.consortium, world.a2.municipality, title="漁業体験合宿")
        Stay._unscoped.create(
            programme=stay_prog, student=me, arrival=date(2026, 8, 1), departure=date(2026, 8, 5)
        )
        cancelled = programme(world.a.consortium, far, title="中止された企画")
        Stay._unscoped.create(
            programme=cancelled, student=me, arrival=date(2026, 9, 1),
            departure=date(2026, 9, 2), cancelled=True,
        )  # fmt: skip
        res_prog = programme(
            world.a.consortium, far, title="島留学", kind=ProgrammeKind.RESIDENCE,
            starts_on=date(2026, 4, 1), ends_on=date(2029, 3, 31),
        )  # fmt: skip
        Residence._unscoped.create(
            student=me, programme=res_prog, home_municipality=world.a.municipality,
            host_municipality=far, school=school(far), start=date(2026, 4, 6),
        )  # fmt: skip
        online = programme(
            world.a.consortium,
            world.a.municipality,
            title="オンライン探究",
            kind=ProgrammeKind.ONLINE,
        )
        for day in (1, 8):
            s = Session.objects.create(
                programme=online, kind="online", title=f"第{day}回",
                starts_at=timezone.now().replace(month=5, day=day),
                ends_at=timezone.now().replace(month=5, day=day) + timedelta(hours=1),
            )  # fmt: skip
            Attendance._unscoped.create(session=s, student=me)
        Reflection._unscoped.create(
            student=me, programme=stay_prog,
            about_other_region="漁師さんの朝は早い", about_own_region="自分の町にも港がある",
        )  # fmt: skip
        # Someone else's reflection must never appear.
        Reflection._unscoped.create(
            student=world.a.students[0], programme=stay_prog,
            about_other_region="他人の感想", about_own_region="他人の感想",
        )  # fmt: skip
        from ekkyo.teams.models import TeamMember

        TeamMember._unscoped.create(team_set=world.a.team_set, team=world.a.team, student=me)
        pre = Wave.objects.create(
            consortium=world.a.consortium, instrument=world.a.wave.instrument, title="事前調査",
            kind="annual", mode="linked", fiscal_year=2025,
            opens_at=timezone.now() - timedelta(days=400),
            closes_at=timezone.now() - timedelta(days=390),
        )  # fmt: skip
        _respond(pre, me.pseudonym, 2)
        _respond(world.a.wave, me.pseudonym, 4)
        _respond(world.a.wave, world.a.students[0].pseudonym, 1)
    return me, far


def test_portfolio_content(world: World) -> None:
    me, far = _build(world)
    with system_scope(reason="test"):
        data = portfolio_for(me)
    assert data["schema"] == SCHEMA and data["sections"] == list(SECTIONS)
    titles = [p["title"] for p in data["programmes"]]
    assert titles == ["島留学", "オンライン探究", "漁業体験合宿"]
    online = next(p for p in data["programmes"] if p["kind"] == "online")
    assert "2" in online["detail"]
    # Two towns beyond home (the online programme is hosted at home; the cancelled stay is not).
    codes = [m["code"] for m in data["regions"]["municipalities"]]
    assert codes == sorted([world.a2.municipality.code, far.code])
    assert len(data["regions"]["prefectures"]) == 2
    assert [r["about_other_region"] for r in data["reflections"]] == ["漁師さんの朝は早い"]
    growth = data["growth"]
    assert [w["title"] for w in growth["waves"]] == ["事前調査", world.a.wave.title]
    assert growth["constructs"]
    for c in growth["constructs"]:
        assert len(c["scores"]) == 2
        if None not in c["scores"]:
            assert c["change"] == round(c["scores"][1] - c["scores"][0], 2)
    assert any(c["change"] for c in growth["constructs"])
    [team] = data["teams"]
    assert (team["theme"], team["members"], team["schools"]) == (world.a.team.theme, 2, 1)
    assert world.a.students[0].given_name not in json.dumps(data, default=str, ensure_ascii=False)


def test_json_export_is_complete(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    _build(world)
    response = client_as(Role.STUDENT).get(reverse("portfolio:export_json"))
    assert response.status_code == 200
    payload = json.loads(b"".join(response.streaming_content))
    assert payload["schema"] == SCHEMA
    for key in ("student", "generated_at", *SECTIONS):
        assert key in payload
    assert payload["student"]["name"] == world.a.students[1].full_name
    assert payload["programmes"][0]["start"] == "2026-04-06"
    assert "他人の感想" not in json.dumps(payload, ensure_ascii=False)
    with system_scope(reason="test"):
        [exported] = AuditEvent.objects.filter(action="portfolio.export")
    assert exported.detail == {"format": "json"} and exported.object_id == str(
        world.a.students[1].pk
    )


def test_pdf_embeds_the_japanese_font(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    me, _far = _build(world)
    response = client_as(Role.STUDENT).get(reverse("portfolio:export_pdf"))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF") and b"IPAexGothic" in body and b"FontFile2" in body
    with system_scope(reason="test"):
        assert AuditEvent.objects.filter(action="portfolio.export", detail__format="pdf").exists()
    with system_scope(reason="test"):
        data = portfolio_for(me)
    data["student"]["name"] = "𠮷田 花子"
    # Shown as its code point, never dropped (here in the title, UTF-16 octal-escaped).
    marker = b"".join(b"\\000" + bytes([c]) for c in b"U+20BB7")
    assert marker in portfolio_pdf(data)


def _share(client, sections: list[str], **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("portfolio:share_new"),
        {
            "recipient_kind": "university",
            "recipient_label": "サンプル大学 入試課",
            "sections": sections,
            **extra,
        },
    )


def test_share_shows_only_chosen_sections(world: World, client_as, client) -> None:  # type: ignore[no-untyped-def]
    _build(world)
    student_client = client_as(Role.STUDENT)
    assert _share(student_client, ["regions"], request_key="k1").status_code == 302
    assert _share(student_client, ["regions"], request_key="k1").status_code == 302  # double submit
    with system_scope(reason="test"):
        shares = list(
            PortfolioShare._unscoped.filter(student=world.a.students[1], withdrawn_at=None)
        )
    assert len(shares) == 1
    share = shares[0]
    with system_scope(reason="test"):
        [created] = AuditEvent.objects.filter(action="portfolio_share.create")
    assert created.object_id == str(share.pk)
    assert created.detail["new"]["sections"] == ["regions"]
    from django.test import Client

    anonymous = Client()
    page = anonymous.get(reverse("portfolio:shared", kwargs={"share_token": share.token}))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.a2.municipality.display_name in html
    assert "漁師さんの朝は早い" not in html  # reflections were not chosen
    assert "事前調査" not in html  # nor survey growth
    assert 'id="s-programmes"' not in html
    with system_scope(reason="test"):
        assert (
            AuditEvent.objects.filter(
                action="portfolio_share.view",
                object_type="portfolio.portfolioshare",
                object_id=str(share.pk),
            ).count()
            == 1
        )
    # Withdrawn: the link is gone at once.
    withdraw = reverse("portfolio:share_withdraw", kwargs={"share_id": share.pk})
    assert student_client.post(withdraw).status_code == 302
    assert student_client.post(withdraw).status_code == 302  # twice: harmless, logged once
    with system_scope(reason="test"):
        [withdrawn] = AuditEvent.objects.filter(action="portfolio_share.withdraw")
    assert withdrawn.detail["old"] == {"withdrawn_at": None} and withdrawn.detail["new"]
    assert (
        anonymous.get(reverse("portfolio:shared", kwargs={"share_token": share.token})).status_code
        == 404
    )
    assert (
        anonymous.get(reverse("portfolio:shared", kwargs={"share_token": "nope"})).status_code
        == 404
    )


def test_expired_share_is_gone(world: World) -> None:
    with system_scope(reason="test"):
        share = PortfolioShare._unscoped.create(
            student=world.a.students[1], recipient_kind="school", recipient_label="次の学校",
            sections=["regions"], expires_at=timezone.now() - timedelta(minutes=1),
        )  # fmt: skip
    from django.test import Client

    url = reverse("portfolio:shared", kwargs={"share_token": share.token})
    assert Client().get(url).status_code == 404


def test_another_students_portfolio_is_unreachable(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    _build(world)
    with system_scope(reason="test"):
        other = PortfolioShare._unscoped.create(
            student=world.a.students[0], recipient_kind="school", recipient_label="他人の共有先",
            sections=["regions"],
        )  # fmt: skip
    student_client = client_as(Role.STUDENT)
    page = student_client.get(reverse("portfolio:mine")).content.decode()
    assert "他人の感想" not in page and "他人の共有先" not in page
    for share in (other, world.b.share):
        url = reverse("portfolio:share_withdraw", kwargs={"share_id": share.pk})
        assert student_client.post(url).status_code == 404
    with system_scope(reason="test"):
        other.refresh_from_db()
    assert other.withdrawn_at is None


@pytest.mark.parametrize(
    "role",
    [Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF, Role.HOST, Role.PARTNER],
)
def test_staff_have_no_portfolio_pages(world: World, client_as, role: Role) -> None:  # type: ignore[no-untyped-def]
    client = client_as(role)
    for name in ("mine", "export_json", "export_pdf"):
        assert client.get(reverse(f"portfolio:{name}")).status_code == 403


def test_guardian_sees_and_withdraws_a_childs_share(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    with system_scope(reason="test"):
        share = PortfolioShare._unscoped.create(
            student=world.a.students[0], recipient_kind="school", recipient_label="高校の先生",
            sections=["programmes"],
        )  # fmt: skip
    guardian = client_as(Role.GUARDIAN)
    assert "高校の先生" in guardian.get(reverse("portfolio:children")).content.decode()
    url = reverse("portfolio:share_withdraw", kwargs={"share_id": share.pk})
    assert guardian.post(url).status_code == 302
    with system_scope(reason="test"):
        share.refresh_from_db()
    assert share.withdrawn_at is not None


def test_a_host_who_is_also_a_guardian_cannot_withdraw_a_guests_share(world: World) -> None:
    """The guest's host family sees the guest for hosting only: withdrawing the
    guest's share needs full access (the guest, their guardians) and is refused."""
    from django.test import Client

    from ekkyo.accounts.models import Membership
    from ekkyo.people.models import Guardian, GuardianLink

    from ..factories import user

    with system_scope(reason="test"):
        share = PortfolioShare._unscoped.create(
            student=world.guest, recipient_kind="school", recipient_label="進学先",
            sections=["programmes"],
        )  # fmt: skip
        me = user("guardian-host@example.jp", mfa=True)
        mine = Guardian._unscoped.create(consortium=world.a.consortium, family_name="兼務", user=me)
        GuardianLink.objects.create(guardian=mine, student=world.a.students[1])
        Membership.objects.create(
            user=me, role=Role.HOST, consortium=world.a.consortium, host_family=world.a.family
        )
    client = Client()
    client.force_login(me)
    url = reverse("portfolio:share_withdraw", kwargs={"share_id": share.pk})
    assert client.post(url).status_code == 404
    assert "進学先" not in client.get(reverse("portfolio:children")).content.decode()
    with system_scope(reason="test"):
        share.refresh_from_db()
        assert share.withdrawn_at is None
        assert not AuditEvent.objects.filter(action="portfolio_share.withdraw").exists()
