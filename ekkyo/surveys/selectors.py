"""Reads for the staff survey pages: which waves an actor reaches, response
rates, school reports and effects.

Waves are the secretariat's (its consortium's) and, for school staff, those
their school takes part in. "Missing" and "not yours" answer alike (404), and
the latter is recorded as a failed authorisation. Figures leave only through
disclosure control (``surveys.reports``); viewing or exporting a school
report is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from ekkyo.audit.services import audit_record
from ekkyo.registry.models import Consortium, School
from ekkyo.registry.selectors import consortium_for_school, schools_for_principal
from ekkyo.tenancy.access import NotFound
from ekkyo.tenancy.access import refuse as _refuse
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import system_scope

from . import events
from .models import ImportMapping, Response, Wave


def waves_for(*, actor: Actor) -> QuerySet[Wave]:
    """The waves the actor reaches: its consortium's (secretariat), its school's."""
    principal = actor.principal
    if principal.system:
        return Wave.objects.all()
    return Wave.objects.filter(
        Q(consortium_id__in=principal.admin_consortium_ids) | Q(schools__in=principal.school_ids)
    ).distinct()


def wave_for(*, actor: Actor, wave_id: int, secretariat: bool = False) -> Wave:
    """One wave the actor reaches (404 otherwise); with ``secretariat`` only
    waves of the actor's own consortium (imports, creation)."""
    qs = waves_for(actor=actor)
    if secretariat and not actor.principal.system:
        qs = qs.filter(consortium_id__in=actor.principal.admin_consortium_ids)
    wave = qs.filter(pk=wave_id).select_related("instrument").first()
    if wave is None:
        _refuse(
            actor,
            f"surveys.wave {wave_id}",
            exists=Wave.objects.filter(pk=wave_id).exists(),
            model="surveys.wave",
        )
    return wave


def wave_response_rates(*, actor: Actor, wave: Wave) -> list[dict[str, Any]]:
    """Target and answered counts per school of the wave (a school sees its own).

    ``wave`` comes from :func:`wave_for`; only counts leave this function."""
    from .services import wave_targets

    principal = actor.principal
    schools = wave.schools.all()
    if not principal.admin_consortium_ids and not principal.system:
        schools = schools.filter(pk__in=principal.school_ids)
    targets = {s.pk: 0 for s in schools}
    for student in wave_targets(wave):
        if student.school_id in targets:
            targets[student.school_id] += 1
    answered = dict(
        Response._unscoped.filter(  # safe: counts per school of a wave checked by wave_for
            wave=wave, school__in=schools
        )
        .values("school_id")
        .annotate(n=Count("pk"))
        .values_list("school_id", "n")
    )
    return [
        {
            "school": s,
            "target": targets[s.pk],
            "answered": answered.get(s.pk, 0),
            "rate": round(100 * answered.get(s.pk, 0) / targets[s.pk]) if targets[s.pk] else None,
        }
        for s in schools
    ]


def import_mapping_for(*, wave: Wave, name: str) -> ImportMapping | None:
    """The saved column mapping of a source in the wave's consortium, if any."""
    return ImportMapping.objects.filter(consortium_id=wave.consortium_id, name=name).first()


def school_for_report(*, actor: Actor, school_code: str) -> School:
    """A school whose figures the actor may read (``schools_for_principal``)."""
    school = schools_for_principal(actor.principal).filter(code=school_code).first()
    if school is None:
        _refuse(
            actor,
            f"registry.school {school_code}",
            exists=School.objects.filter(code=school_code).exists(),
            model="registry.school",
        )
    return school


def school_report_for(
    *, actor: Actor, school_code: str, fy: int, export: bool = False
) -> tuple[School, dict[str, Any]]:
    """The school feedback report of a school the actor may read, every figure
    disclosure-controlled at the consortium's k; audited as a view or an export."""
    from .reports import school_report

    school = school_for_report(actor=actor, school_code=school_code)
    consortium = consortium_for_school(school)
    k = consortium.disclosure_k if consortium else 10
    with system_scope(reason="school report: consortium comparison after access check"):
        report = school_report(school=school, fy=fy, k=k)
    audit_record(
        actor=actor,
        event=events.SCHOOL_REPORT_EXPORT if export else events.SCHOOL_REPORT_VIEW,
        object_type="registry.school",
        object_id=school.code,
        consortium_id=consortium.pk if consortium else None,
        summary=f"school feedback report FY{fy}{' (PDF)' if export else ''}",
        detail={"fy": fy, "format": "pdf" if export else "html"},
    )
    return school, report


@dataclass(frozen=True)
class Effects:
    fy: int
    k: int
    did: list[Any]
    posts: list[dict[str, Any]]


def effects_for(*, actor: Actor, fy: int) -> Effects:
    """Growth and programme effects of the secretariat's consortium (groups
    under k are not shown)."""
    from .reports import fy_did, paired_effects

    consortium = Consortium.objects.filter(pk__in=actor.principal.admin_consortium_ids).first()
    if consortium is None:
        raise NotFound
    k = consortium.disclosure_k
    with system_scope(reason="effects: consortium-wide figures for the secretariat"):
        did_rows = fy_did(consortium_id=consortium.pk, fy=fy, k=k)
        posts = [
            {"wave": w, "rows": paired_effects(post=w, k=k)}
            for w in Wave.objects.filter(
                consortium=consortium, kind="post", fiscal_year=fy, paired_with__isnull=False
            ).select_related("paired_with", "instrument")
        ]
    return Effects(fy=fy, k=k, did=did_rows, posts=posts)
