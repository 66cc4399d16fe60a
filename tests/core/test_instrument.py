"""Tests for ekkyo.core.instrument: survey instrument YAML, validation, defaults (no Django)."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekkyo.core.instrument import (
    DEFAULT_INSTRUMENTS,
    GROUP_ROLES,
    MAX_FILE_BYTES,
    RESPONDENT_COLUMN,
    VIEWPOINTS,
    Instrument,
    InstrumentError,
    compute_fingerprint,
    construct_specs,
    default_instrument,
    default_instrument_path,
    instrument_from_data,
    kpi4_thresholds,
    load_instrument,
    responses_columns,
    to_json_schema,
)
from ekkyo.core.messages import Problem

ROOT = Path(__file__).resolve().parents[2]

#: The shipped versions are frozen: waves record these fingerprints. If this
#: test fails you edited a released version — put the change in a new
#: version (new `version`, new file) instead.
SHIPPED_FINGERPRINTS = {
    "student-2026": "95078b8f6cf2b65d92d69cd062f43574b255f8bfecf5cba372b0042a90ae4ec6",
    "adult-2026": "9b511d79beb282e05519314aeceb6116a8255a3dfd3c1f7408d6512ddd290c39",
}

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
HEALTH_WORDS = re.compile(r"眠|睡眠|体の調子|健康|病|障害|治療|sleep|physical|health|illness", re.I)


@pytest.fixture(scope="module", params=DEFAULT_INSTRUMENTS)
def shipped(request: pytest.FixtureRequest) -> Instrument:
    return default_instrument(request.param)


@pytest.fixture(scope="module")
def student() -> Instrument:
    return default_instrument("student-2026")


@pytest.fixture(scope="module")
def adult() -> Instrument:
    return default_instrument("adult-2026")


def minimal() -> dict[str, Any]:
    """A small valid instrument as plain data; tests break one thing at a time."""
    return {
        "code": "test",
        "version": "1",
        "title": {"ja": "テスト", "en": "Test"},
        "audience": "student",
        "license": "CC BY 4.0 — written for ekkyo",
        "source": "tests",
        "scales": [
            {
                "code": "agree5",
                "min": 1,
                "max": 5,
                "labels": {
                    "ja": ["全く", "あまり", "どちらとも", "やや", "とても"],
                    "en": ["Not at all", "Not very", "Neither", "Somewhat", "Very"],
                },
            },
            {
                "code": "yn",
                "min": 0,
                "max": 1,
                "labels": {"ja": ["いいえ", "はい"], "en": ["No", "Yes"]},
            },
        ],
        "constructs": [
            {
                "code": "c_a",
                "name": {"ja": "構成概念A", "en": "Construct A"},
                "role": "output",
                "group": "competency",
                "viewpoint": "shutaisei",
                "items": ["q1", "q2", "q3"],
                "min_answered": 2,
                "kpi4_threshold": 3.5,
            },
            {
                "code": "c_b",
                "name": {"ja": "行動", "en": "Behaviour"},
                "role": "output",
                "group": "behaviour",
                "items": ["b1"],
                "min_answered": 1,
            },
        ],
        "items": [
            {
                "code": "q1",
                "text": {"ja": "問1", "en": "Q1"},
                "scale": "agree5",
                "data_class": "II",
            },
            {
                "code": "q2",
                "text": {"ja": "問2", "en": "Q2"},
                "scale": "agree5",
                "data_class": "II",
            },
            {
                "code": "q3",
                "text": {"ja": "問3", "en": "Q3"},
                "scale": "agree5",
                "reverse": True,
                "data_class": "I",
            },
            {"code": "b1", "text": {"ja": "行動1", "en": "B1"}, "scale": "yn", "data_class": "II"},
        ],
    }


def dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def problems_of(source: str | bytes | dict[str, Any]) -> list[Problem]:
    text = dump(source) if isinstance(source, dict) else source
    with pytest.raises(InstrumentError) as exc:
        load_instrument(text)
    assert exc.value.problems, "an InstrumentError always lists its problems"
    for problem in exc.value.problems:
        problem.render()  # every message's parameters are present
        assert "%(path)s" in problem.message and problem.params["path"] == problem.field
    return exc.value.problems


# -- The default instruments ------------------------------------------------


def test_default_instruments_load(student: Instrument, adult: Instrument) -> None:
    assert (student.code, student.version, student.audience) == (
        "ekkyo-student",
        "2026.1",
        "student",
    )
    assert (adult.code, adult.version, adult.audience) == ("ekkyo-adult", "2026.1", "adult")
    assert 25 <= len(student.items) <= 40
    assert 10 <= len(adult.items) <= 16
    for instrument in (student, adult):
        assert instrument.license == "CC BY 4.0 — written for ekkyo"
        assert instrument.source


def test_shipped_versions_are_frozen(shipped: Instrument) -> None:
    name = next(n for n in DEFAULT_INSTRUMENTS if default_instrument(n) == shipped)
    assert shipped.fingerprint == SHIPPED_FINGERPRINTS[name], (
        f"{name} was edited after release: make a new version instead"
    )
    assert shipped.fingerprint == compute_fingerprint(shipped)


def test_constructs_have_three_items_except_behaviour(shipped: Instrument) -> None:
    for construct in shipped.constructs:
        if construct.group != "behaviour":
            assert len(construct.items) >= 3, construct.code


def test_student_covers_every_group_and_role(student: Instrument) -> None:
    groups = {c.group for c in student.constructs}
    assert groups == set(GROUP_ROLES) - {"other"}
    for construct in student.constructs:
        assert construct.role == GROUP_ROLES[construct.group]


def test_adult_asks_about_the_environment(adult: Instrument) -> None:
    groups = {c.group for c in adult.constructs}
    assert {"environment_school", "environment_region"} <= groups
    assert {c.role for c in adult.constructs} == {"input"}


def test_every_viewpoint_has_three_or_four_items_and_a_reverse_item(student: Instrument) -> None:
    competencies = [c for c in student.constructs if c.group == "competency"]
    assert sorted(c.viewpoint for c in competencies if c.viewpoint) == sorted(VIEWPOINTS)
    for construct in competencies:
        assert 3 <= len(construct.items) <= 4, construct.code
        reverse = [code for code in construct.items if student.item(code).reverse]
        assert 1 <= len(reverse) < len(construct.items), construct.code


def test_every_text_is_present_in_both_languages(shipped: Instrument) -> None:
    texts: list[tuple[str, str]] = [(shipped.title_ja, shipped.title_en)]
    texts += [(c.name_ja, c.name_en) for c in shipped.constructs]
    texts += [(i.text_ja, i.text_en) for i in shipped.items]
    for scale in shipped.scales:
        assert len(scale.labels_ja) == len(scale.labels_en) == scale.points
        texts += list(zip(scale.labels_ja, scale.labels_en, strict=True))
    for ja, en in texts:
        assert ja.strip() and en.strip()
        assert JAPANESE.search(ja), ja
        assert not JAPANESE.search(en), en


def test_health_items_are_class_one_and_the_rest_class_two(shipped: Instrument) -> None:
    for item in shipped.items:
        about_health = bool(HEALTH_WORDS.search(item.text_ja) or HEALTH_WORDS.search(item.text_en))
        assert item.data_class == ("I" if about_health else "II"), item.code


def test_student_asks_about_sleep_and_health_as_class_one(student: Instrument) -> None:
    class_one = [i.code for i in student.items if i.data_class == "I"]
    assert "wb_sleep" in class_one and "wb_body" in class_one
    assert student.construct_data_class("wellbeing") == "I"
    assert student.construct_data_class("comp_shutaisei") == "II"


def test_kpi4_feeds_competencies_and_environment(student: Instrument, adult: Instrument) -> None:
    thresholds = kpi4_thresholds(student)
    expected = {
        c.code
        for c in student.constructs
        if c.group in {"competency", "environment_school", "environment_region"}
    }
    assert set(thresholds) == expected and len(expected) == 6
    for code, threshold in thresholds.items():
        scale = student.construct_scale(code)
        assert scale.min < threshold <= scale.max
    assert set(kpi4_thresholds(adult)) == {"env_school", "env_region"}


def test_behaviour_records_are_yes_no(student: Instrument) -> None:
    behaviour = student.construct("behaviour")
    scale = student.construct_scale("behaviour")
    assert (scale.min, scale.max) == (0, 1)
    assert all(student.item(code).text_ja.startswith("この1年間に") for code in behaviour.items)


def test_every_item_is_in_its_construct(shipped: Instrument) -> None:
    listed = [code for c in shipped.constructs for code in c.items]
    assert sorted(listed) == sorted(i.code for i in shipped.items)
    for item in shipped.items:
        assert item.code in shipped.construct(item.construct).items


def test_responses_columns_follow_the_item_order(shipped: Instrument) -> None:
    columns = responses_columns(shipped)
    assert columns == [item.code for item in shipped.items]
    assert RESPONDENT_COLUMN not in columns
    assert len(set(columns)) == len(columns)
    assert [c["code"] for c in shipped.to_dict()["items"]] == columns


def test_construct_specs_give_the_scorer_plain_data(student: Instrument) -> None:
    specs = construct_specs(student)
    assert list(specs) == [c.code for c in student.constructs]
    spec = specs["comp_shutaisei"]
    assert spec == {
        "items": ["sh_self_start", "sh_own_goal", "sh_wait_to_be_told"],
        "reverse": ["sh_wait_to_be_told"],
        "scale_min": 1,
        "scale_max": 5,
        "min_answered": pytest.approx(2 / 3),
        "min_items": 2,
        "threshold": 3.5,
    }
    assert specs["behaviour"]["scale_min"] == 0 and specs["behaviour"]["threshold"] is None
    assert specs["behaviour"]["min_items"] == 4
    for spec in specs.values():
        assert 0 < spec["min_answered"] <= 1
        assert set(spec["reverse"]) <= set(spec["items"])


def test_package_data_ships_the_yaml() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["*"]
    for name in DEFAULT_INSTRUMENTS:
        path = default_instrument_path(name)
        assert path.is_file() and path.parent.name == "instruments"
        assert ROOT / "ekkyo" in path.parents
    with pytest.raises(KeyError):
        default_instrument_path("../../settings")


def test_core_module_imports_no_django() -> None:
    code = "import sys, ekkyo.core.instrument; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)  # noqa: S603


# -- Fingerprints -----------------------------------------------------------


def test_fingerprint_ignores_layout_and_comments(student: Instrument) -> None:
    text = default_instrument_path("student-2026").read_text(encoding="utf-8")
    relaid = "# a new comment\n" + dump(student.to_dict())
    assert text != relaid
    assert load_instrument(relaid).fingerprint == student.fingerprint
    assert load_instrument(text.encode("utf-8")).fingerprint == student.fingerprint
    assert load_instrument("\ufeff" + text).fingerprint == student.fingerprint


def test_fingerprint_is_sha256_hex(shipped: Instrument) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", shipped.fingerprint)


EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "item text ja": lambda d: d["items"][0]["text"].update(ja="問1を変えた"),
    "item text en": lambda d: d["items"][0]["text"].update(en="Q1, reworded"),
    "trailing punctuation": lambda d: d["items"][1]["text"].update(ja="問2。"),
    "scale label": lambda d: d["scales"][0]["labels"]["en"].__setitem__(2, "Unsure"),
    "reverse flag": lambda d: d["items"][0].update(reverse=True),
    "data class": lambda d: d["items"][0].update(data_class="I"),
    "item order": lambda d: d["items"].reverse(),
    "threshold": lambda d: d["constructs"][0].update(kpi4_threshold=4),
    "min answered": lambda d: d["constructs"][0].update(min_answered=3),
    "version": lambda d: d.update(version="2"),
    "licence": lambda d: d.update(license="CC BY-SA 4.0"),
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_fingerprint_changes_with_any_edit(edit: Callable[[dict[str, Any]], None]) -> None:
    base = load_instrument(dump(minimal()))
    data = minimal()
    edit(data)
    edited = load_instrument(dump(data))
    assert edited.fingerprint != base.fingerprint


def test_fingerprint_is_stable_across_loads() -> None:
    assert len({load_instrument(dump(minimal())).fingerprint for _ in range(3)}) == 1
    assert load_instrument(dump(minimal())) == instrument_from_data(minimal())


@pytest.mark.parametrize("count", [1, 1.0])
def test_one_means_every_item(count: float) -> None:
    data = minimal()
    data["constructs"][0]["min_answered"] = count
    instrument = load_instrument(dump(data))
    assert instrument.construct("c_a").min_items == 3


@given(k=st.integers(2, 12), data=st.data())
def test_count_and_share_agree_on_min_items(k: int, data: st.DataObject) -> None:
    """A count c of k items, and the share c / k the scorer receives, mean the same."""
    count = data.draw(st.integers(2, k))
    items = [{"code": f"q{i}", "text": {"ja": "問", "en": "Q"}, "scale": "s", "data_class": "II"}
             for i in range(k)]  # fmt: skip
    doc = minimal()
    doc["scales"] = [
        {"code": "s", "min": 1, "max": 3, "labels": {"ja": ["あ"] * 3, "en": ["a"] * 3}}
    ]
    doc["items"] = items
    doc["constructs"] = [
        {
            "code": "c",
            "name": {"ja": "名", "en": "name"},
            "role": "output",
            "group": "other",
            "items": [i["code"] for i in items],
            "min_answered": count,
        }
    ]
    instrument = instrument_from_data(doc)
    spec = construct_specs(instrument)["c"]
    assert instrument.construct("c").min_items == count == spec["min_items"]
    assert spec["min_answered"] * k == pytest.approx(count)


# -- Round trips ------------------------------------------------------------

codes = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda c: c != RESPONDENT_COLUMN
)
texts = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def instruments(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.integers(-2, 2))
    high = low + draw(st.integers(1, 6))
    points = high - low + 1
    item_codes = draw(st.lists(codes, min_size=1, max_size=8, unique_by=str.casefold))
    split = draw(st.integers(1, len(item_codes)))
    groups = [item_codes[:split], item_codes[split:]] if split < len(item_codes) else [item_codes]
    return {
        "code": draw(codes),
        "version": draw(texts),
        "title": {"ja": draw(texts), "en": draw(texts)},
        "audience": draw(st.sampled_from(["student", "adult"])),
        "license": draw(texts),
        "source": draw(texts),
        "scales": [
            {
                "code": "s",
                "min": low,
                "max": high,
                "labels": {
                    "ja": draw(st.lists(texts, min_size=points, max_size=points)),
                    "en": draw(st.lists(texts, min_size=points, max_size=points)),
                },
            }
        ],
        "constructs": [
            {
                "code": f"c{index}",
                "name": {"ja": draw(texts), "en": draw(texts)},
                "role": "output",
                "group": "other",
                "viewpoint": None,
                "items": group,
                "min_answered": draw(st.sampled_from([0.5, 1.0])),
                "kpi4_threshold": draw(st.none() | st.integers(low, high).map(float)),
            }
            for index, group in enumerate(groups)
        ],
        "items": [
            {
                "code": code,
                "text": {"ja": draw(texts), "en": draw(texts)},
                "scale": "s",
                "reverse": draw(st.booleans()),
                "data_class": draw(st.sampled_from(["I", "II", "III", "IV"])),
                "required": draw(st.booleans()),
            }
            for code in item_codes
        ],
    }


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(instruments())
def test_yaml_round_trip(data: dict[str, Any]) -> None:
    instrument = load_instrument(dump(data))
    assert instrument.to_dict() == data
    again = load_instrument(dump(instrument.to_dict()))
    assert again == instrument and again.fingerprint == compute_fingerprint(instrument)
    assert instrument_from_data(instrument.to_dict()) == instrument


def test_default_round_trip(shipped: Instrument) -> None:
    assert load_instrument(dump(shipped.to_dict())) == shipped


leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
junk = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from([*minimal(), "x", "ja", "en", "min"]), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300)
@given(junk)
def test_garbage_only_ever_raises_instrument_error(data: object) -> None:
    try:
        instrument_from_data(data)
    except InstrumentError as exc:
        assert exc.problems
        for problem in exc.problems:
            problem.render()


@settings(max_examples=200)
@given(st.data())
def test_breaking_a_valid_file_anywhere_is_reported(data: st.DataObject) -> None:
    doc = minimal()
    section = data.draw(st.sampled_from(["scales", "constructs", "items"]))
    entry = data.draw(st.sampled_from(doc[section]))
    key = data.draw(st.sampled_from(sorted(entry)))
    entry[key] = data.draw(st.sampled_from([None, [], {}, "??", -7, 3.5, True]))
    try:
        instrument = instrument_from_data(doc)
    except InstrumentError as exc:
        assert all(p.field for p in exc.problems)
        assert any(p.field.startswith(section) for p in exc.problems if p.field)
    else:  # a few replacements are valid (e.g. a threshold of 3.5, reverse: true)
        assert instrument.fingerprint


# -- Invalid files: the right problem at the right path ---------------------


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        target: Any = doc
        parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
        for part in parts[:-1]:
            target = target[int(part[1:-1])] if part.startswith("[") else target[part]
        last = parts[-1]
        if last.startswith("["):
            target[int(last[1:-1])] = value
        elif value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return apply


_DELETE = object()

INVALID: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    # (id, mutation, problem code, path)
    ("unknown item", _set("constructs[0].items[2]", "q17"), "unknown_item",
     "constructs[0].items[2]"),
    ("unknown scale", _set("items[1].scale", "agree7"), "unknown_scale", "items[1].scale"),
    ("duplicate item code", _set("items[1].code", "Q1"), "duplicate_code", "items[1].code"),
    ("duplicate scale code", _set("scales[1].code", "agree5"), "duplicate_code", "scales[1].code"),
    ("duplicate construct code", _set("constructs[1].code", "c_a"), "duplicate_code",
     "constructs[1].code"),
    ("item in no construct", _set("constructs[0].items", ["q1", "q2"]), "item_in_no_construct",
     "items[2]"),
    ("item in two constructs", _set("constructs[1].items", ["b1", "q1"]),
     "item_in_two_constructs", "constructs[1].items[1]"),
    ("item twice in a construct", _set("constructs[0].items", ["q1", "q2", "q3", "q2"]),
     "item_listed_twice", "constructs[0].items[3]"),
    ("construct disagrees", _set("items[0].construct", "c_b"), "construct_mismatch",
     "items[0].construct"),
    ("mixed scales", _set("constructs[0].items", ["q1", "q2", "q3", "b1"]), "mixed_scales",
     "constructs[0].items[3]"),
    ("reverse not boolean", _set("items[2].reverse", "yes please"), "not_boolean",
     "items[2].reverse"),
    ("min equals max", _set("scales[0].max", 1), "scale_range", "scales[0]"),
    ("min above max", _set("scales[0].min", 9), "scale_range", "scales[0]"),
    ("scale too long", _set("scales[0].max", 20), "scale_too_long", "scales[0]"),
    ("scale min not integer", _set("scales[0].min", 1.5), "not_an_integer", "scales[0].min"),
    ("too few labels", _set("scales[0].labels.ja", ["a", "b"]), "label_count",
     "scales[0].labels.ja"),
    ("too many labels", _set("scales[1].labels.en", ["No", "Maybe", "Yes"]), "label_count",
     "scales[1].labels.en"),
    ("label missing language", _set("scales[1].labels", {"ja": ["いいえ", "はい"]}),
     "missing_language", "scales[1].labels"),
    ("empty label", _set("scales[1].labels.en", ["No", "  "]), "empty_text",
     "scales[1].labels.en[1]"),
    ("yaml boolean label", _set("scales[1].labels.en", [False, True]), "not_text",
     "scales[1].labels.en[0]"),
    ("bad data class", _set("items[0].data_class", "V"), "bad_choice", "items[0].data_class"),
    ("lower-case data class", _set("items[0].data_class", "ii"), "bad_choice",
     "items[0].data_class"),
    ("missing data class", _set("items[0].data_class", _DELETE), "missing_field", "items[0]"),
    ("threshold above scale", _set("constructs[0].kpi4_threshold", 6), "threshold_out_of_scale",
     "constructs[0].kpi4_threshold"),
    ("threshold below scale", _set("constructs[0].kpi4_threshold", 0.5),
     "threshold_out_of_scale", "constructs[0].kpi4_threshold"),
    ("threshold not a number", _set("constructs[0].kpi4_threshold", "high"), "not_a_number",
     "constructs[0].kpi4_threshold"),
    ("min answered zero", _set("constructs[0].min_answered", 0), "bad_min_answered",
     "constructs[0].min_answered"),
    ("min answered negative", _set("constructs[0].min_answered", -0.5), "bad_min_answered",
     "constructs[0].min_answered"),
    ("min answered above count", _set("constructs[0].min_answered", 4), "bad_min_answered",
     "constructs[0].min_answered"),
    ("min answered fractional count", _set("constructs[0].min_answered", 2.5),
     "bad_min_answered", "constructs[0].min_answered"),
    ("min answered missing", _set("constructs[0].min_answered", _DELETE), "missing_field",
     "constructs[0]"),
    ("item text without en", _set("items[0].text", {"ja": "問1"}), "missing_language",
     "items[0].text"),
    ("item text without ja", _set("items[0].text", {"en": "Q1"}), "missing_language",
     "items[0].text"),
    ("empty item text", _set("items[0].text.ja", ""), "empty_text", "items[0].text.ja"),
    ("third language", _set("items[0].text", {"ja": "問", "en": "Q", "fr": "Q"}), "unknown_field",
     "items[0].text"),
    ("construct name without en", _set("constructs[0].name", {"ja": "名"}), "missing_language",
     "constructs[0].name"),
    ("title without ja", _set("title", {"en": "Test"}), "missing_language", "title"),
    ("title not bilingual", _set("title", "Test"), "not_a_mapping", "title"),
    ("version missing", _set("version", _DELETE), "missing_field", "(top level)"),
    ("version empty", _set("version", " "), "empty_text", "version"),
    ("version unquoted decimal", _set("version", 2026.1), "version_not_text", "version"),
    ("bad audience", _set("audience", "teachers"), "bad_choice", "audience"),
    ("bad role", _set("constructs[0].role", "outcome"), "bad_choice", "constructs[0].role"),
    ("role contradicts group", _set("constructs[0].role", "input"), "role_group_mismatch",
     "constructs[0].role"),
    ("unknown group", _set("constructs[0].group", "competence"), "bad_choice",
     "constructs[0].group"),
    ("unknown viewpoint", _set("constructs[0].viewpoint", "kyodo"), "bad_choice",
     "constructs[0].viewpoint"),
    ("viewpoint outside competency", _set("constructs[1].viewpoint", "shutaisei"),
     "viewpoint_not_competency", "constructs[1].viewpoint"),
    ("bad code", _set("items[0].code", "1st"), "bad_code", "items[0].code"),
    ("code with space", _set("constructs[0].code", "c a"), "bad_code", "constructs[0].code"),
    ("reserved code", _set("items[3].code", "respondent"), "reserved_code", "items[3].code"),
    ("unknown field", _set("items[0].weight", 2), "unknown_field", "items[0]"),
    ("unknown top field", _set("language", "ja"), "unknown_field", "(top level)"),
    ("no items", _set("items", []), "empty_list", "items"),
    ("items not a list", _set("items", {"q1": "x"}), "not_a_list", "items"),
    ("construct not a mapping", _set("constructs[1]", "c_b"), "not_a_mapping", "constructs[1]"),
    ("construct without items", _set("constructs[1].items", []), "empty_list",
     "constructs[1].items"),
    ("unsupported format", _set("format", 2), "bad_format", "format"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutation", "code", "path"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_file_names_the_problem_and_its_path(
    mutation: Callable[[dict[str, Any]], None], code: str, path: str
) -> None:
    doc = copy.deepcopy(minimal())
    mutation(doc)
    problems = problems_of(doc)
    found = [(p.code, p.field) for p in problems]
    assert (code, path) in found, found
    problem = next(p for p in problems if (p.code, p.field) == (code, path))
    assert problem.row is not None and problem.row >= 1
    assert problem.render().startswith(f"{path}: ")


def test_the_message_reads_like_the_example() -> None:
    doc = minimal()
    doc["constructs"][0]["items"][2] = "q17"
    problem = next(p for p in problems_of(doc) if p.code == "unknown_item")
    assert problem.render() == 'constructs[0].items[2]: unknown item "q17"'


def test_every_problem_is_found_at_once() -> None:
    doc = minimal()
    doc["version"] = None
    doc["items"][0]["scale"] = "nope"
    doc["constructs"][0]["kpi4_threshold"] = 9
    doc["scales"][1]["labels"]["ja"] = ["はい"]
    codes = {p.code for p in problems_of(doc)}
    assert {"missing_field", "unknown_scale", "threshold_out_of_scale", "label_count"} <= codes


def test_problems_carry_the_line_in_the_file_and_come_in_file_order() -> None:
    text = dump(minimal()).replace("scale: yn", "scale: nope")
    problems = problems_of(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "scale: nope" in row)
    assert [(p.code, p.row) for p in problems] == [("unknown_scale", line)]
    doc = minimal()
    doc["items"][3]["data_class"] = "X"
    doc["scales"][0]["max"] = 1
    rows = [p.row or 0 for p in problems_of(doc)]
    assert rows == sorted(rows)


def test_a_broken_entry_is_reported_once_not_at_every_reference() -> None:
    doc = minimal()
    doc["scales"][0]["labels"]["ja"] = ["a"]
    doc["items"][0]["text"] = {"ja": "問1"}
    problems = problems_of(doc)
    assert [p.code for p in problems] == ["label_count", "missing_language"]


def test_duplicate_yaml_key() -> None:
    text = dump(minimal()).replace("en: Q2\n", "en: Q2\n    en: Q2 again\n", 1)
    problems = problems_of(text)
    assert ("duplicate_key", "items[1].text") in [(p.code, p.field) for p in problems]


def test_unquoted_yes_no_labels_are_caught() -> None:
    text = dump(minimal()).replace("- 'No'", "- No").replace("- 'Yes'", "- Yes")
    assert "- No" in text
    problem = problems_of(text)[0]
    assert problem.code == "not_text" and "quotes" in problem.render()


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("code: [unclosed\n", "yaml_syntax"),
        ("code: x\n  version: 1\n", "yaml_syntax"),
        ("", "empty_file"),
        ("# only a comment\n", "empty_file"),
        ("- a list\n- at the top\n", "not_a_mapping"),
        ("just a string\n", "not_a_mapping"),
        (b"code: \x82\xa0\xff\n", "not_utf8"),
        (b"x" * (MAX_FILE_BYTES + 1), "file_too_large"),
    ],
)
def test_unreadable_files(source: str | bytes, code: str) -> None:
    problems = problems_of(source)
    assert problems[0].code == code


def test_yaml_syntax_error_has_its_line() -> None:
    text = dump(minimal()).replace("code: q2", "code: [q2", 1)
    problem = problems_of(text)[0]
    assert problem.code == "yaml_syntax" and problem.row is not None and problem.row > 1


def test_python_tags_are_refused() -> None:
    problems = problems_of("code: !!python/object/apply:os.system ['echo pwned']\n")
    assert problems[0].code == "yaml_syntax"


def test_aliases_do_not_blow_up() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    problems = problems_of("\n".join(lines) + "\n")
    assert {p.code for p in problems} >= {"unknown_field"}


def test_aliased_values_are_not_expanded_in_messages() -> None:
    doc = dump(minimal()).replace("- q3\n", "- *big\n", 1)
    tree = ["a0: &a0 [x, x, x, x, x, x, x, x]"]
    tree += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    tree.append("x-big: &big [*a29, *a29]")
    problems = problems_of("\n".join(tree) + "\n" + doc)
    unknown = next(p for p in problems if p.code == "unknown_item")
    assert unknown.render() == 'constructs[0].items[2]: unknown item "[…]"'


def test_load_from_path_text_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + dump(minimal()).encode("utf-8"))
    from_path = load_instrument(path)
    assert load_instrument(str(path)) == from_path
    assert load_instrument(path.read_bytes()) == from_path
    assert load_instrument(dump(minimal())) == from_path
    with pytest.raises(FileNotFoundError):
        load_instrument(tmp_path / "missing.yaml")


def test_instrument_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"audience: must be one of"):
        instrument_from_data({**minimal(), "audience": "teachers"})


def test_lookups(student: Instrument) -> None:
    assert student.item("wb_sleep").construct == "wellbeing"
    assert student.scale("agree5").points == 5
    with pytest.raises(KeyError):
        student.item("nope")
    with pytest.raises(KeyError):
        student.construct("nope")


def test_json_schema_matches_the_loader(student: Instrument) -> None:
    schema = to_json_schema()
    props = schema["properties"]
    data = student.to_dict()
    assert set(data) <= set(props) and set(schema["required"]) <= set(data)
    item_schema = props["items"]["items"]
    assert set(data["items"][0]) <= set(item_schema["properties"])
    construct_schema = props["constructs"]["items"]
    assert set(data["constructs"][0]) <= set(construct_schema["properties"])
    assert set(construct_schema["properties"]["group"]["enum"]) == set(GROUP_ROLES)
    for code in (i["code"] for i in data["items"]):
        assert re.match(item_schema["properties"]["code"]["pattern"], code)
