"""The subject-access export as files: JSON (every field, schema
``ekkyo.subject-access/1``, UTF-8 with names such as 髙, 﨑 and 𠮷 as they are)
and a readable PDF (A4, IPAexGothic embedded via ``ekkyo.pdf``; a character
the font lacks, such as 𠮷, is written as its code point, never dropped).

Both render the dict of ``selectors.subject_access_export``; no query here.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ekkyo import pdf


def subject_access_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode("utf-8")


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        if value.get("withheld"):
            return _("Withheld") + ": " + str(value.get("reason", ""))
        if {"code", "name", "prefecture"} <= set(value):
            return f"{value['prefecture']} {value['name']} ({value['code']})"
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_text(v) for v in value) if value else "—"
    return str(value)


def _p(value: Any, style: ParagraphStyle) -> Paragraph:
    safe = pdf.safe_text(_text(value) if not isinstance(value, str) else value)
    escaped = safe.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), style)


class _Doc:
    def __init__(self) -> None:
        pdf.safe_text("")  # registers the embedded font
        self.h1 = ParagraphStyle("h1", fontName=pdf.FONT, fontSize=15, leading=20, spaceAfter=4)
        self.h2 = ParagraphStyle(
            "h2", fontName=pdf.FONT, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=2
        )
        self.body = ParagraphStyle("body", fontName=pdf.FONT, fontSize=9, leading=13)
        self.cell = ParagraphStyle("cell", fontName=pdf.FONT, fontSize=7.5, leading=10)
        self.story: list[Any] = []

    def heading(self, text: str) -> None:
        self.story.append(_p(text, self.h2))

    def para(self, text: Any) -> None:
        self.story.append(_p(_text(text) if not isinstance(text, str) else text, self.body))

    def table(self, rows: Sequence[Sequence[Any]], *, header: Sequence[str] | None = None,
              widths: Sequence[float] | None = None) -> None:  # fmt: skip
        data = [[_p(c if isinstance(c, str) else _text(c), self.cell) for c in r] for r in rows]
        if header:
            data.insert(0, [_p(h, self.cell) for h in header])
        columns = max((len(r) for r in data), default=1)
        widths = list(widths) if widths else [180 * mm / columns] * columns
        t = Table(data, colWidths=widths, repeatRows=1 if header else 0)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef2")))
        t.setStyle(TableStyle(style))
        self.story.append(t)

    def records(
        self, title: str, items: list[dict[str, Any]], columns: list[tuple[str, str]]
    ) -> None:
        """A section: one row per record, or "none"."""
        self.heading(title)
        if not items:
            self.para(_("None."))
            return
        self.table([[item.get(key) for key, _label in columns] for item in items],
                   header=[label for _key, label in columns])  # fmt: skip

    def pairs(self, title: str, pairs: list[tuple[str, Any]]) -> None:
        self.heading(title)
        self.table([[label, value] for label, value in pairs], widths=[55 * mm, 125 * mm])


def subject_access_pdf(data: dict[str, Any]) -> bytes:
    """Every section of the export, readable: profile first, then the records."""
    s = data["student"]
    name = f"{s['family_name']} {s['given_name']}"
    doc = _Doc()
    doc.story.append(_p(_("Everything held about %(name)s") % {"name": name}, doc.h1))
    doc.para(
        _("Made on %(when)s for %(whom)s.")
        % {
            "when": _text(data["generated_at"]),
            "whom": _("the guardian") if data["exported_for"] == "guardian" else _("the student"),
        }
    )
    for note in data["notes"]:
        doc.para("・" + note)
    doc.pairs(
        _("Profile"),
        [
            (_("Name"), name),
            (_("Kana"), f"{s['family_name_kana']} {s['given_name_kana']}"),
            (_("Name in Latin letters"), s["romanized_name"]),
            (_("Gender"), s["gender"]),
            (_("Date of birth"), s["birth_date"]),
            (_("School"), f"{s['school']} {s['school_code']}".strip()),
            (_("Student number"), s["student_number"]),
            (_("School e-mail"), s["school_email"] or "—"),
            (_("Grade"), s["grade"]),
            (_("Lives in"), s["home_municipality"] or s["home_country"]),
            (_("Preferred language"), s["preferred_language"]),
            (_("Pseudonym (for surveys)"), s["pseudonym"]),
            (_("Recorded since"), s["recorded_since"]),
            (_("Last changed"), s["last_changed"]),
        ],
    )
    account = data["account"]
    doc.pairs(
        _("Sign-in account"),
        [
            (_("Created"), account["created"]),
            (_("Last sign-in"), account["last_sign_in"]),
            (_("Language"), account["language"]),
        ]
        if account
        else [(_("Account"), _("None"))],
    )
    doc.records(
        _("Guardians"),
        data["guardians"],
        [("family_name", _("Family name")), ("given_name", _("Given name")),
         ("relationship", _("Relationship")), ("email", _("Email")), ("phone", _("Phone"))],
    )  # fmt: skip
    doc.records(
        _("Consents"),
        data["consents"],
        [("purpose", _("Purpose")), ("for", _("For")), ("notice_version", _("Notice")),
         ("given_by", _("Given by")), ("given_at", _("Given")),
         ("withdrawn_at", _("Withdrawn"))],
    )  # fmt: skip
    doc.heading(_("Applications"))
    if not data["applications"]:
        doc.para(_("None."))
    for a in data["applications"]:
        doc.table(
            [
                [_("Round"), f"{a['round']} (FY{a['fiscal_year']})"],
                [_("Status"), a["status"]],
                [_("Submitted"), a["submitted_at"]],
                [_("School decision"), f"{a['school_decision']} {_text(a['school_decided_at'])}"],
                [_("Note from the school"), a["school_note"]],
                [_("Placed in"), a["placed_programme"]],
                *[
                    [
                        _("Choice %(n)s") % {"n": c["rank"]},
                        c["programme"]
                        + "".join(f"\n{x['question']}: {x['answer']}" for x in c["answers"]),
                    ]
                    for c in a["choices"]
                ],
            ],
            widths=[45 * mm, 135 * mm],
        )
        doc.story.append(Spacer(1, 2 * mm))
    doc.records(
        _("Seats"),
        data["seats"],
        [("programme", _("Programme")), ("source", _("How")), ("confirmed_at", _("Confirmed")),
         ("cancelled_at", _("Cancelled"))],
    )  # fmt: skip
    doc.records(
        _("Stays"),
        data["stays"],
        [("programme", _("Programme")), ("arrival", _("Arrival")), ("departure", _("Departure")),
         ("host_family", _("Host family")), ("cancelled", _("Cancelled")),
         ("health_notes", _("Health and allergy notes (class I)")),
         ("health_notes_shared_with_host", _("Shared with the host"))],
    )  # fmt: skip
    requests = [
        {**r, "programme": stay["programme"]}
        for stay in data["stays"]
        for r in stay["host_requests"]
    ]
    doc.records(
        _("Requests to host families"),
        requests,
        [("programme", _("Programme")), ("host_family", _("Host family")),
         ("status", _("Status")), ("sent_at", _("Sent")), ("answered_at", _("Answered"))],
    )  # fmt: skip
    doc.records(
        _("Residences"),
        data["residences"],
        [("programme", _("Programme")), ("host_municipality", _("Host town")),
         ("school", _("School")), ("start", _("Start")), ("end", _("End"))],
    )  # fmt: skip
    doc.records(
        _("Attendance"),
        data["attendance"],
        [("programme", _("Programme")), ("session", _("Session")), ("starts_at", _("When")),
         ("minutes", _("Minutes")), ("source", _("Source"))],
    )  # fmt: skip
    doc.heading(_("Reflections"))
    if not data["reflections"]:
        doc.para(_("None."))
    for r in data["reflections"]:
        doc.table(
            [
                [_("Programme"), f"{r['programme']} ({_text(r['submitted_at'])})"],
                [_("About the region I visited"), r["about_other_region"]],
                [_("About my own region"), r["about_own_region"]],
            ],
            widths=[45 * mm, 135 * mm],
        )
        doc.story.append(Spacer(1, 2 * mm))
    doc.records(
        _("Survey invitations"),
        data["survey_invitations"],
        [("wave", _("Survey")), ("fiscal_year", _("Fiscal year")),
         ("invited_at", _("Invited")), ("reminded_at", _("Reminded"))],
    )  # fmt: skip
    doc.heading(_("Survey answers"))
    if not data["survey_responses"]:
        doc.para(_("None."))
    for r in data["survey_responses"]:
        doc.para(f"{r['wave']} — {r['kind']}, FY{r['fiscal_year']}, {_text(r['submitted_on'])}")
        rows = [[x["question"], x["answer"]] for x in r["answers"]]
        health = r["health_answers"]
        if isinstance(health, dict):
            rows.append([_("Answers about health (class I)"), health])
        else:
            rows += [[x["question"] + " (I)", x["answer"]] for x in health]
        if rows:
            doc.table(rows, widths=[150 * mm, 30 * mm])
        doc.story.append(Spacer(1, 2 * mm))
    doc.records(
        _("Portfolio shares"),
        data["portfolio_shares"],
        [("recipient", _("Shared with")), ("sections", _("Sections")),
         ("created_at", _("Created")), ("expires_at", _("Expires")),
         ("withdrawn_at", _("Withdrawn"))],
    )  # fmt: skip
    doc.records(
        _("Teams"),
        data["teams"],
        [("programme", _("Programme")), ("team_set", _("Team set")), ("team", _("Team")),
         ("theme", _("Theme")), ("published", _("Published"))],
    )  # fmt: skip
    doc.records(
        _("Team posts"),
        data["team_posts"],
        [("team", _("Team")), ("kind", _("Kind")), ("text", _("Text")),
         ("created_at", _("Written")), ("hidden_at", _("Hidden"))],
    )  # fmt: skip
    doc.records(
        _("Team files"),
        data["team_files"],
        [("team", _("Team")), ("name", _("File name")), ("size", _("Size")), ("at", _("Uploaded"))],
    )  # fmt: skip
    doc.records(
        _("Sign-in codes (the codes themselves are not kept)"),
        data["sign_in_codes"],
        [("login_id", _("Login ID")), ("issued_at", _("Issued")), ("expires_at", _("Expires")),
         ("used_at", _("Used"))],
    )  # fmt: skip
    doc.records(
        _("Deletion requests"),
        data["deletion_requests"],
        [("asked_by", _("Asked by")), ("asked_at", _("Asked")), ("status", _("Status")),
         ("decided_at", _("Decided")), ("decision_note", _("Note from the school")),
         ("carried_out_at", _("Carried out"))],
    )  # fmt: skip
    doc.records(
        _("Who viewed or changed the record (audit log)"),
        data["audit_events"],
        [("at", _("When")), ("by", _("Who")), ("what", _("What")), ("summary", _("Detail"))],
    )  # fmt: skip
    buf = io.BytesIO()
    title = pdf.safe_text(_("Everything held about %(name)s") % {"name": name})
    template = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=title,
    )  # fmt: skip
    template.build(doc.story)
    return buf.getvalue()
