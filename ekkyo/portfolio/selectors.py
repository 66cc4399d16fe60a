"""Reading one student's portfolio from the records that already exist.

``portfolio_for(student)`` returns plain data (dicts, lists, dates) that the
page, the JSON export, the PDF and the share link all render, so they can
never disagree. It must be called only after the caller has established the
right to this one student (the student themself, or a live share token): it
reads the student's rows unscoped, and never another student's — teammates
appear only as counts.

The doors below establish that right: ``own_portfolio`` and
``portfolio_export`` for the signed-in student (full grant on themself),
``share_by_token`` for the public link (the token is the right; every view is
audited), ``shares_of_student`` and ``children_shares`` for the share lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ekkyo.audit.services import audit_record
from ekkyo.participation.models import Attendance, Reflection, Residence, Stay
from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme, ProgrammeKind
from ekkyo.registry.models import Municipality
from ekkyo.tenancy.access import Grant, NotFound, access, grant_filter
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import system_scope

from . import events
from .models import SECTIONS, PortfolioShare

SCHEMA = "ekkyo.portfolio/1"


def _en() -> bool:
    return (get_language() or "ja").startswith("en")


def _muni(m: Municipality | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"code": m.code, "name": m.display_name, "prefecture": m.prefecture.display_name}


def _host_of(p: Programme) -> Municipality | None:
    if p.host_municipality_id:
        return p.host_municipality
    if p.host_school_id:
        return p.host_school.municipality  # type: ignore[union-attr]
    return None


Link = tuple[Municipality | None, str]


def _programmes(student: Student) -> tuple[list[dict[str, Any]], list[Link]]:
    """Programme rows, and (host town, programme title) for every participation."""
    rows: list[dict[str, Any]] = []
    taken: list[Link] = []
    related = (
        "programme__host_municipality__prefecture",
        "programme__host_school__municipality__prefecture",
    )
    for r in (
        Residence._unscoped.filter(student=student)  # safe: the one student the caller checked
        .select_related("host_municipality__prefecture", "school", "programme")
        .order_by("start")
    ):
        title = r.programme.display_title if r.programme else str(_("Residence"))
        rows.append(
            {
                "kind": ProgrammeKind.RESIDENCE.value,
                "kind_label": str(ProgrammeKind.RESIDENCE.label),
                "title": title,
                "host": _muni(r.host_municipality),
                "school": r.school.display_name,
                "start": r.start,
                "end": r.end,
                "detail": "",
            }
        )
        taken.append((r.host_municipality, title))
    for s in (
        Stay._unscoped.filter(student=student, cancelled=False)  # safe: the checked student
        .select_related(*related)
        .order_by("arrival")
    ):
        p = s.programme
        rows.append(
            {
                "kind": p.kind,
                "kind_label": str(ProgrammeKind(p.kind).label),
                "title": p.display_title,
                "host": _muni(_host_of(p)),
                "school": p.host_school.display_name if p.host_school_id else "",  # type: ignore[union-attr]
                "start": s.arrival,
                "end": s.departure,
                "detail": "",
            }
        )
        taken.append((_host_of(p), p.display_title))
    online: dict[int, dict[str, Any]] = {}
    for a in (
        # safe: the one student the caller checked
        Attendance._unscoped.filter(student=student, session__programme__kind=ProgrammeKind.ONLINE)
        .select_related(*(f"session__{x}" for x in related))
        .order_by("session__starts_at")
    ):
        p = a.session.programme
        day = timezone.localtime(a.session.starts_at).date()
        row = online.get(p.pk)
        if row is None:
            row = online[p.pk] = {
                "kind": ProgrammeKind.ONLINE.value,
                "kind_label": str(ProgrammeKind.ONLINE.label),
                "title": p.display_title,
                "host": _muni(_host_of(p)),
                "school": p.host_school.display_name if p.host_school_id else "",  # type: ignore[union-attr]
                "start": day,
                "end": day,
                "sessions": 0,
            }
            taken.append((_host_of(p), p.display_title))
        row["sessions"] += 1
        row["end"] = day
    for row in online.values():
        row["detail"] = _("%(n)s sessions attended") % {"n": row.pop("sessions")}
        rows.append(row)
    rows.sort(key=lambda r: (r["start"] or date.min, r["title"]))
    return rows, taken


def _regions(student: Student, taken: list[Link]) -> dict[str, Any]:
    """関係人口: the municipalities beyond home that any programme connected the student to."""
    home = student.home_municipality_id
    found: dict[str, dict[str, Any]] = {}
    for m, title in taken:
        if m is None or m.pk == home:
            continue
        entry = found.setdefault(m.code, {**(_muni(m) or {}), "via": []})
        if title not in entry["via"]:
            entry["via"].append(title)
    municipalities = sorted(found.values(), key=lambda r: r["code"])
    return {
        "municipalities": municipalities,
        "prefectures": sorted({m["prefecture"] for m in municipalities}),
    }


def _teams(student: Student) -> list[dict[str, Any]]:
    try:
        from ekkyo.teams.models import TeamMember, TeamSetStatus
    except ImportError:  # the teams app may not be installed in every deployment
        return []
    rows = []
    for tm in (
        # safe: the checked student's own published teams
        TeamMember._unscoped.filter(student=student, team_set__status=TeamSetStatus.PUBLISHED)
        .select_related("team", "team_set__programme")
        .order_by("team_set__programme__starts_on", "team__number")
    ):
        # safe: teammates are only counted below, never named
        mates = Student._unscoped.filter(team_memberships__team=tm.team)
        rows.append(
            {
                "programme": tm.team_set.programme.display_title,
                "team_set": tm.team_set.name,
                "team": tm.team.number,
                "theme": tm.team.theme,
                "members": mates.count(),
                # Teammates are other students: only how diverse the team was.
                "schools": mates.values("school_id").distinct().count(),
                "municipalities": mates.values("home_municipality_id").distinct().count(),
            }
        )
    return rows


def _reflections(student: Student) -> list[dict[str, Any]]:
    return [
        {
            "programme": r.programme.display_title,
            "about_other_region": r.about_other_region,
            "about_own_region": r.about_own_region,
            "submitted_at": timezone.localtime(r.submitted_at).date(),
        }
        for r in Reflection._unscoped.filter(student=student)  # safe: the checked student's own
        .select_related("programme")
        .order_by("submitted_at")
    ]


def _growth(student: Student) -> dict[str, Any]:
    """The student's own construct scores per linked wave (never anyone else's)."""
    import json

    from ekkyo.core.psychometrics import construct_scores
    from ekkyo.core.survey_scoring import specs_for
    from ekkyo.crypto import decrypt_text
    from ekkyo.surveys.models import Response

    waves: list[dict[str, Any]] = []
    constructs: dict[str, dict[str, Any]] = {}
    responses = (
        # safe: the checked student's own linked answers (their pseudonym only)
        Response._unscoped.filter(respondent=student.pseudonym)
        .select_related("wave__instrument")
        .order_by("wave__opens_at", "submitted_on")
    )
    for i, r in enumerate(responses):
        inst = r.wave.instrument.parsed()
        answers = dict(r.answers)
        if r.class1_encrypted:
            answers.update(json.loads(decrypt_text(r.class1_encrypted)))
        items = [item.code for item in inst.items]
        frame = pd.DataFrame([{code: answers.get(code) for code in items}], dtype=float)
        scores = construct_scores(frame, specs_for(inst)).iloc[0]
        waves.append(
            {
                "title": r.wave.title,
                "kind": r.wave.kind,
                "fiscal_year": r.wave.fiscal_year,
                "answered_on": r.submitted_on,
            }
        )
        for c in inst.constructs:
            entry = constructs.setdefault(
                c.code,
                {
                    "code": c.code,
                    "name": c.name_en if _en() else c.name_ja,
                    "name_ja": c.name_ja,
                    "name_en": c.name_en,
                    "scores": [],
                },
            )
            entry["scores"] += [None] * (i - len(entry["scores"]))
            value = scores.get(c.code)
            entry["scores"].append(
                None if value is None or math.isnan(value) else round(float(value), 2)
            )
    rows = []
    for entry in constructs.values():
        entry["scores"] += [None] * (len(waves) - len(entry["scores"]))
        known = [s for s in entry["scores"] if s is not None]
        entry["change"] = round(known[-1] - known[0], 2) if len(known) >= 2 else None
        rows.append(entry)
    return {"waves": waves, "constructs": rows}


def portfolio_for(student: Student, *, sections: tuple[str, ...] = SECTIONS) -> dict[str, Any]:
    """The student's portfolio, with only ``sections`` filled (see the module docstring)."""
    with system_scope(reason="portfolio of one student, after the caller's access check"):
        student = Student._unscoped.select_related(  # safe: the student the caller checked
            "school__municipality", "home_municipality__prefecture"
        ).get(pk=student.pk)
        programmes, taken = _programmes(student)
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "student": {
                "name": student.full_name,
                "school": student.school_display,
                "grade": student.grade,
                "home": _muni(student.home_municipality),
            },
            "sections": list(sections),
        }
        if "programmes" in sections:
            data["programmes"] = programmes
        if "regions" in sections:
            data["regions"] = _regions(student, taken)
        if "teams" in sections:
            data["teams"] = _teams(student)
        if "reflections" in sections:
            data["reflections"] = _reflections(student)
        if "growth" in sections:
            data["growth"] = _growth(student)
    return data


