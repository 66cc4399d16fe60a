"""Writes about students from a OneRoster Japan Profile package (zip of CSV files).

The same two steps as the roster import (``people.services``), in one module:

1. ``oneroster_upload`` stores the package for its preview, as a
   ``RosterImport`` of kind ``oneroster`` for one school or for a board of
   education (nothing is imported yet);
2. ``oneroster_check`` parses it with the functional core
   (``ekkyo.core.oneroster``) and adds what needs the database: every school
   of the package's scope is in the registry, in a member municipality of one
   consortium, and one the actor manages; no student number is taken by
   another student of the school;
3. ``oneroster_apply`` re-checks inside one transaction, with the upload and
   the schools' students locked, and writes only when there is no problem at
   all (``oneroster_import`` is the same write for the command line).

Identity and idempotence: a student is (school, ``oneroster_sourced_id``). A
student the roster import created earlier (no sourcedId yet) is adopted by
(school, student number). Applying the same package twice, or clicking
"import" twice, changes nothing the second time.

Students are never deleted. A bulk package is the school's whole roster, so
the active students of a school in scope whom it no longer lists are marked
as left (``left_on`` = the day of the import); students it marks as left
(``tobedeleted``, an ended role or enrollment) get the day it gives; a student
marked left who is listed again is enrolled again. OneRoster carries no
address, language or guardian: those fields are never written over (home
municipality stays empty for a new student until a roster import or the
student's page fills it in).

Doors (all take the :class:`Actor` first; audit codes in ``people.events``):
``oneroster_upload`` (``oneroster.upload``), ``oneroster_batch`` (selector,
``Grant.FULL``), ``oneroster_check`` (read only), ``oneroster_apply`` and
``oneroster_import`` (``oneroster.import``), ``oneroster_discard``
(``oneroster.discard``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.audit.services import audit_record
from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.core.oneroster import (
    OneRosterResult,
    OneRosterStudent,
    SchoolInScope,
    normalize_board_code,
    parse_oneroster,
)
from ekkyo.jobs.models import Job, JobKind
from ekkyo.jobs.services import JobError, Progress, job_start_once
from ekkyo.registry.models import School
from ekkyo.registry.selectors import consortium_for_school, schools_for_principal
from ekkyo.tenancy.access import Grant, access
from ekkyo.tenancy.actor import Actor

from . import events
from .models import ImportKind, ImportStatus, RosterImport, Student
from .signals import announce_students


class OneRosterRefused(ValueError):
    """The upload cannot be taken for this actor; ``message`` says why (translatable)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class OneRosterRejected(Exception):
    """Applying found problems; nothing was written. ``check`` lists them."""

    def __init__(self, check: OneRosterCheck) -> None:
        super().__init__(f"{len(check.problems)} problem(s)")
        self.check = check


# Fields an import writes; gender and birth date only from demographics.csv.
_NAME_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "grade",
    "student_number",
    "oneroster_sourced_id",
    "home_class",
    "attendance_number",
    "left_on",
    "school_email",
)
_DEMOGRAPHIC_FIELDS = ("gender", "birth_date")


def _values(student: OneRosterStudent) -> dict[str, Any]:
    row = student.row
    values: dict[str, Any] = {
        "family_name": row.family_name,
        "given_name": row.given_name,
        "family_name_kana": row.family_name_kana,
        "given_name_kana": row.given_name_kana,
        "grade": row.grade,
        "student_number": row.student_number,
        "oneroster_sourced_id": student.sourced_id,
        "home_class": student.home_class,
        "attendance_number": student.attendance_number,
        "left_on": student.left_on,
    }
    if student.has_demographics:
        values.update(gender=row.gender, birth_date=row.birth_date)
    if student.email:  # a package without addresses keeps the ones ekkyo has
        values["school_email"] = student.email
    return values


@dataclass
class _Match:
    student: OneRosterStudent
    school: School
    current: Student | None
    changes: dict[str, Any]  # field -> new value; empty when unchanged


@dataclass
class _Plan:
    matches: list[_Match] = field(default_factory=list)
    not_listed: list[Student] = field(default_factory=list)  # active, not in the package
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        created = sum(1 for m in self.matches if m.current is None)
        updated = sum(1 for m in self.matches if m.current is not None and m.changes)
        newly_left = sum(
            1
            for m in self.matches
            if m.current is not None and m.current.left_on is None and m.student.left_on
        )
        return {
            "created": created,
            "updated": updated,
            "unchanged": len(self.matches) - created - updated,
            "left": newly_left + len(self.not_listed),
            "returned": sum(
                1
                for m in self.matches
                if m.current is not None and m.current.left_on and m.student.left_on is None
            ),
        }


