"""Writes for team sets and team spaces. Views call these; nothing else writes.

Team formation itself is ``ekkyo.core.teams`` (plain Python): this module
turns the seat holders of an online programme into a core Problem, stores
the Solution, re-scores hand edits with ``evaluate`` and keeps the team
spaces (posts, files, mentors, notifications). Every function takes the
acting user explicitly; callers check access first (views fetch objects
through the scoped managers).
"""

from __future__ import annotations

import dataclasses
import io
import uuid
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core import teams as core
from ekkyo.partners.models import Partner
from ekkyo.people.models import Student
from ekkyo.programmes.models import ApplicationChoice, Programme, ProgrammeKind, Seat

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

METHODS = ("auto", "exact", "heuristic")
MAX_FILE_BYTES = 10 * 1024 * 1024


class TeamError(Exception):
    """A refusal with a message for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- building the core problem -------------------------------------------------


def participants(programme: Programme) -> list[Student]:
    """Students holding a confirmed (not cancelled) seat of the programme."""
    ids = Seat._unscoped.filter(programme=programme, cancelled_at__isnull=True).values("student_id")
    return list(
        Student._unscoped.filter(pk__in=ids)
        .select_related("school", "home_municipality")
        .order_by("pk")
    )


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


def core_id(student_pk: int) -> str:
    """The id a student has in a core Problem: "s" + pk, so messages naming it
    (violations) can be turned back into names without mistaking a count."""
    return f"s{student_pk}"


def student_pk(cid: str) -> int:
    return int(cid[1:])


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
    for team_id, sid in TeamMember._unscoped.filter(team_set=previous).values_list(
        "team_id", "student_id"
    ):
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


# --- forming, moving, publishing -------------------------------------------------


@transaction.atomic
def teamset_form(
    *,
    programme: Programme,
    team_size: int,
    weights: core.Weights | None = None,
    method: str = "auto",
    previous: TeamSet | None = None,
    require: Sequence[tuple[int, int]] = (),
    prevent: Sequence[tuple[int, int]] = (),
    name: str = "",
    time_limit: float = 10.0,
    seed: int = 0,
    max_students: int | None = None,
    user: Any,
    request: Any = None,
) -> TeamSet:
    """Form teams from the programme's confirmed seat holders and store them (draft).

    ``previous`` asks for new teammates for everyone (pairs who were together
    there are kept apart when possible). Raises TeamError when the programme
    is not online, has too few participants, or the core refuses the problem.
    """
    if programme.kind != ProgrammeKind.ONLINE:
        raise TeamError(_("Teams are formed for online programmes only."))
    if method not in METHODS:
        raise TeamError(_("Unknown method."))
    if previous is not None and previous.programme_id != programme.pk:
        raise TeamError(_("The previous team set belongs to another programme."))
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
    rounds = TeamSet._unscoped.filter(programme=programme).count()
    team_set = TeamSet._unscoped.create(
        programme=programme,
        name=name or _("Teams %(n)s") % {"n": rounds + 1},
        round_number=rounds + 1,
        team_size=team_size,
        weights=dataclasses.asdict(weights),
        method=solution.method,
        previous=previous,
        created_by=user if getattr(user, "pk", None) else None,
    )
    _store_scores(team_set, solution)
    theme_names = [str(t) for t in programme.themes.all()]
    teams = Team._unscoped.bulk_create(
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
    TeamMember._unscoped.bulk_create(
        [
            TeamMember(team_set=team_set, team=team, student_id=student_pk(sid))
            for team, members in zip(teams, solution.teams, strict=True)
            for sid in members
        ],
        batch_size=1000,
    )
    audit_record(
        request=request,
        user=user if getattr(user, "pk", None) else None,
        action=Action.CREATE,
        obj=team_set,
        consortium_id=programme.consortium_id,
        summary=f"team set formed: {len(teams)} teams of {len(students)} students",
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


def teamset_teams(team_set: TeamSet) -> list[tuple[Team, list[str]]]:
    """Teams in number order with their members' ids as the core sees them."""
    teams = list(Team._unscoped.filter(team_set=team_set).order_by("number"))
    members: dict[int, list[str]] = {t.pk: [] for t in teams}
    for team_id, sid in (
        TeamMember._unscoped.filter(team_set=team_set)
        .order_by("pk")
        .values_list("team_id", "student_id")
    ):
        members[team_id].append(core_id(sid))
    return [(t, members[t.pk]) for t in teams]


