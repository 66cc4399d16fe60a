"""Team pages: staff form, adjust, compare, export and publish team sets; every
member (and mentor) has a team space. Objects are fetched through the scoped
managers, so "not yours" is a 404 like "missing"."""

from __future__ import annotations

import io
import re
import uuid

from django.contrib import messages
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core.teams import Weights
from ekkyo.programmes.models import Programme, ProgrammeKind
from ekkyo.programmes.selectors import manageable_programmes
from ekkyo.tenancy.access import Grant, access_object, require_roles
from ekkyo.tenancy.principal import Principal, Role

from . import services
from .exports import teamset_xlsx
from .forms import FileForm, FormTeamsForm, HideForm, MentorForm, PostForm, ThemeForm
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
FORM_TIME_LIMIT = 8.0


def _principal(request: HttpRequest) -> Principal:
    return request.principal  # type: ignore[attr-defined,no-any-return]


def _managed_programme(request: HttpRequest, programme_id: int) -> Programme:
    programme = manageable_programmes(_principal(request)).filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    return programme


def _managed_set(request: HttpRequest, team_set_id: int) -> TeamSet:
    team_set = access_object(request, TeamSet, pk=team_set_id)
    if not manageable_programmes(_principal(request)).filter(pk=team_set.programme_id).exists():
        raise Http404
    return team_set


def _may_manage(request: HttpRequest, team: Team) -> bool:
    principal = _principal(request)
    if not principal.has_role(*MANAGERS):
        return False
    return manageable_programmes(principal).filter(pk=team.team_set.programme_id).exists()


# --- staff ---------------------------------------------------------------------------


@require_GET
@require_roles(*MANAGERS, grant=Grant.NONE)
def index(request: HttpRequest) -> HttpResponse:
    programmes = (
        manageable_programmes(_principal(request))
        .filter(kind=ProgrammeKind.ONLINE)
        .annotate(
            n_sets=Count("team_sets", distinct=True),
            n_seats=Count("seats", filter=Q(seats__cancelled_at__isnull=True), distinct=True),
        )
        .select_related("host_municipality__prefecture", "host_school")
        .order_by("-starts_on")
    )
    return render(request, "teams/index.html", {"programmes": programmes})