def _plan(
    *,
    schools: dict[str, School],
    students: Iterable[OneRosterStudent],
    lock: bool,
) -> _Plan:
    """Match the package's students to the schools' students; find collisions."""
    existing_qs = Student._unscoped.filter(  # safe: the schools were checked against the actor
        school__in=list(schools.values())
    ).order_by("pk")
    if lock:
        existing_qs = existing_qs.select_for_update()
    existing = list(existing_qs)
    by_sourced = {
        (s.school_id, s.oneroster_sourced_id): s for s in existing if s.oneroster_sourced_id
    }
    by_number = {(s.school_id, s.student_number): s for s in existing}
    plan = _Plan()
    matched: set[int] = set()
    for student in students:
        school = schools[student.school_code]
        current = by_sourced.get((school.pk, student.sourced_id))
        if current is None:
            candidate = by_number.get((school.pk, student.row.student_number))
            if candidate is not None and not candidate.oneroster_sourced_id:
                current = candidate  # from the roster import: adopt it
        if current is not None:
            matched.add(current.pk)
        values = _values(student)
        changes = (
            values
            if current is None
            else {k: v for k, v in values.items() if getattr(current, k) != v}
        )
        plan.matches.append(_Match(student, school, current, changes))
    for match in plan.matches:
        holder = by_number.get((match.school.pk, match.student.row.student_number))
        if holder is not None and holder.pk not in matched:
            plan.problems.append(
                Problem(
                    code="oneroster.student_number_taken",
                    message=gettext_noop(
                        "The student number %(value)s already belongs to %(name)s, a student "
                        "of %(school)s who is not this student: correct the identifier, or "
                        "the student's number in ekkyo."
                    ),
                    params={
                        "value": match.student.row.student_number,
                        "name": holder.full_name,
                        "school": match.school.display_name,
                        "column": "identifier",
                    },
                    row=match.student.row.row_number,
                    column="identifier",
                    field="student_number",
                    file="users.csv",
                )
            )
    _email_collisions(plan)
    plan.not_listed = [s for s in existing if s.pk not in matched and s.left_on is None]
    return plan


def _email_collisions(plan: _Plan) -> None:
    """A school e-mail is the key of a Google / Microsoft sign-in: it may not
    belong to another student already (of any school)."""
    wanted = {m.changes["school_email"]: m for m in plan.matches if m.changes.get("school_email")}
    if not wanted:
        return
    holders = Student._unscoped.annotate(  # safe: only whether an address is taken, and by whom
        email=Lower("school_email")
    ).filter(email__in=list(wanted))
    for holder in holders:
        match = wanted[holder.email]
        if match.current is not None and match.current.pk == holder.pk:
            continue
        plan.problems.append(
            Problem(
                code="oneroster.email_taken",
                message=gettext_noop(
                    "The e-mail address %(value)s already belongs to another student in "
                    "ekkyo: each student signs in with their own address."
                ),
                params={"value": holder.school_email, "column": "email"},
                row=match.student.row.row_number,
                column="email",
                field="school_email",
                file="users.csv",
            )
        )


@dataclass
class OneRosterCheck:
    """What applying the package would do, and every problem that stops it."""

    result: OneRosterResult
    problems: list[Problem]
    schools: dict[str, School]  # 学校コード -> the registry's school
    consortium_id: int | None
    today: date
    counts: dict[str, int] = field(default_factory=dict)
    to_leave: list[Student] = field(default_factory=list)  # listed no more: marked left

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def warnings(self) -> list[Problem]:
        return self.result.warnings

    @property
    def students(self) -> list[OneRosterStudent]:
        return self.result.students


def _school_problem(school: SchoolInScope, code: str, message: str) -> Problem:
    return Problem(
        code=code,
        message=message,
        params={"name": school.name, "code": school.code, "column": "identifier"},
        row=school.row,
        column="identifier",
        field="identifier",
        file="orgs.csv",
    )


