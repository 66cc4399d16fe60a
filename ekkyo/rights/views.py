"""Pages for the rights of the data subject: views parse, call a door, and render.

- students and guardians: what is held (JSON/PDF downloads) and a deletion request;
- the student's school and the secretariat: the requests to decide;
- the secretariat: the retention job's runs (and starting one), and the periods.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from .exports import subject_access_json, subject_access_pdf
from .forms import DecisionForm, DeletionRequestForm, RetentionPolicyForm
from .models import RecordKind
from .retention_services import retention_run
from .selectors import (
    deletion_requests_to_decide,
    retention_policies,
    retention_runs,
    subject_access_export,
    subject_student,
    subjects_of,
)
from .services import (
    RightsError,
    deletion_request_decide,
    deletion_request_file,
    deletion_request_withdraw,
    retention_policy_set,
)

DECIDERS = (Role.SCHOOL_STAFF, Role.CONSORTIUM_ADMIN)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _ids(student_id: int) -> str:
    """One form per student on the page: ids that do not clash."""
    return f"id_%s_{student_id}"


def _mine_page(
    request: HttpRequest, forms: dict[int, DeletionRequestForm] | None = None, status: int = 200
) -> HttpResponse:
    subjects = subjects_of(actor=_actor(request))
    forms = forms or {}
    return render(
        request,
        "rights/mine.html",
        {
            "subjects": [
                (s, forms.get(s.student.pk) or DeletionRequestForm(auto_id=_ids(s.student.pk)))
                for s in subjects
            ]
        },
        status=status,
    )


@require_GET
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def mine(request: HttpRequest) -> HttpResponse:
    return _mine_page(request)


@require_GET
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def export(request: HttpRequest, student_id: int, fmt: str) -> HttpResponseBase:
    data = subject_access_export(actor=_actor(request), student_id=student_id, fmt=fmt)
    if fmt == "pdf":
        body, content_type = subject_access_pdf(data), "application/pdf"
    else:
        body, content_type = subject_access_json(data), "application/json; charset=utf-8"
    response = FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename=f"ekkyo-subject-access-{student_id}.{fmt}",
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def deletion_request(request: HttpRequest, student_id: int) -> HttpResponseBase:
    subject_student(actor=_actor(request), student_id=student_id)  # 404 before the form
    form = DeletionRequestForm(request.POST, auto_id=_ids(student_id))
    if not form.is_valid():
        return _mine_page(request, {student_id: form}, status=400)
    _request, created = deletion_request_file(
        actor=_actor(request), student_id=student_id, reason=form.cleaned_data["reason"]
    )
    if created:
        messages.success(
            request, _("Your request was sent to the school. You will see its answer here.")
        )
    else:
        messages.info(request, _("A request for this student is already open."))
    return redirect("rights:mine")


@require_POST
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def deletion_withdraw(request: HttpRequest, student_id: int) -> HttpResponseBase:
    try:
        withdrawn = deletion_request_withdraw(actor=_actor(request), student_id=student_id)
    except RightsError as exc:
        messages.error(request, exc.message)
    else:
        if withdrawn is not None:
            messages.success(request, _("Your deletion request was withdrawn."))
        else:
            messages.info(request, _("No deletion request is waiting for the school."))
    return redirect("rights:mine")


@require_GET
@require_roles(*DECIDERS, grant=Grant.FULL)
def requests(request: HttpRequest) -> HttpResponse:
    lists = deletion_requests_to_decide(actor=_actor(request))
    return render(request, "rights/requests.html", {**lists, "form": DecisionForm()})


@require_POST
@require_roles(*DECIDERS, grant=Grant.FULL)
def request_decide(request: HttpRequest, request_id: int) -> HttpResponseBase:
    form = DecisionForm(request.POST)
    decision = request.POST.get("decision")
    if decision not in {"approve", "refuse"}:
        return HttpResponseBadRequest(_("Choose approve or refuse."))
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        deletion_request_decide(
            actor=_actor(request), request_id=request_id, approve=decision == "approve", note=note
        )
    except RightsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Approved. The deletion job will carry it out on its next run.")
            if decision == "approve"
            else _("Refused. The student and guardians see the decision and your note."),
        )
    return redirect("rights:requests")


@require_http_methods(["GET", "POST"])
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.NONE)
def runs(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    if request.method == "POST":
        mode = request.POST.get("mode")
        if mode not in {"dry_run", "run"} or actor.consortium_id is None:
            return HttpResponseBadRequest(_("Choose a dry run or a run."))
        run = retention_run(
            actor=actor, consortium_id=actor.consortium_id, dry_run=mode == "dry_run"
        )
        counts = {"r": len(run.requests), "n": run.total}
        messages.success(
            request,
            _("Dry run: %(r)s requests would be carried out, %(n)s records past their period.")
            % counts
            if run.dry_run
            else _("Run finished: %(r)s requests carried out, %(n)s records past their period.")
            % counts,
        )
        return redirect("rights:runs")
    return render(
        request,
        "rights/runs.html",
        {"runs": retention_runs(actor=actor), "kinds": dict(RecordKind.choices)},
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.NONE)
def retention(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    if actor.consortium_id is None:
        return HttpResponseBadRequest()
    form = RetentionPolicyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                retention_policy_set(
                    actor=actor,
                    consortium_id=actor.consortium_id,
                    kind=d["kind"],
                    keep_days=d["value"] if d["unit"] == "days" else None,
                    keep_fiscal_years=d["value"] if d["unit"] == "fiscal_years" else None,
                )
            except RightsError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The retention period was changed."))
                return redirect("rights:retention")
        status = 400
    return render(
        request,
        "rights/retention.html",
        {"policies": retention_policies(consortium_id=actor.consortium_id), "form": form},
        status=status,
    )
