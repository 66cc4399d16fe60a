"""Pages for students and rosters: views parse, call a door, and render."""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekkyo.core.messages import Problem
from ekkyo.core.roster import roster_template_csv
from ekkyo.registry.models import School
from ekkyo.registry.selectors import consortium_for_school, schools_for_principal
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from . import exports
from .forms import OneRosterUploadForm, RosterUploadForm, StudentFilterForm
from .models import ImportKind, ImportStatus, Student
from .oneroster_services import (
    OneRosterRefused,
    oneroster_apply_start,
    oneroster_batch,
    oneroster_batch_check,
    oneroster_discard,
    oneroster_upload,
)
from .selectors import (
    children_of,
    roster_imports_recent,
    student_list,
    student_list_viewed,
    student_profile,
    students_for_export,
)
from .services import (
    MAX_CODES_PER_SHEET,
    TooManyStudents,
    roster_apply_start,
    roster_batch,
    roster_check,
    roster_discard,
    roster_upload,
    student_sign_in_code_issue,
    student_sign_in_codes_issue_class,
    translate_problem,
)

STAFF = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _filters(request: HttpRequest) -> tuple[StudentFilterForm, dict[str, object]]:
    form = StudentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {
        "q": data.get("q") or "",
        "school_code": data.get("school") or "",
        "grade": data.get("grade"),
    }