def oneroster_check(
    *,
    actor: Actor,
    source: bytes | str | os.PathLike[str],
    school: School | None = None,
    board_code: str | None = None,
    today: date | None = None,
) -> OneRosterCheck:
    """Parse and check a package for ``school`` or the board ``board_code``; writes nothing.

    ``source`` is the zip's bytes or the path of a zip or a folder. The
    schools in scope must be ones ``actor`` manages (``schools_for_principal``),
    so the same package can be refused to one person and accepted for another.
    """
    today = today or timezone.localdate()
    result = parse_oneroster(
        source,
        reference_date=today,
        school_code=school.code if school is not None else None,
        board_code=board_code if school is None else None,
    )
    problems = list(result.problems)
    registry = {s.code: s for s in School.objects.filter(code__in=[s.code for s in result.schools])}
    allowed = set(
        schools_for_principal(actor.principal)
        .filter(pk__in=[s.pk for s in registry.values()])
        .values_list("pk", flat=True)
    )
    schools: dict[str, School] = {}
    consortia: set[int] = set()
    for found in result.schools:
        registered = registry.get(found.code)
        if registered is None:
            problems.append(
                _school_problem(
                    found,
                    "oneroster.school_not_registered",
                    gettext_noop(
                        "The school %(name)s (%(code)s) is not in ekkyo's registry of schools. "
                        "Ask the secretariat to add it, then upload the package again."
                    ),
                )
            )
            continue
        if registered.pk not in allowed:
            problems.append(
                _school_problem(
                    found,
                    "oneroster.school_not_yours",
                    gettext_noop(
                        "You may not import the students of %(name)s (%(code)s): it is not "
                        "one of the schools you manage."
                    ),
                )
            )
            continue
        consortium = consortium_for_school(registered)
        if consortium is None:
            problems.append(
                _school_problem(
                    found,
                    "oneroster.school_not_member",
                    gettext_noop(
                        "The school %(name)s (%(code)s) is in a municipality that is not a "
                        "member of a consortium."
                    ),
                )
            )
            continue
        consortia.add(consortium.pk)
        schools[found.code] = registered
    if len(consortia) > 1:
        problems.append(
            Problem(
                code="oneroster.several_consortia",
                message=gettext_noop(
                    "The schools of this package belong to different consortia; import each "
                    "school on its own."
                ),
                file="orgs.csv",
            )
        )
    for student in result.students:
        registered = schools.get(student.school_code)
        if registered is not None and student.row.grade > registered.max_grade:
            problems.append(
                Problem(
                    code="oneroster.grade_for_school",
                    message=gettext_noop(
                        "Grade %(grade)s does not exist at this school (grades 1 to %(max)s)."
                    ),
                    params={"grade": student.row.grade, "max": registered.max_grade},
                    row=student.row.row_number,
                    column="grades",
                    field="grade",
                    file="users.csv",
                )
            )
    check = OneRosterCheck(
        result=result,
        problems=problems,
        schools=schools,
        consortium_id=next(iter(consortia)) if len(consortia) == 1 else None,
        today=today,
    )
    if schools:
        plan = _plan(
            schools=schools,
            students=[s for s in result.students if s.school_code in schools],
            lock=False,
        )
        check.problems.extend(plan.problems)
        check.counts = plan.counts()
        check.to_leave = plan.not_listed
    order = {"manifest.csv": 0, "academicSessions.csv": 1, "orgs.csv": 2, "classes.csv": 3}
    order.update({"users.csv": 4, "roles.csv": 5, "enrollments.csv": 6, "demographics.csv": 7})
    check.problems.sort(key=lambda p: (order.get(p.file or "", -1), p.row or 0))
    return check


@transaction.atomic
def oneroster_upload(
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    school: School | None = None,
    board: str | None = None,
) -> RosterImport:
    """Store a package for its preview: for one ``school``, or for the ``board``
    whose 教育委員会コード is given (nothing is imported yet).

    A school must be one the actor manages. A board's package may be
    uploaded by the secretariat and by municipality staff (it is then shown
    to their town); which schools it touches is checked in the preview and
    again when it is applied. Raises :class:`OneRosterRefused` or
    ``CodeError`` (a malformed board code)."""
    if (school is None) == (board is None):
        raise ValueError("give exactly one of school and board")
    principal = actor.principal
    municipality_id: int | None = None
    board_code = ""
    if school is not None:
        if not schools_for_principal(principal).filter(pk=school.pk).exists():
            raise OneRosterRefused(_("You may not import the students of this school."))
        consortium = consortium_for_school(school)
        if consortium is None:
            raise OneRosterRefused(_("This school's municipality is not a member of a consortium."))
        consortium_id: int | None = consortium.pk
    else:
        board_code = normalize_board_code(board or "")
        if not (principal.system or principal.admin_consortium_ids):
            if not principal.municipality_ids:
                raise OneRosterRefused(
                    _("Only the secretariat and municipality staff import a board's package.")
                )
            municipality_id = min(principal.municipality_ids)
        consortium_id = actor.consortium_id
        if consortium_id is None:
            raise OneRosterRefused(_("Sign in with a consortium to import a board's package."))
    batch = RosterImport.objects.create(
        consortium_id=consortium_id,
        kind=ImportKind.ONEROSTER,
        school=school,
        board_code=board_code,
        municipality_id=municipality_id,
        filename=filename[:200],
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        event=events.ONEROSTER_UPLOAD,
        obj=batch,
        detail={
            "school": school.code if school else "",
            "board": board_code,
            "sha256": batch.sha256,
            "bytes": len(data),
        },
    )
    return batch


