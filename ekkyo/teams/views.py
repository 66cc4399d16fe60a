"""Team pages: staff form, adjust, compare, export and publish team sets; every
member (and mentor) has a team space. Views parse, call a door
(``teams.services``, ``teams.selectors``) and render; the doors fetch every
chosen object with ``tenancy.access.access``, so "not yours" is a 404 like
"missing"."""

from __future__ import annotations

import io
import re
import uuid

from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekkyo.core.teams import Weights
from ekkyo.programmes.models import ProgrammeKind
from ekkyo.programmes.selectors import programme_managed
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role
from ekkyo.web.params import whole, whole_or_none

from . import selectors, services
from .exports import teamset_xlsx
from .forms import FileForm, FormTeamsForm, HideForm, MentorForm, PostForm, ThemeForm

MANAGERS = selectors.MANAGERS
FORM_TIME_LIMIT = 8.0


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


# --- staff ---------------------------------------------------------------------------


@require_GET
@require_roles(*MANAGERS, grant=Grant.NONE)
def index(request: HttpRequest) -> HttpResponse:
    programmes = selectors.online_programmes_managed(actor=_actor(request))
    return render(request, "teams/index.html", {"programmes": programmes})


@require_http_methods(["GET", "POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def programme_sets(request: HttpRequest, programme_id: int) -> HttpResponse:
    actor = _actor(request)
    programme = programme_managed(actor=actor, programme_id=programme_id)
    sets = selectors.programme_team_sets(actor=actor, programme=programme)
    form = FormTeamsForm(request.POST or None, team_sets=sets)
    if request.method == "POST" and form.is_valid():
        previous = form.cleaned_data["previous"]
        asked = {
            "actor": actor,
            "programme_id": programme.pk,
            "team_size": form.cleaned_data["team_size"],
            "weights": Weights(**form.weights()),
            "method": form.cleaned_data["method"],
            "previous_id": previous.pk if previous is not None else None,
            "name": form.cleaned_data["name"],
            "time_limit": FORM_TIME_LIMIT,
        }
        try:
            if len(selectors.participants(programme)) >= services.QUEUE_FROM_STUDENTS:
                # A large programme: formed on the queue; its page shows the
                # progress and links to the new set.
                job = services.teamset_form_start(**asked)
                return redirect("jobs:job_detail", job_id=job.pk)
            team_set = services.teamset_form(**asked)
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
            "team_sets": sets.annotate(n_teams=Count("teams")),
            "form": form,
            "participants": len(selectors.participants(programme)),
            "online": programme.kind == ProgrammeKind.ONLINE,
        },
    )


