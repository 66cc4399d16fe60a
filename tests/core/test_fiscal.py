"""Tests for ekkyo.core.fiscal (no Django needed)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ekkyo.core.fiscal import (
    ERAS,
    FiscalYear,
    fiscal_year_bounds,
    fiscal_year_of,
    fiscal_years_between,
    format_fiscal_year,
    wareki_date,
    wareki_year,
)

dates = st.dates(min_value=date(1876, 1, 1), max_value=date(2200, 12, 31))
years = st.integers(min_value=1876, max_value=2200)


def test_fiscal_year_boundaries() -> None:
    assert fiscal_year_of(date(2026, 3, 31)) == 2025
    assert fiscal_year_of(date(2026, 4, 1)) == 2026
    assert fiscal_year_of(date(2025, 1, 1)) == 2024
    assert fiscal_year_of(date(2025, 12, 31)) == 2025
    assert fiscal_year_bounds(2025) == (date(2025, 4, 1), date(2026, 3, 31))


def test_fiscal_year_value() -> None:
    fy = FiscalYear(2025)
    assert (fy.start, fy.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert FiscalYear.of(date(2026, 2, 1)) == fy
    assert fy.contains(date(2025, 4, 1)) and fy.contains(date(2026, 3, 31))
    assert not fy.contains(date(2025, 3, 31)) and not fy.contains(date(2026, 4, 1))
    assert date(2025, 10, 1) in fy
    assert "2025-10-01" not in fy
    assert fy.next() == FiscalYear(2026) and fy.previous() == FiscalYear(2024)
    assert FiscalYear(2024) < fy
    assert str(fy) == "FY2025"
    assert fy.label("en") == "FY2025 (Reiwa 7)"
    assert {FiscalYear(2025), FiscalYear(2025)} == {fy}


def test_overlaps() -> None:
    fy = FiscalYear(2025)
    assert fy.overlaps(date(2025, 3, 20), date(2025, 4, 1))
    assert not fy.overlaps(date(2025, 3, 20), date(2025, 3, 31))
    assert fy.overlaps(date(2026, 3, 31), date(2026, 4, 5))
    assert not fy.overlaps(date(2026, 4, 1), date(2026, 4, 5))
    assert fy.overlaps(date(2020, 1, 1), None)
    assert fy.overlaps(None, date(2025, 4, 1))
    assert not fy.overlaps(None, date(2025, 3, 31))
    assert fy.overlaps(None, None)
    with pytest.raises(ValueError):
        fy.overlaps(date(2025, 5, 1), date(2025, 4, 1))


def test_invalid_fiscal_years() -> None:
    with pytest.raises(ValueError):
        FiscalYear(1500)
    with pytest.raises(TypeError):
        FiscalYear(True)
    with pytest.raises(TypeError):
        fiscal_year_bounds("2025")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fy", "expected"),
    [
        (2025, "令和7年度"),
        (2027, "令和9年度"),
        (2020, "令和2年度"),
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
        (1926, "昭和元年度"),
        (1925, "大正14年度"),
        (1912, "大正元年度"),
        (1911, "明治44年度"),
    ],
)
def test_wareki_year(fy: int, expected: str) -> None:
    assert wareki_year(fy) == expected


def test_format_fiscal_year() -> None:
    assert format_fiscal_year(2025, "ja") == "令和7年度（2025年度）"
    assert format_fiscal_year(2025, "ja-JP") == "令和7年度（2025年度）"
    assert format_fiscal_year(2025, "en") == "FY2025 (Reiwa 7)"
    assert format_fiscal_year(2019, "en") == "FY2019 (Reiwa 1)"
    assert format_fiscal_year(2019, "ja") == "令和元年度（2019年度）"
    assert format_fiscal_year(2018, "en") == "FY2018 (Heisei 30)"
    assert format_fiscal_year(2025) == "令和7年度（2025年度）"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 4, 1), "令和7年4月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1873, 1, 1), "明治6年1月1日"),
    ],
)
def test_wareki_date(day: date, expected: str) -> None:
    assert wareki_date(day) == expected


def test_wareki_date_before_gregorian_calendar() -> None:
    with pytest.raises(ValueError):
        wareki_date(date(1872, 12, 31))


@given(dates)
def test_every_date_lies_in_exactly_one_fiscal_year(day: date) -> None:
    fy = fiscal_year_of(day)
    containing = [y for y in range(fy - 2, fy + 3) if FiscalYear(y).contains(day)]
    assert containing == [fy]
    start, end = fiscal_year_bounds(fy)
    assert start <= day <= end


@given(years)
def test_bounds_are_contiguous(fy: int) -> None:
    start, end = fiscal_year_bounds(fy)
    next_start, _ = fiscal_year_bounds(fy + 1)
    assert end + timedelta(days=1) == next_start
    assert (end - start).days + 1 in (365, 366)
    assert fiscal_year_of(start) == fy == fiscal_year_of(end)


@given(years, dates, dates)
def test_overlaps_agrees_with_years_between(fy: int, a: date, b: date) -> None:
    start, end = min(a, b), max(a, b)
    assert FiscalYear(fy).overlaps(start, end) == (fy in fiscal_years_between(start, end))


@given(dates)
def test_wareki_date_uses_the_era_in_force(day: date) -> None:
    text = wareki_date(day)
    era = next(e for e in reversed(ERAS) if e.start <= day)
    assert text.startswith(era.name_ja)
    assert text.endswith(f"{day.month}月{day.day}日")


@given(years)
def test_wareki_year_counts_from_the_start_year(fy: int) -> None:
    text = wareki_year(fy)
    assert text.endswith("年度")
    era = next(e for e in ERAS if text.startswith(e.name_ja))
    number = text[len(era.name_ja) : -2]
    assert (1 if number == "元" else int(number)) == fy - era.start.year + 1
    # The era of a fiscal year is in force on the fiscal year's last day.
    assert era.start <= date(fy + 1, 3, 31)
