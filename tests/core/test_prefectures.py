"""Tests for ekkyo.core.prefectures (no Django needed)."""

from __future__ import annotations

from collections import Counter

import pytest

from ekkyo.core.prefectures import (
    PREFECTURES,
    PREFECTURES_BY_CODE,
    REGIONS,
    find_prefecture,
    get_prefecture,
)


def test_47_prefectures_with_contiguous_codes() -> None:
    assert len(PREFECTURES) == 47
    assert [p.code for p in PREFECTURES] == [f"{i:02d}" for i in range(1, 48)]
    assert list(PREFECTURES_BY_CODE) == [p.code for p in PREFECTURES]


def test_names_are_unique_and_well_formed() -> None:
    for attribute in ("name_ja", "name_en", "name_kana", "short_ja"):
        values = [getattr(p, attribute) for p in PREFECTURES]
        assert len(set(values)) == 47, attribute
    for p in PREFECTURES:
        assert p.name_ja.endswith(("都", "道", "府", "県"))
        assert p.name_en.isascii() and p.name_en[0].isupper()
        assert all("\u3041" <= ch <= "\u309f" for ch in p.name_kana), p.name_kana


def test_well_known_entries() -> None:
    assert get_prefecture("01").name_ja == "北海道"
    yamagata = get_prefecture("06")
    assert (yamagata.name_ja, yamagata.name_en, yamagata.name_kana) == (
        "山形県",
        "Yamagata",
        "やまがたけん",
    )
    assert yamagata.short_ja == "山形"
    assert yamagata.region.name_ja == "東北"
    assert get_prefecture("13").name_ja == "東京都"
    assert get_prefecture("26").name_kana == "きょうとふ"
    assert get_prefecture("47").name_en == "Okinawa"
    assert get_prefecture("01").short_ja == "北海道"
    assert yamagata.name("ja") == "山形県" and yamagata.name("en") == "Yamagata"


def test_regions() -> None:
    counts = Counter(p.region.name_ja for p in PREFECTURES)
    assert counts == {
        "北海道": 1,
        "東北": 6,
        "関東": 7,
        "中部": 9,
        "近畿": 7,
        "中国": 5,
        "四国": 4,
        "九州・沖縄": 8,
    }
    assert [r.name_ja for r in REGIONS] == list(counts)
    assert get_prefecture("24").region.name_en == "Kinki"
    assert get_prefecture("15").region.name_en == "Chubu"


@pytest.mark.parametrize("code", ["06", 6, "6", "０６", " 06 "])
def test_lookup_by_code(code: str | int) -> None:
    assert get_prefecture(code).name_ja == "山形県"


@pytest.mark.parametrize("code", ["00", "48", "", "abc", 0, 48, True])
def test_unknown_codes(code: str | int) -> None:
    with pytest.raises(KeyError):
        get_prefecture(code)


@pytest.mark.parametrize(
    "name",
    [
        "06",
        "山形県",
        "山形",
        "Yamagata",
        "yamagata",
        "やまがたけん",
        "Yamagata-ken",
        "Yamagata Prefecture",
    ],
)
def test_find_prefecture(name: str) -> None:
    found = find_prefecture(name)
    assert found is not None and found.code == "06"


def test_find_prefecture_misses() -> None:
    assert find_prefecture("Atlantis") is None
    assert find_prefecture("") is None
