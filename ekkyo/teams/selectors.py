"""Reads of the team pages: access functions with explicit actors.

Staff who may manage a programme (``programmes.selectors.manageable_programmes``:
the secretariat, the host town or school) reach its team sets at the hosting
grant — team formation of its programmes' participants is part of hosting
(``docs/access.md``). Students and mentors reach published teams they are in
or mentor (the models' ``tenancy_filter``). Every object chosen in a URL or a
form is fetched with ``tenancy.access.access`` (404 for "missing" and "not
yours" alike, the latter recorded); staff views of team sets, team spaces and
files are audited.

The read helpers the formation services build on (``participants``,
``teamset_teams``, ``core_id``) live here too; they take objects a door has
already checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from ekkyo.allocation.models import Seat
from ekkyo.audit.services import audit_record
from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme, ProgrammeKind
from ekkyo.programmes.selectors import manageable_programmes
from ekkyo.tenancy.access import Grant, access, grant_filter, object_refusal
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal, Role

from . import events
from .models import (
    Team,
    TeamFile,
    TeamMember,
    TeamMentor,
    TeamNotification,
    TeamPost,
    TeamSet,
    TeamSetStatus,
)

MANAGERS = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)


# --- refusals and the programme ------------------------------------------------------


def may_manage(principal: Principal, team_set: TeamSet) -> bool:
    """Whether the principal is staff who may manage the set's programme."""
    if not principal.has_role(*MANAGERS):
        return False
    return manageable_programmes(principal).filter(pk=team_set.programme_id).exists()


def managed_set(*, actor: Actor, team_set_id: int) -> TeamSet:
    """A team set of a programme the actor manages (hosting grant)."""
    team_set = access(actor, TeamSet, grant=Grant.HOSTING, pk=team_set_id)
    if not may_manage(actor.principal, team_set):
        raise object_refusal(actor, "teams.teamset", Grant.HOSTING, pk=team_set_id)
    return team_set


# --- helpers of formation (objects already checked) ------------------------------------


def core_id(student_pk: int) -> str:
    """The id a student has in a core Problem: "s" + pk, so messages naming it
    (violations) can be turned back into names without mistaking a count."""
    return f"s{student_pk}"


def student_pk(cid: str) -> int:
    return int(cid[1:])


def participants(programme: Programme) -> list[Student]:
    """Students holding a confirmed (not cancelled) seat of a checked programme."""
    ids = Seat._unscoped.filter(  # safe: the seats of a programme the caller checked
        programme=programme, cancelled_at__isnull=True
    ).values("student_id")
    return list(
        Student._unscoped.filter(pk__in=ids)  # safe: the seat holders of that programme
        .select_related("school", "home_municipality")
        .order_by("pk")
    )


def teamset_teams(team_set: TeamSet) -> list[tuple[Team, list[str]]]:
    """Teams of a checked set in number order, with their members' ids as the core sees them."""
    teams = list(
        Team._unscoped.filter(team_set=team_set).order_by("number")  # safe: the checked set's
    )
    members: dict[int, list[str]] = {t.pk: [] for t in teams}
    for team_id, sid in (
        TeamMember._unscoped.filter(team_set=team_set)  # safe: the checked set's members
        .order_by("pk")
        .values_list("team_id", "student_id")
    ):
        members[team_id].append(core_id(sid))
    return [(t, members[t.pk]) for t in teams]


@dataclass(frozen=True)
class Comparison:
    shared_pairs: int
    pairs_a: int
    pairs_b: int


def _pairs(team_set: TeamSet) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for _team, members in teamset_teams(team_set):
        ms = sorted(members)
        out.update((a, b) for i, a in enumerate(ms) for b in ms[i + 1 :])
    return out


def teamset_compare(a: TeamSet, b: TeamSet) -> Comparison:
    """How many pairs of teammates two checked sets share."""
    pa, pb = _pairs(a), _pairs(b)
    return Comparison(shared_pairs=len(pa & pb), pairs_a=len(pa), pairs_b=len(pb))


# --- staff pages --------------------------------------------------------------------------


