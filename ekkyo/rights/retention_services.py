"""The deletion and retention job: carries out approved deletion requests and
deletes what has outlived its retention period, leaving proof that it ran.

``retention_run(actor=..., consortium_id=...)`` (the ``ekkyo retention-run``
command runs it for every consortium, daily; the secretariat may start it on
its page) does, for one consortium:

1. every **approved deletion request**, one transaction per student: the
   student's personal data is deleted and the Student row pseudonymised in
   place (:func:`student_erase`), so the participation records (stays,
   residences, attendance, seats, team memberships; class III) stay linked to
   a record with no name and every KPI figure stays what it was;
2. every **retention period** (``RecordKind``, ``RetentionPolicy``), one
   transaction per batch of rows of one kind;
3. a :class:`~ekkyo.rights.models.RetentionRun` row (started, finished, by
   whom, counts per kind and per request) and a ``retention.run`` audit
   event; each carried-out request also gets ``student.delete``.

Running it twice changes nothing the second time: carried-out requests are
done, deleted rows are gone and cleared fields no longer match. A dry run
writes nothing but its own RetentionRun row, with the counts it would have
deleted. The audit log is append-only and is never deleted by this job.

This module must never delete a participation record (Stay, Residence,
Attendance, Seat) nor change a student's home town or school: the KPIs count
them (DESIGN.md "KPI counting rules").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ekkyo.accounts.models import StudentSignInCode, User
from ekkyo.allocation.models import Application, ApplicationChoice
from ekkyo.audit.services import audit_record
from ekkyo.core.fiscal import fiscal_year_of
from ekkyo.hosting.models import HostRequest
from ekkyo.participation.models import Reflection, Stay
from ekkyo.people.models import Consent, Guardian, GuardianLink, RosterImport, Student
from ekkyo.portfolio.models import PortfolioShare
from ekkyo.registry.models import Municipality
from ekkyo.surveys.models import Response, SurveyToken
from ekkyo.teams.models import TeamFile, TeamPost
from ekkyo.tenancy.actor import Actor

from . import events
from .models import DeletionRequest, RecordKind, RequestStatus, RetentionRun, RunStatus
from .selectors import retention_policies
from .services import retention_policies_ensure

#: What a pseudonymised student is called (names, kana); the id tells rows apart.
PSEUDONYM_NAME = "削除済み"
PSEUDONYM_KANA = "さくじょずみ"
BATCH = 500

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


# ---------------------------------------------------------------- one student's data


@dataclass(frozen=True)
class _Step:
    """Rows to delete (``clear`` None) or fields to clear on rows."""

    name: str
    rows: QuerySet[Any]
    clear: dict[str, Any] | None = None


def _student_steps(student: Student) -> list[_Step]:
    """Everything of the student that deletion removes, in the order it runs.

    Kept on purpose: stays, residences, attendance, seats and team memberships
    (class III, the KPIs count them), applications without their free text,
    consents without the guardian (the record that earlier processing was
    lawful), and survey answers without the link to the student (anonymous,
    like an anonymous wave's: school reports and KPI ④ keep their counts)."""
    user_id = student.user_id
    nothing = TeamPost._unscoped.none()  # safe: an empty queryset
    # Every _unscoped below: the job carries out an approved request for this student.
    return [
        # safe: the student's own reflections
        _Step("reflections", Reflection._unscoped.filter(student=student)),
        # safe: the student's own shares
        _Step("portfolio_shares", PortfolioShare._unscoped.filter(student=student)),
        # safe: posts the student's own account wrote
        _Step("team_posts", TeamPost._unscoped.filter(author_id=user_id) if user_id else nothing),
        _Step(
            "team_files",
            # safe: files the student's own account uploaded
            TeamFile._unscoped.filter(uploader_id=user_id)
            if user_id
            else TeamFile._unscoped.none(),  # safe: an empty queryset
        ),
        _Step(
            "application_answers",
            ApplicationChoice.objects.filter(application__student=student).exclude(answers={}),
            {"answers": {}},
        ),
        _Step(
            "application_notes",
            # safe: the student's own applications
            Application._unscoped.filter(student=student).exclude(school_note=""),
            {"school_note": ""},
        ),
        _Step(
            "health_notes",
            # safe: the student's own stays (the stays themselves are kept)
            Stay._unscoped.filter(student=student).exclude(health_encrypted=""),
            {"health_encrypted": ""},
        ),
        # safe: requests about the student's own stays
        _Step("host_requests", HostRequest._unscoped.filter(stay__student=student)),
        # safe: the student's own survey invitations
        _Step("survey_tokens", SurveyToken._unscoped.filter(student=student)),
        _Step(
            "survey_answers_unlinked",
            # safe: answers stored under the student's pseudonym
            Response._unscoped.filter(respondent=student.pseudonym),
            {
                "respondent": None,
                "submitted_at": None,
                "class1_encrypted": "",
                # KPI ④ counts town rows by home: keep the town, not the link.
                "home_municipality_code": _home_code(student),
            },
        ),
        _Step("sign_in_codes", StudentSignInCode.objects.filter(student=student)),
        _Step(
            "consents_unlinked",
            # safe: the student's own consents
            Consent._unscoped.filter(student=student, guardian__isnull=False),
            {"guardian": None},
        ),
    ]


def _home_code(student: Student) -> str:
    home = student.home_municipality_id
    if home is None:
        return ""
    return str(Municipality.objects.filter(pk=home).values_list("code", flat=True).first() or "")


def _lone_guardians(student: Student) -> list[int]:
    """Guardians of the student with no other child: they are deleted with the link."""
    mine = set(GuardianLink.objects.filter(student=student).values_list("guardian_id", flat=True))
    others = set(
        GuardianLink.objects.filter(guardian_id__in=mine)
        .exclude(student=student)
        .values_list("guardian_id", flat=True)
    )
    return sorted(mine - others)


def _files_removed_after_commit(rows: QuerySet[Any]) -> None:
    names = [(f.file.storage, f.file.name) for f in rows if f.file]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])


