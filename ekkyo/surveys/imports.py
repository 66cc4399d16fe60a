"""Importing responses from other tools into a wave: all-or-nothing, idempotent.

Each imported row gets a client id derived from the wave, the source name
and the respondent id (uuid5), so importing the same file again stores
nothing twice. In a linked wave a respondent id equal to a target student's
student number links the row to that student's pseudonym; otherwise the
row is anonymous.

A door: only the secretariat of the wave's consortium imports (the rows are
linked to its students' pseudonyms), and an applied import is audited
(``response.import``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ekkyo.audit.services import audit_record
from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.core.response_import import read_responses_file
from ekkyo.crypto import encrypt_text
from ekkyo.tenancy.actor import Actor

from . import events
from .models import Response, WaveMode
from .selectors import wave_for
from .services import SurveyError, _canonical, validate_answers, wave_targets

NAMESPACE = uuid.UUID("6f1d3c1e-8b8e-4d8e-9a53-2f2b7a6c0e11")


@dataclass
class ImportOutcome:
    problems: list[Problem]
    rows: int
    new: int
    unchanged: int
    linked: int
    unmapped_columns: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def responses_import(
    *,
    actor: Actor,
    wave_id: int,
    data: bytes,
    filename: str,
    source: str,
    mapping: dict[str, str],
    respondent_column: str,
    apply: bool,
) -> ImportOutcome:
    """Check a responses file against the wave; with ``apply`` and no problem,
    store every new row in one transaction (all or nothing)."""
    wave = wave_for(actor=actor, wave_id=wave_id, secretariat=True)
    instrument = wave.instrument.parsed()
    parsed = read_responses_file(
        data, filename, instrument=instrument, mapping=mapping, respondent_column=respondent_column
    )
    problems = list(parsed.problems)
    students = (
        {s.student_number: s for s in wave_targets(wave)} if wave.mode == WaveMode.LINKED else {}
    )
    prepared = []
    for r in parsed.responses:
        try:
            plain, sensitive = validate_answers(instrument, r.answers)
        except SurveyError as exc:  # pragma: no cover - the reader already checked values
            problems.append(Problem(code="import.answer", message=str(exc.message), row=r.row))
            continue
        student = students.get(r.respondent)
        cid = uuid.uuid5(NAMESPACE, f"{wave.pk}:{source}:{r.respondent}")
        prepared.append((r, student, cid, plain, sensitive, _canonical(plain, sensitive)))
    outcome = ImportOutcome(problems, len(parsed.responses), 0, 0, 0, parsed.unmapped_columns)
    if problems or not apply:
        for _r, student, *_rest in prepared:
            outcome.linked += student is not None
        return outcome
    today = timezone.localdate()
    with transaction.atomic():
        existing = {
            r.client_id: r
            for r in Response._unscoped.select_for_update().filter(  # safe: wave_for checked it
                wave=wave, client_id__in=[p[2] for p in prepared]
            )
        }
        new_rows = []
        for r, student, cid, plain, sensitive, digest in prepared:
            old = existing.get(cid)
            if old is not None:
                if old.content_hash != digest:
                    problems.append(
                        Problem(
                            code="import.changed",
                            message=gettext_noop(
                                "Respondent %(id)s was imported before with other answers."
                            ),
                            params={"id": r.respondent},
                            row=r.row,
                        )
                    )
                outcome.unchanged += 1
                continue
            new_rows.append(
                Response(
                    wave=wave,
                    client_id=cid,
                    content_hash=digest,
                    respondent=student.pseudonym if student else None,
                    school_id=student.school_id if student else None,
                    grade=student.grade if student else None,
                    answers=plain,
                    class1_encrypted=encrypt_text(json.dumps(sensitive)) if sensitive else "",
                    submitted_on=today,
                    source=f"import:{source}"[:20],
                )
            )
            outcome.linked += student is not None
        if problems:
            transaction.set_rollback(True)
            outcome.problems = problems
            outcome.unchanged = 0
            return outcome
        Response._unscoped.bulk_create(new_rows, batch_size=2000)  # safe: as above
        outcome.new = len(new_rows)
        audit_record(
            actor=actor,
            event=events.RESPONSE_IMPORT,
            obj=wave,
            summary=f"responses {filename} ({outcome.new} new, {outcome.unchanged} unchanged)",
            detail={
                "source": source,
                "rows": outcome.rows,
                "created": outcome.new,
                "unchanged": outcome.unchanged,
                "linked": outcome.linked,
            },
        )
    return outcome
