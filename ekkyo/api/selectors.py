"""Reads of the REST API: who a token is, and the scoped listings it pages.

A token acts as its consortium's secretariat or as its town's staff: its
principal is built here the way ``accounts.selectors.principal_for_user``
builds a signed-in person's, from the token's consortium or town instead of
memberships. Listings filter by the same grant functions as the pages
(``tenancy.access.grant_filter``) and page by keyset (``core.cursor``).
Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from ekkyo.allocation.models import Application
from ekkyo.core import cursor as cursors
from ekkyo.core.disclosure import SUPPRESSED_MARKER
from ekkyo.participation.models import Residence, Stay
from ekkyo.programmes.models import Programme, ProgrammeStatus
from ekkyo.programmes.selectors import manageable_programmes, visible_programme
from ekkyo.registry.models import Consortium, Municipality
from ekkyo.tenancy.access import Grant, NotFound, grant_filter
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal, Role

from .models import ApiToken
from .services import secret_hash


def token_for_secret(secret: str) -> ApiToken | None:
    """The usable (not revoked, not expired) token with that secret, or None."""
    if not secret:
        return None
    token = (
        ApiToken.objects.select_related("consortium", "municipality")
        .filter(secret_hash=secret_hash(secret))
        .first()
    )
    if token is None or not token.is_usable():
        return None
    return token


def principal_for_token(token: ApiToken) -> Principal:
    """A consortium token has the secretariat's rights in its consortium; a
    town token those of the town's staff."""
    if token.municipality_id is None:
        return Principal(
            admin_consortium_ids=frozenset({token.consortium_id}),
            roles=frozenset({Role.CONSORTIUM_ADMIN}),
        )
    return Principal(
        municipality_ids=frozenset({token.municipality_id}),
        roles=frozenset({Role.MUNICIPALITY_STAFF}),
    )


def actor_for_token(
    token: ApiToken, *, remote_addr: str | None, user_agent: str, path: str
) -> Actor:
    return Actor(
        principal=principal_for_token(token),
        label=f"api token: {token.name} ({token.prefix}…)"[:200],
        consortium_id=token.consortium_id,
        remote_addr=remote_addr,
        user_agent=user_agent[:300],
        path=path[:300],
    )


def tokens_managed(*, actor: Actor) -> QuerySet[ApiToken]:
    """Tokens the actor may see and revoke: the secretariat its consortium's,
    a town's staff their town's."""
    p = actor.principal
    if p.system:
        return ApiToken.objects.all()
    return ApiToken.objects.filter(
        Q(consortium_id__in=p.admin_consortium_ids) | Q(municipality_id__in=p.municipality_ids)
    ).select_related("consortium", "municipality")


def token_consortia(*, actor: Actor) -> QuerySet[Consortium]:
    return Consortium.objects.filter(pk__in=actor.principal.admin_consortium_ids)


def token_municipalities(*, actor: Actor) -> QuerySet[Municipality]:
    p = actor.principal
    return Municipality.objects.filter(
        Q(memberships__consortium_id__in=p.admin_consortium_ids) | Q(pk__in=p.municipality_ids)
    ).distinct()


def survey_link_usable(*, actor: Actor, wave_consortium_id: int, school_id: int | None) -> bool:
    """A survey link an integration may submit for: its consortium's; for a town
    token, only links of the town's schools."""
    from ekkyo.registry.models import School

    p = actor.principal
    if p.system:
        return True
    if wave_consortium_id != actor.consortium_id:
        return False
    if wave_consortium_id in p.admin_consortium_ids:
        return True
    return School.objects.filter(pk=school_id or 0, municipality_id__in=p.municipality_ids).exists()


# --- keyset pages -----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def page(qs: QuerySet[Any], *, sort: str, cursor: str | None, limit: int) -> Page:
    """Rows after ``cursor`` by (``sort``, pk), at most ``limit`` (1..200).
    Raises ``core.cursor.BadCursor`` for a cursor we did not make."""
    limit = max(1, min(limit, cursors.MAX_LIMIT))
    qs = qs.order_by(sort, "pk")
    if cursor:
        value, pk = cursors.decode(cursor)
        if sort != "pk":
            qs = qs.filter(Q(**{f"{sort}__gt": value}) | Q(**{sort: value, "pk__gt": pk}))
        else:
            qs = qs.filter(pk__gt=pk)
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = None
    if more:
        last = rows[-1]
        key = getattr(last, sort)
        nxt = cursors.encode(key.isoformat() if hasattr(key, "isoformat") else key, last.pk)
    return Page(rows, nxt)


def _scoped(model: type[Model], actor: Actor, grant: Grant) -> QuerySet[Any]:
    # safe: filtered by the actor's grant right here, as the pages' lists are
    return model._unscoped.filter(grant_filter(model, actor.principal, grant))  # type: ignore[attr-defined]


def programmes_for(*, actor: Actor) -> QuerySet[Programme]:
    """The consortium's published (or cancelled) programmes and the drafts the
    actor manages, as in the catalogue and the management pages."""
    visible = Q(status__in=[ProgrammeStatus.PUBLISHED, ProgrammeStatus.CANCELLED]) | Q(
        pk__in=manageable_programmes(actor.principal).values("pk")
    )
    return Programme.objects.filter(visible, consortium_id=actor.consortium_id or 0)


def programme_for(*, actor: Actor, programme_id: int) -> Programme:
    found = visible_programme(actor.principal, programme_id)
    if found is None or found.consortium_id != actor.consortium_id:
        raise NotFound
    return found


def applications_for(*, actor: Actor) -> QuerySet[Application]:
    """Applications the actor sees (hosting included: applicants to its programmes)."""
    return _scoped(Application, actor, Grant.HOSTING)


def stays_for(*, actor: Actor) -> QuerySet[Stay]:
    return _scoped(Stay, actor, Grant.HOSTING)


def residences_for(*, actor: Actor) -> QuerySet[Residence]:
    return _scoped(Residence, actor, Grant.HOSTING)


def kpi_figures_for(*, actor: Actor, fy: int) -> dict[str, Any]:
    """The FY's KPI figures for the actor's consortium (a town: its own row),
    through the publishing gate (``kpis.selectors.released_kpi_table``) like the
    reader's exports: figures leaving the platform by API are disclosure-controlled."""
    from ekkyo.kpis.selectors import released_kpi_table

    consortium = Consortium.objects.filter(pk=actor.consortium_id or 0).first()
    if consortium is None:
        raise NotFound
    k = int(consortium.disclosure_k)
    # The same gate, publication and cache as the reader's exports: the API
    # releases exactly the figures the grant workbook shows this reader.
    table = released_kpi_table(actor=actor, consortium=consortium, fy=fy)
    members = table["members"]
    rows: list[tuple[str | None, str, dict[str, Any]]] = [(None, "", table["consortium"])]
    rows += [(m["code"], str(m["member"].municipality.name), m["cells"]) for m in members]
    out = []
    for code, name, row in rows:
        figures = []
        for kpi, c in row.items():
            hidden = c["actual"] == SUPPRESSED_MARKER
            figures.append(
                {
                    "kpi": str(kpi),
                    "actual": None if hidden else int(c["actual"]),
                    "suppressed": hidden,
                    "target": c["target"],
                }
            )
        out.append({"municipality_code": code, "name": name, "figures": figures})
    return {"fy": fy, "k": k, "generated_at": timezone.now().isoformat(), "rows": out}
