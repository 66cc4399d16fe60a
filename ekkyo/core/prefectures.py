"""The 47 prefectures of Japan (JIS X 0401) with names, kana and regions.

This module belongs to the functional core and must never import Django. It
is reference data: codes "01" to "47" (the first two digits of every
全国地方公共団体コード and 学校コード), Japanese, English and kana names, and
the conventional eight regions (地方区分) used in statistics.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Final

__all__ = [
    "PREFECTURES",
    "PREFECTURES_BY_CODE",
    "REGIONS",
    "Prefecture",
    "Region",
    "find_prefecture",
    "get_prefecture",
]


@dataclass(frozen=True, slots=True)
class Region:
    """One of the eight conventional regions (八地方区分)."""

    code: str
    name_ja: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Prefecture:
    """A prefecture: JIS X 0401 code, names and region."""

    code: str
    name_ja: str
    name_en: str
    name_kana: str
    region: Region

    @property
    def short_ja(self) -> str:
        """The name without 都/府/県 (北海道 stays 北海道): 山形県 -> 山形."""
        if self.name_ja == "北海道":
            return self.name_ja
        return self.name_ja[:-1]

    def name(self, lang: str) -> str:
        """The name in ``lang`` (``ja`` or anything else for English)."""
        return self.name_ja if lang.lower().startswith("ja") else self.name_en


HOKKAIDO: Final = Region("hokkaido", "北海道", "Hokkaido")
TOHOKU: Final = Region("tohoku", "東北", "Tohoku")
KANTO: Final = Region("kanto", "関東", "Kanto")
CHUBU: Final = Region("chubu", "中部", "Chubu")
KINKI: Final = Region("kinki", "近畿", "Kinki")
CHUGOKU: Final = Region("chugoku", "中国", "Chugoku")
SHIKOKU: Final = Region("shikoku", "四国", "Shikoku")
KYUSHU_OKINAWA: Final = Region("kyushu_okinawa", "九州・沖縄", "Kyushu and Okinawa")

#: The eight regions, north to south.
REGIONS: Final[tuple[Region, ...]] = (
    HOKKAIDO,
    TOHOKU,
    KANTO,
    CHUBU,
    KINKI,
    CHUGOKU,
    SHIKOKU,
    KYUSHU_OKINAWA,
)

_DATA: Final[tuple[tuple[str, str, str, str, Region], ...]] = (
    ("01", "北海道", "Hokkaido", "ほっかいどう", HOKKAIDO),
    ("02", "青森県", "Aomori", "あおもりけん", TOHOKU),
    ("03", "岩手県", "Iwate", "いわてけん", TOHOKU),
    ("04", "宮城県", "Miyagi", "みやぎけん", TOHOKU),
    ("05", "秋田県", "Akita", "あきたけん", TOHOKU),
    ("06", "山形県", "Yamagata", "やまがたけん", TOHOKU),
    ("07", "福島県", "Fukushima", "ふくしまけん", TOHOKU),
    ("08", "茨城県", "Ibaraki", "いばらきけん", KANTO),
    ("09", "栃木県", "Tochigi", "とちぎけん", KANTO),
    ("10", "群馬県", "Gunma", "ぐんまけん", KANTO),
    ("11", "埼玉県", "Saitama", "さいたまけん", KANTO),
    ("12", "千葉県", "Chiba", "ちばけん", KANTO),
    ("13", "東京都", "Tokyo", "とうきょうと", KANTO),
    ("14", "神奈川県", "Kanagawa", "かながわけん", KANTO),
    ("15", "新潟県", "Niigata", "にいがたけん", CHUBU),
    ("16", "富山県", "Toyama", "とやまけん", CHUBU),
    ("17", "石川県", "Ishikawa", "いしかわけん", CHUBU),
    ("18", "福井県", "Fukui", "ふくいけん", CHUBU),
    ("19", "山梨県", "Yamanashi", "やまなしけん", CHUBU),
    ("20", "長野県", "Nagano", "ながのけん", CHUBU),
    ("21", "岐阜県", "Gifu", "ぎふけん", CHUBU),
    ("22", "静岡県", "Shizuoka", "しずおかけん", CHUBU),
    ("23", "愛知県", "Aichi", "あいちけん", CHUBU),
    ("24", "三重県", "Mie", "みえけん", KINKI),
    ("25", "滋賀県", "Shiga", "しがけん", KINKI),
    ("26", "京都府", "Kyoto", "きょうとふ", KINKI),
    ("27", "大阪府", "Osaka", "おおさかふ", KINKI),
    ("28", "兵庫県", "Hyogo", "ひょうごけん", KINKI),
    ("29", "奈良県", "Nara", "ならけん", KINKI),
    ("30", "和歌山県", "Wakayama", "わかやまけん", KINKI),
    ("31", "鳥取県", "Tottori", "とっとりけん", CHUGOKU),
    ("32", "島根県", "Shimane", "しまねけん", CHUGOKU),
    ("33", "岡山県", "Okayama", "おかやまけん", CHUGOKU),
    ("34", "広島県", "Hiroshima", "ひろしまけん", CHUGOKU),
    ("35", "山口県", "Yamaguchi", "やまぐちけん", CHUGOKU),
    ("36", "徳島県", "Tokushima", "とくしまけん", SHIKOKU),
    ("37", "香川県", "Kagawa", "かがわけん", SHIKOKU),
    ("38", "愛媛県", "Ehime", "えひめけん", SHIKOKU),
    ("39", "高知県", "Kochi", "こうちけん", SHIKOKU),
    ("40", "福岡県", "Fukuoka", "ふくおかけん", KYUSHU_OKINAWA),
    ("41", "佐賀県", "Saga", "さがけん", KYUSHU_OKINAWA),
    ("42", "長崎県", "Nagasaki", "ながさきけん", KYUSHU_OKINAWA),
    ("43", "熊本県", "Kumamoto", "くまもとけん", KYUSHU_OKINAWA),
    ("44", "大分県", "Oita", "おおいたけん", KYUSHU_OKINAWA),
    ("45", "宮崎県", "Miyazaki", "みやざきけん", KYUSHU_OKINAWA),
    ("46", "鹿児島県", "Kagoshima", "かごしまけん", KYUSHU_OKINAWA),
    ("47", "沖縄県", "Okinawa", "おきなわけん", KYUSHU_OKINAWA),
)

#: All 47 prefectures in code order.
PREFECTURES: Final[tuple[Prefecture, ...]] = tuple(Prefecture(*row) for row in _DATA)

#: Lookup by 2-digit code.
PREFECTURES_BY_CODE: Final[dict[str, Prefecture]] = {p.code: p for p in PREFECTURES}


def get_prefecture(code: str | int) -> Prefecture:
    """The prefecture with JIS X 0401 ``code`` (``"06"``, ``"６"``, ``6``); KeyError if none."""
    if isinstance(code, bool):
        raise KeyError(code)
    text = str(code) if isinstance(code, int) else unicodedata.normalize("NFKC", code).strip()
    if text.isascii() and text.isdigit() and len(text) <= 2:
        text = text.zfill(2)
    try:
        return PREFECTURES_BY_CODE[text]
    except KeyError:
        raise KeyError(code) from None


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _names_index() -> dict[str, Prefecture]:
    index: dict[str, Prefecture] = {}
    for prefecture in PREFECTURES:
        for name in (
            prefecture.name_ja,
            prefecture.short_ja,
            prefecture.name_en,
            prefecture.name_kana,
        ):
            index[_name_key(name)] = prefecture
    return index


_BY_NAME: Final[dict[str, Prefecture]] = _names_index()


def find_prefecture(name_or_code: str) -> Prefecture | None:
    """Find a prefecture by code or by a name as people write it in files.

    Accepts ``"06"``, ``"山形県"``, ``"山形"``, ``"Yamagata"``, ``"やまがたけん"``;
    returns None when nothing matches.
    """
    try:
        return get_prefecture(name_or_code)
    except KeyError:
        pass
    key = _name_key(name_or_code)
    found = _BY_NAME.get(key)
    if found is None and key.endswith(("-ken", " prefecture", "-to", "-fu")):
        found = _BY_NAME.get(key.rsplit("-", 1)[0].removesuffix(" prefecture"))
    return found


#: Latitude and longitude of each prefecture's capital (prefectural office,
#: rounded to 0.01°): where the dashboards' map draws a prefecture, or a town
#: whose own position is not recorded.
CAPITAL_COORDINATES: dict[str, tuple[float, float]] = {
    "01": (43.06, 141.35), "02": (40.82, 140.74), "03": (39.70, 141.15),
    "04": (38.27, 140.87), "05": (39.72, 140.10), "06": (38.24, 140.36),
    "07": (37.75, 140.47), "08": (36.34, 140.45), "09": (36.57, 139.88),
    "10": (36.39, 139.06), "11": (35.86, 139.65), "12": (35.61, 140.12),
    "13": (35.69, 139.69), "14": (35.45, 139.64), "15": (37.90, 139.02),
    "16": (36.70, 137.21), "17": (36.59, 136.63), "18": (36.07, 136.22),
    "19": (35.66, 138.57), "20": (36.65, 138.18), "21": (35.39, 136.72),
    "22": (34.98, 138.38), "23": (35.18, 136.91), "24": (34.73, 136.51),
    "25": (35.00, 135.87), "26": (35.02, 135.76), "27": (34.69, 135.52),
    "28": (34.69, 135.18), "29": (34.69, 135.83), "30": (34.23, 135.17),
    "31": (35.50, 134.24), "32": (35.47, 133.05), "33": (34.66, 133.93),
    "34": (34.40, 132.46), "35": (34.19, 131.47), "36": (34.07, 134.56),
    "37": (34.34, 134.04), "38": (33.84, 132.77), "39": (33.56, 133.53),
    "40": (33.61, 130.42), "41": (33.25, 130.30), "42": (32.74, 129.87),
    "43": (32.79, 130.74), "44": (33.24, 131.61), "45": (31.91, 131.42),
    "46": (31.56, 130.56), "47": (26.21, 127.68),
}  # fmt: skip


def town_position(code: str) -> tuple[float, float]:
    """A stand-in position for a town without one: near its prefecture's capital.

    Spread deterministically by the code (up to about 0.35° away) so that
    towns of one prefecture do not sit on one point.
    """
    lat, lon = CAPITAL_COORDINATES[code[:2]]
    n = int(code[2:5]) if code[2:5].isdigit() else 0
    angle = (n * 137.508) % 360  # golden angle: evenly spread
    radius = 0.12 + (n % 7) * 0.035
    return (
        round(lat + radius * math.sin(math.radians(angle)), 4),
        round(lon + radius * math.cos(math.radians(angle)), 4),
    )
