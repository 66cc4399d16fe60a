"""Placing guests with host families: the register, requests (照会), answers, health notes.

Every door takes an explicit :class:`Actor`, fetches what it acts on with
``tenancy.access.access`` at the grant its route declares (``docs/access.md``)
and writes an audit row with a specific code (``hosting.events``).

Workflow, in one module: the town keeps its register (``host_family_create``,
``host_family_update``, full grant on its own register); the host town sends
a request for a guest of its programme (``host_request_send``, hosting grant);
the family accepts or declines (``host_request_host_answer``); the student's
side confirms, which places the stay with the family and withdraws the other
requests (``host_request_guest_answer``, full grant: the student or their
guardian). The guardian enters the stay's class I notes and gives or
withdraws the consent that lets the host family see them
(``stay_health_update``, full grant on their own child).

Suggestions come from the functional core (``hosting.matching``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.accounts.models import User
from ekkyo.audit.services import audit_record, snapshot
from ekkyo.participation.models import Stay
from ekkyo.people.models import Consent, ConsentPurpose, Guardian
from ekkyo.programmes.selectors import programme_managed
from ekkyo.registry.models import Member
from ekkyo.tenancy.access import Grant, NotFound, access, object_refusal
from ekkyo.tenancy.actor import Actor

from . import events
from .models import HostFamily, HostRequest, RequestStatus
from .selectors import host_family_municipalities, stay_of_child

# The register's fields a town edits (HostFamilyForm), snapshotted for the log.
FAMILY_FIELDS = (
    "municipality",
    "name",
    "contact_name",
    "phone",
    "email",
    "household",
    "guest_capacity",
    "languages",
    "diet_options",
    "allergy_ok",
    "pets",
    "accepts_genders",
    "min_age",
    "max_age",
    "available_from",
    "available_until",
    "background_check_on",
    "background_check_until",
    "distance_km",
    "active",
)
NOTICE_VERSION = "2026-04"


def _user(actor: Actor) -> User | None:
    """The actor's account, for ``sent_by``/``recorded_by`` (none for a system job)."""
    return cast("User | None", actor.user if getattr(actor.user, "pk", None) else None)


class HostingError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


# --- the register ----------------------------------------------------------------


def _check_municipality(actor: Actor, values: Mapping[str, Any]) -> None:
    """The family's town must be one whose register the actor keeps."""
    municipality = values["municipality"]
    if not host_family_municipalities(actor.principal).filter(pk=municipality.pk).exists():
        raise NotFound


@transaction.atomic
def host_family_create(*, actor: Actor, values: Mapping[str, Any]) -> HostFamily:
    """Register a host family in one of the actor's towns.

    ``values`` are HostFamilyForm's cleaned data (``FAMILY_FIELDS``)."""
    _check_municipality(actor, values)
    member = (
        Member.objects.filter(municipality=values["municipality"]).order_by("-first_fy").first()
    )
    if member is None:
        raise NotFound
    family = HostFamily(
        consortium_id=member.consortium_id, **{f: values[f] for f in FAMILY_FIELDS if f in values}
    )
    family.save()
    audit_record(
        actor=actor,
        event=events.HOST_FAMILY_CREATE,
        obj=family,
        summary=f"host family registered: {family.name}",
        new=snapshot(family, FAMILY_FIELDS),
    )
    return family


@transaction.atomic
def host_family_update(*, actor: Actor, family_id: int, values: Mapping[str, Any]) -> HostFamily:
    """Change a family of the actor's register; the log keeps the old and new values."""
    checked = access(actor, HostFamily, grant=Grant.FULL, pk=family_id)
    _check_municipality(actor, values)
    # safe: access() above checked the actor's right to this family
    family = HostFamily._unscoped.select_for_update().get(pk=checked.pk)
    before = snapshot(family, FAMILY_FIELDS)
    for name in FAMILY_FIELDS:
        if name in values:
            setattr(family, name, values[name])
    family.save()
    audit_record(
        actor=actor,
        event=events.HOST_FAMILY_UPDATE,
        obj=family,
        summary=f"host family changed: {family.name}",
        old=before,
        new=snapshot(family, FAMILY_FIELDS),
    )
    return family