@require_http_methods(["GET", "POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def set_detail(request: HttpRequest, team_set_id: int) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        selectors.managed_set(actor=actor, team_set_id=team_set_id)  # 404 for anyone else
        action = request.POST.get("action")
        try:
            if action == "move":
                services.teamset_move_member(
                    actor=actor,
                    team_set_id=team_set_id,
                    student_id=whole(request.POST.get("student")),
                    to_team_id=whole(request.POST.get("to_team")),
                    expected_version=whole_or_none(request.POST.get("version")),
                )
                messages.success(request, _("The student was moved and the scores updated."))
            elif action == "publish":
                services.teamset_publish(actor=actor, team_set_id=team_set_id)
                messages.success(request, _("The teams are published to their students."))
            elif action == "theme":
                form = ThemeForm(request.POST)
                if form.is_valid():
                    services.team_theme_set(
                        actor=actor,
                        team_set_id=team_set_id,
                        team_id=whole(request.POST.get("team")),
                        theme=form.cleaned_data["theme"],
                    )
                    messages.success(request, _("The theme was saved."))
        except services.TeamError as exc:
            messages.error(request, exc.message)
        return redirect("teams:set_detail", team_set_id=team_set_id)
    page = selectors.team_set_page(actor=actor, team_set_id=team_set_id)
    team_set = page.team_set
    return render(
        request,
        "teams/set_detail.html",
        {
            "team_set": team_set,
            "programme": team_set.programme,
            "rows": page.rows,
            "teams": [r["team"] for r in page.rows],
            "others": page.others,
            "gap_percent": round(team_set.gap * 100, 1),
            "violations": [_with_names(v, page.names) for v in team_set.violations],
            "warnings": team_set.warnings,
        },
    )


_CORE_ID = re.compile(r"\bs\d+\b")


def _with_names(message: str, names: dict[str, str]) -> str:
    """The core names students by id ("s123"); staff read names."""
    return _CORE_ID.sub(lambda m: names.get(m.group(0), m.group(0)), message)


@require_GET
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def set_export(request: HttpRequest, team_set_id: int) -> HttpResponseBase:
    export = selectors.team_set_export(actor=_actor(request), team_set_id=team_set_id)
    body = teamset_xlsx(export)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename=f"teams-{export.team_set.pk}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_GET
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def compare(request: HttpRequest, programme_id: int) -> HttpResponse:
    actor = _actor(request)
    programme = programme_managed(actor=actor, programme_id=programme_id)
    sets = list(selectors.programme_team_sets(actor=actor, programme=programme))
    by_id = {s.pk: s for s in sets}
    a = by_id.get(whole(request.GET.get("a")))
    b = by_id.get(whole(request.GET.get("b")))
    context: dict[str, object] = {"programme": programme, "sets": sets, "a": a, "b": b}
    if a is not None and b is not None:
        context["comparison"] = selectors.teamset_compare(a, b)
        ta = [t for t, _m in selectors.teamset_teams(a)]
        tb = [t for t, _m in selectors.teamset_teams(b)]
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
    rows = selectors.my_teams(actor=_actor(request))
    return render(request, "teams/my_teams.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@require_roles(*Role, grant=Grant.HOSTING)
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        return _team_post(request, actor, team_id)
    space = selectors.team_space(actor=actor, team_id=team_id)
    team = space.team
    services.notifications_read(actor=actor, team_id=team.pk)
    context = {
        "team": team,
        "team_set": team.team_set,
        "programme": team.team_set.programme,
        "members": space.members,
        "full": space.full,
        "posts": space.posts,
        "files": space.files,
        "mentors": space.mentors,
        "notifications": space.notifications,
        "can_manage": space.can_manage,
        "post_form": PostForm(initial={"client_id": uuid.uuid4()}),
        "file_form": FileForm(),
        "hide_form": HideForm(),
        "mentor_form": MentorForm(consortium_id=team.team_set.programme.consortium_id)
        if space.can_manage
        else None,
    }
    return render(request, "teams/team_detail.html", context)


def _team_post(request: HttpRequest, actor: Actor, team_id: int) -> HttpResponse:
    team = selectors.team_for(actor=actor, team_id=team_id)
    can_manage = selectors.may_manage(actor.principal, team.team_set)
    action = request.POST.get("action")
    try:
        if action == "post":
            form = PostForm(request.POST)
            if not form.is_valid():
                raise services.TeamError(_("Write a message (at most 4,000 characters)."))
            services.post_create(
                actor=actor,
                team_id=team.pk,
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
                actor=actor, team_id=team.pk, uploaded=file_form.cleaned_data["file"]
            )
            messages.success(request, _("The file was shared with the team."))
        elif action == "mentor" and can_manage:
            mentor_form = MentorForm(
                request.POST, consortium_id=team.team_set.programme.consortium_id
            )
            if not mentor_form.is_valid():
                raise services.TeamError(_("Choose a partner and give the mentor's name."))
            services.mentor_add(
                actor=actor,
                team_id=team.pk,
                partner_id=mentor_form.cleaned_data["partner"].pk,
                name=mentor_form.cleaned_data["name"],
                role=mentor_form.cleaned_data["role"],
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
    actor = _actor(request)
    post = selectors.managed_post(actor=actor, post_id=post_id)
    form = HideForm(request.POST)
    try:
        if not form.is_valid():
            raise services.TeamError(_("Give a reason for hiding the post."))
        services.post_hide(actor=actor, post_id=post.pk, reason=form.cleaned_data["reason"])
        messages.success(request, _("The post is hidden from the team."))
    except services.TeamError as exc:
        messages.error(request, exc.message)
    return redirect("teams:team_detail", team_id=post.team_id)


@require_GET
@require_roles(*Role, grant=Grant.HOSTING)
def file_download(request: HttpRequest, file_id: int) -> HttpResponseBase:
    tf = selectors.team_file(actor=_actor(request), file_id=file_id)
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