def _run_step(step: _Step) -> int:
    if step.clear is not None:
        return int(step.rows.update(**step.clear))
    if step.rows.model is TeamFile:
        _files_removed_after_commit(step.rows)
    _total, per_model = step.rows.delete()
    return int(per_model.get(step.rows.model._meta.label, 0))


def student_erase(*, student: Student, dry_run: bool = False) -> dict[str, int]:
    """Delete the student's personal data and pseudonymise the Student row in place.

    Call inside the caller's transaction, with the student locked, after the
    right to do it was established (an approved request). Returns what was (or,
    with ``dry_run``, would be) deleted or cleared, per kind of record. The
    student's school, home town, grade and the participation records stay: the
    KPI figures do not change."""
    counts: dict[str, int] = {}
    for step in _student_steps(student):
        counts[step.name] = step.rows.count() if dry_run else _run_step(step)
    lone = _lone_guardians(student)
    links = GuardianLink.objects.filter(student=student)
    # safe: guardians whose only child is this student
    lone_users = list(
        # safe: guardians whose only child is this student
        Guardian._unscoped.filter(pk__in=lone, user__isnull=False).values_list("user_id", flat=True)
    )
    accounts = ([student.user_id] if student.user_id else []) + lone_users
    if dry_run:
        counts["guardian_links"] = links.count()
        counts["guardians"] = len(lone)
        counts["accounts"] = len(accounts)
        counts["student_pseudonymised"] = 1
        return counts
    counts["guardian_links"] = links.delete()[0]
    counts["guardians"] = (
        # safe: guardians whose only child is this student
        Guardian._unscoped.filter(pk__in=lone).delete()[1].get("people.Guardian", 0)
    )
    # Accounts go last: their foreign keys (posts' authors and the like) are
    # set to NULL, and the student's and guardians' sign-ins stop.
    counts["accounts"] = User.objects.filter(pk__in=accounts).delete()[1].get("accounts.User", 0)
    # update() sends no signal, and the KPI keys (home town, school) do not change.
    # safe: the student of the approved request, locked by the caller
    counts["student_pseudonymised"] = Student._unscoped.filter(pk=student.pk).update(
        family_name=PSEUDONYM_NAME,
        given_name=f"#{student.pk}",
        family_name_kana=PSEUDONYM_KANA,
        given_name_kana="",
        romanized_name="",
        gender="",
        birth_date=None,
        school_email="",  # the key of a Google / Microsoft sign-in
        student_number=f"deleted-{student.pk}",
        user=None,
        # A new pseudonym: nothing exported earlier under the old one links back.
        pseudonym=uuid.uuid4(),
        updated_at=timezone.now(),
    )
    return counts