# --- requests (照会) -------------------------------------------------------------------


@transaction.atomic
def host_request_send(
    *, actor: Actor, programme_id: int, stay_id: int, family_id: int, score: float | None
) -> HostRequest:
    """The host town asks a family of its register to host a guest of its programme.

    Hosting grant: the stay must be a (not cancelled) guest of a programme the
    actor manages, the family one of the programme's host town."""
    programme = programme_managed(actor=actor, programme_id=programme_id)
    checked = access(
        actor, Stay, grant=Grant.HOSTING, pk=stay_id, programme_id=programme.pk, cancelled=False
    )
    family = access(
        actor,
        HostFamily,
        grant=Grant.HOSTING,
        pk=family_id,
        municipality_id=programme.host_municipality_id,
    )
    stay = Stay._unscoped.select_for_update().get(pk=checked.pk)  # safe: access() checked it
    if stay.cancelled:
        raise HostingError(_("The stay is cancelled."))
    if stay.host_family_id:
        raise HostingError(_("This guest is already placed with a host family."))
    if HostRequest._unscoped.filter(  # safe: both sides were checked by access() above
        stay=stay, host_family=family, status__in=[RequestStatus.SENT, RequestStatus.HOST_ACCEPTED]
    ).exists():
        raise HostingError(_("A request to this family is already open."))
    req = HostRequest._unscoped.create(  # safe: both sides were checked by access() above
        stay=stay, host_family=family, score=score, sent_by=_user(actor)
    )
    audit_record(
        actor=actor,
        event=events.HOST_REQUEST_SEND,
        obj=req,
        consortium_id=family.consortium_id,
        summary=f"host request to family {family.pk} for stay {stay.pk}",
        detail={"stay": stay.pk, "family": family.pk, "student": stay.student_id, "score": score},
    )
    return req


def _answer(*, actor: Actor, checked: HostRequest, accept: bool, side: str) -> HostRequest:
    # safe: the caller checked this request with access()
    req = HostRequest._unscoped.select_for_update().select_related("stay").get(pk=checked.pk)
    before = snapshot(req, ["status"])
    if side == "host":
        if req.status != RequestStatus.SENT:
            raise HostingError(_("This request has been answered already."))
        req.status = RequestStatus.HOST_ACCEPTED if accept else RequestStatus.HOST_DECLINED
    else:
        if req.status != RequestStatus.HOST_ACCEPTED:
            raise HostingError(_("The host has not accepted this request."))
        stay = Stay._unscoped.select_for_update().get(pk=req.stay_id)  # safe: the request's stay
        if accept:
            if stay.host_family_id:
                raise HostingError(_("This guest is already placed with a host family."))
            req.status = RequestStatus.CONFIRMED
            stay.host_family_id = req.host_family_id
            stay.save(update_fields=["host_family"])
            HostRequest._unscoped.filter(  # safe: the other requests for the same checked stay
                stay=stay, status__in=[RequestStatus.SENT, RequestStatus.HOST_ACCEPTED]
            ).exclude(pk=req.pk).update(status=RequestStatus.WITHDRAWN)
        else:
            req.status = RequestStatus.STUDENT_DECLINED
    req.answered_at = timezone.now()
    req.save(update_fields=["status", "answered_at"])
    audit_record(
        actor=actor,
        event=events.HOST_REQUEST_HOST_ANSWER
        if side == "host"
        else events.HOST_REQUEST_GUEST_ANSWER,
        obj=req,
        consortium_id=req.host_family.consortium_id,
        summary=f"{side} {'accepted' if accept else 'declined'}",
        detail={"stay": req.stay_id, "family": req.host_family_id, "accept": accept},
        old=before,
        new=snapshot(req, ["status"]),
    )
    return req


