"""A deterministic generator of a synthetic demo consortium.

This module belongs to the functional core and must never import Django; the
Django layer (seed commands, demo pages, benchmarks) persists what it returns.

Nothing here is real personal data. Every person is fictional: family and
given names are drawn independently from pools of common names, so no
generated person corresponds to anyone. The only real entity is the lead
member, 山形県小国町 (a public body, code 064017). Every other municipality is
invented, flagged ``is_sample``, and has a code whose municipality part is
900-989 (non-member home towns: 990-999), a range no real municipality uses,
with a valid JIS X 0402 check digit. Every school is invented too, public
(設置区分 2) with a school number in the 9xxxxxx range and the usual MEXT check
digit. E-mail addresses use only the reserved example domains.

Output depends only on the arguments: one ``random.Random(seed)`` drives
everything, nothing iterates over a set or depends on ``hash()``, so runs are
identical across processes and PYTHONHASHSEED values. It is fast enough to
generate the national scale (120,000 students) in a few seconds.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Final

from ekkyo.core.codes import municipality_check_digit, school_code_with_check_digit
from ekkyo.core.fiscal import fiscal_year_of
from ekkyo.core.prefectures import PREFECTURES

__all__ = [
    "LEAD_MUNICIPALITY_CODE",
    "SynthConsortium",
    "SynthGuardian",
    "SynthMunicipality",
    "SynthSchool",
    "SynthStaff",
    "SynthStudent",
    "generate",
]

#: 山形県小国町, the lead member (real code; 5-digit form 06401).
LEAD_MUNICIPALITY_CODE: Final = "064017"
LEAD_PREFECTURE_CODE: Final = "06"

#: Municipality parts for invented members (900-989) and non-member homes (990-999).
SAMPLE_MEMBER_PARTS: Final = range(900, 990)
SAMPLE_NON_MEMBER_PARTS: Final = range(990, 1000)

SCHOOL_KIND_NAMES: Final[dict[str, tuple[str, str]]] = {
    "C1": ("中学校", "Junior High School"),
    "C2": ("義務教育学校", "Compulsory Education School"),
    "D1": ("高等学校", "Senior High School"),
    "D2": ("中等教育学校", "Secondary School"),
}

FOREIGN_COUNTRIES: Final = ("US", "VN", "PH", "BR", "CN", "KR", "NP")


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SynthMunicipality:
    code: str
    prefecture_code: str
    name: str
    name_kana: str
    name_en: str
    is_sample: bool
    is_lead: bool


@dataclass(frozen=True, slots=True)
class SynthSchool:
    code: str
    name: str
    name_en: str
    kind: str
    municipality_code: str
    is_sample: bool


@dataclass(frozen=True, slots=True)
class SynthStudent:
    school_code: str
    student_number: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    romanized_name: str
    gender: str
    grade: int
    birth_date: date
    home_municipality_code: str | None
    home_country: str
    preferred_language: str


@dataclass(frozen=True, slots=True)
class SynthGuardian:
    student_index: int
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    email: str
    relationship: str


@dataclass(frozen=True, slots=True)
class SynthStaff:
    role: str
    scope_code: str
    family_name: str
    given_name: str
    email: str


@dataclass
class SynthConsortium:
    name: str
    prefectures: list[str]
    municipalities: list[SynthMunicipality]
    schools: list[SynthSchool]
    students: Sequence[SynthStudent]
    guardians: Sequence[SynthGuardian]
    staff: list[SynthStaff]
    reference_date: date
    fiscal_year: int
    seed: int
    #: Sample codes (part 990-999) used as homes outside the consortium.
    non_member_municipality_codes: list[str] = field(default_factory=list)

    @property
    def lead(self) -> SynthMunicipality:
        return next(m for m in self.municipalities if m.is_lead)


# --------------------------------------------------------------------------
# Name pools: (written form, hiragana/katakana reading, romanization, weight)
# --------------------------------------------------------------------------

_Name = tuple[str, str, str]

_FAMILY_NAMES: Final[tuple[tuple[str, str, str, int], ...]] = (
    ("佐藤", "さとう", "Sato", 60),
    ("鈴木", "すずき", "Suzuki", 50),
    ("高橋", "たかはし", "Takahashi", 40),
    ("髙橋", "たかはし", "Takahashi", 12),  # 髙 U+9AD9
    ("田中", "たなか", "Tanaka", 38),
    ("伊藤", "いとう", "Ito", 34),
    ("渡辺", "わたなべ", "Watanabe", 32),
    ("渡部", "わたなべ", "Watanabe", 10),
    ("山本", "やまもと", "Yamamoto", 30),
    ("中村", "なかむら", "Nakamura", 30),
    ("小林", "こばやし", "Kobayashi", 28),
    ("加藤", "かとう", "Kato", 26),
    ("吉田", "よしだ", "Yoshida", 24),
    ("𠮷田", "よしだ", "Yoshida", 10),  # 𠮷 U+20BB7 (outside the BMP)
    ("山田", "やまだ", "Yamada", 22),
    ("佐々木", "ささき", "Sasaki", 22),
    ("山口", "やまぐち", "Yamaguchi", 18),
    ("松本", "まつもと", "Matsumoto", 18),
    ("井上", "いのうえ", "Inoue", 16),
    ("木村", "きむら", "Kimura", 16),
    ("斎藤", "さいとう", "Saito", 16),
    ("齋藤", "さいとう", "Saito", 10),
    ("清水", "しみず", "Shimizu", 14),
    ("山崎", "やまざき", "Yamazaki", 14),
    ("山﨑", "やまざき", "Yamazaki", 10),  # 﨑 U+FA11
    ("宮﨑", "みやざき", "Miyazaki", 6),  # 﨑 U+FA11
    ("森", "もり", "Mori", 14),
    ("池田", "いけだ", "Ikeda", 12),
    ("橋本", "はしもと", "Hashimoto", 12),
    ("阿部", "あべ", "Abe", 12),
    ("石川", "いしかわ", "Ishikawa", 10),
    ("遠藤", "えんどう", "Endo", 10),
    ("菅原", "すがわら", "Sugawara", 10),
    ("五十嵐", "いがらし", "Igarashi", 10),
    ("長谷川", "はせがわ", "Hasegawa", 10),
    ("髙木", "たかぎ", "Takagi", 6),  # 髙 U+9AD9
    ("大沼", "おおぬま", "Onuma", 6),
    ("舟山", "ふなやま", "Funayama", 6),
)

_GIVEN_MALE: Final[tuple[_Name, ...]] = (
    ("陽翔", "はると", "Haruto"),
    ("蓮", "れん", "Ren"),
    ("湊", "みなと", "Minato"),
    ("大翔", "ひろと", "Hiroto"),
    ("悠真", "ゆうま", "Yuma"),
    ("樹", "いつき", "Itsuki"),
    ("颯太", "そうた", "Sota"),
    ("悠人", "ゆうと", "Yuto"),
    ("大和", "やまと", "Yamato"),
    ("陸", "りく", "Riku"),
    ("翔太", "しょうた", "Shota"),
    ("拓海", "たくみ", "Takumi"),
    ("海斗", "かいと", "Kaito"),
    ("朝陽", "あさひ", "Asahi"),
    ("結翔", "ゆいと", "Yuito"),
    ("健太", "けんた", "Kenta"),
)

_GIVEN_FEMALE: Final[tuple[_Name, ...]] = (
    ("陽葵", "ひまり", "Himari"),
    ("凛", "りん", "Rin"),
    ("結菜", "ゆいな", "Yuina"),
    ("芽依", "めい", "Mei"),
    ("紬", "つむぎ", "Tsumugi"),
    ("澪", "みお", "Mio"),
    ("莉子", "りこ", "Riko"),
    ("結衣", "ゆい", "Yui"),
    ("美咲", "みさき", "Misaki"),
    ("彩花", "あやか", "Ayaka"),
    ("さくら", "さくら", "Sakura"),
    ("心春", "こはる", "Koharu"),
    ("花", "はな", "Hana"),
    ("七海", "ななみ", "Nanami"),
    ("美月", "みづき", "Mizuki"),
    ("柚希", "ゆずき", "Yuzuki"),
)

_GIVEN_NEUTRAL: Final[tuple[_Name, ...]] = (
    ("光", "ひかる", "Hikaru"),
    ("翼", "つばさ", "Tsubasa"),
    ("真琴", "まこと", "Makoto"),
    ("葵", "あおい", "Aoi"),
    ("渚", "なぎさ", "Nagisa"),
    ("歩", "あゆむ", "Ayumu"),
    ("晴", "はる", "Haru"),
    ("薫", "かおる", "Kaoru"),
)

_ADULT_FEMALE: Final[tuple[_Name, ...]] = (
    ("由美", "ゆみ", "Yumi"),
    ("直美", "なおみ", "Naomi"),
    ("裕子", "ゆうこ", "Yuko"),
    ("智子", "ともこ", "Tomoko"),
    ("香織", "かおり", "Kaori"),
    ("麻衣", "まい", "Mai"),
    ("愛", "あい", "Ai"),
    ("恵", "めぐみ", "Megumi"),
    ("明美", "あけみ", "Akemi"),
    ("千尋", "ちひろ", "Chihiro"),
)

_ADULT_MALE: Final[tuple[_Name, ...]] = (
    ("誠", "まこと", "Makoto"),
    ("大輔", "だいすけ", "Daisuke"),
    ("健一", "けんいち", "Kenichi"),
    ("隆", "たかし", "Takashi"),
    ("浩", "ひろし", "Hiroshi"),
    ("拓也", "たくや", "Takuya"),
    ("直樹", "なおき", "Naoki"),
    ("和也", "かずや", "Kazuya"),
    ("剛", "つよし", "Tsuyoshi"),
    ("修", "おさむ", "Osamu"),
)

# Foreign participants: (family names, female given, male given), in roman
# letters with katakana readings.
_FOREIGN: Final[dict[str, tuple[tuple[tuple[str, str], ...], ...]]] = {
    "US": (
        (
            ("Smith", "スミス"),
            ("Johnson", "ジョンソン"),
            ("Brown", "ブラウン"),
            ("Miller", "ミラー"),
        ),
        (("Emily", "エミリー"), ("Olivia", "オリビア"), ("Grace", "グレース")),
        (("Noah", "ノア"), ("Liam", "リアム"), ("Ethan", "イーサン")),
    ),
    "VN": (
        (("Nguyen", "グエン"), ("Tran", "チャン"), ("Le", "レ"), ("Pham", "ファム")),
        (("Lan", "ラン"), ("Mai", "マイ"), ("Linh", "リン")),
        (("Minh", "ミン"), ("Huy", "フイ"), ("Nam", "ナム")),
    ),
    "PH": (
        (("Santos", "サントス"), ("Reyes", "レイエス"), ("Cruz", "クルス"), ("Garcia", "ガルシア")),
        (("Maria", "マリア"), ("Angel", "エンジェル"), ("Bea", "ベア")),
        (("Jose", "ホセ"), ("Mark", "マーク"), ("Paolo", "パオロ")),
    ),
    "BR": (
        (("Silva", "シルバ"), ("Oliveira", "オリベイラ"), ("Souza", "ソウザ"), ("Costa", "コスタ")),
        (("Ana", "アナ"), ("Julia", "ジュリア"), ("Beatriz", "ベアトリス")),
        (("Lucas", "ルーカス"), ("Gabriel", "ガブリエル"), ("Mateus", "マテウス")),
    ),
    "CN": (
        (("Wang", "ワン"), ("Li", "リー"), ("Zhang", "チャン"), ("Liu", "リウ")),
        (("Mei", "メイ"), ("Xin", "シン"), ("Yue", "ユエ")),
        (("Hao", "ハオ"), ("Jun", "ジュン"), ("Wei", "ウェイ")),
    ),
    "KR": (
        (("Kim", "キム"), ("Lee", "イ"), ("Park", "パク"), ("Choi", "チェ")),
        (("Jiwoo", "ジウ"), ("Seoyeon", "ソヨン"), ("Minji", "ミンジ")),
        (("Minjun", "ミンジュン"), ("Jihoon", "ジフン"), ("Seojun", "ソジュン")),
    ),
    "NP": (
        (("Gurung", "グルン"), ("Shrestha", "シュレスタ"), ("Tamang", "タマン"), ("Rai", "ライ")),
        (("Sita", "シタ"), ("Anjali", "アンジャリ"), ("Priya", "プリヤ")),
        (("Aarav", "アーラブ"), ("Bikash", "ビカシュ"), ("Sujan", "スジャン")),
    ),
}

# Invented place names: first kanji + second kanji, each with its reading.
_PLACE_FIRST: Final[tuple[_Name, ...]] = (
    ("青", "あお", "Ao"),
    ("朝", "あさ", "Asa"),
    ("緑", "みどり", "Midori"),
    ("白", "しら", "Shira"),
    ("若", "わか", "Waka"),
    ("桜", "さくら", "Sakura"),
    ("星", "ほし", "Hoshi"),
    ("風", "かぜ", "Kaze"),
    ("月", "つき", "Tsuki"),
    ("花", "はな", "Hana"),
    ("雪", "ゆき", "Yuki"),
    ("鳴", "なる", "Naru"),
    ("森", "もり", "Mori"),
    ("泉", "いずみ", "Izumi"),
    ("虹", "にじ", "Niji"),
    ("鈴", "すず", "Suzu"),
    ("光", "ひかり", "Hikari"),
    ("潮", "しお", "Shio"),
    ("霧", "きり", "Kiri"),
    ("空", "そら", "Sora"),
    ("岩", "いわ", "Iwa"),
    ("杉", "すぎ", "Sugi"),
    ("萩", "はぎ", "Hagi"),
    ("柚", "ゆず", "Yuzu"),
    ("椿", "つばき", "Tsubaki"),
)

_PLACE_SECOND: Final[tuple[_Name, ...]] = (
    ("葉", "ば", "ba"),
    ("川", "かわ", "kawa"),
    ("浜", "はま", "hama"),
    ("野", "の", "no"),
    ("里", "さと", "sato"),
    ("沢", "さわ", "sawa"),
    ("島", "しま", "shima"),
    ("丘", "おか", "oka"),
    ("原", "はら", "hara"),
    ("谷", "たに", "tani"),
    ("浦", "うら", "ura"),
    ("崎", "さき", "saki"),
    ("瀬", "せ", "se"),
    ("台", "だい", "dai"),
    ("根", "ね", "ne"),
    ("平", "ひら", "hira"),
    ("江", "え", "e"),
    ("宮", "みや", "miya"),
)

_DIRECTIONS: Final[tuple[_Name, ...]] = (
    ("", "", ""),
    ("東", "ひがし", "Higashi "),
    ("西", "にし", "Nishi "),
    ("南", "みなみ", "Minami "),
    ("北", "きた", "Kita "),
)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


class _Picker:
    """Weighted choice with precomputed cumulative weights (fast, deterministic)."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, items: Sequence[_Name], weights: Sequence[int] | None = None) -> None:
        self._items = tuple(items)
        cum = list(accumulate(weights if weights is not None else [1] * len(items)))
        self._cum = cum
        self._total = cum[-1]

    def pick(self, rng: random.Random) -> _Name:
        return self._items[bisect(self._cum, rng.random() * self._total)]


