"""Writes about students: sign-in codes, and the roster import.

Every door takes an explicit :class:`Actor`, fetches the student or upload it
acts on with ``tenancy.access.access`` at the grant it needs, and writes an
audit row with a specific event code (``people.events``).

Sign-in codes need FULL access: a code lets its holder act as the student, so
a host town, school or family that sees a student only for hosting must never
issue one (issue 10's takeover).

Roster import workflow (one module, as STYLE.md asks): ``roster_upload`` stores the file
and returns a RosterImport; ``roster_check`` parses it with the functional
core (``ekkyo.core.roster``) and adds the checks that need the database;
``roster_apply`` re-checks and, only when there is no problem at all, upserts
every row by (school, student number) in one transaction. Applying the same
file twice, or confirming twice, creates no duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from ekkyo.accounts import events as account_events
from ekkyo.accounts.services import IssuedCode, student_code_issue
from ekkyo.audit.services import audit_record
from ekkyo.core import codes
from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.core.roster import RosterRow, parse_roster
from ekkyo.jobs.models import Job, JobKind
from ekkyo.jobs.services import JobError, Progress, job_start_once
from ekkyo.registry.models import Municipality, Prefecture, School
from ekkyo.tenancy.access import Grant, access
from ekkyo.tenancy.actor import Actor

from . import events
from .models import Guardian, GuardianLink, ImportKind, ImportStatus, RosterImport, Student
from .selectors import student_list
from .signals import announce_students

MAX_CODES_PER_SHEET = 200
PROGRESS_EVERY = 200


class TooManyStudents(ValueError):
    """A class sheet is for 1 to MAX_CODES_PER_SHEET students."""


@transaction.atomic
def student_sign_in_code_issue(*, actor: Actor, student_id: int) -> tuple[Student, IssuedCode]:
    """Issue a fresh one-time sign-in code for a student the actor sees in full.

    Earlier unused codes stop working. Needs ``Grant.FULL``."""
    student = access(actor, Student, grant=Grant.FULL, pk=student_id)
    issued = student_code_issue(student=student, issued_by=actor.user)
    audit_record(
        actor=actor,
        event=account_events.SIGN_IN_CODE_ISSUE,
        obj=student,
        detail={"login_id": issued.login_id, "expires_at": issued.expires_at},
    )
    return student, issued


@transaction.atomic
def student_sign_in_codes_issue_class(
    *, actor: Actor, school_code: str, grade: int | None, q: str = ""
) -> list[tuple[Student, IssuedCode]]:
    """One code per student of a class (school + grade) on shared tablets.

    Only students the actor sees in full are listed (``student_list``), so a
    hosting grant never reaches this door."""
    students = list(
        student_list(actor=actor, q=q, school_code=school_code, grade=grade)[
            : MAX_CODES_PER_SHEET + 1
        ]
    )
    if not students or len(students) > MAX_CODES_PER_SHEET:
        raise TooManyStudents(len(students))
    issued = [(s, student_code_issue(student=s, issued_by=actor.user)) for s in students]
    audit_record(
        actor=actor,
        event=account_events.SIGN_IN_CODES_ISSUE,
        object_type="people.student",
        summary=f"class sheet: {len(issued)} codes",
        detail={
            "school": school_code,
            "grade": grade,
            "count": len(issued),
            "students": [s.pk for s, _code in issued],
        },
    )
    return issued


STUDENT_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "romanized_name",
    "gender",
    "grade",
    "birth_date",
    "home_country",
    "preferred_language",
)


def translate_problem(problem: Problem) -> str:
    """The problem's message in the active language, parameters filled in."""
    message = _(problem.message)
    return message % problem.params if problem.params else message