@require_GET
@require_roles(*STAFF, grant=Grant.FULL)
def student_list_view(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    qs: QuerySet[Student] = student_list(actor=_actor(request), **filters)  # type: ignore[arg-type]
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    student_list_viewed(
        actor=_actor(request),
        shown=len(page.object_list),
        page=page.number,
        filters=request.GET.dict(),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/student_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
@require_roles(*STAFF, grant=Grant.FULL)
def student_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    _form, filters = _filters(request)
    students = students_for_export(
        actor=_actor(request),
        fmt=fmt,
        filters=request.GET.dict(),
        **filters,  # type: ignore[arg-type]
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        body = exports.roster_xlsx(students)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.roster_csv(students)
        content_type = "text/csv; charset=utf-8"
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename=f"students-{stamp}.{fmt}",
        content_type=content_type,
    )


@require_GET
@require_roles(*STAFF, Role.HOST, Role.STUDENT, Role.GUARDIAN, grant=Grant.HOSTING)
def student_detail(request: HttpRequest, student_id: int) -> HttpResponse:
    profile = student_profile(actor=_actor(request), student_id=student_id)
    return render(
        request,
        "people/student_detail.html",
        {"student": profile.student, "guardians": profile.guardians, "full": profile.full},
    )


@require_POST
@require_roles(*STAFF, grant=Grant.FULL)
def student_issue_code(request: HttpRequest, student_id: int) -> HttpResponse:
    student, issued = student_sign_in_code_issue(actor=_actor(request), student_id=student_id)
    qr_url = request.build_absolute_uri(reverse("student_sign_in_qr", args=[issued.qr_token]))
    qr_svg = segno.make(qr_url, error="m").svg_inline(scale=4, title=_("Sign-in QR code"))
    return render(
        request,
        "people/sign_in_code.html",
        {"student": student, "issued": issued, "qr_svg": qr_svg, "qr_url": qr_url},
    )


@require_POST
@require_roles(*STAFF, grant=Grant.FULL)
def student_issue_codes_bulk(request: HttpRequest) -> HttpResponse:
    """A printable sheet of sign-in cards for a class (school + grade) on shared tablets."""
    form = StudentFilterForm(request.POST)
    if not form.is_valid() or not form.cleaned_data.get("school"):
        messages.error(
            request, _("Choose a school (and a grade) before issuing codes for a class.")
        )
        return redirect("people:student_list")
    data = form.cleaned_data
    try:
        issued = student_sign_in_codes_issue_class(
            actor=_actor(request),
            school_code=data["school"],
            grade=data.get("grade"),
            q=data.get("q") or "",
        )
    except TooManyStudents:
        messages.error(
            request,
            _("Codes are issued for 1 to %(max)s students at a time; narrow the search.")
            % {"max": MAX_CODES_PER_SHEET},
        )
        return redirect(reverse("people:student_list") + "?" + request.POST.urlencode())
    cards = []
    for student, code in issued:
        qr_url = request.build_absolute_uri(reverse("student_sign_in_qr", args=[code.qr_token]))
        cards.append(
            {
                "student": student,
                "issued": code,
                "qr_svg": segno.make(qr_url, error="m").svg_inline(scale=3),
            }
        )
    return render(request, "people/sign_in_sheet.html", {"cards": cards})


@require_GET
@require_roles(Role.STUDENT, grant=Grant.FULL)
def me(request: HttpRequest) -> HttpResponse:
    return redirect("people:student_detail", student_id=_actor(request).principal.student_id)


@require_GET
@require_roles(Role.GUARDIAN, grant=Grant.FULL)
def my_children(request: HttpRequest) -> HttpResponse:
    children = children_of(actor=_actor(request))
    return render(request, "people/my_children.html", {"children": children})


@require_GET
@require_roles(*STAFF)
def roster_template(request: HttpRequest) -> HttpResponseBase:
    return FileResponse(
        io.BytesIO(roster_template_csv()),
        as_attachment=True,
        filename="roster-template.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.FULL)
def roster_import(request: HttpRequest) -> HttpResponse:
    schools = schools_for_principal(_actor(request).principal)
    form = RosterUploadForm(request.POST or None, request.FILES or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        school: School = form.cleaned_data["school"]
        consortium = consortium_for_school(school)
        if consortium is None:
            form.add_error(
                "school", _("This school's municipality is not a member of a consortium.")
            )
        else:
            upload = form.cleaned_data["file"]
            batch = roster_upload(
                actor=_actor(request),
                school=school,
                consortium_id=consortium.pk,
                data=upload.read(),
                filename=upload.name,
            )
            return redirect("people:roster_preview", import_id=batch.pk)
    recent = roster_imports_recent(actor=_actor(request), kind=ImportKind.ROSTER)
    return render(request, "people/roster_import.html", {"form": form, "recent": recent})


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.FULL)
def roster_preview(request: HttpRequest, import_id: int) -> HttpResponse:
    actor = _actor(request)
    batch = roster_batch(actor=actor, import_id=import_id)
    if batch.status == ImportStatus.APPLIED:
        return render(request, "people/roster_done.html", {"batch": batch, "result": batch.result})
    if batch.status == ImportStatus.DISCARDED:
        messages.info(request, _("This upload was discarded. Upload the file again."))
        return redirect("people:roster_import")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "discard":
            roster_discard(actor=actor, import_id=batch.pk)
            messages.info(request, _("The upload was discarded; nothing was changed."))
            return redirect("people:roster_import")
        if action != "apply":
            return HttpResponseBadRequest(_("Unknown action."))
    assert batch.school is not None  # a roster upload always names its school
    check = roster_check(school=batch.school, data=bytes(batch.content), filename=batch.filename)
    if request.method == "POST":
        if check.ok:
            # The apply runs on the queue (all-or-nothing, checked again there);
            # its page shows the progress.
            job = roster_apply_start(actor=actor, import_id=batch.pk)
            return redirect("jobs:job_detail", job_id=job.pk)
        messages.error(request, _("The file has problems; nothing was imported."))
    problems = [
        {"row": p.row, "column": p.column or p.field or "", "message": translate_problem(p)}
        for p in check.problems
    ]
    return render(
        request,
        "people/roster_preview.html",
        {"batch": batch, "check": check, "problems": problems, "sample": check.rows[:20]},
    )


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.FULL)
def oneroster_import(request: HttpRequest) -> HttpResponse:
    """Upload a OneRoster Japan Profile package for one school or for a board."""
    actor = _actor(request)
    form = OneRosterUploadForm(
        request.POST or None,
        request.FILES or None,
        schools=schools_for_principal(actor.principal),
        allow_board=actor.principal.has_role(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF),
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = oneroster_upload(
                actor=actor,
                data=upload.read(),
                filename=upload.name,
                school=form.cleaned_data.get("school") or None,
                board=form.cleaned_data.get("board") or None,
            )
        except OneRosterRefused as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("people:oneroster_preview", import_id=batch.pk)
    recent = roster_imports_recent(actor=actor, kind=ImportKind.ONEROSTER)
    return render(request, "people/oneroster_import.html", {"form": form, "recent": recent})


def _listed(problems: list[Problem]) -> list[dict[str, object]]:
    return [
        {
            "file": p.file or "",
            "row": p.row,
            "column": p.column or p.field or "",
            "message": translate_problem(p),
        }
        for p in problems
    ]


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.FULL)
def oneroster_preview(request: HttpRequest, import_id: int) -> HttpResponse:
    """Every problem by file, row and column; apply or discard."""
    actor = _actor(request)
    batch = oneroster_batch(actor=actor, import_id=import_id)
    if batch.status == ImportStatus.APPLIED:
        return render(
            request, "people/oneroster_done.html", {"batch": batch, "result": batch.result}
        )
    if batch.status == ImportStatus.DISCARDED:
        messages.info(request, _("This upload was discarded. Upload the file again."))
        return redirect("people:oneroster_import")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "discard":
            oneroster_discard(actor=actor, import_id=batch.pk)
            messages.info(request, _("The upload was discarded; nothing was changed."))
            return redirect("people:oneroster_import")
        if action != "apply":
            return HttpResponseBadRequest(_("Unknown action."))
        check = oneroster_batch_check(actor=actor, batch=batch)
        if check.ok:
            # The apply runs on the queue (all-or-nothing, checked again there);
            # its page shows the progress and links back here when done.
            job = oneroster_apply_start(actor=actor, import_id=batch.pk)
            return redirect("jobs:job_detail", job_id=job.pk)
        messages.error(request, _("The package has problems; nothing was imported."))
    check = oneroster_batch_check(actor=actor, batch=batch)
    return render(
        request,
        "people/oneroster_preview.html",
        {
            "batch": batch,
            "check": check,
            "problems": _listed(check.problems),
            "warnings": _listed(check.warnings),
            "sample": check.students[:20],
            "to_leave": check.to_leave[:200],
        },
    )