def _jis_code(prefecture: str, part: int) -> str:
    five = f"{prefecture}{part:03d}"
    return five + municipality_check_digit(five)


def _place_names(rng: random.Random) -> list[_Name]:
    """All invented two-kanji place stems, shuffled deterministically."""
    stems: list[_Name] = []
    seen_kana: set[str] = set()
    for first in _PLACE_FIRST:
        for second in _PLACE_SECOND:
            kana = first[1] + second[1]
            if first[0] == second[0] or kana in seen_kana:
                continue
            seen_kana.add(kana)
            stems.append((first[0] + second[0], kana, first[2] + second[2]))
    rng.shuffle(stems)
    return stems


def _apportion(total: int, weights: list[float], cap: int) -> list[int]:
    """Split ``total`` proportionally to ``weights`` with no share above ``cap``.

    Largest-remainder rounding; ties broken by position, so deterministic.
    """
    n = len(weights)
    shares = [0.0] * n
    capped = [False] * n
    remaining = float(total)
    while True:
        free = [i for i in range(n) if not capped[i]]
        weight_sum = sum(weights[i] for i in free)
        over = False
        for i in free:
            share = remaining * weights[i] / weight_sum
            if share > cap:
                capped[i] = True
                shares[i] = float(cap)
                over = True
        if not over:
            for i in free:
                shares[i] = remaining * weights[i] / weight_sum
            break
        remaining = total - sum(shares[i] for i in range(n) if capped[i])
    floors = [int(s) for s in shares]
    short = total - sum(floors)
    order = sorted(range(n), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:short]:
        floors[i] += 1
    return floors


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------