def _carry_out(
    *, actor: Actor, request_id: int, run: RetentionRun, dry_run: bool
) -> dict[str, Any] | None:
    """One approved request, in one transaction. None if it is no longer approved."""
    with transaction.atomic():
        # safe: the job's own consortium's approved requests (ids from retention_run)
        request = DeletionRequest._unscoped.select_for_update().filter(pk=request_id).first()
        if request is None or request.status != RequestStatus.APPROVED:
            return None
        # safe: the student of the approved request, locked
        student = Student._unscoped.select_for_update().get(pk=request.student_id)
        counts = student_erase(student=student, dry_run=dry_run)
        if not dry_run:
            now = timezone.now()
            request.status = RequestStatus.DONE
            request.carried_out_at = now
            request.run = run
            request.counts = counts
            request.reason = ""  # the subject's own words go with the rest
            request.save(update_fields=["status", "carried_out_at", "run", "counts", "reason"])
            audit_record(
                actor=actor,
                event=events.STUDENT_DELETE,
                obj=student,
                consortium_id=student.consortium_id,
                summary=f"personal data deleted, record pseudonymised (request {request.pk})",
                detail={"request": request.pk, "run": run.pk, "counts": counts},
            )
    return {"request": request_id, "student": request.student_id, "counts": counts}


# ---------------------------------------------------------------- retention periods


@dataclass(frozen=True)
class Cutoff:
    """Rows whose end is before ``at`` (datetimes) or ``day`` (dates) are expired;
    for fiscal-year periods, rows of a fiscal year up to ``fy``."""

    at: datetime
    day: date
    fy: int | None


def cutoff_for(*, keep_days: int | None, keep_fiscal_years: int | None, now: datetime) -> Cutoff:
    """``keep_days``: expired that many days after the end. ``keep_fiscal_years``
    N: kept for the rest of the end's fiscal year and N more, expired from the
    1 April after (end in FY2026, N = 1: kept until 2028-03-31)."""
    today = timezone.localdate(now)
    if keep_days is not None:
        return Cutoff(at=now - timedelta(days=keep_days), day=today - timedelta(days=keep_days),
                      fy=None)  # fmt: skip
    assert keep_fiscal_years is not None
    current = fiscal_year_of(today)
    first_kept = date(current - keep_fiscal_years, 4, 1)  # the first day of the oldest FY kept
    at = timezone.make_aware(datetime.combine(first_kept, time.min))
    return Cutoff(at=at, day=first_kept, fy=current - keep_fiscal_years - 1)


def _application_rows(consortium_id: int, cut: Cutoff) -> list[QuerySet[Any]]:
    # safe: the consortium's applications past their retention period (system job)
    rows = Application._unscoped.filter(round__consortium_id=consortium_id)
    if cut.fy is not None:
        return [rows.filter(round__fiscal_year__lte=cut.fy)]
    return [rows.filter(round__closes_at__lt=cut.at)]


# safe (every _unscoped below): the job selects the consortium's rows past their period
RULES: dict[str, tuple[Callable[[int, Cutoff], list[QuerySet[Any]]], dict[str, Any] | None]] = {
    RecordKind.SIGN_IN_CODE: (
        lambda c, cut: [
            StudentSignInCode.objects.filter(student__consortium_id=c, expires_at__lt=cut.at)
        ],
        None,
    ),
    RecordKind.ROSTER_UPLOAD: (
        # safe: the consortium's uploads older than the period
        lambda c, cut: [RosterImport._unscoped.filter(consortium_id=c, uploaded_at__lt=cut.at)],
        None,
    ),
    RecordKind.SURVEY_TOKEN: (
        lambda c, cut: [
            # safe: tokens of the consortium's waves closed before the cut-off
            SurveyToken._unscoped.filter(wave__consortium_id=c, wave__closes_at__lt=cut.at)
        ],
        None,
    ),
    RecordKind.SURVEY_LINK: (
        lambda c, cut: [
            # safe: linked answers of the consortium's waves closed before the cut-off
            Response._unscoped.filter(
                wave__consortium_id=c, wave__closes_at__lt=cut.at, respondent__isnull=False
            )
        ],
        {"respondent": None, "submitted_at": None},
    ),
    RecordKind.SURVEY_CLASS1: (
        lambda c, cut: [
            # safe: class I answers of the consortium's waves closed before the cut-off
            Response._unscoped.filter(wave__consortium_id=c, wave__closes_at__lt=cut.at).exclude(
                class1_encrypted=""
            )
        ],
        {"class1_encrypted": ""},
    ),
    RecordKind.HOST_REQUEST: (
        lambda c, cut: [
            # safe: requests about the consortium's students' stays long over
            HostRequest._unscoped.filter(
                stay__student__consortium_id=c, stay__departure__lt=cut.day
            )
        ],
        None,
    ),
    RecordKind.HEALTH_NOTES: (
        lambda c, cut: [
            # safe: notes of the consortium's students' stays long over (stays are kept)
            Stay._unscoped.filter(student__consortium_id=c, departure__lt=cut.day).exclude(
                health_encrypted=""
            )
        ],
        {"health_encrypted": ""},
    ),
    RecordKind.APPLICATION: (_application_rows, None),
    RecordKind.PORTFOLIO_SHARE: (
        lambda c, cut: [
            # safe: the consortium's students' shares withdrawn or expired before the cut-off
            PortfolioShare._unscoped.filter(student__consortium_id=c).filter(
                Q(withdrawn_at__lt=cut.at) | Q(withdrawn_at__isnull=True, expires_at__lt=cut.at)
            )
        ],
        None,
    ),
    RecordKind.REFLECTION: (
        lambda c, cut: [
            # safe: reflections on the consortium's students' programmes long over
            Reflection._unscoped.filter(student__consortium_id=c, programme__ends_on__lt=cut.day)
        ],
        None,
    ),
    RecordKind.TEAM_POST: (
        lambda c, cut: [
            # safe: posts and files of the consortium's programmes long over
            model._unscoped.filter(
                team__team_set__programme__consortium_id=c,
                team__team_set__programme__ends_on__lt=cut.day,
            )
            for model in (TeamPost, TeamFile)
        ],
        None,
    ),
}