@dataclass
class RosterCheck:
    rows: list[RosterRow]
    problems: list[Problem]
    encoding: str
    format: str
    ignored_columns: list[str]
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    new_municipality_codes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@transaction.atomic
def roster_upload(
    *, actor: Actor, school: School, consortium_id: int, data: bytes, filename: str
) -> RosterImport:
    """Store an uploaded roster for its preview (nothing is imported yet).

    ``school`` must come from ``schools_for_principal`` (the upload form's
    choices), so it is one the actor manages."""
    batch = RosterImport.objects.create(
        consortium_id=consortium_id,
        school=school,
        filename=filename[:200],
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        event=events.ROSTER_UPLOAD,
        obj=batch,
        detail={"school": school.code, "sha256": batch.sha256, "bytes": len(data)},
    )
    return batch


def roster_batch(*, actor: Actor, import_id: int) -> RosterImport:
    """A roster upload of one of the actor's schools (404 for anyone else's, and
    for OneRoster packages, which have their own pages)."""
    return access(actor, RosterImport, grant=Grant.FULL, pk=import_id, kind=ImportKind.ROSTER)


@transaction.atomic
def roster_discard(*, actor: Actor, import_id: int) -> RosterImport:
    """Throw a previewed upload away (its content is emptied; nothing changes)."""
    batch = RosterImport._unscoped.select_for_update().get(  # safe: access() checked it
        pk=roster_batch(actor=actor, import_id=import_id).pk
    )
    if batch.status == ImportStatus.PREVIEWED:
        batch.status = ImportStatus.DISCARDED
        batch.content = b""
        batch.save(update_fields=["status", "content"])
        audit_record(actor=actor, event=events.ROSTER_DISCARD, obj=batch)
    return batch


def _row_values(row: RosterRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in STUDENT_FIELDS}
    if row.school_email:  # an empty cell keeps the address ekkyo has
        values["school_email"] = row.school_email
    return values


def _school_email_problems(school: School, rows: list[RosterRow]) -> list[Problem]:
    """A school e-mail is the key of a Google / Microsoft sign-in: it may not
    belong to another student already (of any school)."""
    wanted = {r.school_email: r for r in rows if r.school_email}
    if not wanted:
        return []
    problems = []
    # safe: only whether an address is taken, and by which student number here
    holders = Student._unscoped.annotate(email=Lower("school_email"))
    for holder in holders.filter(email__in=list(wanted)):
        row = wanted[holder.email]
        if holder.school_id == school.pk and holder.student_number == row.student_number:
            continue
        problems.append(
            Problem(
                code="roster.school_email_taken",
                message=gettext_noop(
                    "The school e-mail %(value)s already belongs to another student in "
                    "ekkyo: each student signs in with their own address."
                ),
                params={"value": row.school_email},
                row=row.row_number,
                field="school_email",
            )
        )
    return problems


def roster_check(
    *, school: School, data: bytes, filename: str, today: date | None = None
) -> RosterCheck:
    """Parse and check a roster file for ``school``; writes nothing."""
    today = today or timezone.localdate()
    result = parse_roster(
        data,
        filename,
        reference_date=today,
        normalize_municipality_code=codes.normalize_municipality_code,
    )
    check = RosterCheck(
        rows=list(result.rows),
        problems=list(result.problems),
        encoding=result.encoding or "",
        format=result.format or "",
        ignored_columns=list(result.ignored_columns),
    )
    if result.problems and not result.rows:
        return check
    known = set(
        Municipality.objects.filter(
            code__in={r.home_municipality_code for r in result.rows if r.home_municipality_code}
        ).values_list("code", flat=True)
    )
    check.new_municipality_codes = sorted(
        {r.home_municipality_code for r in result.rows if r.home_municipality_code} - known
    )
    max_grade = school.max_grade
    for row in result.rows:
        if row.grade > max_grade:
            check.problems.append(
                Problem(
                    code="roster.grade_for_school",
                    message=gettext_noop(
                        "Grade %(grade)s does not exist at this school (grades 1 to %(max)s)."
                    ),
                    params={"grade": row.grade, "max": max_grade},
                    row=row.row_number,
                    column=None,
                    field="grade",
                )
            )
        if row.home_country == "JP" and not row.home_municipality_code:
            check.problems.append(
                Problem(
                    code="roster.home_required",
                    message=gettext_noop(
                        "The home municipality code is required for students living in Japan."
                    ),
                    row=row.row_number,
                    field="home_municipality_code",
                )
            )
    existing = {
        s.student_number: s
        # safe: the school the caller checked (the upload's, or the command's)
        for s in Student._unscoped.filter(
            school=school, student_number__in=[r.student_number for r in result.rows]
        ).select_related("home_municipality")
    }
    check.problems.extend(_school_email_problems(school, list(result.rows)))
    for row in result.rows:
        current = existing.get(row.student_number)
        if current is None:
            check.to_create += 1
        elif _differs(current, row):
            check.to_update += 1
        else:
            check.unchanged += 1
    check.problems.sort(key=lambda p: (p.row or 0, p.field or ""))
    return check


