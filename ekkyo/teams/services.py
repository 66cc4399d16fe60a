"""Writes for team sets and team spaces. Views call these; nothing else writes.

Team formation itself is ``ekkyo.core.teams`` (plain Python): this module
turns the seat holders of an online programme into a core Problem, stores
the Solution, re-scores hand edits with ``evaluate`` and keeps the team
spaces (posts, files, mentors, notifications).

Every door takes an explicit :class:`Actor`, fetches what it acts on with
``tenancy.access.access`` at the hosting grant the routes declare (staff who
manage the programme; students and mentors of published teams for posts and
files) and writes an audit row with a specific code (``teams.events``).
Commands and the demo pass ``system_actor(...)``.
"""

from __future__ import annotations

import dataclasses
import io
import uuid
import zipfile
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ekkyo.accounts.models import User
from ekkyo.allocation.models import ApplicationChoice
from ekkyo.audit.services import audit_record, snapshot
from ekkyo.core import teams as core
from ekkyo.jobs.models import Job, JobKind
from ekkyo.jobs.services import JobError, Progress, job_start_once
from ekkyo.partners.models import Partner
from ekkyo.people.models import Student
from ekkyo.programmes.models import ProgrammeKind
from ekkyo.programmes.selectors import programme_managed
from ekkyo.tenancy.access import Grant, access, object_refusal
from ekkyo.tenancy.actor import Actor

from . import events
from .models import (
    NotificationKind,
    PostKind,
    Team,
    TeamFile,
    TeamMember,
    TeamMentor,
    TeamNotification,
    TeamPost,
    TeamSet,
    TeamSetStatus,
)
from .selectors import (
    core_id,
    managed_post,
    managed_set,
    may_manage,
    participants,
    student_pk,
    teamset_teams,
)

METHODS = ("auto", "exact", "heuristic")
MAX_FILE_BYTES = 10 * 1024 * 1024


class TeamError(Exception):
    """A refusal with a message for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- building the core problem -------------------------------------------------


def ranked_themes(students: Sequence[Student]) -> dict[int, tuple[str, ...]]:
    """Each student's themes in the order they ranked the programmes carrying them
    (from their applications); students who never applied get none."""
    rows = (
        ApplicationChoice.objects.filter(application__student__in=[s.pk for s in students])
        .order_by("application__student_id", "application_id", "rank")
        .values_list("application__student_id", "programme__themes__code")
    )
    out: dict[int, list[str]] = {}
    for sid, code in rows:
        if code and code not in out.setdefault(sid, []):
            out[sid].append(code)
    return {k: tuple(v) for k, v in out.items()}


def core_student(student: Student, interests: tuple[str, ...] = ()) -> core.Student:
    muni = student.home_municipality
    school = student.school.code if student.school_id else student.school_name_other  # type: ignore[union-attr]
    return core.Student(
        id=core_id(student.pk),
        school=school,
        municipality=muni.code if muni else f"abroad-{student.home_country}",
        prefecture=muni.prefecture_id if muni else f"abroad-{student.home_country}",
        grade=str(student.grade),
        gender=student.gender or "",
        interests=interests,
    )


def weights_from(data: dict[str, Any]) -> core.Weights:
    fields = {f.name for f in dataclasses.fields(core.Weights)}
    return core.Weights(**{k: float(v) for k, v in data.items() if k in fields})


def _previous_teams(previous: TeamSet | None, ids: set[str]) -> tuple[tuple[str, ...], ...]:
    if previous is None:
        return ()
    groups: dict[int, list[str]] = {}
    for team_id, sid in TeamMember._unscoped.filter(  # safe: a set the caller checked
        team_set=previous
    ).values_list("team_id", "student_id"):
        if core_id(sid) in ids:
            groups.setdefault(team_id, []).append(core_id(sid))
    return tuple(tuple(g) for g in groups.values() if len(g) >= 2)


def build_problem(
    *,
    students: Sequence[Student],
    team_size: int,
    weights: core.Weights,
    previous: TeamSet | None = None,
    require: Sequence[tuple[int, int]] = (),
    prevent: Sequence[tuple[int, int]] = (),
) -> core.Problem:
    interests = ranked_themes(students)
    cs = tuple(core_student(s, interests.get(s.pk, ())) for s in students)
    ids = {c.id for c in cs}
    return core.Problem(
        students=cs,
        team_size=team_size,
        require=tuple((core_id(a), core_id(b)) for a, b in require),
        prevent=tuple((core_id(a), core_id(b)) for a, b in prevent),
        previous_teams=_previous_teams(previous, ids),
        weights=weights,
    )


def _team_theme(problem: core.Problem, members: Sequence[str], fallback: str) -> str:
    by_id = {s.id: s for s in problem.students}
    firsts = Counter(by_id[m].interests[0] for m in members if by_id[m].interests)
    if firsts:
        code = sorted(firsts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        from ekkyo.programmes.models import Theme

        theme = Theme.objects.filter(code=code).first()
        return theme.name if theme else code
    return fallback


def _user(actor: Actor) -> User | None:
    """The actor's account for ``created_by``/``author`` fields (none for a job)."""
    return cast("User | None", actor.user if getattr(actor.user, "pk", None) else None)


