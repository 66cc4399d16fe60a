"""PDF output with an embedded Japanese font, on any machine.

The font is IPAexGothic from the PyPI package matplotlib-fontja (IPA Font
License), so no system font is needed. Characters the font lacks (for
example 𠮷) are never dropped: they are written visibly as their code point
in brackets, e.g. ［U+20BB7］, so the reader sees that something is there.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "IPAexGothic"


@cache
def _font_path() -> Path:
    import matplotlib_fontja

    return Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"


@cache
def _font() -> TTFont:
    font = TTFont(FONT, str(_font_path()))
    pdfmetrics.registerFont(font)
    return font


def safe_text(text: str) -> str:
    """Replace characters the embedded font cannot draw with a visible marker."""
    covered = _font().face.charToGlyph
    out = []
    for ch in str(text):
        if ch in "\n\t" or ord(ch) in covered:
            out.append(ch)
        else:
            out.append(f"［U+{ord(ch):04X}］")
    return "".join(out)


def _escape(text: str) -> str:
    return safe_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table_pdf(
    *, title: str, subtitle: str, header: list[str], rows: list[list[str]], notes: list[str]
) -> bytes:
    """A one-table report on A4 with the Japanese font embedded."""
    _font()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=safe_text(title),
    )  # fmt: skip
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=15, leading=20, spaceAfter=4)
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=11)
    data = [[Paragraph(_escape(h), cell) for h in header]] + [
        [Paragraph(_escape(c), cell) for c in row] for row in rows
    ]
    widths = [60 * mm] + [(180 * mm - 60 * mm) / max(1, len(header) - 1)] * (len(header) - 1)
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef2")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story = [
        Paragraph(_escape(title), h1),
        Paragraph(_escape(subtitle), body),
        Spacer(1, 6 * mm),
        table,
    ]
    for note in notes:
        story += [Spacer(1, 3 * mm), Paragraph(_escape(note), body)]
    doc.build(story)
    return buf.getvalue()