def oneroster_batch(*, actor: Actor, import_id: int) -> RosterImport:
    """A OneRoster upload the actor may see in full (404 for anyone else's)."""
    return access(actor, RosterImport, grant=Grant.FULL, pk=import_id, kind=ImportKind.ONEROSTER)


def oneroster_batch_check(*, actor: Actor, batch: RosterImport) -> OneRosterCheck:
    """The check of a stored upload (``batch`` from :func:`oneroster_batch`)."""
    return oneroster_check(
        actor=actor,
        source=bytes(batch.content),
        school=batch.school,
        board_code=batch.board_code or None,
    )


@dataclass(frozen=True)
class OneRosterWritten:
    counts: dict[str, int]
    left: list[int]  # ids of the students marked as left by this import
    returned: list[int]  # ids of students enrolled again


def _write(check: OneRosterCheck) -> OneRosterWritten:
    """Apply a clean check; call inside a transaction. Raises OneRosterRejected when
    the students changed since the check so that it no longer holds."""
    plan = _plan(
        schools=check.schools,
        students=[s for s in check.students if s.school_code in check.schools],
        lock=True,
    )
    if plan.problems or check.consortium_id is None:
        check.problems.extend(plan.problems)
        raise OneRosterRejected(check)
    consortium_id: int = check.consortium_id
    counts = plan.counts()
    now = timezone.now()
    renumbered = [
        m.current for m in plan.matches if m.current is not None and "student_number" in m.changes
    ]
    for student in renumbered:  # two steps, so that two students may swap numbers
        student.student_number = f"~{student.pk}"[:32]
    # safe: the students of _plan(), of the checked schools, locked
    Student._unscoped.bulk_update(renumbered, ["student_number"], batch_size=500)
    updated: list[Student] = []
    fields: set[str] = set()
    left: list[int] = []
    returned: list[int] = []
    new: list[Student] = []
    for match in plan.matches:
        if match.current is None:
            new.append(
                Student(
                    consortium_id=consortium_id,
                    school=match.school,
                    home_country="JP",
                    preferred_language="ja",
                    **match.changes,
                )
            )
            continue
        if not match.changes:
            continue
        if match.current.left_on is None and match.changes.get("left_on"):
            left.append(match.current.pk)
        if match.current.left_on is not None and match.changes.get("left_on", 1) is None:
            returned.append(match.current.pk)
        for name, value in match.changes.items():
            setattr(match.current, name, value)
        match.current.updated_at = now
        fields.update(match.changes)
        updated.append(match.current)
    if updated:  # safe: the students of _plan(), of the checked schools, locked
        Student._unscoped.bulk_update(updated, [*sorted(fields), "updated_at"], batch_size=500)
    Student._unscoped.bulk_create(new, batch_size=500)  # safe: new students of checked schools
    not_listed = [s.pk for s in plan.not_listed]
    Student._unscoped.filter(pk__in=not_listed).update(  # safe: the schools' own students
        left_on=check.today, updated_at=now
    )
    announce_students(sender=Student, student_ids=[s.pk for s in updated])
    return OneRosterWritten(counts=counts, left=[*left, *not_listed], returned=returned)