# --- forming, moving, publishing -------------------------------------------------


def _formation(
    *, actor: Actor, programme_id: int, method: str, previous_id: int | None
) -> tuple[Any, TeamSet | None]:
    """The programme (and previous set) of a formation request, if the actor
    manages them and the request can be formed (hosting grant)."""
    programme = programme_managed(actor=actor, programme_id=programme_id)
    previous = (
        access(actor, TeamSet, grant=Grant.HOSTING, pk=previous_id)
        if previous_id is not None
        else None
    )
    if programme.kind != ProgrammeKind.ONLINE:
        raise TeamError(_("Teams are formed for online programmes only."))
    if method not in METHODS:
        raise TeamError(_("Unknown method."))
    if previous is not None and previous.programme_id != programme.pk:
        raise TeamError(_("The previous team set belongs to another programme."))
    return programme, previous


#: From this many participants, forming teams runs on the task queue (its page
#: shows the progress); smaller programmes are formed while the page waits.
QUEUE_FROM_STUDENTS = 150


@transaction.atomic
def teamset_form_start(
    *,
    actor: Actor,
    programme_id: int,
    team_size: int,
    weights: core.Weights | None = None,
    method: str = "auto",
    previous_id: int | None = None,
    name: str = "",
    time_limit: float = 10.0,
) -> Job:
    """Hand the forming of a large programme's teams to the queue; returns the job.

    The same checks as :func:`teamset_form` first (so a refusal is shown on the
    form at once); a second click while a job of the programme waits or runs
    returns that job."""
    programme, _previous = _formation(
        actor=actor, programme_id=programme_id, method=method, previous_id=previous_id
    )
    if team_size < 2:
        raise TeamError(_("A team needs at least two students."))
    return job_start_once(
        actor=actor,
        kind=JobKind.TEAMS_FORM,
        consortium_id=programme.consortium_id,
        params={
            "programme_id": programme.pk,
            "team_size": team_size,
            "weights": dataclasses.asdict(weights or core.Weights()),
            "method": method,
            "previous_id": previous_id,
            "name": name,
            "time_limit": time_limit,
        },
        same={"programme_id": programme.pk},
        rows_total=len(participants(programme)),
    )


def teamset_form_job(actor: Actor, job: Job, progress: Progress) -> dict[str, Any]:
    """The queue's side of :func:`teamset_form_start`. The set is written in
    the same transaction as the job's note of it, so a retried job finds its
    set and forms nothing twice."""
    from django.urls import reverse

    done = (job.result or {}).get("team_set")
    # safe: the set this job wrote, if any (the job is the system's own)
    if done and TeamSet._unscoped.filter(pk=done).exists():
        progress.link(reverse("teams:set_detail", kwargs={"team_set_id": done}))
        return dict(job.result)
    p = job.params
    try:
        with transaction.atomic():
            team_set = teamset_form(
                actor=actor,
                programme_id=int(p["programme_id"]),
                team_size=int(p["team_size"]),
                weights=core.Weights(**p.get("weights", {})),
                method=str(p.get("method", "auto")),
                previous_id=p.get("previous_id"),
                name=str(p.get("name", "")),
                time_limit=float(p.get("time_limit", 10.0)),
            )
            result = {"team_set": team_set.pk, "teams": team_set.teams.count()}
            Job._unscoped.filter(pk=job.pk).update(result=result)  # safe: the running job
    except TeamError as exc:
        raise JobError(str(exc.message)) from exc
    progress.link(reverse("teams:set_detail", kwargs={"team_set_id": team_set.pk}))
    return result


