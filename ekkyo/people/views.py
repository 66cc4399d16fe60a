"""Pages for students and rosters: thin views over selectors and services."""

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

from ekkyo.accounts.services import student_code_issue
from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core.roster import roster_template_csv
from ekkyo.registry.models import School
from ekkyo.registry.selectors import consortium_for_school, schools_for_principal
from ekkyo.tenancy.access import access_object, require_roles
from ekkyo.tenancy.principal import Role

from . import exports
from .forms import RosterUploadForm, StudentFilterForm
from .models import ImportStatus, RosterImport, Student
from .selectors import student_access
from .selectors import student_list as select_students
from .services import RosterRejected, roster_apply, roster_check, roster_upload, translate_problem

STAFF = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)


def _filtered(request: HttpRequest) -> tuple[StudentFilterForm, QuerySet[Student]]:
    form = StudentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = select_students(
        q=data.get("q") or "", school_code=data.get("school") or "", grade=data.get("grade")
    )
    return form, qs


@require_GET
@require_roles(*STAFF)
def student_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    audit_record(
        request=request,
        action=Action.VIEW,
        object_type="people.student",
        summary=f"student list page {page.number} ({len(page.object_list)} shown)",
        detail={"filters": request.GET.dict()},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/student_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
@require_roles(*STAFF)
def student_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    _form, qs = _filtered(request)
    students = list(qs)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    audit_record(
        request=request,
        action=Action.EXPORT,
        object_type="people.student",
        summary=f"roster export {fmt} ({len(students)} students)",
        detail={"filters": request.GET.dict(), "count": len(students), "format": fmt},
    )
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
@require_roles(*STAFF, Role.STUDENT, Role.GUARDIAN)
def student_detail(request: HttpRequest, student_id: int) -> HttpResponse:
    student = access_object(request, Student, pk=student_id)
    access = student_access(request.principal, student)  # type: ignore[attr-defined]
    audit_record(
        request=request, action=Action.VIEW, obj=student, summary=f"student profile ({access})"
    )
    guardians = student.guardians.all() if access == "full" else []
    return render(
        request,
        "people/student_detail.html",
        {"student": student, "guardians": guardians, "full": access == "full"},
    )


@require_POST
@require_roles(*STAFF)
def student_issue_code(request: HttpRequest, student_id: int) -> HttpResponse:
    student = access_object(request, Student, pk=student_id)
    issued = student_code_issue(student=student, issued_by=request.user)
    audit_record(request=request, action=Action.ISSUE_CODE, obj=student)
    qr_url = request.build_absolute_uri(reverse("student_sign_in_qr", args=[issued.qr_token]))
    qr_svg = segno.make(qr_url, error="m").svg_inline(scale=4, title=_("Sign-in QR code"))
    return render(
        request,
        "people/sign_in_code.html",
        {"student": student, "issued": issued, "qr_svg": qr_svg, "qr_url": qr_url},
    )


MAX_CODES_PER_SHEET = 200


@require_POST
@require_roles(*STAFF)
def student_issue_codes_bulk(request: HttpRequest) -> HttpResponse:
    """A printable sheet of sign-in cards for a class (school + grade) on shared tablets."""
    form = StudentFilterForm(request.POST)
    if not form.is_valid() or not form.cleaned_data.get("school"):
        messages.error(
            request, _("Choose a school (and a grade) before issuing codes for a class.")
        )
        return redirect("people:student_list")
    data = form.cleaned_data
    students = list(
        select_students(q=data.get("q") or "", school_code=data["school"], grade=data.get("grade"))[
            : MAX_CODES_PER_SHEET + 1
        ]
    )
    if not students or len(students) > MAX_CODES_PER_SHEET:
        messages.error(
            request,
            _("Codes are issued for 1 to %(max)s students at a time; narrow the search.")
            % {"max": MAX_CODES_PER_SHEET},
        )
        return redirect(reverse("people:student_list") + "?" + request.POST.urlencode())
    cards = []
    for student in students:
        issued = student_code_issue(student=student, issued_by=request.user)
        qr_url = request.build_absolute_uri(reverse("student_sign_in_qr", args=[issued.qr_token]))
        cards.append(
            {
                "student": student,
                "issued": issued,
                "qr_svg": segno.make(qr_url, error="m").svg_inline(scale=3),
            }
        )
    audit_record(
        request=request,
        action=Action.ISSUE_CODE,
        object_type="people.student",
        summary=f"class sheet: {len(cards)} codes",
        detail={"school": data["school"], "grade": data.get("grade"), "count": len(cards)},
    )
    return render(request, "people/sign_in_sheet.html", {"cards": cards})


@require_GET
@require_roles(Role.STUDENT)
def me(request: HttpRequest) -> HttpResponse:
    return redirect("people:student_detail", student_id=request.principal.student_id)  # type: ignore[attr-defined]


@require_GET
@require_roles(Role.GUARDIAN)
def my_children(request: HttpRequest) -> HttpResponse:
    children = Student.objects.filter(
        pk__in=request.principal.child_student_ids  # type: ignore[attr-defined]
    ).select_related("school")
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
@require_roles(*STAFF)
def roster_import(request: HttpRequest) -> HttpResponse:
    schools = schools_for_principal(request.principal)  # type: ignore[attr-defined]
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
                school=school,
                consortium_id=consortium.pk,
                data=upload.read(),
                filename=upload.name,
                user=request.user,
            )
            return redirect("people:roster_preview", import_id=batch.pk)
    recent = RosterImport.objects.select_related("school", "uploaded_by")[:10]
    return render(request, "people/roster_import.html", {"form": form, "recent": recent})


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF)
def roster_preview(request: HttpRequest, import_id: int) -> HttpResponse:
    batch = access_object(request, RosterImport, pk=import_id)
    if batch.status == ImportStatus.APPLIED:
        return render(request, "people/roster_done.html", {"batch": batch, "result": batch.result})
    if batch.status == ImportStatus.DISCARDED:
        messages.info(request, _("This upload was discarded. Upload the file again."))
        return redirect("people:roster_import")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "discard":
            batch.status = ImportStatus.DISCARDED
            batch.content = b""
            batch.save(update_fields=["status", "content"])
            messages.info(request, _("The upload was discarded; nothing was changed."))
            return redirect("people:roster_import")
        if action != "apply":
            return HttpResponseBadRequest(_("Unknown action."))
        try:
            result = roster_apply(batch=batch, request=request)
        except RosterRejected:
            messages.error(request, _("The file has problems; nothing was imported."))
        else:
            messages.success(
                request,
                _("Roster imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged.")
                % result,
            )
            return redirect("people:roster_preview", import_id=batch.pk)
    check = roster_check(school=batch.school, data=bytes(batch.content), filename=batch.filename)
    problems = [
        {"row": p.row, "column": p.column or p.field or "", "message": translate_problem(p)}
        for p in check.problems
    ]
    return render(
        request,
        "people/roster_preview.html",
        {"batch": batch, "check": check, "problems": problems, "sample": check.rows[:20]},
    )