@transaction.atomic
def oneroster_import(
    *, actor: Actor, check: OneRosterCheck, batch: RosterImport | None = None, label: str = ""
) -> OneRosterWritten:
    """Write a clean check in one transaction and audit it (``oneroster.import``).

    For the command line (``ekkyo import-oneroster``) and for
    :func:`oneroster_apply`; ``check`` must come from :func:`oneroster_check`
    for the same actor."""
    if not check.ok:
        raise OneRosterRejected(check)
    managed = schools_for_principal(actor.principal).filter(
        pk__in=[s.pk for s in check.schools.values()]
    )
    if managed.count() != len(check.schools):
        raise OneRosterRefused(_("You may not import the students of this school."))
    written = _write(check)
    codes = sorted(check.schools)
    board = check.result.board[0] if check.result.board else ""
    detail: dict[str, Any] = {
        "schools": codes,
        "board": board,
        "school_years": check.result.school_years,
        **written.counts,
        "left_ids": written.left,
        "returned_ids": written.returned,
    }
    if batch is not None:
        detail["sha256"] = batch.sha256
        audit_record(
            actor=actor,
            event=events.ONEROSTER_IMPORT,
            obj=batch,
            summary=f"OneRoster {batch.filename}"[:300],
            detail=detail,
        )
    else:
        audit_record(
            actor=actor,
            event=events.ONEROSTER_IMPORT,
            object_type="registry.school",
            object_id=codes[0] if len(codes) == 1 else board,
            consortium_id=check.consortium_id,
            summary=f"OneRoster {label}"[:300],
            detail=detail,
        )
    return written


@transaction.atomic
def oneroster_apply(
    *, actor: Actor, import_id: int, on_checked: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Apply a previewed upload; all-or-nothing. Re-applying is a no-op.

    The upload is locked while it is applied, so a double click waits for the
    first and then finds it applied. Raises :class:`OneRosterRejected` (the
    package has problems, nothing written) or :class:`OneRosterRefused` (the
    upload was discarded)."""
    checked = oneroster_batch(actor=actor, import_id=import_id)
    # safe: oneroster_batch() above checked the actor's right to this upload
    batch = RosterImport._unscoped.select_for_update().get(pk=checked.pk)
    if batch.status == ImportStatus.APPLIED:
        return dict(batch.result)
    if batch.status == ImportStatus.DISCARDED:
        raise OneRosterRefused(_("This upload was discarded. Upload the file again."))
    check = oneroster_batch_check(actor=actor, batch=batch)
    if not check.ok:
        raise OneRosterRejected(check)
    if on_checked is not None:  # the job's page: the package is read, now it is written
        on_checked(len(check.students))
    written = oneroster_import(actor=actor, check=check, batch=batch)
    batch.status = ImportStatus.APPLIED
    batch.result = written.counts
    batch.content = b""
    batch.save(update_fields=["status", "result", "content"])
    return written.counts


@transaction.atomic
def oneroster_apply_start(*, actor: Actor, import_id: int) -> Job:
    """Hand the apply of a previewed package to the queue; returns its job.

    Enqueued when this transaction commits; a second click while the first
    job waits or runs returns that job (and the apply itself is a no-op for
    an applied upload)."""
    batch = oneroster_batch(actor=actor, import_id=import_id)
    return job_start_once(
        actor=actor,
        kind=JobKind.ONEROSTER_APPLY,
        consortium_id=batch.consortium_id,
        params={"import_id": batch.pk},
        same={"import_id": batch.pk},
    )


def oneroster_apply_job(actor: Actor, job: Job, progress: Progress) -> dict[str, int]:
    """The queue's side of :func:`oneroster_apply_start`: checked again and
    all-or-nothing as ever; an applied upload gives its stored counts."""
    from .services import upload_of_job

    batch = upload_of_job(job, progress, "people:oneroster_preview")
    if batch.status == ImportStatus.APPLIED:
        return dict(batch.result)
    try:
        counts = oneroster_apply(actor=actor, import_id=batch.pk, on_checked=progress.total)
    except OneRosterRejected as exc:
        raise JobError(
            gettext_noop("The package has %(n)s problems; nothing was imported."),
            n=len(exc.check.problems),
        ) from exc
    except OneRosterRefused as exc:
        raise JobError(exc.message) from exc
    return counts


@transaction.atomic
def oneroster_discard(*, actor: Actor, import_id: int) -> RosterImport:
    """Throw a previewed upload away (its content is emptied; nothing changes)."""
    # safe: oneroster_batch() checked the actor's right to this upload
    batch = RosterImport._unscoped.select_for_update().get(
        pk=oneroster_batch(actor=actor, import_id=import_id).pk
    )
    if batch.status == ImportStatus.PREVIEWED:
        batch.status = ImportStatus.DISCARDED
        batch.content = b""
        batch.save(update_fields=["status", "content"])
        audit_record(actor=actor, event=events.ONEROSTER_DISCARD, obj=batch)
    return batch
