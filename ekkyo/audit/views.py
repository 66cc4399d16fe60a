"""The secretariat's search over the audit log (read-only)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ekkyo.core.tabular import write_csv_for_excel
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.principal import Role

from . import events
from .events import AUDIT_EXPORT
from .models import AuditEvent
from .services import audit_record


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Who or what"), required=False)
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        # Every registered event code (apps register theirs when they load).
        choices=lambda: [("", gettext_lazy("Any")), *events.choices()],
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ip = forms.GenericIPAddressField(label=gettext_lazy("From (IP)"), required=False)


def _events(form: AuditFilterForm) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if not form.is_valid():
        return qs.none()
    d = form.cleaned_data
    if d["q"]:
        qs = qs.filter(
            Q(actor_label__icontains=d["q"])
            | Q(summary__icontains=d["q"])
            | Q(object_id=d["q"])
            | Q(object_type__icontains=d["q"])
        )
    if d["action"]:
        qs = qs.filter(action=d["action"])
    tz = timezone.get_current_timezone()
    if d["since"]:
        qs = qs.filter(at__gte=datetime.combine(d["since"], time.min, tzinfo=tz))
    if d["until"]:
        qs = qs.filter(at__lte=datetime.combine(d["until"], time.max, tzinfo=tz))
    if d["ip"]:
        qs = qs.filter(ip=d["ip"])
    return qs


@require_GET
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.FULL)
def event_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    page = Paginator(_events(form), 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/event_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@require_GET
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.FULL)
def event_export(request: HttpRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.GET)
    events = list(_events(form)[:100_000])
    audit_record(
        actor=request.actor,  # type: ignore[attr-defined]
        event=AUDIT_EXPORT,
        object_type="audit.auditevent",
        summary=f"audit log export ({len(events)} events)",
        detail={"count": len(events), "filters": request.GET.dict()},
    )
    headers = [
        _("When (UTC)"),
        _("Actor"),
        _("Action"),
        _("Object"),
        _("Summary"),
        _("From (IP)"),
        _("Path"),
    ]
    rows = [
        [
            e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_label,
            e.action_label,
            f"{e.object_type} {e.object_id}".strip(),
            e.summary,
            e.ip or "",
            e.path,
        ]
        for e in events
    ]
    return FileResponse(
        io.BytesIO(write_csv_for_excel(headers, rows)),
        as_attachment=True,
        filename="audit-log.csv",
        content_type="text/csv; charset=utf-8",
    )