@transaction.atomic
def host_request_host_answer(*, actor: Actor, request_id: int, accept: bool) -> HostRequest:
    """The family accepts or declines a request sent to it (hosting grant)."""
    checked = access(actor, HostRequest, grant=Grant.HOSTING, pk=request_id)
    if checked.host_family_id not in actor.principal.host_ids:
        raise object_refusal(actor, "hosting.hostrequest", Grant.HOSTING, pk=request_id)
    return _answer(actor=actor, checked=checked, accept=accept, side="host")


@transaction.atomic
def host_request_guest_answer(*, actor: Actor, request_id: int, accept: bool) -> HostRequest:
    """The student (or their guardian) confirms or declines a host's offer (full grant).

    Confirming places the stay with the family and withdraws the other open
    requests for it."""
    principal = actor.principal
    own = [principal.student_id] if principal.student_id else sorted(principal.child_student_ids)
    checked = access(actor, HostRequest, grant=Grant.FULL, pk=request_id)
    if checked.stay.student_id not in own:
        raise object_refusal(actor, "hosting.hostrequest", Grant.FULL, pk=request_id)
    return _answer(actor=actor, checked=checked, accept=accept, side="student")


# --- class I notes --------------------------------------------------------------------


@transaction.atomic
def stay_health_update(
    *, actor: Actor, stay_id: int, data: dict[str, Any], share_with_host: bool
) -> Stay:
    """The guardian stores their child's class I notes for a stay (encrypted) and
    gives or withdraws the consent that lets the host family see them.

    Full grant on the guardian's own child only. The log records that the
    notes changed and the consent, never the notes themselves."""
    checked = stay_of_child(actor=actor, stay_id=stay_id)
    stay = Stay._unscoped.select_for_update().get(pk=checked.pk)  # safe: stay_of_child checked it
    guardian = Guardian._unscoped.filter(  # safe: the actor's own guardian record
        pk=actor.principal.guardian_id or 0
    ).first()
    changed = stay.health != data
    stay.health = data
    stay.save(update_fields=["health_encrypted"])
    active = Consent._unscoped.filter(  # safe: consents about the stay checked above
        student_id=stay.student_id,
        purpose=ConsentPurpose.HEALTH,
        scope=f"stay:{stay.pk}",
        withdrawn_at__isnull=True,
    )
    was_shared = active.exists()
    if share_with_host and not was_shared:
        consent = Consent._unscoped.create(  # safe: about the stay checked above
            student_id=stay.student_id,
            guardian=guardian,
            purpose=ConsentPurpose.HEALTH,
            scope=f"stay:{stay.pk}",
            notice_version=NOTICE_VERSION,
            recorded_by=_user(actor),
        )
        audit_record(
            actor=actor,
            event=events.STAY_HEALTH_CONSENT_GIVE,
            obj=consent,
            consortium_id=stay.student.consortium_id,
            summary="consent: health notes shown to the host family",
            detail={"stay": stay.pk, "notice_version": NOTICE_VERSION},
        )
    elif not share_with_host and was_shared:
        withdrawn = list(active.values_list("pk", flat=True))
        active.update(withdrawn_at=timezone.now())
        audit_record(
            actor=actor,
            event=events.STAY_HEALTH_CONSENT_WITHDRAW,
            object_type="people.consent",
            object_id=withdrawn[0],
            consortium_id=stay.student.consortium_id,
            summary="consent withdrawn: health notes no longer shown to the host family",
            detail={"stay": stay.pk, "consents": withdrawn},
        )
    audit_record(
        actor=actor,
        event=events.STAY_HEALTH_UPDATE,
        obj=stay.student,
        summary="health notes for a stay (class I)",
        detail={"stay": stay.pk, "notes_changed": changed},
        old={"shared_with_host": was_shared},
        new={"shared_with_host": share_with_host},
    )
    return stay