@transaction.atomic
def teamset_form(
    *,
    actor: Actor,
    programme_id: int,
    team_size: int,
    weights: core.Weights | None = None,
    method: str = "auto",
    previous_id: int | None = None,
    require: Sequence[tuple[int, int]] = (),
    prevent: Sequence[tuple[int, int]] = (),
    name: str = "",
    time_limit: float = 10.0,
    seed: int = 0,
    max_students: int | None = None,
) -> TeamSet:
    """Form teams from the programme's confirmed seat holders and store them (draft).

    Hosting grant: the programme must be one the actor manages, and
    ``previous_id`` one of its sets. ``previous`` asks for new teammates for
    everyone (pairs who were together there are kept apart when possible).
    Raises TeamError when the programme is not online, has too few
    participants, or the core refuses the problem.
    """
    programme, previous = _formation(
        actor=actor, programme_id=programme_id, method=method, previous_id=previous_id
    )
    students = participants(programme)
    if max_students is not None:
        students = students[:max_students]
    if len(students) < 2:
        raise TeamError(_("At least two students with confirmed seats are needed."))
    if team_size < 2:
        raise TeamError(_("A team needs at least two students."))
    weights = weights or core.Weights()
    try:
        problem = build_problem(
            students=students,
            team_size=team_size,
            weights=weights,
            previous=previous,
            require=require,
            prevent=prevent,
        )
        solution = core.form_teams(problem, method=method, time_limit=time_limit, seed=seed)
    except core.ProblemError as exc:
        raise TeamError(_("The team rules cannot be used: %(error)s") % {"error": exc}) from exc
    # safe: the sets of the programme checked by programme_managed() above
    rounds = TeamSet._unscoped.filter(programme=programme).count()
    team_set = TeamSet._unscoped.create(  # safe: a new set of the checked programme
        programme=programme,
        name=name or _("Teams %(n)s") % {"n": rounds + 1},
        round_number=rounds + 1,
        team_size=team_size,
        weights=dataclasses.asdict(weights),
        method=solution.method,
        previous=previous,
        created_by=_user(actor),
    )
    _store_scores(team_set, solution)
    theme_names = [str(t) for t in programme.themes.all()]
    teams = Team._unscoped.bulk_create(  # safe: the teams of the set created above
        [
            Team(
                team_set=team_set,
                number=i + 1,
                score=solution.team_scores[i],
                theme=_team_theme(
                    problem, members, theme_names[i % len(theme_names)] if theme_names else ""
                ),
            )
            for i, members in enumerate(solution.teams)
        ]
    )
    TeamMember._unscoped.bulk_create(  # safe: the programme's seat holders, in the new set
        [
            TeamMember(team_set=team_set, team=team, student_id=student_pk(sid))
            for team, members in zip(teams, solution.teams, strict=True)
            for sid in members
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor,
        event=events.TEAM_SET_FORM,
        obj=team_set,
        consortium_id=programme.consortium_id,
        summary=f"team set formed: {len(teams)} teams of {len(students)} students",
        detail={
            "programme": programme.pk,
            "method": team_set.method,
            "team_size": team_size,
            "previous": previous.pk if previous else None,
        },
    )
    return team_set


def _store_scores(team_set: TeamSet, solution: core.Solution) -> None:
    team_set.min_score = solution.min_score
    team_set.harmonic_mean = solution.harmonic_mean
    team_set.bound = solution.bound
    team_set.gap = solution.gap
    team_set.optimal = solution.optimal
    team_set.violations = list(solution.violations)
    team_set.warnings = list(getattr(solution, "warnings", []))
    team_set.save()


def teamset_problem(team_set: TeamSet) -> core.Problem:
    """The core Problem of a checked set's current members (to re-score it)."""
    ids = TeamMember._unscoped.filter(team_set=team_set).values(  # safe: the checked set's
        "student_id"
    )
    students = list(
        Student._unscoped.filter(pk__in=ids)  # safe: the members of the checked set
        .select_related("school", "home_municipality")
        .order_by("pk")
    )
    return build_problem(
        students=students,
        team_size=team_set.team_size,
        weights=weights_from(team_set.weights),
        previous=team_set.previous,
    )


def _locked_set(actor: Actor, team_set_id: int) -> TeamSet:
    checked = managed_set(actor=actor, team_set_id=team_set_id)
    # safe: managed_set() above checked the actor manages this set
    return TeamSet._unscoped.select_for_update().select_related("programme").get(pk=checked.pk)


@transaction.atomic
def teamset_move_member(
    *,
    actor: Actor,
    team_set_id: int,
    student_id: int,
    to_team_id: int,
    expected_version: int | None,
) -> TeamSet:
    """Move one student to another team of the same set and re-score every team.

    Hosting grant on a set the actor manages. Refused when the set changed
    since the page was loaded (``expected_version``) so two staff editing at
    once cannot overwrite each other silently.
    """
    locked = _locked_set(actor, team_set_id)
    if expected_version is not None and expected_version != locked.version:
        raise TeamError(
            _("These teams were changed by someone else meanwhile. Reload the page and try again.")
        )
    # safe: a team of the set checked above (another set's team is "not found" here)
    to_team = Team._unscoped.filter(team_set=locked, pk=to_team_id).first()
    if to_team is None:
        raise TeamError(_("Choose a team."))
    # safe: a member of the set checked above
    member = TeamMember._unscoped.filter(team_set=locked, student_id=student_id).first()
    if member is None:
        raise TeamError(_("That student is not in this team set."))
    if member.team_id == to_team.pk:
        return locked
    # safe: the member's own team, in the set checked above
    if TeamMember._unscoped.filter(team_id=member.team_id).count() <= 1:
        raise TeamError(_("A team cannot be left empty: move someone else in first."))
    from_team_id = member.team_id
    member.team = to_team
    member.save(update_fields=["team"])
    problem = teamset_problem(locked)
    pairs = teamset_teams(locked)
    solution = core.evaluate(problem, [m for _t, m in pairs])
    for (team, _m), score in zip(pairs, solution.team_scores, strict=True):
        if team.score != score:
            team.score = score
            team.save(update_fields=["score"])
    before = snapshot(locked, ["version", "min_score"])
    locked.version += 1
    _store_scores(locked, solution)
    audit_record(
        actor=actor,
        event=events.TEAM_SET_MEMBER_MOVE,
        obj=locked,
        consortium_id=locked.programme.consortium_id,
        summary=f"student {student_id} moved from team {from_team_id} to team {to_team.pk}",
        detail={"student": student_id, "from_team": from_team_id, "to_team": to_team.pk},
        old=before,
        new=snapshot(locked, ["version", "min_score"]),
    )
    if locked.status == TeamSetStatus.PUBLISHED:
        _notify(to_team, NotificationKind.MOVED, exclude_user_id=None)
        # safe: the member's former team, in the set checked above
        _notify(Team._unscoped.get(pk=from_team_id), NotificationKind.MOVED, exclude_user_id=None)
    return locked


@transaction.atomic
def teamset_publish(*, actor: Actor, team_set_id: int) -> TeamSet:
    """Show the teams to their students (and mentors); notifies every member.

    Hosting grant on a set the actor manages; publishing twice is harmless."""
    locked = _locked_set(actor, team_set_id)
    if locked.status == TeamSetStatus.PUBLISHED:
        return locked
    before = snapshot(locked, ["status", "published_at"])
    locked.status = TeamSetStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "published_at", "version"])
    for team in Team._unscoped.filter(team_set=locked):  # safe: the teams of the set checked above
        _notify(team, NotificationKind.PUBLISHED, exclude_user_id=None)
    audit_record(
        actor=actor,
        event=events.TEAM_SET_PUBLISH,
        obj=locked,
        consortium_id=locked.programme.consortium_id,
        summary="team set published",
        old=before,
        new=snapshot(locked, ["status", "published_at"]),
    )
    return locked


