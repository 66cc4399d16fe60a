"""Demo teams: formed and published for the demo's online programmes, with a few posts.

Kept fast at any demo size: at most ``max_programmes`` programmes (those with
the most confirmed seats first), at most ``max_students`` students each, the
fast search with a short time limit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.db.models import Count, Q

from ekkyo.accounts.models import Membership
from ekkyo.programmes.models import Programme, ProgrammeKind
from ekkyo.registry.models import Consortium
from ekkyo.teams.models import Team, TeamMember
from ekkyo.teams.services import TeamError, post_create, teamset_form, teamset_publish
from ekkyo.tenancy.actor import Actor, system_actor
from ekkyo.tenancy.principal import Role

POSTS = [
    ("post", "はじめまして！それぞれの町の「困りごと」を一つずつ持ち寄りましょう。"),
    ("post", "次回のオンライン交流までに、地域の写真を1枚ずつ共有してください。"),
    ("reflection", "他の町の人と話して、自分の町の良さと課題が前よりはっきり見えました。"),
]


def _author(actor: Actor, user: Any) -> Actor:
    """The seeding job posting in a demo user's name (the post's author)."""
    if user is None:
        return actor
    return replace(actor, user_id=user.pk, label=str(user)[:200], user=user)


def seed_teams(
    consortium: Consortium,
    *,
    max_programmes: int = 6,
    max_students: int = 60,
    team_size: int = 4,
    progress: Callable[[str], None] = lambda _msg: None,
) -> int:
    """Form, publish and seed posts for the online programmes with confirmed seats.
    Runs inside the caller's system scope; returns the number of teams made."""
    programmes = (
        Programme.objects.filter(consortium=consortium, kind=ProgrammeKind.ONLINE)
        .annotate(n=Count("seats", filter=Q(seats__cancelled_at__isnull=True)))
        .filter(n__gte=team_size)
        .order_by("-n", "pk")[:max_programmes]
    )
    admin = (
        Membership.objects.filter(consortium=consortium, role=Role.CONSORTIUM_ADMIN)
        .select_related("user")
        .first()
    )
    actor = system_actor(reason="demo seed: teams", consortium_id=consortium.pk)
    made = 0
    for p in programmes:
        try:
            ts = teamset_form(
                actor=actor,
                programme_id=p.pk,
                team_size=team_size,
                method="heuristic",
                time_limit=0.3,  # a demo's teams: good enough in a third of a second each
                max_students=max_students,
            )
        except TeamError:
            continue
        teamset_publish(actor=actor, team_set_id=ts.pk)
        teams = list(Team._unscoped.filter(team_set=ts).order_by("number"))
        made += len(teams)
        for i, team in enumerate(teams[:3]):
            author = TeamMember._unscoped.filter(team=team, student__user__isnull=False).first()
            user = author.student.user if author is not None else (admin.user if admin else None)
            kind, body = POSTS[i % len(POSTS)]
            post_create(
                actor=_author(actor, user),
                team_id=team.pk,
                body=body,
                kind=kind,
                client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"ekkyo-demo-team-{team.pk}"),
            )
    progress(f"teams: {made} in {len(programmes)} online programmes")
    return made
