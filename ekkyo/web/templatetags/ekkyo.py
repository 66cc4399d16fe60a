"""Template filters for Japanese dates and fiscal years."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from ekkyo.core import fiscal

register = template.Library()


def _lang() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


@register.filter
def fiscal_year(value: int | date | None) -> str:
    """2025 → 令和7年度（2025年度） in Japanese, FY2025 (Reiwa 7) in English."""
    if value is None or value == "":
        return ""
    fy = fiscal.fiscal_year_of(value) if isinstance(value, date) else int(value)
    return fiscal.format_fiscal_year(fy, _lang())


@register.filter
def jdate(value: date | datetime | None) -> str:
    """A date with the era beside it in Japanese: 2026年4月1日（令和8年）."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if _lang() == "en":
        return value.isoformat()
    era_year = fiscal.wareki_date(value).split("年")[0]  # 令和8
    return f"{value.year}年{value.month}月{value.day}日（{era_year}年）"


@register.filter
def get_item(mapping: dict[str, object] | None, key: str) -> object:
    """``{{ answers|get_item:key }}``: a dict lookup with a computed key."""
    return (mapping or {}).get(str(key), "")


@register.filter
def split(value: str) -> list[str]:
    """``{% for k in "a b c"|split %}``."""
    return str(value).split()


@register.filter
def explain(obj: object) -> str:
    """A core message object (Problem, Published) in the active language."""
    from django.utils.translation import gettext

    message = getattr(obj, "message", "") or ""
    params = getattr(obj, "params", None) or {}
    text = gettext(message) if message else ""
    return text % params if params else text