def _enforce(rows: QuerySet[Any], clear: dict[str, Any] | None, *, dry_run: bool) -> int:
    """Delete (or clear) the expired rows, one transaction per batch."""
    if dry_run:
        return rows.count()
    model: type[models.Model] = rows.model
    done = 0
    while True:
        ids = list(rows.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return done
        with transaction.atomic():
            # safe: the ids of expired rows selected just above
            batch = model._base_manager.filter(pk__in=ids)
            done += _run_step(_Step(str(model._meta.model_name), batch, clear))


# ---------------------------------------------------------------- the job


def _may_run(actor: Actor, consortium_id: int) -> bool:
    return actor.is_system or consortium_id in actor.principal.admin_consortium_ids


def retention_run(
    *,
    actor: Actor,
    consortium_id: int,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress = _quiet,
) -> RetentionRun:
    """Carry out the consortium's approved deletion requests and enforce its
    retention periods (see the module docstring). Returns the run's proof.

    ``actor``: a system actor (the command) or the consortium's secretariat."""
    if not _may_run(actor, consortium_id):
        raise PermissionError("only a system job or the consortium's secretariat runs this")
    now = now or timezone.now()
    if not dry_run:
        retention_policies_ensure(consortium_id=consortium_id)
    policies = {
        p.kind.value: {"keep_days": p.keep_days, "keep_fiscal_years": p.keep_fiscal_years}
        for p in retention_policies(consortium_id=consortium_id)
    }
    # safe: the job's own proof row
    run = RetentionRun._unscoped.create(
        consortium_id=consortium_id,
        started_at=timezone.now(),
        actor_id=actor.user_id,
        actor_label=actor.label[:200],
        reason=(actor.reason or "retention run")[:200],
        dry_run=dry_run,
        policies=policies,
    )
    try:
        request_ids = list(
            # safe: approved requests of the consortium's students (system job)
            DeletionRequest._unscoped.filter(
                student__consortium_id=consortium_id, status=RequestStatus.APPROVED
            )
            .order_by("decided_at", "pk")
            .values_list("pk", flat=True)
        )
        progress(f"{len(request_ids)} approved deletion request(s)")
        carried: list[dict[str, Any]] = []
        for request_id in request_ids:
            done = _carry_out(actor=actor, request_id=request_id, run=run, dry_run=dry_run)
            if done is not None:
                carried.append(done)
                progress(
                    f"  request {request_id} (student {done['student']}): "
                    f"{sum(done['counts'].values())} record(s)"
                )
        counts: dict[str, int] = {}
        for kind, (select, clear) in RULES.items():
            cut = cutoff_for(now=now, **policies[kind])
            counts[kind] = sum(
                _enforce(rows, clear, dry_run=dry_run) for rows in select(consortium_id, cut)
            )
            progress(f"  {kind}: {counts[kind]}")
    except Exception as exc:
        run.status = RunStatus.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        audit_record(
            actor=actor,
            event=events.RETENTION_RUN,
            obj=run,
            summary="retention run failed",
            detail={"dry_run": dry_run, "error": run.error},
        )
        raise
    run.requests = carried
    run.counts = counts
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["requests", "counts", "status", "finished_at"])
    audit_record(
        actor=actor,
        event=events.RETENTION_RUN,
        obj=run,
        summary=("dry run: " if dry_run else "")
        + f"{len(carried)} request(s), {run.total} record(s) past their period",
        detail={
            "dry_run": dry_run,
            "requests": [c["request"] for c in carried],
            "counts": counts,
        },
    )
    return run