def _differs(student: Student, row: RosterRow) -> bool:
    if any(getattr(student, k) != v for k, v in _row_values(row).items()):
        return True
    current_home = student.home_municipality.code if student.home_municipality_id else None  # type: ignore[union-attr]
    return current_home != row.home_municipality_code


class RosterRejected(Exception):
    def __init__(self, check: RosterCheck) -> None:
        super().__init__(f"{len(check.problems)} problem(s)")
        self.check = check


@transaction.atomic
def roster_apply(
    *, actor: Actor, import_id: int, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Apply a previewed roster; all-or-nothing. Re-applying is a no-op.

    The upload is locked while it is applied, so a double click waits for the
    first and then finds it applied."""
    checked = roster_batch(actor=actor, import_id=import_id)
    # safe: access() above checked the actor's right to this upload
    batch = RosterImport._unscoped.select_for_update().get(pk=checked.pk)
    if batch.status == ImportStatus.APPLIED:
        return dict(batch.result)
    school = batch.school
    assert school is not None  # a roster upload always names its school
    check = roster_check(school=school, data=bytes(batch.content), filename=batch.filename)
    if not check.ok:
        raise RosterRejected(check)
    counts = roster_write(
        school=school, consortium_id=batch.consortium_id, check=check, progress=progress
    )
    batch.status = ImportStatus.APPLIED
    batch.result = counts
    batch.content = b""
    batch.save(update_fields=["status", "result", "content"])
    audit_record(
        actor=actor,
        event=events.ROSTER_IMPORT,
        object_type="registry.school",
        object_id=school.code,
        consortium_id=batch.consortium_id,
        summary=f"roster {batch.filename}",
        detail={"sha256": batch.sha256, **counts},
    )
    return counts


@transaction.atomic
def roster_apply_start(*, actor: Actor, import_id: int) -> Job:
    """Hand the apply of a previewed roster to the queue; returns its job.

    The job is enqueued when this transaction commits; a second click while
    the first job is waiting or running returns that job."""
    batch = roster_batch(actor=actor, import_id=import_id)
    return job_start_once(
        actor=actor,
        kind=JobKind.ROSTER_APPLY,
        consortium_id=batch.consortium_id,
        params={"import_id": batch.pk},
        same={"import_id": batch.pk},
    )


def upload_of_job(job: Job, progress: Progress, preview: str) -> RosterImport:
    """The stored upload an apply job writes (its page links to ``preview``);
    :class:`JobError` once it was discarded. The start door checked the actor's
    right to it, and the apply checks again."""
    from django.urls import reverse

    import_id = int(job.params["import_id"])
    progress.link(reverse(preview, kwargs={"import_id": import_id}))
    # safe: the job's own upload, checked by its *_apply_start door
    batch = RosterImport._unscoped.filter(pk=import_id).first()
    if batch is None or batch.status == ImportStatus.DISCARDED:
        raise JobError(gettext_noop("This upload was discarded. Upload the file again."))
    return batch


def roster_apply_job(actor: Actor, job: Job, progress: Progress) -> dict[str, int]:
    """The queue's side of ``roster_apply_start``: all-or-nothing as ever, and
    a no-op (the stored counts) for an upload already applied."""
    batch = upload_of_job(job, progress, "people:roster_preview")
    import_id = batch.pk
    if batch.status == ImportStatus.APPLIED:
        return dict(batch.result)
    assert batch.school is not None  # a roster upload always names its school
    check = roster_check(school=batch.school, data=bytes(batch.content), filename=batch.filename)
    progress.total(len(check.rows))
    try:
        counts = roster_apply(actor=actor, import_id=import_id, progress=progress.done)
    except RosterRejected as exc:
        raise JobError(
            gettext_noop("The file has %(n)s problems; nothing was imported."),
            n=len(exc.check.problems),
        ) from exc
    return counts


def roster_write(
    *,
    school: School,
    consortium_id: int,
    check: RosterCheck,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Upsert the checked rows. Call inside a transaction with a clean check.

    ``progress(rows)`` is told every ``PROGRESS_EVERY`` rows (a job's row count)."""
    assert check.ok
    municipalities = _municipalities_for(check)
    existing = {
        s.student_number: s
        # safe: the school the caller checked (the upload's, or the command's)
        for s in Student._unscoped.select_for_update().filter(
            school=school, student_number__in=[r.student_number for r in check.rows]
        )
    }
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    to_create: list[Student] = []
    updated: list[int] = []
    for number, row in enumerate(check.rows, start=1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
        home = (
            municipalities.get(row.home_municipality_code) if row.home_municipality_code else None
        )
        current = existing.get(row.student_number)
        if current is None:
            to_create.append(
                Student(
                    consortium_id=consortium_id,
                    school=school,
                    student_number=row.student_number,
                    home_municipality=home,
                    **_row_values(row),
                )
            )
            counts["created"] += 1
        elif _differs(current, row):
            for k, v in _row_values(row).items():
                setattr(current, k, v)
            current.home_municipality = home
            current.save()
            updated.append(current.pk)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    Student._unscoped.bulk_create(to_create, batch_size=500)  # safe: new, of the checked school
    _link_guardians(school=school, consortium_id=consortium_id, rows=check.rows)
    # A new home town moves the updated students' KPI rows (new ones have no records yet).
    announce_students(sender=Student, student_ids=updated)
    return counts


def _municipalities_for(check: RosterCheck) -> dict[str, Municipality]:
    needed = {r.home_municipality_code for r in check.rows if r.home_municipality_code}
    found = {m.code: m for m in Municipality.objects.filter(code__in=needed)}
    for code in sorted(needed - found.keys()):
        # A valid code we have not met yet: register it unnamed; the secretariat names it.
        prefecture = Prefecture.objects.get(code=code[:2])
        found[code] = Municipality.objects.create(code=code, prefecture=prefecture)
    return found


def _link_guardians(*, school: School, consortium_id: int, rows: list[RosterRow]) -> None:
    with_email = [r for r in rows if r.guardian_email]
    if not with_email:
        return
    students = {
        s.student_number: s
        for s in Student._unscoped.filter(  # safe: the checked school's students
            school=school, student_number__in=[r.student_number for r in with_email]
        )
    }
    for row in with_email:
        student = students[row.student_number]
        email = row.guardian_email.lower()
        guardian = Guardian._unscoped.filter(  # safe: guardians of this consortium only
            consortium_id=consortium_id, email__iexact=email
        ).first()
        if guardian is None:
            guardian = (
                Guardian._unscoped.create(  # safe: a new guardian of the checked school's student
                    consortium_id=consortium_id,
                    family_name=row.family_name,
                    email=email,
                    preferred_language=row.preferred_language,
                )
            )
        GuardianLink.objects.get_or_create(guardian=guardian, student=student)