# --- the doors ------------------------------------------------------------------------


def own_student(*, actor: Actor) -> Student:
    """The signed-in student themself (there is no student id in any portfolio URL)."""
    return access(actor, Student, grant=Grant.FULL, pk=actor.principal.student_id or 0)


def own_portfolio(*, actor: Actor) -> tuple[Student, dict[str, Any]]:
    """The signed-in student's whole portfolio, for their own page."""
    student = own_student(actor=actor)
    return student, portfolio_for(student)


def portfolio_export(*, actor: Actor, fmt: str) -> dict[str, Any]:
    """The signed-in student's portfolio for a file (JSON or PDF), audited."""
    student = own_student(actor=actor)
    data = portfolio_for(student)
    audit_record(
        actor=actor,
        event=events.PORTFOLIO_EXPORT,
        obj=student,
        summary=f"own portfolio as {fmt.upper()}",
        detail={"format": fmt},
    )
    return data


def shares_of_student(*, actor: Actor, student: Student) -> QuerySet[PortfolioShare]:
    """The shares of a student the actor reached at full grant (``own_student``)."""
    return PortfolioShare._unscoped.filter(  # safe: the actor's grant, and the checked student
        grant_filter(PortfolioShare, actor.principal, Grant.FULL), student=student
    )


def children_shares(*, actor: Actor) -> QuerySet[PortfolioShare]:
    """Every share the actor may withdraw (a guardian: their children's)."""
    return (
        PortfolioShare._unscoped.filter(  # safe: filtered by the actor's grant right here
            grant_filter(PortfolioShare, actor.principal, Grant.FULL)
        )
        .select_related("student")
        .order_by("student__family_name_kana", "-created_at")
    )


@dataclass(frozen=True)
class SharedPortfolio:
    share: PortfolioShare
    data: dict[str, Any]


def share_by_token(*, actor: Actor, token: str) -> SharedPortfolio:
    """A live share and the sections it shows; :class:`NotFound` for a wrong,
    withdrawn or expired link. The token is the right (no sign-in: an
    admission office has no account), so every view is audited, with where it
    came from."""
    share = (
        # safe: the unguessable token is the right; nothing else is looked up by it
        PortfolioShare._unscoped.filter(token=token).select_related("student").first()
        if len(token) <= 64
        else None
    )
    if share is None or not share.is_live():
        raise NotFound
    sections = tuple(s for s in SECTIONS if s in share.sections)
    data = portfolio_for(share.student, sections=sections)
    audit_record(
        actor=actor,
        event=events.PORTFOLIO_SHARE_VIEW,
        obj=share,
        consortium_id=share.student.consortium_id,
        summary=f"shared portfolio viewed ({share.get_recipient_kind_display()}: "
        f"{share.recipient_label[:60]})",
        detail={"sections": list(sections)},
    )
    return SharedPortfolio(share=share, data=data)
