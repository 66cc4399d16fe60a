"""The REST API, ``/api/v1/`` (django-ninja): parse, call a door, render.

Every operation declares the token scope and the grant level its doors need
(:func:`_declare`); ``urls.py`` copies the declarations onto the URL
patterns' views so the access matrix and the tenancy tests read them like
the pages' ``require_roles``. Reads go through selectors at the declared
grant, writes through the same services as the pages; nothing here writes
to the database. Errors: 401 without a usable token, 403 without the scope,
404 for "missing" and "not yours" alike, 422 for invalid input with the
field's path; messages follow Accept-Language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, NinjaAPI, Path, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from ekkyo.core.cursor import DEFAULT_LIMIT, MAX_LIMIT, BadCursor
from ekkyo.participation.services import (
    ResidenceRefused,
    attendance_import,
    residence_create,
    stays_create_from_seats,
)
from ekkyo.surveys.services import SurveyError, invitation_for, response_submit
from ekkyo.tenancy.access import Grant, record_pending_denial
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from . import schemas as s
from . import selectors
from .models import Scope

API_ROLES = frozenset({Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF})


class ScopeMissing(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class TokenAuth(HttpBearer):
    """A bearer token with ``scope``; the token itself was resolved (and the
    request's actor built) by the URL wrapper in ``urls.py``."""

    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = getattr(request, "api_token", None)
        if found is None:
            return None
        if self.scope.value not in found.scopes:
            raise ScopeMissing(self.scope.value)
        return found


# One declaration per operation: (method, path) -> (scope, grant).
DECLARATIONS: dict[tuple[str, str], tuple[Scope, Grant]] = {}

api = NinjaAPI(
    title="ekkyo API",
    version="1",
    description=(
        "The REST API of ekkyo (越境ねっと). Token auth (Authorization: Bearer), "
        "scopes per token, an Idempotency-Key on every POST, keyset (cursor) "
        "pagination. See docs/api.md."
    ),
    urls_namespace="api-v1",
    docs_url=None,  # no Swagger UI: it loads from a CDN; the schema is at openapi.json
    openapi_url=None,  # served by ``openapi_view`` with a fixed prefix (below)
)

API_PREFIX = "/api/v1/"


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI document (the committed ``docs/openapi.json`` is this)."""
    return dict(api.get_openapi_schema(path_prefix=API_PREFIX))


GET_ERRORS: dict[int, Any] = {401: s.Error, 403: s.Error, 404: s.Error, 422: s.ValidationErrors}
POST_ERRORS: dict[int, Any] = {**GET_ERRORS, 400: s.Error, 409: s.Error, 410: s.Error}


def _declare(
    router: Router, method: str, path: str, *, scope: Scope, grant: Grant, **kw: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    DECLARATIONS[(method, path)] = (scope, grant)
    route = router.get if method == "GET" else router.post
    return route(path, auth=TokenAuth(scope), **kw)  # type: ignore[no-any-return]


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _page(request: HttpRequest, found: selectors.Page) -> dict[str, Any]:
    nxt = None
    if found.next_cursor:
        q = request.GET.copy()
        q["cursor"] = found.next_cursor
        nxt = request.build_absolute_uri(request.path + "?" + q.urlencode())
    return {"items": found.items, "next": nxt}


def _paged(request: HttpRequest, qs: Any, cursor: str | None, limit: int) -> dict[str, Any]:
    """A page of ``qs``. A cursor of the right form that we did not issue points
    at no page: 404 (a malformed one is a 422 from the schema's pattern)."""
    try:
        return _page(request, selectors.page(qs, sort="pk", cursor=cursor, limit=limit))
    except BadCursor as exc:
        raise CursorNotFound from exc


class CursorNotFound(Exception):
    pass


Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
Cursor = Query(None, min_length=1, max_length=400, pattern=r"^[A-Za-z0-9_-]+$")
IdempotencyKey = Header(..., alias="Idempotency-Key", min_length=1, max_length=200)

# --- programmes -------------------------------------------------------------------

programmes = Router(tags=["programmes"])


@_declare(
    programmes, "GET", "/programmes", scope=Scope.PROGRAMMES_READ, grant=Grant.NONE,
    response={200: s.ProgrammePage, **GET_ERRORS}, url_name="programmes",
)  # fmt: skip
def programme_list(
    request: HttpRequest, cursor: str | None = Cursor, limit: int = Limit
) -> dict[str, Any]:
    """The consortium's published programmes and the drafts the token's holder manages."""
    return _paged(request, selectors.programmes_for(actor=_actor(request)), cursor, limit)


@_declare(
    programmes, "GET", "/programmes/{programme_id}", scope=Scope.PROGRAMMES_READ,
    grant=Grant.NONE, response={200: s.ProgrammeOut, **GET_ERRORS}, url_name="programme",
)  # fmt: skip
def programme_detail(request: HttpRequest, programme_id: int) -> Any:
    return selectors.programme_for(actor=_actor(request), programme_id=programme_id)


@_declare(
    programmes, "POST", "/programmes/{programme_id}/stays-from-seats",
    scope=Scope.PARTICIPATION_WRITE, grant=Grant.HOSTING,
    response={200: s.StaysCreated, **POST_ERRORS}, url_name="stays_from_seats",
)  # fmt: skip
def stays_from_seats(
    request: HttpRequest, programme_id: int, idempotency_key: str = IdempotencyKey
) -> dict[str, int]:
    """A stay for every seat of an offline programme the holder manages (idempotent)."""
    created = stays_create_from_seats(actor=_actor(request), programme_id=programme_id)
    return {"created": created}


# --- applications -----------------------------------------------------------------

applications = Router(tags=["applications"])


@_declare(
    applications, "GET", "/applications", scope=Scope.APPLICATIONS_READ, grant=Grant.HOSTING,
    response={200: s.ApplicationPage, **GET_ERRORS}, url_name="applications",
)  # fmt: skip
def application_list(
    request: HttpRequest, cursor: str | None = Cursor, limit: int = Limit
) -> dict[str, Any]:
    """Applications the holder sees: its students', and applicants to its programmes."""
    return _paged(request, selectors.applications_for(actor=_actor(request)), cursor, limit)


# --- participation ----------------------------------------------------------------

participation = Router(tags=["participation"])


@_declare(
    participation, "GET", "/stays", scope=Scope.PARTICIPATION_READ, grant=Grant.HOSTING,
    response={200: s.StayPage, **GET_ERRORS}, url_name="stays",
)  # fmt: skip
def stay_list(request: HttpRequest, cursor: str | None = Cursor, limit: int = Limit) -> Any:
    """Stays the holder sees (never their health notes)."""
    return _paged(request, selectors.stays_for(actor=_actor(request)), cursor, limit)


@_declare(
    participation, "GET", "/residences", scope=Scope.PARTICIPATION_READ, grant=Grant.HOSTING,
    response={200: s.ResidencePage, **GET_ERRORS}, url_name="residences",
)  # fmt: skip
def residence_list(request: HttpRequest, cursor: str | None = Cursor, limit: int = Limit) -> Any:
    return _paged(request, selectors.residences_for(actor=_actor(request)), cursor, limit)


@_declare(
    participation, "POST", "/residences", scope=Scope.PARTICIPATION_WRITE, grant=Grant.HOSTING,
    response={201: s.ResidenceOut, **POST_ERRORS}, url_name="residence_create",
)  # fmt: skip
def residence_add(
    request: HttpRequest, payload: s.ResidenceIn, idempotency_key: str = IdempotencyKey
) -> Any:
    """Record that a student lives and studies in a member town (KPI ①)."""
    try:
        residence = residence_create(actor=_actor(request), **payload.dict())
    except ResidenceRefused as exc:
        raise ValidationError(
            [
                {
                    "loc": ["body", "payload", "host_municipality_id"],
                    "msg": "refused",
                    "type": "residence_refused",
                }
            ]
        ) from exc
    return Status(201, residence)


@_declare(
    participation, "POST", "/sessions/{session_id}/attendance", scope=Scope.ATTENDANCE_WRITE,
    grant=Grant.HOSTING, response={200: s.AttendanceOut, **POST_ERRORS}, url_name="attendance",
)  # fmt: skip
def attendance(
    request: HttpRequest,
    session_id: int,
    payload: s.AttendanceIn,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, int]:
    """A meeting tool's attendance report for a session of a programme the holder
    manages (as the page's report import: rows of students without a seat are ignored)."""
    minutes = {row.student_id: row.minutes for row in payload.rows}
    matched, created = attendance_import(
        actor=_actor(request), session_id=session_id, minutes=minutes, source=payload.source
    )
    return {"matched": matched, "created": created}


# --- surveys ----------------------------------------------------------------------

surveys = Router(tags=["surveys"])


@_declare(
    surveys, "POST", "/survey-responses", scope=Scope.SURVEYS_WRITE, grant=Grant.NONE,
    response={200: s.SurveyResponseOut, 201: s.SurveyResponseOut, **POST_ERRORS},
    url_name="survey_responses",
)  # fmt: skip
def survey_response(
    request: HttpRequest, payload: s.SurveyResponseIn, idempotency_key: str = IdempotencyKey
) -> Any:
    """A submission from an answering app, by the same rules as the answering page
    (the survey link's token authorises it; a resend of the same id is stored once).
    Only links of the token's own consortium (a town token: its schools') are accepted."""
    invitation = invitation_for(payload.token)
    if invitation is None or not selectors.survey_link_usable(
        actor=_actor(request),
        wave_consortium_id=invitation.wave.consortium_id,
        school_id=invitation.school_id,
    ):
        raise Http404
    try:
        _response, created = response_submit(
            token=payload.token, client_id=str(payload.client_id), answers=payload.answers
        )
    except SurveyError as exc:
        status = 422 if exc.status == 400 else exc.status
        if status == 422:
            raise ValidationError(
                [{"loc": ["body", "payload", "answers"], "msg": str(exc.message), "type": "survey"}]
            ) from exc
        return Status(status, {"detail": str(exc.message)})
    return Status(201 if created else 200, {"created": created})


# --- KPIs -------------------------------------------------------------------------

kpis = Router(tags=["kpis"])


@_declare(
    kpis, "GET", "/kpis/{fy}", scope=Scope.KPIS_READ, grant=Grant.NONE,
    response={200: s.KpiFiguresOut, **GET_ERRORS}, url_name="kpis",
)  # fmt: skip
def kpi_figures(request: HttpRequest, fy: int = Path(..., ge=2000, le=2100)) -> Any:
    """The FY's KPI figures after disclosure control (a town token: its own row)."""
    return selectors.kpi_figures_for(actor=_actor(request), fy=fy)


for _router in (programmes, applications, participation, surveys, kpis):
    api.add_router("", _router)


# --- errors -----------------------------------------------------------------------


def _messages() -> dict[str, str]:
    return {
        "missing": _("This field is required."),
        "cursor": _("This cursor is not valid; start again without one."),
        "residence_refused": _("The host town or school is not one you record residences for."),
    }


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    known = _messages()
    detail = []
    for error in exc.errors:
        kind = str(error.get("type", "invalid"))
        msg = error.get("msg") if kind == "survey" else None
        detail.append(
            {
                "loc": [p if isinstance(p, int) else str(p) for p in error.get("loc", [])],
                "msg": msg or known.get(kind) or _("This value is not valid."),
                "type": kind,
            }
        )
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    record_pending_denial(exc)
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(CursorNotFound)
def _cursor_not_found(request: HttpRequest, exc: CursorNotFound) -> HttpResponse:
    return api.create_response(request, {"detail": _messages()["cursor"]}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": _("A valid API token is required.")}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ScopeMissing)
def _forbidden(request: HttpRequest, exc: ScopeMissing) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("This token lacks the scope %(scope)s.") % {"scope": exc.scope}},
        status=403,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def openapi_view(request: HttpRequest) -> HttpResponse:
    """The published schema, ``/api/v1/openapi.json`` (no Swagger UI: it needs a CDN)."""
    from django.http import JsonResponse

    return JsonResponse(openapi_schema(), json_dumps_params={"ensure_ascii": False})
