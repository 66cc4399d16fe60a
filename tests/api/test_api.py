"""The REST API through its HTTP interface: auth, scopes, scoping, pagination,
idempotency, errors in the reader's language."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ekkyo.allocation.models import Seat
from ekkyo.api.models import ApiToken, IdempotencyRecord
from ekkyo.audit.models import AuditEvent
from ekkyo.core.disclosure import SUPPRESSED_MARKER
from ekkyo.kpis.publication import gated_table
from ekkyo.kpis.services import figures_table
from ekkyo.participation.models import Attendance, Residence
from ekkyo.tenancy.principal import system_scope

from ..factories import World
from .conftest import Api, Tokens

pytestmark = pytest.mark.django_db


def _seat(world: World, student_index: int = 0) -> None:
    with system_scope(reason="arrange"):
        Seat._unscoped.create(
            programme=world.a.published, student=world.a.students[student_index], source="manual"
        )


def test_no_token_is_401_and_unknown_scope_is_403(world: World, tokens: Tokens) -> None:
    r = Api(None).get("/api/v1/programmes")
    assert r.status_code == 401 and r["WWW-Authenticate"] == "Bearer"
    assert Api("ekk_wrong").get("/api/v1/programmes").status_code == 401
    assert Api(tokens.few).get("/api/v1/programmes").status_code == 200
    r = Api(tokens.few).get("/api/v1/stays")
    assert r.status_code == 403 and "participation:read" in r.json()["detail"]


def test_revoked_and_expired_tokens_are_refused(world: World, tokens: Tokens) -> None:
    with system_scope(reason="arrange"):
        ApiToken.objects.filter(name="few").update(revoked_at=timezone.now())
        ApiToken.objects.filter(name="town").update(expires_at=timezone.now() - timedelta(1))
    assert Api(tokens.few).get("/api/v1/programmes").status_code == 401
    assert Api(tokens.town).get("/api/v1/programmes").status_code == 401


def test_only_the_hash_is_stored(world: World, tokens: Tokens) -> None:
    with system_scope(reason="assert"):
        stored = list(ApiToken.objects.values_list("secret_hash", "prefix"))
    assert all(tokens.consortium != h and len(h) == 64 for h, _p in stored)


def test_lists_are_scoped_like_the_pages(world: World, tokens: Tokens) -> None:
    mine = Api(tokens.consortium).get("/api/v1/stays").json()["items"]
    ids = {s["student_id"] for s in mine}
    assert world.a.students[2].pk in ids and world.guest.pk in ids
    assert world.b.students[2].pk not in ids
    assert "health" not in json.dumps(mine)
    town = Api(tokens.town).get("/api/v1/applications").json()["items"]
    assert {a["student_id"] for a in town} >= {world.guest.pk}
    assert world.b.application.pk not in {a["id"] for a in town}
    other = Api(tokens.other_consortium).get("/api/v1/stays").json()["items"]
    assert world.a.students[2].pk not in {s["student_id"] for s in other}


def test_programme_detail_404_for_another_consortium(world: World, tokens: Tokens) -> None:
    api = Api(tokens.consortium)
    assert api.get(f"/api/v1/programmes/{world.a.published.pk}").status_code == 200
    r = api.get(f"/api/v1/programmes/{world.b.published.pk}")
    assert r.status_code == 404
    assert api.get("/api/v1/programmes/999999").json() == r.json()


def test_cursor_pages_are_stable_under_inserts(world: World, tokens: Tokens) -> None:
    api = Api(tokens.consortium)
    first = api.get("/api/v1/programmes?limit=1").json()
    assert len(first["items"]) == 1 and first["next"]
    seen = [first["items"][0]["id"]]
    from ..factories import programme

    with system_scope(reason="arrange"):
        programme(world.a.consortium, world.a.municipality, title="後から")
    nxt = first["next"]
    while nxt:
        page = api.get(nxt).json()
        seen += [p["id"] for p in page["items"]]
        nxt = page["next"]
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    r = api.get("/api/v1/programmes?cursor=!!")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert api.get("/api/v1/programmes?cursor=notours").status_code == 404
    assert api.get("/api/v1/programmes?limit=201").status_code == 422


def test_validation_errors_have_paths_and_follow_the_language(world: World, tokens: Tokens) -> None:
    api = Api(tokens.consortium)
    url = f"/api/v1/sessions/{world.a.session.pk}/attendance"
    r = api.post(url, {"source": "zoom"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert ["body", "payload", "rows"] in [d["loc"] for d in detail]
    assert any("必須" in d["msg"] for d in detail) or all(d["msg"] for d in detail)
    r = api.client.post(url, {}, content_type="application/json", headers=api.headers)
    assert r.status_code == 422  # no Idempotency-Key
    assert ["header", "Idempotency-Key"] in [d["loc"] for d in r.json()["detail"]]


def test_attendance_write_and_idempotent_replay(world: World, tokens: Tokens) -> None:
    _seat(world)
    api = Api(tokens.town)
    url = f"/api/v1/sessions/{world.a.session.pk}/attendance"
    body = {"source": "zoom", "rows": [{"student_id": world.a.students[0].pk, "minutes": 50}]}
    first = api.post(url, body, key="k-1")
    assert first.status_code == 200 and first.json() == {"matched": 1, "created": 1}
    again = api.post(url, body, key="k-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with system_scope(reason="assert"):
        assert Attendance._unscoped.filter(session=world.a.session).count() == 1
        events = AuditEvent._unscoped.filter(action="attendance.import").count()
    assert events == 1
    other = api.post(url, {**body, "source": "teams"}, key="k-1")
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_a_key_in_flight_is_409(world: World, tokens: Tokens) -> None:
    api = Api(tokens.town)
    url = f"/api/v1/sessions/{world.a.session.pk}/attendance"
    body = {"source": "zoom", "rows": []}
    assert api.post(url, body, key="k-2").status_code == 200
    with system_scope(reason="arrange: the first request still running"):
        IdempotencyRecord.objects.filter(key="k-2").update(status=None, response="")
    assert api.post(url, body, key="k-2").status_code == 409


def test_attendance_of_another_tenants_session_is_404(world: World, tokens: Tokens) -> None:
    api = Api(tokens.town)
    for session in (world.a2.session, world.b.session):
        r = api.post(f"/api/v1/sessions/{session.pk}/attendance", {"source": "zoom", "rows": []})
        assert r.status_code == 404
    with system_scope(reason="assert"):
        assert AuditEvent._unscoped.filter(action="access.denied").exists()


def test_residence_create_and_refusals(world: World, tokens: Tokens) -> None:
    api = Api(tokens.town)
    body = {
        "student_id": world.guest.pk,
        "host_municipality_id": world.a.municipality.pk,
        "school_id": world.a.school.pk,
        "start": "2026-04-01",
    }
    r = api.post("/api/v1/residences", body)
    assert r.status_code == 201, r.content
    r = api.post("/api/v1/residences", {**body, "student_id": world.b.students[0].pk})
    assert r.status_code == 404
    r = api.post(
        "/api/v1/residences",
        {**body, "host_municipality_id": world.a2.municipality.pk, "school_id": world.a2.school.pk},
    )
    assert r.status_code == 422
    with system_scope(reason="assert"):
        assert Residence._unscoped.filter(student=world.guest).count() == 1


def test_survey_response_by_the_answering_rules(world: World, tokens: Tokens) -> None:
    from ekkyo.surveys.models import Response
    from ekkyo.surveys.services import student_token

    with system_scope(reason="arrange"):
        token = student_token(world.a.wave, world.a.students[0])
        foreign = student_token(world.b.wave, world.b.students[0])
    from ekkyo.surveys.services import tokens_ensure

    with system_scope(reason="arrange"):
        tokens_ensure(world.a.wave)
        tokens_ensure(world.b.wave)
    api = Api(tokens.consortium)
    body = {"token": token, "client_id": "7b1c6c1e-3c1a-4d3e-9d1e-1a2b3c4d5e6f", "answers": {}}
    r = api.post("/api/v1/survey-responses", body)
    assert r.status_code == 201, r.content
    assert api.post("/api/v1/survey-responses", body).status_code == 200  # resend, new key
    assert api.post("/api/v1/survey-responses", {**body, "token": foreign}).status_code == 404
    r = api.post("/api/v1/survey-responses", {**body, "answers": {"nope": 3}})
    assert r.status_code in {409, 422}
    with system_scope(reason="assert"):
        assert Response._unscoped.filter(wave=world.a.wave).count() == 1


def test_kpis_after_disclosure_control(world: World, tokens: Tokens) -> None:
    r = Api(tokens.consortium).get("/api/v1/kpis/2026")
    assert r.status_code == 200
    data = r.json()
    assert data["k"] >= 1
    for row in data["rows"]:
        for f in row["figures"]:
            assert f["suppressed"] or f["actual"] >= data["k"]
    town = Api(tokens.town).get("/api/v1/kpis/2026").json()
    codes = {row["municipality_code"] for row in town["rows"]}
    assert codes <= {None, world.a.municipality.code}
    # The API releases what the secretariat's grant workbook releases: one gate.
    with system_scope(reason="assert"):
        table = gated_table(
            consortium=world.a.consortium,
            table=figures_table(consortium=world.a.consortium, fy=2026),
            scope=":admin",
        )
    expected = {
        str(kpi): None if c["actual"] == SUPPRESSED_MARKER else c["actual"]
        for kpi, c in table["consortium"].items()
    }
    consortium_row = next(row for row in data["rows"] if row["municipality_code"] is None)
    assert {f["kpi"]: f["actual"] for f in consortium_row["figures"]} == expected


def test_openapi_schema_is_published_and_committed() -> None:
    from pathlib import Path

    from django.test import Client

    live = Client().get("/api/v1/openapi.json")
    assert live.status_code == 200
    committed = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
    assert json.loads(committed.read_text()) == live.json(), (
        "run `ekkyo openapi > docs/openapi.json`"
    )