@transaction.atomic
def team_theme_set(*, actor: Actor, team_set_id: int, team_id: int, theme: str) -> Team:
    """Change a team's theme (regional issue) in a set the actor manages."""
    team_set = managed_set(actor=actor, team_set_id=team_set_id)
    checked = access(actor, Team, grant=Grant.HOSTING, pk=team_id, team_set_id=team_set.pk)
    team = Team._unscoped.select_for_update().get(pk=checked.pk)  # safe: access() checked it
    before = snapshot(team, ["theme"])
    team.theme = theme.strip()[:200]
    team.save(update_fields=["theme"])
    audit_record(
        actor=actor,
        event=events.TEAM_THEME_SET,
        obj=team,
        consortium_id=team_set.programme.consortium_id,
        summary=f"team {team.number} theme set",
        old=before,
        new=snapshot(team, ["theme"]),
    )
    return team


# --- team spaces: notifications, posts, files, mentors -------------------------------


def _member_user_ids(team: Team) -> list[int]:
    return [
        uid
        for uid in TeamMember._unscoped.filter(team=team).values_list(  # safe: a checked team
            "student__user_id", flat=True
        )
        if uid
    ]


def _notify(team: Team, kind: str, *, exclude_user_id: int | None) -> None:
    TeamNotification._unscoped.bulk_create(  # safe: for the members of a team the door checked
        [
            TeamNotification(user_id=uid, team=team, kind=kind)
            for uid in _member_user_ids(team)
            if uid != exclude_user_id
        ]
    )


