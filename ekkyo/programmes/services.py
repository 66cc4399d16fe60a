"""Programme doors: create, edit, publish and cancel; sessions and questions.

Every door takes the acting :class:`Actor` first, fetches the programme it
acts on through ``selectors.programme_managed`` (the secretariat's, or one its
town or school hosts; 404 otherwise, audited), runs in one transaction with
the programme row locked (``programme_locked``, also used by the seat doors in
``ekkyo.allocation.seat_services``), and writes an audit row with a specific event
code (``programmes.events``) and the old and new values of what it changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ekkyo.audit.services import audit_record, snapshot
from ekkyo.tenancy.actor import Actor

from . import events
from .models import Programme, ProgrammeQuestion, ProgrammeStatus, Session
from .selectors import programme_managed
from .signals import COUNTED_FIELDS, announce_programmes

# What a programme's edit form sets (ProgrammeForm's fields, many-to-many apart).


PROGRAMME_FIELDS = (
    "kind",
    "title",
    "title_en",
    "summary",
    "summary_en",
    "host_municipality",
    "host_school",
    "starts_on",
    "ends_on",
    "applications_open",
    "applications_close",
    "capacity",
    "school_level",
    "min_grade",
    "max_grade",
    "exclude_host_residents",
    "languages",
    "cost_yen",
    "cost_note",
    "accommodation",
)
PROGRAMME_RELATIONS = ("themes", "partners")
SESSION_FIELDS = ("kind", "title", "starts_at", "ends_at", "place", "meeting_url")
QUESTION_FIELDS = ("text", "text_en", "required", "max_length")


def user_of(actor: Actor) -> Any:
    """The actor's user for a foreign key (``created_by``, ``confirmed_by``), or None."""
    return actor.user if getattr(actor.user, "pk", None) else None


def programme_locked(actor: Actor, programme_id: int) -> Programme:
    checked = programme_managed(actor=actor, programme_id=programme_id)
    return Programme.objects.select_for_update().get(pk=checked.pk)


def _relations(programme: Programme) -> dict[str, list[int]]:
    return {
        name: sorted(getattr(programme, name).values_list("pk", flat=True))
        for name in PROGRAMME_RELATIONS
    }


def _set_relations(programme: Programme, data: Mapping[str, Any]) -> None:
    for name in PROGRAMME_RELATIONS:
        if name in data:
            getattr(programme, name).set(data[name])


@transaction.atomic
def programme_create(*, actor: Actor, consortium_id: int, data: Mapping[str, Any]) -> Programme:
    """A new programme (a draft) from the edit form's cleaned data.

    The form's choices limit the host town and school to the actor's own
    (``ProgrammeForm``); ``consortium_id`` comes from
    ``selectors.consortium_for_manager``."""
    programme = Programme(consortium_id=consortium_id, created_by=user_of(actor))
    for name in PROGRAMME_FIELDS:
        if name in data:
            setattr(programme, name, data[name])
    programme.save()
    _set_relations(programme, data)
    audit_record(
        actor=actor,
        event=events.PROGRAMME_CREATE,
        obj=programme,
        new={**snapshot(programme, (*PROGRAMME_FIELDS, "status")), **_relations(programme)},
    )
    return programme


@transaction.atomic
def programme_update(*, actor: Actor, programme_id: int, data: Mapping[str, Any]) -> Programme:
    """Save the edit form of a programme the actor manages (old and new values audited)."""
    programme = programme_locked(actor, programme_id)
    old = {**snapshot(programme, PROGRAMME_FIELDS), **_relations(programme)}
    for name in PROGRAMME_FIELDS:
        if name in data:
            setattr(programme, name, data[name])
    programme.save()
    _set_relations(programme, data)
    if snapshot(programme, COUNTED_FIELDS) != {f: old[f] for f in COUNTED_FIELDS}:
        # Its stays and attendance now count for another KPI or town.
        announce_programmes(sender=Programme, programme_ids=[programme.pk])
    audit_record(
        actor=actor,
        event=events.PROGRAMME_UPDATE,
        obj=programme,
        old=old,
        new={**snapshot(programme, PROGRAMME_FIELDS), **_relations(programme)},
    )
    return programme


def _set_status(actor: Actor, programme_id: int, status: str, event: str) -> Programme:
    programme = programme_locked(actor, programme_id)
    old = snapshot(programme, ["status"])
    programme.status = status
    programme.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, event=event, obj=programme, old=old, new=snapshot(programme, ["status"])
    )
    return programme


@transaction.atomic
def programme_publish(*, actor: Actor, programme_id: int) -> Programme:
    """Show the programme in the public catalogue."""
    return _set_status(actor, programme_id, ProgrammeStatus.PUBLISHED, events.PROGRAMME_PUBLISH)


@transaction.atomic
def programme_cancel(*, actor: Actor, programme_id: int) -> Programme:
    """Cancel the programme (it stays in the catalogue, marked cancelled)."""
    return _set_status(actor, programme_id, ProgrammeStatus.CANCELLED, events.PROGRAMME_CANCEL)


@transaction.atomic
def session_create(*, actor: Actor, programme_id: int, data: Mapping[str, Any]) -> Session:
    """Add a dated part (online meeting or in-person day) to a programme."""
    programme = programme_locked(actor, programme_id)
    session = Session(programme=programme)
    for name in SESSION_FIELDS:
        if name in data:
            setattr(session, name, data[name])
    session.save()
    audit_record(
        actor=actor,
        event=events.SESSION_CREATE,
        obj=session,
        consortium_id=programme.consortium_id,
        detail={"programme": programme.pk},
        new=snapshot(session, SESSION_FIELDS),
    )
    return session


@transaction.atomic
def question_create(
    *, actor: Actor, programme_id: int, data: Mapping[str, Any]
) -> ProgrammeQuestion:
    """Add a question for applicants, after the existing ones."""
    programme = programme_locked(actor, programme_id)
    question = ProgrammeQuestion(programme=programme, order=programme.questions.count() + 1)
    for name in QUESTION_FIELDS:
        if name in data:
            setattr(question, name, data[name])
    question.save()
    audit_record(
        actor=actor,
        event=events.QUESTION_CREATE,
        obj=question,
        consortium_id=programme.consortium_id,
        detail={"programme": programme.pk},
        new=snapshot(question, QUESTION_FIELDS),
    )
    return question


@transaction.atomic
def question_delete(*, actor: Actor, programme_id: int, question_id: int) -> bool:
    """Remove a question of a programme the actor manages; False if it has none by that id."""
    programme = programme_locked(actor, programme_id)
    question = ProgrammeQuestion.objects.filter(programme=programme, pk=question_id).first()
    if question is None:
        return False
    old = snapshot(question, QUESTION_FIELDS)
    pk = question.pk
    question.delete()
    audit_record(
        actor=actor,
        event=events.QUESTION_DELETE,
        object_type="programmes.programmequestion",
        object_id=pk,
        consortium_id=programme.consortium_id,
        detail={"programme": programme.pk},
        old=old,
    )
    return True