def online_programmes_managed(*, actor: Actor) -> QuerySet[Programme]:
    """The online programmes the actor manages, with their sets and seats counted."""
    return (
        manageable_programmes(actor.principal)
        .filter(kind=ProgrammeKind.ONLINE)
        .annotate(
            n_sets=Count("team_sets", distinct=True),
            n_seats=Count("seats", filter=Q(seats__cancelled_at__isnull=True), distinct=True),
        )
        .select_related("host_municipality__prefecture", "host_school")
        .order_by("-starts_on")
    )


def programme_team_sets(*, actor: Actor, programme: Programme) -> QuerySet[TeamSet]:
    """The team sets of a programme the actor manages (``programme_managed``)."""
    return TeamSet._unscoped.filter(  # safe: the actor's grant, on a programme checked above
        grant_filter(TeamSet, actor.principal, Grant.HOSTING), programme=programme
    )


@dataclass(frozen=True)
class TeamSetPage:
    team_set: TeamSet
    rows: list[dict[str, Any]]
    others: QuerySet[TeamSet]
    names: dict[str, str]


def _set_rows(team_set: TeamSet) -> list[dict[str, Any]]:
    members = (
        TeamMember._unscoped.filter(team_set=team_set)  # safe: the checked set's members
        .select_related("student__school", "student__home_municipality__prefecture")
        .order_by("student__family_name_kana", "student__given_name_kana", "pk")
    )
    by_team: dict[int, list[TeamMember]] = {}
    for m in members:
        by_team.setdefault(m.team_id, []).append(m)
    teams = Team._unscoped.filter(team_set=team_set).order_by("number")  # safe: the checked set
    return [{"team": t, "members": by_team.get(t.pk, [])} for t in teams]


def team_set_page(*, actor: Actor, team_set_id: int) -> TeamSetPage:
    """A managed team set with its members, for the staff page (audited)."""
    team_set = managed_set(actor=actor, team_set_id=team_set_id)
    rows = _set_rows(team_set)
    audit_record(
        actor=actor,
        event=events.TEAM_SET_VIEW,
        obj=team_set,
        consortium_id=team_set.programme.consortium_id,
        summary=f"team set with {sum(len(r['members']) for r in rows)} students",
    )
    others = programme_team_sets(actor=actor, programme=team_set.programme).exclude(pk=team_set.pk)
    names = {core_id(m.student_id): m.student.full_name for r in rows for m in r["members"]}
    return TeamSetPage(team_set=team_set, rows=rows, others=others, names=names)


@dataclass(frozen=True)
class TeamSetExport:
    team_set: TeamSet
    teams: list[tuple[Team, list[Student]]]


def team_set_export(*, actor: Actor, team_set_id: int) -> TeamSetExport:
    """A managed team set's teams and members for the XLSX (audited as an export).

    Only the fields needed for hosting leave in the file (name, kana, school,
    home town, grade)."""
    team_set = managed_set(actor=actor, team_set_id=team_set_id)
    students = {
        m.student_id: m.student
        for m in TeamMember._unscoped.filter(  # safe: the checked set's members
            team_set=team_set
        ).select_related("student__school", "student__home_municipality__prefecture")
    }
    teams = [
        (team, [students[student_pk(sid)] for sid in members])
        for team, members in teamset_teams(team_set)
    ]
    audit_record(
        actor=actor,
        event=events.TEAM_SET_EXPORT,
        obj=team_set,
        consortium_id=team_set.programme.consortium_id,
        summary="team set XLSX export",
        detail={"students": len(students), "format": "xlsx"},
    )
    return TeamSetExport(team_set=team_set, teams=teams)


# --- team spaces --------------------------------------------------------------------------