def teamset_problem(team_set: TeamSet) -> core.Problem:
    ids = TeamMember._unscoped.filter(team_set=team_set).values("student_id")
    students = list(
        Student._unscoped.filter(pk__in=ids)
        .select_related("school", "home_municipality")
        .order_by("pk")
    )
    return build_problem(
        students=students,
        team_size=team_set.team_size,
        weights=weights_from(team_set.weights),
        previous=team_set.previous,
    )


@transaction.atomic
def teamset_move_member(
    *,
    team_set: TeamSet,
    student_id: int,
    to_team: Team,
    expected_version: int | None,
    user: Any,
    request: Any = None,
) -> TeamSet:
    """Move one student to another team of the same set and re-score every team.

    Refused when the set changed since the page was loaded (``expected_version``)
    so two staff editing at once cannot overwrite each other silently.
    """
    locked = TeamSet._unscoped.select_for_update().get(pk=team_set.pk)
    if expected_version is not None and expected_version != locked.version:
        raise TeamError(
            _("These teams were changed by someone else meanwhile. Reload the page and try again.")
        )
    if to_team.team_set_id != locked.pk:
        raise TeamError(_("That team belongs to another team set."))
    member = TeamMember._unscoped.filter(team_set=locked, student_id=student_id).first()
    if member is None:
        raise TeamError(_("That student is not in this team set."))
    if member.team_id == to_team.pk:
        return locked
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
    locked.version += 1
    _store_scores(locked, solution)
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        obj=locked,
        consortium_id=locked.programme.consortium_id,
        summary=f"student {student_id} moved from team {from_team_id} to team {to_team.pk}",
    )
    if locked.status == TeamSetStatus.PUBLISHED:
        _notify(to_team, NotificationKind.MOVED, exclude_user_id=None)
        _notify(Team._unscoped.get(pk=from_team_id), NotificationKind.MOVED, exclude_user_id=None)
    team_set.version = locked.version
    return locked


@transaction.atomic
def teamset_publish(*, team_set: TeamSet, user: Any, request: Any = None) -> TeamSet:
    """Show the teams to their students (and mentors); notifies every member."""
    locked = TeamSet._unscoped.select_for_update().get(pk=team_set.pk)
    if locked.status == TeamSetStatus.PUBLISHED:
        return locked
    locked.status = TeamSetStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "published_at", "version"])
    for team in Team._unscoped.filter(team_set=locked):
        _notify(team, NotificationKind.PUBLISHED, exclude_user_id=None)
    audit_record(
        request=request,
        user=user if getattr(user, "pk", None) else None,
        action=Action.UPDATE,
        obj=locked,
        consortium_id=locked.programme.consortium_id,
        summary="team set published",
    )
    return locked


@transaction.atomic
def team_theme_set(*, team: Team, theme: str, user: Any, request: Any = None) -> Team:
    team.theme = theme.strip()[:200]
    team.save(update_fields=["theme"])
    return team


# --- comparing two sets ------------------------------------------------------------


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
    """How many pairs of teammates the two sets share."""
    pa, pb = _pairs(a), _pairs(b)
    return Comparison(shared_pairs=len(pa & pb), pairs_a=len(pa), pairs_b=len(pb))


# --- team spaces: notifications, posts, files, mentors -------------------------------


def _member_user_ids(team: Team) -> list[int]:
    return [
        uid
        for uid in TeamMember._unscoped.filter(team=team).values_list("student__user_id", flat=True)
        if uid
    ]


def _notify(team: Team, kind: str, *, exclude_user_id: int | None) -> None:
    TeamNotification._unscoped.bulk_create(
        [
            TeamNotification(user_id=uid, team=team, kind=kind)
            for uid in _member_user_ids(team)
            if uid != exclude_user_id
        ]
    )