def _label(actor: Actor) -> tuple[str, str]:
    """The author's name for teammates and staff, and the first name only (for mentors)."""
    if actor.user_id is None:
        return "", ""
    # safe: the actor's own student record, if they are a student
    student = Student._unscoped.filter(user_id=actor.user_id).first()
    if student is not None:
        return student.full_name, student.given_name
    return actor.label, actor.label


def post_create(
    *,
    actor: Actor,
    team_id: int,
    body: str,
    kind: str = PostKind.POST,
    client_id: uuid.UUID | None,
) -> TeamPost:
    """Add a post or reflection to a team the actor reaches (hosting grant: its
    students, mentors and managing staff). A resend with the same ``client_id``
    (double submit, a retried request) returns the first post instead of a
    second one."""
    team = access(actor, Team, grant=Grant.HOSTING, pk=team_id)
    body = body.strip()
    if not body:
        raise TeamError(_("Write something first."))
    if kind not in PostKind.values:
        raise TeamError(_("Unknown kind of post."))
    if client_id is not None:
        # safe: the team checked by access() above
        existing = TeamPost._unscoped.filter(team=team, client_id=client_id).first()
        if existing is not None:
            return existing
    label, first = _label(actor)
    try:
        with transaction.atomic():
            post = TeamPost._unscoped.create(  # safe: the team checked by access() above
                team=team,
                author=_user(actor),
                author_label=f"{label}\t{first}"[:120],
                kind=kind,
                body=body[:4000],
                client_id=client_id,
            )
            audit_record(
                actor=actor,
                event=events.TEAM_POST_CREATE,
                obj=post,
                consortium_id=team.team_set.programme.consortium_id,
                summary=f"{kind} in team {team.pk}",
                detail={"team": team.pk, "kind": kind},
            )
    except IntegrityError:
        # safe: the team checked by access() above (the other request stored it)
        return TeamPost._unscoped.get(team=team, client_id=client_id)
    _notify(team, NotificationKind.POST, exclude_user_id=actor.user_id)
    return post


@transaction.atomic
def post_hide(*, actor: Actor, post_id: int, reason: str) -> TeamPost:
    """Staff moderation: the post stays stored (and audit-logged) but is no longer shown.

    Hosting grant, for staff who manage the team's programme only."""
    checked = managed_post(actor=actor, post_id=post_id)
    if not reason.strip():
        raise TeamError(_("Give a reason for hiding the post."))
    post = TeamPost._unscoped.select_for_update().get(pk=checked.pk)  # safe: checked above
    if post.hidden_at is None:
        before = snapshot(post, ["hidden_at", "hidden_reason"])
        post.hidden_at = timezone.now()
        post.hidden_by = _user(actor)
        post.hidden_reason = reason.strip()[:200]
        post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        audit_record(
            actor=actor,
            event=events.TEAM_POST_HIDE,
            obj=post,
            consortium_id=post.team.team_set.programme.consortium_id,
            summary="team post hidden (moderation)",
            detail={"reason": post.hidden_reason},
            old=before,
            new=snapshot(post, ["hidden_at", "hidden_reason"]),
        )
    return post


# Allowed files: extension → (content type, check of the first bytes / structure).
ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "txt": "text/plain; charset=utf-8",
}
_OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