def my_teams(*, actor: Actor) -> list[tuple[Team, int]]:
    """Published teams the actor is in (student) or mentors (partner), with unread counts."""
    principal = actor.principal
    grant = Q(pk__in=[])
    if principal.student_id:
        grant |= Q(members__student_id=principal.student_id)
    if principal.partner_ids:
        grant |= Q(mentors__partner_id__in=principal.partner_ids)
    ids = Team._unscoped.filter(  # safe: the actor's own memberships and mentoring only
        grant, team_set__status=TeamSetStatus.PUBLISHED
    ).values("pk")
    teams = (
        Team._unscoped.filter(pk__in=ids)  # safe: the ids chosen just above
        .select_related("team_set__programme")
        .annotate(n_members=Count("members"))
        .order_by("-team_set__published_at", "number")
    )
    unread = dict(
        TeamNotification._unscoped.filter(  # safe: the actor's own notifications
            user_id=actor.user_id or 0, read_at__isnull=True
        )
        .values_list("team_id")
        .annotate(n=Count("pk"))
        .values_list("team_id", "n")
    )
    return [(t, unread.get(t.pk, 0)) for t in teams]


@dataclass(frozen=True)
class TeamSpace:
    team: Team
    can_manage: bool
    full: bool
    members: QuerySet[TeamMember]
    posts: QuerySet[TeamPost]
    files: QuerySet[TeamFile]
    mentors: QuerySet[TeamMentor]
    notifications: list[TeamNotification]


def team_for(*, actor: Actor, team_id: int) -> Team:
    """A team the actor reaches: its students and mentors once published, and
    staff who manage its programme (hosting grant)."""
    return access(actor, Team, grant=Grant.HOSTING, pk=team_id)


def managed_post(*, actor: Actor, post_id: int) -> TeamPost:
    """A post of a team whose programme the actor manages (for moderation)."""
    post = access(actor, TeamPost, grant=Grant.HOSTING, pk=post_id)
    if not may_manage(actor.principal, post.team.team_set):
        raise object_refusal(actor, "teams.teampost", Grant.HOSTING, pk=post_id)
    return post


def team_space(*, actor: Actor, team_id: int) -> TeamSpace:
    """A team's space as the actor may see it (hosting grant).

    Managing staff see hidden posts and are audited; students see their
    teammates in full; mentors only first names and prefectures (the template
    reads ``full``)."""
    team = access(actor, Team, grant=Grant.HOSTING, pk=team_id)
    can_manage = may_manage(actor.principal, team.team_set)
    full = can_manage or bool(actor.principal.student_id)
    members = (
        TeamMember._unscoped.filter(team=team)  # safe: the team checked by access() above
        .select_related("student__school", "student__home_municipality__prefecture")
        .order_by("student__family_name_kana", "student__given_name_kana", "pk")
    )
    posts = TeamPost._unscoped.filter(team=team)  # safe: the team checked by access() above
    if not can_manage:
        posts = posts.filter(hidden_at__isnull=True)
    notifications = list(
        TeamNotification._unscoped.filter(  # safe: the actor's own notifications
            user_id=actor.user_id or 0, team=team
        ).order_by("-created_at")[:10]
    )
    if can_manage:
        audit_record(
            actor=actor,
            event=events.TEAM_VIEW,
            obj=team,
            consortium_id=team.team_set.programme.consortium_id,
            summary="team space",
        )
    return TeamSpace(
        team=team,
        can_manage=can_manage,
        full=full,
        members=members,
        posts=posts.select_related("hidden_by"),
        files=TeamFile._unscoped.filter(team=team),  # safe: the team checked above
        mentors=TeamMentor._unscoped.filter(team=team).select_related(  # safe: the team above
            "partner"
        ),
        notifications=notifications,
    )


def team_file(*, actor: Actor, file_id: int) -> TeamFile:
    """A file of a team the actor reaches (hosting grant); staff downloads are audited."""
    tf = access(actor, TeamFile, grant=Grant.HOSTING, pk=file_id)
    if may_manage(actor.principal, tf.team.team_set):
        audit_record(
            actor=actor,
            event=events.TEAM_FILE_DOWNLOAD,
            obj=tf,
            consortium_id=tf.team.team_set.programme.consortium_id,
            summary=f"team file downloaded: {tf.original_name[:80]}",
            detail={"team": tf.team_id},
        )
    return tf