@require_http_methods(["GET", "POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def programme_sets(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _managed_programme(request, programme_id)
    team_sets = TeamSet.objects.filter(programme=programme).annotate(n_teams=Count("teams"))
    form = FormTeamsForm(
        request.POST or None, team_sets=TeamSet.objects.filter(programme=programme)
    )
    if request.method == "POST" and form.is_valid():
        try:
            team_set = services.teamset_form(
                programme=programme,
                team_size=form.cleaned_data["team_size"],
                weights=Weights(**form.weights()),
                method=form.cleaned_data["method"],
                previous=form.cleaned_data["previous"],
                name=form.cleaned_data["name"],
                time_limit=FORM_TIME_LIMIT,
                user=request.user,
                request=request,
            )
        except services.TeamError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The teams were formed. Check them, then publish."))
            return redirect("teams:set_detail", team_set_id=team_set.pk)
    return render(
        request,
        "teams/programme_sets.html",
        {
            "programme": programme,
            "team_sets": team_sets,
            "form": form,
            "participants": len(services.participants(programme)),
            "online": programme.kind == ProgrammeKind.ONLINE,
        },
    )


def _set_rows(team_set: TeamSet) -> list[dict[str, object]]:
    members = (
        TeamMember.objects.filter(team_set=team_set)
        .select_related("student__school", "student__home_municipality__prefecture")
        .order_by("student__family_name_kana", "student__given_name_kana", "pk")
    )
    by_team: dict[int, list[TeamMember]] = {}
    for m in members:
        by_team.setdefault(m.team_id, []).append(m)
    return [
        {"team": t, "members": by_team.get(t.pk, [])}
        for t in Team.objects.filter(team_set=team_set).order_by("number")
    ]


@require_http_methods(["GET", "POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def set_detail(request: HttpRequest, team_set_id: int) -> HttpResponse:
    team_set = _managed_set(request, team_set_id)
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "move":
                to_team = Team.objects.filter(
                    team_set=team_set, pk=_int(request.POST.get("to_team"))
                ).first()
                if to_team is None:
                    raise services.TeamError(_("Choose a team."))
                services.teamset_move_member(
                    team_set=team_set,
                    student_id=_int(request.POST.get("student")),
                    to_team=to_team,
                    expected_version=_int(request.POST.get("version"), None),
                    user=request.user,
                    request=request,
                )
                messages.success(request, _("The student was moved and the scores updated."))
            elif action == "publish":
                services.teamset_publish(team_set=team_set, user=request.user, request=request)
                messages.success(request, _("The teams are published to their students."))
            elif action == "theme":
                team = Team.objects.filter(
                    team_set=team_set, pk=_int(request.POST.get("team"))
                ).first()
                form = ThemeForm(request.POST)
                if team is not None and form.is_valid():
                    services.team_theme_set(
                        team=team, theme=form.cleaned_data["theme"], user=request.user
                    )
                    messages.success(request, _("The theme was saved."))
        except services.TeamError as exc:
            messages.error(request, exc.message)
        return redirect("teams:set_detail", team_set_id=team_set.pk)
    rows = _set_rows(team_set)
    audit_record(
        request=request,
        action=Action.VIEW,
        obj=team_set,
        consortium_id=team_set.programme.consortium_id,
        summary=f"team set with {sum(len(r['members']) for r in rows)} students",  # type: ignore[arg-type,misc]
    )
    others = TeamSet.objects.filter(programme_id=team_set.programme_id).exclude(pk=team_set.pk)
    names = {
        services.core_id(m.student_id): m.student.full_name
        for r in rows
        for m in r["members"]  # type: ignore[attr-defined]
    }
    return render(
        request,
        "teams/set_detail.html",
        {
            "team_set": team_set,
            "programme": team_set.programme,
            "rows": rows,
            "teams": [r["team"] for r in rows],
            "others": others,
            "gap_percent": round(team_set.gap * 100, 1),
            "violations": [_with_names(v, names) for v in team_set.violations],
            "warnings": team_set.warnings,
        },
    )


_CORE_ID = re.compile(r"\bs\d+\b")


def _with_names(message: str, names: dict[str, str]) -> str:
    """The core names students by id ("s123"); staff read names."""
    return _CORE_ID.sub(lambda m: names.get(m.group(0), m.group(0)), message)


def _int(value: object, default: int | None = 0) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default  # type: ignore[return-value]


@require_GET
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def set_export(request: HttpRequest, team_set_id: int) -> HttpResponseBase:
    team_set = _managed_set(request, team_set_id)
    body = teamset_xlsx(team_set)
    audit_record(
        request=request,
        action=Action.EXPORT,
        obj=team_set,
        consortium_id=team_set.programme.consortium_id,
        summary="team set XLSX export",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename=f"teams-{team_set.pk}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_GET
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def compare(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _managed_programme(request, programme_id)
    sets = list(TeamSet.objects.filter(programme=programme))
    by_id = {s.pk: s for s in sets}
    a = by_id.get(_int(request.GET.get("a")))
    b = by_id.get(_int(request.GET.get("b")))
    context: dict[str, object] = {"programme": programme, "sets": sets, "a": a, "b": b}
    if a is not None and b is not None:
        context["comparison"] = services.teamset_compare(a, b)
        ta = [t for t, _m in services.teamset_teams(a)]
        tb = [t for t, _m in services.teamset_teams(b)]
        n = max(len(ta), len(tb))
        context["team_rows"] = [
            (i + 1, ta[i] if i < len(ta) else None, tb[i] if i < len(tb) else None)
            for i in range(n)
        ]
    return render(request, "teams/compare.html", context)


# --- students and mentors ------------------------------------------------------------


@require_GET
@require_roles(Role.STUDENT, Role.PARTNER, grant=Grant.FULL)
def my_teams(request: HttpRequest) -> HttpResponse:
    principal = _principal(request)
    grant = Q(pk__in=[])
    if principal.student_id:
        grant |= Q(members__student_id=principal.student_id)
    if principal.partner_ids:
        grant |= Q(mentors__partner_id__in=principal.partner_ids)
    ids = Team.objects.filter(grant, team_set__status=TeamSetStatus.PUBLISHED).values("pk")
    teams = (
        Team.objects.filter(pk__in=ids)
        .select_related("team_set__programme")
        .annotate(n_members=Count("members"))
        .order_by("-team_set__published_at", "number")
    )
    unread = dict(
        TeamNotification.objects.filter(user=request.user, read_at__isnull=True)
        .values_list("team_id")
        .annotate(n=Count("pk"))
        .values_list("team_id", "n")
    )
    rows = [(t, unread.get(t.pk, 0)) for t in teams]
    return render(request, "teams/my_teams.html", {"rows": rows})


def _team_context(request: HttpRequest, team: Team, *, can_manage: bool) -> dict[str, object]:
    principal = _principal(request)
    full = can_manage or bool(principal.student_id)
    members = (
        TeamMember.objects.filter(team=team)
        .select_related("student__school", "student__home_municipality__prefecture")
        .order_by("student__family_name_kana", "student__given_name_kana", "pk")
    )
    posts = TeamPost.objects.filter(team=team)
    if not can_manage:
        posts = posts.filter(hidden_at__isnull=True)
    notifications = list(
        TeamNotification.objects.filter(user=request.user, team=team).order_by("-created_at")[:10]
    )
    return {
        "team": team,
        "team_set": team.team_set,
        "programme": team.team_set.programme,
        "members": members,
        "full": full,
        "posts": posts.select_related("hidden_by"),
        "files": TeamFile.objects.filter(team=team),
        "mentors": TeamMentor.objects.filter(team=team).select_related("partner"),
        "notifications": notifications,
        "can_manage": can_manage,
        "post_form": PostForm(initial={"client_id": uuid.uuid4()}),
        "file_form": FileForm(),
        "hide_form": HideForm(),
        "mentor_form": MentorForm(consortium_id=team.team_set.programme.consortium_id)
        if can_manage
        else None,
    }


@require_http_methods(["GET", "POST"])
@require_roles(*Role, grant=Grant.HOSTING)
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    team = access_object(request, Team, pk=team_id)
    can_manage = _may_manage(request, team)
    if request.method == "POST":
        return _team_post(request, team, can_manage=can_manage)
    context = _team_context(request, team, can_manage=can_manage)
    if can_manage:
        audit_record(
            request=request,
            action=Action.VIEW,
            obj=team,
            consortium_id=team.team_set.programme.consortium_id,
            summary="team space",
        )
    services.notifications_read(user=request.user, team=team)
    return render(request, "teams/team_detail.html", context)


def _team_post(request: HttpRequest, team: Team, *, can_manage: bool) -> HttpResponse:
    action = request.POST.get("action")
    try:
        if action == "post":
            form = PostForm(request.POST)
            if not form.is_valid():
                raise services.TeamError(_("Write a message (at most 4,000 characters)."))
            services.post_create(
                team=team,
                user=request.user,
                body=form.cleaned_data["body"],
                kind=form.cleaned_data["kind"],
                client_id=form.cleaned_data["client_id"],
            )
            messages.success(request, _("Your post was added."))
        elif action == "file":
            file_form = FileForm(request.POST, request.FILES)
            if not file_form.is_valid():
                raise services.TeamError(_("Choose a file."))
            services.file_upload(
                team=team, user=request.user, uploaded=file_form.cleaned_data["file"]
            )
            messages.success(request, _("The file was shared with the team."))
        elif action == "mentor" and can_manage:
            mentor_form = MentorForm(
                request.POST, consortium_id=team.team_set.programme.consortium_id
            )
            if not mentor_form.is_valid():
                raise services.TeamError(_("Choose a partner and give the mentor's name."))
            services.mentor_add(
                team=team,
                partner=mentor_form.cleaned_data["partner"],
                name=mentor_form.cleaned_data["name"],
                role=mentor_form.cleaned_data["role"],
                user=request.user,
                request=request,
            )
            messages.success(request, _("The mentor was added."))
        else:
            raise services.TeamError(_("Unknown action."))
    except services.TeamError as exc:
        messages.error(request, exc.message)
    return redirect("teams:team_detail", team_id=team.pk)


@require_POST
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def post_hide(request: HttpRequest, post_id: int) -> HttpResponse:
    post = access_object(request, TeamPost, pk=post_id)
    if not _may_manage(request, post.team):
        raise Http404
    form = HideForm(request.POST)
    try:
        if not form.is_valid():
            raise services.TeamError(_("Give a reason for hiding the post."))
        services.post_hide(
            post=post, user=request.user, reason=form.cleaned_data["reason"], request=request
        )
        messages.success(request, _("The post is hidden from the team."))
    except services.TeamError as exc:
        messages.error(request, exc.message)
    return redirect("teams:team_detail", team_id=post.team_id)


@require_GET
@require_roles(*Role, grant=Grant.HOSTING)
def file_download(request: HttpRequest, file_id: int) -> HttpResponseBase:
    tf = access_object(request, TeamFile, pk=file_id)
    try:
        handle = tf.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=tf.original_name, content_type=tf.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