def file_check(name: str, data: bytes) -> str:
    """The content type to serve, if the name's extension is allowed and the
    bytes really are that kind of file; raises TeamError otherwise."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED_TYPES:
        raise TeamError(
            _("Files of this type cannot be shared. Allowed: %(types)s")
            % {"types": ", ".join(sorted(set(ALLOWED_TYPES) - {"jpeg"}))}
        )
    if not data:
        raise TeamError(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise TeamError(_("The file is larger than 10 MB."))
    ok = False
    if ext == "pdf":
        ok = data.startswith(b"%PDF-")
    elif ext == "png":
        ok = data.startswith(b"\x89PNG\r\n\x1a\n")
    elif ext in ("jpg", "jpeg"):
        ok = data.startswith(b"\xff\xd8\xff")
    elif ext in _OOXML_PART:
        if data.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    names = zf.namelist()
                ok = "[Content_Types].xml" in names and any(
                    n.startswith(_OOXML_PART[ext]) for n in names
                )
            except zipfile.BadZipFile:
                ok = False
    elif ext == "txt":
        ok = _plain_text(data)
    if not ok:
        raise TeamError(_("The file's content does not match its name (.%(ext)s).") % {"ext": ext})
    return ALLOWED_TYPES[ext]


def _plain_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError:
            return False
    head = text[:2048].lower()
    # A "text" file that is really a web page could run script if ever rendered.
    return not any(tag in head for tag in ("<html", "<script", "<!doctype", "<svg", "<iframe"))


def file_upload(*, actor: Actor, team_id: int, uploaded: UploadedFile) -> TeamFile:
    """Store a checked file for a team the actor reaches (type, size and content)
    and notify teammates (hosting grant, as for posts)."""
    team = access(actor, Team, grant=Grant.HOSTING, pk=team_id)
    if (uploaded.size or 0) > MAX_FILE_BYTES:
        raise TeamError(_("The file is larger than 10 MB."))
    data = uploaded.read()
    name = (uploaded.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:200]
    content_type = file_check(name, data)
    from django.core.files.base import ContentFile

    label, first = _label(actor)
    tf = TeamFile(
        team=team,
        uploader=_user(actor),
        uploader_label=f"{label}\t{first}"[:120],
        original_name=name,
        content_type=content_type,
        size=len(data),
    )
    tf.file.save(name, ContentFile(data), save=False)
    with transaction.atomic():
        tf.save()
        audit_record(
            actor=actor,
            event=events.TEAM_FILE_UPLOAD,
            obj=tf,
            consortium_id=team.team_set.programme.consortium_id,
            summary=f"file shared in team {team.pk}",
            detail={"team": team.pk, "content_type": content_type, "size": len(data)},
        )
    _notify(team, NotificationKind.FILE, exclude_user_id=actor.user_id)
    return tf


@transaction.atomic
def mentor_add(
    *, actor: Actor, team_id: int, partner_id: int, name: str, role: str = ""
) -> TeamMentor:
    """Add a mentor of a partner of the consortium to a team the actor manages."""
    team = access(actor, Team, grant=Grant.HOSTING, pk=team_id)
    if not may_manage(actor.principal, team.team_set):
        raise object_refusal(actor, "teams.team", Grant.HOSTING, pk=team_id)
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None or partner.consortium_id != team.team_set.programme.consortium_id:
        raise TeamError(_("That partner is not in this consortium."))
    if not name.strip():
        raise TeamError(_("Give the mentor's name."))
    mentor, created = TeamMentor._unscoped.get_or_create(  # safe: the team checked above
        team=team, partner=partner, name=name.strip()[:100], defaults={"role": role.strip()[:100]}
    )
    if created:
        audit_record(
            actor=actor,
            event=events.TEAM_MENTOR_ADD,
            obj=mentor,
            consortium_id=partner.consortium_id,
            summary=f"mentor added to team {team.pk}",
            new=snapshot(mentor, ["team", "partner", "name", "role"]),
        )
    return mentor


def notifications_read(*, actor: Actor, team_id: int) -> int:
    """Mark the actor's own notifications of a team they reach as read."""
    team = access(actor, Team, grant=Grant.HOSTING, pk=team_id)
    n = TeamNotification._unscoped.filter(  # safe: the actor's own notifications only
        user_id=actor.user_id or 0, team=team, read_at__isnull=True
    ).update(read_at=timezone.now())
    if n:
        audit_record(
            actor=actor,
            event=events.TEAM_NOTIFICATIONS_READ,
            obj=team,
            consortium_id=team.team_set.programme.consortium_id,
            summary=f"{n} notifications read",
            detail={"count": n},
        )
    return n
