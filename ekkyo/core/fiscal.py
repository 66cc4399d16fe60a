"""Fiscal years (年度) and the Japanese calendar (和暦).

This module belongs to the functional core and must never import Django.

A fiscal year (年度) runs from 1 April to 31 March and is named after the
calendar year it starts in: FY2025 = 令和7年度 = 2025-04-01..2026-03-31. Every
KPI of the programme is counted per fiscal year, and pages show both the
Japanese era and the western year.

Era naming of a fiscal year (a documented choice)
    A fiscal year's era year is counted from the calendar year it starts in.
    When an era begins during a fiscal year, the fiscal year takes the *new*
    era's name as long as the new era began in that same calendar year. So
    FY2019 (2019-04-01..2020-03-31) is 令和元年度, not 平成31年度: 令和 began
    on 2019-05-01, and after the change government documents and statistics
    call FY2019 令和元年度 (平成31年度 survives only in titles fixed before
    May 2019, such as the budget law). Likewise FY1989 is 平成元年度, whereas
    FY1988 (ending 1989-03-31, after 平成 began on 1989-01-08) remains
    昭和63年度, because a fiscal year cannot be year 0 of an era.
    :func:`wareki_date` simply uses the era in force on the day.

Eras before 明治 are not supported; nor are dates before 1873-01-01, when
Japan adopted the Gregorian calendar (earlier Gregorian dates have no
Japanese month and day that match).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

__all__ = [
    "ERAS",
    "Era",
    "FiscalYear",
    "fiscal_year_bounds",
    "fiscal_year_of",
    "fiscal_years_between",
    "format_fiscal_year",
    "wareki_date",
    "wareki_year",
]

#: First and last fiscal years we accept (dates must stay inside datetime.date).
_MIN_FY: Final = 1873
_MAX_FY: Final = 9998
_GREGORIAN_ADOPTED: Final = date(1873, 1, 1)


@dataclass(frozen=True, slots=True)
class Era:
    """A Japanese era (元号) with the Gregorian date it began."""

    name_ja: str
    name_en: str
    start: date


#: Eras from 明治 on, oldest first.
ERAS: Final[tuple[Era, ...]] = (
    Era("明治", "Meiji", date(1868, 10, 23)),
    Era("大正", "Taisho", date(1912, 7, 30)),
    Era("昭和", "Showa", date(1926, 12, 25)),
    Era("平成", "Heisei", date(1989, 1, 8)),
    Era("令和", "Reiwa", date(2019, 5, 1)),
)


def _check_fy(fy: int) -> None:
    if isinstance(fy, bool) or not isinstance(fy, int):
        raise TypeError(f"a fiscal year is an int, got {fy!r}")
    if not _MIN_FY <= fy <= _MAX_FY:
        raise ValueError(f"fiscal year {fy} is outside {_MIN_FY}..{_MAX_FY}")


def fiscal_year_of(day: date) -> int:
    """The fiscal year containing ``day``: 2026-03-31 -> 2025, 2026-04-01 -> 2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day of fiscal year ``fy``, both inclusive."""
    _check_fy(fy)
    return date(fy, 4, 1), date(fy + 1, 3, 31)


@dataclass(frozen=True, slots=True, order=True)
class FiscalYear:
    """A fiscal year as a value: ``FiscalYear(2025)`` is 2025-04-01..2026-03-31."""

    year: int

    def __post_init__(self) -> None:
        _check_fy(self.year)

    @classmethod
    def of(cls, day: date) -> FiscalYear:
        """The fiscal year containing ``day``."""
        return cls(fiscal_year_of(day))

    @property
    def start(self) -> date:
        return date(self.year, 4, 1)

    @property
    def end(self) -> date:
        """The last day, inclusive (31 March of the next calendar year)."""
        return date(self.year + 1, 3, 31)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.contains(day)

    def overlaps(self, start: date | None, end: date | None) -> bool:
        """Whether the inclusive period ``start..end`` shares a day with this year.

        ``None`` means open-ended (no start, or still running).
        """
        if start is not None and end is not None and end < start:
            raise ValueError(f"period ends ({end}) before it starts ({start})")
        return (start is None or start <= self.end) and (end is None or end >= self.start)

    def next(self) -> FiscalYear:
        return FiscalYear(self.year + 1)

    def previous(self) -> FiscalYear:
        return FiscalYear(self.year - 1)

    def label(self, lang: str = "ja") -> str:
        return format_fiscal_year(self.year, lang)

    def __str__(self) -> str:
        return f"FY{self.year}"


def fiscal_years_between(start: date, end: date) -> list[int]:
    """Every fiscal year that the inclusive period ``start..end`` touches, in order."""
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return list(range(fiscal_year_of(start), fiscal_year_of(end) + 1))


def _era_year(number: int) -> str:
    return "元" if number == 1 else str(number)


def _fiscal_era(fy: int) -> tuple[Era, int]:
    """The era naming ``fy`` and the year number within it (see module docstring)."""
    _check_fy(fy)
    fy_end = date(fy + 1, 3, 31)
    for era in reversed(ERAS):
        if era.start <= fy_end and era.start.year <= fy:
            return era, fy - era.start.year + 1
    raise ValueError(f"fiscal year {fy} is before the Meiji era")  # pragma: no cover


def wareki_year(fy: int) -> str:
    """The Japanese name of fiscal year ``fy``: 2025 -> "令和7年度", 2019 -> "令和元年度"."""
    era, number = _fiscal_era(fy)
    return f"{era.name_ja}{_era_year(number)}年度"


def format_fiscal_year(fy: int, lang: str = "ja") -> str:
    """Both calendars: "令和7年度（2025年度）" in Japanese, "FY2025 (Reiwa 7)" otherwise.

    ``lang`` is a language code; anything that is not Japanese (``ja``,
    ``ja-JP``, ...) gets the English form.
    """
    era, number = _fiscal_era(fy)
    if lang.lower().startswith("ja"):
        return f"{era.name_ja}{_era_year(number)}年度（{fy}年度）"
    return f"FY{fy} ({era.name_en} {number})"


def wareki_date(day: date) -> str:
    """A date in the Japanese calendar: 2025-04-01 -> "令和7年4月1日" (元年 for year 1)."""
    if day < _GREGORIAN_ADOPTED:
        raise ValueError(f"{day} is before Japan adopted the Gregorian calendar (1873-01-01)")
    era = next(e for e in reversed(ERAS) if e.start <= day)
    number = day.year - era.start.year + 1
    return f"{era.name_ja}{_era_year(number)}年{day.month}月{day.day}日"