def _label(user: Any) -> tuple[str, str]:
    """The author's name for teammates and staff, and the first name only (for mentors)."""
    if getattr(user, "pk", None) is None:
        return "", ""
    student = Student._unscoped.filter(user_id=user.pk).first()
    if student is not None:
        return student.full_name, student.given_name
    return str(user), str(user)


def post_create(
    *, team: Team, user: Any, body: str, kind: str = PostKind.POST, client_id: uuid.UUID | None
) -> TeamPost:
    """Add a post or reflection. A resend with the same ``client_id`` (double
    submit, a retried request) returns the first post instead of a second one."""
    body = body.strip()
    if not body:
        raise TeamError(_("Write something first."))
    if kind not in PostKind.values:
        raise TeamError(_("Unknown kind of post."))
    if client_id is not None:
        existing = TeamPost._unscoped.filter(team=team, client_id=client_id).first()
        if existing is not None:
            return existing
    label, first = _label(user)
    try:
        with transaction.atomic():
            post = TeamPost._unscoped.create(
                team=team,
                author=user,
                author_label=f"{label}\t{first}"[:120],
                kind=kind,
                body=body[:4000],
                client_id=client_id,
            )
    except IntegrityError:
        return TeamPost._unscoped.get(team=team, client_id=client_id)
    _notify(team, NotificationKind.POST, exclude_user_id=getattr(user, "pk", None))
    return post


@transaction.atomic
def post_hide(*, post: TeamPost, user: Any, reason: str, request: Any = None) -> TeamPost:
    """Staff moderation: the post stays stored (and audit-logged) but is no longer shown."""
    if not reason.strip():
        raise TeamError(_("Give a reason for hiding the post."))
    if post.hidden_at is None:
        post.hidden_at = timezone.now()
        post.hidden_by = user
        post.hidden_reason = reason.strip()[:200]
        post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        audit_record(
            request=request,
            user=user,
            action=Action.UPDATE,
            obj=post,
            consortium_id=post.team.team_set.programme.consortium_id,
            summary="team post hidden (moderation)",
            detail={"reason": post.hidden_reason},
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


def file_upload(*, team: Team, user: Any, uploaded: UploadedFile) -> TeamFile:
    """Store a checked file for the team (type, size and content) and notify teammates."""
    if (uploaded.size or 0) > MAX_FILE_BYTES:
        raise TeamError(_("The file is larger than 10 MB."))
    data = uploaded.read()
    name = (uploaded.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:200]
    content_type = file_check(name, data)
    from django.core.files.base import ContentFile

    label, first = _label(user)
    tf = TeamFile(
        team=team,
        uploader=user,
        uploader_label=f"{label}\t{first}"[:120],
        original_name=name,
        content_type=content_type,
        size=len(data),
    )
    tf.file.save(name, ContentFile(data), save=False)
    tf.save()
    _notify(team, NotificationKind.FILE, exclude_user_id=getattr(user, "pk", None))
    return tf


@transaction.atomic
def mentor_add(
    *, team: Team, partner: Partner, name: str, role: str = "", user: Any, request: Any = None
) -> TeamMentor:
    if partner.consortium_id != team.team_set.programme.consortium_id:
        raise TeamError(_("That partner is not in this consortium."))
    if not name.strip():
        raise TeamError(_("Give the mentor's name."))
    mentor, _created = TeamMentor._unscoped.get_or_create(
        team=team, partner=partner, name=name.strip()[:100], defaults={"role": role.strip()[:100]}
    )
    audit_record(
        request=request,
        user=user,
        action=Action.CREATE,
        obj=mentor,
        consortium_id=partner.consortium_id,
        summary=f"mentor added to team {team.pk}",
    )
    return mentor


def notifications_read(*, user: Any, team: Team) -> int:
    return TeamNotification._unscoped.filter(user=user, team=team, read_at__isnull=True).update(
        read_at=timezone.now()
    )
