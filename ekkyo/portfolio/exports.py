"""The portfolio as a file: JSON (everything shown, with a schema version) and
PDF (A4, IPAexGothic embedded via ``ekkyo.pdf``; characters the font lacks,
such as 𠮷, are shown as their code point, never dropped)."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ekkyo import pdf
from ekkyo.core.fiscal import fiscal_year_of, format_fiscal_year


def portfolio_json(data: dict[str, Any]) -> bytes:
    payload = {"generated_at": timezone.now(), **data}
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    safe = pdf.safe_text("" if text is None else str(text))
    escaped = safe.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), style)


def _date(value: Any) -> str:
    return value.isoformat() if value else "—"


def portfolio_pdf(data: dict[str, Any]) -> bytes:
    pdf.safe_text("")  # registers the embedded font
    lang = "en" if (get_language() or "ja").startswith("en") else "ja"
    buf = io.BytesIO()
    student = data["student"]
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=pdf.safe_text(_("Portfolio") + " " + student["name"]),
    )  # fmt: skip
    h1 = ParagraphStyle("h1", fontName=pdf.FONT, fontSize=16, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=pdf.FONT, fontSize=12, leading=17, spaceBefore=8)
    body = ParagraphStyle("body", fontName=pdf.FONT, fontSize=9, leading=13)
    cell = ParagraphStyle("cell", fontName=pdf.FONT, fontSize=8, leading=11)

    def table(header: list[str], rows: list[list[Any]]) -> Table:
        t = Table([[_p(h, cell) for h in header]] + [[_p(c, cell) for c in r] for r in rows])
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef2")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    home = student.get("home") or {}
    story: list[Any] = [
        _p(_("Portfolio") + " — " + student["name"], h1),
        _p(
            f"{student['school']} · {_('Grade')} {student['grade']} · "
            f"{_('Home town')}: {home.get('prefecture', '')} {home.get('name', '')}",
            body,
        ),
    ]
    if "programmes" in data:
        story.append(_p(_("Programmes taken"), h2))
        rows = [
            [
                r["kind_label"],
                r["title"],
                f"{(r['host'] or {}).get('prefecture', '')} {(r['host'] or {}).get('name', '')}",
                f"{_date(r['start'])} – {_date(r['end'])}"
                + (
                    f" ({format_fiscal_year(fiscal_year_of(r['start']), lang)})"
                    if r["start"]
                    else ""
                ),
                r.get("detail", ""),
            ]
            for r in data["programmes"]
        ]
        story.append(
            table([_("Kind"), _("Programme"), _("Host"), _("Dates"), _("Notes")], rows)
            if rows
            else _p(_("None yet."), body)
        )
    if "regions" in data:
        regions = data["regions"]
        story.append(_p(_("Regions connected"), h2))
        story.append(
            _p(
                _("%(m)s municipalities in %(p)s prefectures beyond home.")
                % {"m": len(regions["municipalities"]), "p": len(regions["prefectures"])},
                body,
            )
        )
        if regions["municipalities"]:
            story.append(
                table(
                    [_("Prefecture"), _("Municipality"), _("Through")],
                    [
                        [m["prefecture"], m["name"], "、".join(m["via"])]
                        for m in regions["municipalities"]
                    ],
                )
            )
    if "teams" in data:
        story.append(_p(_("Teams"), h2))
        rows = [
            [
                t["programme"],
                f"{t['team_set']} / {t['team']}",
                t["theme"],
                t["members"],
                t["schools"],
            ]
            for t in data["teams"]
        ]
        story.append(
            table([_("Programme"), _("Team"), _("Theme"), _("Members"), _("Schools")], rows)
            if rows
            else _p(_("None yet."), body)
        )
    if "reflections" in data:
        story.append(_p(_("Reflections"), h2))
        for r in data["reflections"]:
            story += [
                _p(f"{r['programme']} ({_date(r['submitted_at'])})", body),
                _p(_("About the region I visited") + ": " + r["about_other_region"], body),
                _p(_("About my own region") + ": " + r["about_own_region"], body),
                Spacer(1, 2 * mm),
            ]
        if not data["reflections"]:
            story.append(_p(_("None yet."), body))
    if "growth" in data:
        growth = data["growth"]
        story.append(_p(_("My survey growth"), h2))
        if growth["waves"]:
            header = (
                [_("Construct")]
                + [w["title"] for w in growth["waves"]]
                + [_("Change since the first survey")]
            )
            rows = [
                [c["name"]]
                + ["—" if v is None else f"{v:.2f}" for v in c["scores"]]
                + ["—" if c["change"] is None else f"{c['change']:+.2f}"]
                for c in growth["constructs"]
            ]
            story.append(table(header, rows))
        else:
            story.append(_p(_("None yet."), body))
    story += [
        Spacer(1, 6 * mm),
        _p(_("Generated by ekkyo on %(day)s.") % {"day": timezone.localdate().isoformat()}, body),
    ]
    doc.build(story)
    return buf.getvalue()