def generate(
    *,
    seed: int = 2025,
    municipalities: int = 44,
    prefectures: int = 18,
    schools: int = 100,
    students: int = 10_000,
    reference_date: date,
) -> SynthConsortium:
    """Generate a synthetic consortium; the same arguments always give the same data.

    Exactly ``municipalities`` members in exactly ``prefectures`` prefectures
    (山形県 always among them, for the lead member 小国町), ``schools`` schools
    with at least one per member, ``students`` students with one guardian
    each, and staff. Grades and birth dates are consistent with the fiscal
    year of ``reference_date``.
    """
    if not 1 <= prefectures <= len(PREFECTURES):
        raise ValueError(f"prefectures must be 1..{len(PREFECTURES)}, got {prefectures}")
    if municipalities < prefectures:
        raise ValueError("every prefecture needs a member: municipalities >= prefectures")
    max_members = 1 + len(SAMPLE_MEMBER_PARTS) * prefectures
    if municipalities > max_members:
        raise ValueError(f"at most {max_members} members fit in {prefectures} prefectures")
    if schools < municipalities:
        raise ValueError("every member needs a school: schools >= municipalities")
    if students < 0:
        raise ValueError("students must not be negative")

    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    fiscal_year = fiscal_year_of(reference_date)

    # Prefectures: 山形県 plus a random choice of the others.
    others = [p.code for p in PREFECTURES if p.code != LEAD_PREFECTURE_CODE]
    chosen = sorted([LEAD_PREFECTURE_CODE, *rng.sample(others, prefectures - 1)])

    # Members per prefecture: one each, the rest spread at random.
    per_pref = dict.fromkeys(chosen, 1)
    for _ in range(municipalities - prefectures):
        while True:
            pref = rng.choice(chosen)
            limit = len(SAMPLE_MEMBER_PARTS) + (1 if pref == LEAD_PREFECTURE_CODE else 0)
            if per_pref[pref] < limit:
                per_pref[pref] += 1
                break

    stems = _place_names(rng)
    if municipalities - 1 > len(stems):
        raise ValueError(f"at most {len(stems) + 1} members: not enough invented town names")
    town_stems = stems[: municipalities - 1]
    school_stems = [
        (d[0] + stem[0], d[1] + stem[1], d[2] + stem[2])
        for stem in stems[municipalities - 1 :]
        for d in _DIRECTIONS
    ]
    if schools > len(school_stems):
        raise ValueError(f"at most {len(school_stems)} schools: not enough invented names")
    rng.shuffle(school_stems)

    members: list[SynthMunicipality] = []
    stem_index = 0
    for pref in chosen:
        count = per_pref[pref]
        if pref == LEAD_PREFECTURE_CODE:
            members.append(
                SynthMunicipality(
                    code=LEAD_MUNICIPALITY_CODE,
                    prefecture_code=pref,
                    name="小国町",
                    name_kana="おぐにまち",
                    name_en="Oguni Town",
                    is_sample=False,
                    is_lead=True,
                )
            )
            count -= 1
        for part in sorted(rng.sample(SAMPLE_MEMBER_PARTS, count)):
            stem, kana, roman = town_stems[stem_index]
            stem_index += 1
            if rng.random() < 0.8:
                name, name_kana, name_en = stem + "町", kana + "ちょう", f"{roman} Town"
            else:
                name, name_kana, name_en = stem + "村", kana + "むら", f"{roman} Village"
            members.append(
                SynthMunicipality(
                    code=_jis_code(pref, part),
                    prefecture_code=pref,
                    name=name,
                    name_kana=name_kana,
                    name_en=name_en,
                    is_sample=True,
                    is_lead=False,
                )
            )

    # Homes outside the consortium: sample codes 990-999 in a few prefectures.
    non_member_prefs = sorted(rng.sample([p.code for p in PREFECTURES], 8))
    non_member_codes = [
        _jis_code(pref, part)
        for pref in non_member_prefs
        for part in sorted(rng.sample(SAMPLE_NON_MEMBER_PARTS, 2))
    ]

    # Schools: a middle (or compulsory) school in every member, the rest spread.
    hosts_of_school = list(range(municipalities)) + [
        rng.randrange(municipalities) for _ in range(schools - municipalities)
    ]
    hosts_of_school.sort()
    serial_in_town = [0] * municipalities
    first_in_town = [True] * municipalities
    school_list: list[SynthSchool] = []
    for i, town in enumerate(hosts_of_school):
        member = members[town]
        roll = rng.random()
        if first_in_town[town]:
            kind = "C1" if roll < 0.85 else "C2"
            first_in_town[town] = False
        else:
            kind = "D1" if roll < 0.6 else "C1" if roll < 0.85 else "D2"
        serial_in_town[town] += 1
        number = f"9{member.code[2:5]}{serial_in_town[town]:03d}"
        code = school_code_with_check_digit(f"{kind}{member.prefecture_code}2{number}")
        stem, _kana, roman = school_stems[i]
        label_ja, label_en = SCHOOL_KIND_NAMES[kind]
        school_list.append(
            SynthSchool(
                code=code,
                name=stem + label_ja,
                name_en=f"{roman} {label_en}",
                kind=kind,
                municipality_code=member.code,
                is_sample=True,
            )
        )

    # School sizes: skewed towards small schools, 10-200 at the default scale.
    average = students / schools
    low = min(10, students // schools)
    high = max(200, math.ceil(average * 2))
    weights = [0.02 + rng.random() ** 2 for _ in range(schools)]
    extra = _apportion(students - low * schools, weights, high - low)
    sizes = [low + e for e in extra]

    student_list, guardian_list = _students_and_guardians(
        rng, school_list, members, sizes, non_member_codes, fiscal_year
    )
    staff = _staff(rng, members, school_list)

    return SynthConsortium(
        name="越境ねっと（デモ）",
        prefectures=chosen,
        municipalities=members,
        schools=school_list,
        students=student_list,
        guardians=guardian_list,
        staff=staff,
        reference_date=reference_date,
        fiscal_year=fiscal_year,
        seed=seed,
        non_member_municipality_codes=non_member_codes,
    )


def _students_and_guardians(
    rng: random.Random,
    school_list: list[SynthSchool],
    members: list[SynthMunicipality],
    sizes: list[int],
    non_member_codes: list[str],
    fiscal_year: int,
) -> tuple[list[SynthStudent], list[SynthGuardian]]:
    family = _Picker([row[:3] for row in _FAMILY_NAMES], [row[3] for row in _FAMILY_NAMES])
    male = _Picker(_GIVEN_MALE)
    female = _Picker(_GIVEN_FEMALE)
    neutral = _Picker(_GIVEN_NEUTRAL)
    adult_male = _Picker(_ADULT_MALE)
    adult_female = _Picker(_ADULT_FEMALE)
    member_codes = [m.code for m in members]
    n_members = len(member_codes)
    n_non_members = len(non_member_codes)
    random_ = rng.random
    fromordinal = date.fromordinal

    # Birth-date windows by school year s (1 = first year of elementary
    # school): born 2 April (FY - 6 - s) .. 1 April (FY - 5 - s).
    windows: dict[int, tuple[int, int]] = {}
    for s in range(1, 13):
        start = date(fiscal_year - 6 - s, 4, 2).toordinal()
        end = date(fiscal_year - 5 - s, 4, 1).toordinal()
        windows[s] = (start, end - start + 1)
    school_year_offset = {"C1": 6, "C2": 0, "D1": 9, "D2": 9}
    grade_count = {"C1": 3, "C2": 9, "D1": 3, "D2": 3}

    students: list[SynthStudent] = []
    guardians: list[SynthGuardian] = []
    for school, size in zip(school_list, sizes, strict=True):
        own = school.municipality_code
        offset = school_year_offset[school.kind]
        grades = grade_count[school.kind]
        for serial in range(1, size + 1):
            index = len(students)
            grade = 1 + int(random_() * grades)
            win_start, win_len = windows[offset + grade]
            birth = fromordinal(win_start + int(random_() * win_len))
            number = f"{fiscal_year - grade + 1}{serial:04d}"
            roll = random_()
            g = random_()
            gender = "female" if g < 0.49 else "male" if g < 0.98 else "other"
            if roll < 0.99:
                if roll < 0.90 or n_members == 1:
                    home: str | None = own
                elif roll < 0.97:
                    home = member_codes[int(random_() * n_members)]
                    if home == own:
                        home = member_codes[(member_codes.index(own) + 1) % n_members]
                else:
                    home = non_member_codes[int(random_() * n_non_members)]
                fam, fam_kana, fam_roman = family.pick(rng)
                pool = female if gender == "female" else male if gender == "male" else neutral
                given, given_kana, given_roman = pool.pick(rng)
                country, language, domain = "JP", "ja", "example.jp"
                romanized = f"{fam_roman} {given_roman}"
                relationship_roll = random_()
                if relationship_roll < 0.55:
                    relationship, adult = "mother", adult_female.pick(rng)
                elif relationship_roll < 0.95:
                    relationship, adult = "father", adult_male.pick(rng)
                else:
                    relationship = "guardian"
                    adult = (adult_female if random_() < 0.5 else adult_male).pick(rng)
                g_given, g_kana, g_roman = adult
            else:
                home = None
                country = FOREIGN_COUNTRIES[int(random_() * len(FOREIGN_COUNTRIES))]
                fam_pool, fem_pool, male_pool = _FOREIGN[country]
                fam, fam_kana = fam_pool[int(random_() * len(fam_pool))]
                fam_roman = fam
                if gender == "other":
                    given_pool = fem_pool if random_() < 0.5 else male_pool
                else:
                    given_pool = fem_pool if gender == "female" else male_pool
                given, given_kana = given_pool[int(random_() * len(given_pool))]
                romanized = f"{fam} {given}"
                language = "en" if random_() < 0.8 else "ja"
                domain = "example.com"
                if random_() < 0.55:
                    relationship = "mother"
                    g_given, g_kana = fem_pool[int(random_() * len(fem_pool))]
                else:
                    relationship = "father"
                    g_given, g_kana = male_pool[int(random_() * len(male_pool))]
                g_roman = g_given
            students.append(
                SynthStudent(
                    school_code=school.code,
                    student_number=number,
                    family_name=fam,
                    given_name=given,
                    family_name_kana=fam_kana,
                    given_name_kana=given_kana,
                    romanized_name=romanized,
                    gender=gender,
                    grade=grade,
                    birth_date=birth,
                    home_municipality_code=home,
                    home_country=country,
                    preferred_language=language,
                )
            )
            guardians.append(
                SynthGuardian(
                    student_index=index,
                    family_name=fam,
                    given_name=g_given,
                    family_name_kana=fam_kana,
                    given_name_kana=g_kana,
                    email=f"{g_roman}.{fam_roman}.{index}@{domain}".lower(),
                    relationship=relationship,
                )
            )
    return students, guardians


def _staff(
    rng: random.Random, members: list[SynthMunicipality], school_list: list[SynthSchool]
) -> list[SynthStaff]:
    family = _Picker([row[:3] for row in _FAMILY_NAMES], [row[3] for row in _FAMILY_NAMES])
    adults = _Picker(_ADULT_FEMALE + _ADULT_MALE)
    staff: list[SynthStaff] = []

    def add(role: str, scope: str) -> None:
        fam, _fk, fam_roman = family.pick(rng)
        given, _gk, given_roman = adults.pick(rng)
        email = f"{given_roman}.{fam_roman}.staff{len(staff) + 1}@example.jp".lower()
        staff.append(SynthStaff(role, scope, fam, given, email))

    for _ in range(2):
        add("consortium_admin", "")
    for member in members:
        add("municipality_staff", member.code)
    for school in school_list:
        add("school_staff", school.code)
    host_towns = sorted(rng.sample(range(len(members)), min(len(members), 5)))
    for town in host_towns:
        add("host", members[town].code)
    for _ in range(3):
        add("partner", "")
    return staff
