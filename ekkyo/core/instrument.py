"""Survey instruments: the versioned questionnaires of the evaluation survey.

An :class:`Instrument` is one version of a questionnaire: its Likert
:class:`Scale`\\ s, its :class:`Item`\\ s in the order respondents see them
(Japanese and English text, reverse coding, the data class I–IV of the
answer) and the :class:`Construct`\\ s the items are scored into — inputs
(learning activities, the learning environment at school and in the region)
and outputs (competencies in the four viewpoints 主体性・協働性・探究性・社会性,
behaviour records, attachment to regions, satisfaction, well-being). A
construct with ``kpi4_threshold`` feeds KPI ④: the share of respondents whose
score reaches the threshold.

Instruments are written in YAML (format: ``docs/survey-formats.md``) and read
with :func:`load_instrument`, which validates the whole file and raises one
:class:`InstrumentError` listing *every* problem, each a
:class:`~ekkyo.core.messages.Problem` whose message names the path in the
file (``constructs[3].items[2]: unknown item "q17"``) and whose ``row`` is
the line, when known. Paths count list entries from 0, lines from 1.

Every instrument carries a ``fingerprint``: the SHA-256 of the canonical JSON
of its content (:meth:`Instrument.to_dict`), independent of YAML layout and
comments. A wave records the version and fingerprint it ran with; a changed
fingerprint under the same version means someone edited a version already in
use, which is forbidden — changed wording is a new version.

The default instruments, written for ekkyo (CC BY 4.0), ship inside the
package: :func:`default_instrument` (``"student-2026"``, ``"adult-2026"``).

Functional core: no Django import (stdlib and PyYAML only).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final, Literal, cast

import yaml

from ekkyo.core.messages import Problem, gettext_noop

__all__ = [
    "AUDIENCES",
    "DATA_CLASSES",
    "DEFAULT_INSTRUMENTS",
    "FORMAT_VERSION",
    "GROUP_ROLES",
    "LANGUAGES",
    "RESPONDENT_COLUMN",
    "ROLES",
    "VIEWPOINTS",
    "Construct",
    "Instrument",
    "InstrumentError",
    "Item",
    "Scale",
    "compute_fingerprint",
    "construct_specs",
    "default_instrument",
    "default_instrument_path",
    "instrument_from_data",
    "kpi4_thresholds",
    "load_instrument",
    "responses_columns",
    "to_json_schema",
]

DataClass = Literal["I", "II", "III", "IV"]
Role = Literal["input", "output"]
Audience = Literal["student", "adult"]

#: The version of the YAML layout itself (the optional ``format`` key), not
#: of any instrument.
FORMAT_VERSION: Final = 1
LANGUAGES: Final = ("ja", "en")
DATA_CLASSES: Final[tuple[DataClass, ...]] = ("I", "II", "III", "IV")
ROLES: Final[tuple[Role, ...]] = ("input", "output")
AUDIENCES: Final[tuple[Audience, ...]] = ("student", "adult")
#: The four viewpoints competencies are read through.
VIEWPOINTS: Final = ("shutaisei", "kyodosei", "tankyusei", "shakaisei")
#: Construct groups and the role each implies (``other`` allows either, for
#: a consortium's own scales that fit none of ours).
GROUP_ROLES: Final[Mapping[str, Role | None]] = {
    "learning_activities": "input",
    "environment_school": "input",
    "environment_region": "input",
    "competency": "output",
    "behaviour": "output",
    "attachment": "output",
    "satisfaction": "output",
    "wellbeing": "output",
    "other": None,
}
#: The first column of a responses CSV; no item may take this code.
RESPONDENT_COLUMN: Final = "respondent"
DEFAULT_INSTRUMENTS: Final = ("student-2026", "adult-2026")

MAX_FILE_BYTES: Final = 1_000_000
MAX_SCALE_POINTS: Final = 11
MAX_CODE_LENGTH: Final = 64
_CODE_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")
_ROOT: Final = "(top level)"

_TOP_KEYS: Final = (
    "format",
    "code",
    "version",
    "title",
    "audience",
    "license",
    "source",
    "scales",
    "constructs",
    "items",
)
_SCALE_KEYS: Final = ("code", "min", "max", "labels")
_ITEM_KEYS: Final = ("code", "text", "scale", "reverse", "data_class", "required", "construct")
_CONSTRUCT_KEYS: Final = (
    "code",
    "name",
    "role",
    "group",
    "viewpoint",
    "items",
    "min_answered",
    "kpi4_threshold",
)


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """A response scale: the integers ``min``..``max``, one label per point."""

    code: str
    min: int
    max: int
    labels_ja: tuple[str, ...]
    labels_en: tuple[str, ...]

    @property
    def points(self) -> int:
        return self.max - self.min + 1


@dataclass(frozen=True)
class Item:
    """One question. ``construct`` is the construct that lists it.

    ``reverse`` items are scored ``min + max - answer``; ``data_class`` is the
    class of the *answer* (I for anything about health, disability or
    treatment); ``required`` asks the form to insist on an answer.
    """

    code: str
    text_ja: str
    text_en: str
    scale: str
    reverse: bool
    data_class: DataClass
    construct: str
    required: bool = False


@dataclass(frozen=True)
class Construct:
    """What a group of items measures, and how its score is formed.

    ``min_answered`` is either a share of the items in (0, 1] or a whole
    number of items ≥ 2: a respondent who answered fewer gets no score.
    """

    code: str
    name_ja: str
    name_en: str
    role: Role
    group: str
    viewpoint: str | None
    items: tuple[str, ...]
    min_answered: float
    kpi4_threshold: float | None

    @property
    def min_items(self) -> int:
        """The least number of answered items that still gives a score."""
        k = len(self.items)
        if self.min_answered > 1:
            return int(self.min_answered)
        # A share: the smallest count whose share reaches it, robust to float
        # rounding (2/3 of 3 items is 2, not 3).
        needed = math.ceil(self.min_answered * k - 1e-9)
        return max(1, min(k, needed))


@dataclass(frozen=True)
class Instrument:
    """One version of a questionnaire; build it with :func:`load_instrument`."""

    code: str
    version: str
    title_ja: str
    title_en: str
    audience: Audience
    scales: tuple[Scale, ...]
    constructs: tuple[Construct, ...]
    items: tuple[Item, ...]
    license: str
    source: str
    fingerprint: str

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def scale(self, code: str) -> Scale:
        for scale in self.scales:
            if scale.code == code:
                return scale
        raise KeyError(code)

    def construct(self, code: str) -> Construct:
        for construct in self.constructs:
            if construct.code == code:
                return construct
        raise KeyError(code)

    def construct_scale(self, code: str) -> Scale:
        """The scale shared by the items of construct ``code``."""
        return self.scale(self.item(self.construct(code).items[0]).scale)

    def construct_data_class(self, code: str) -> DataClass:
        """The most sensitive class among the construct's items.

        A score built from a class I answer (sleep, health) is itself class I.
        """
        classes = {self.item(c).data_class for c in self.construct(code).items}
        return min(classes, key=DATA_CLASSES.index)

    def to_dict(self) -> dict[str, Any]:
        """The content as plain data in the YAML layout (no fingerprint).

        ``load_instrument(yaml.safe_dump(i.to_dict()))`` gives ``i`` back; the
        fingerprint is the hash of this dictionary's canonical JSON.
        """
        return {
            "code": self.code,
            "version": self.version,
            "title": {"ja": self.title_ja, "en": self.title_en},
            "audience": self.audience,
            "license": self.license,
            "source": self.source,
            "scales": [
                {
                    "code": s.code,
                    "min": s.min,
                    "max": s.max,
                    "labels": {"ja": list(s.labels_ja), "en": list(s.labels_en)},
                }
                for s in self.scales
            ],
            "constructs": [
                {
                    "code": c.code,
                    "name": {"ja": c.name_ja, "en": c.name_en},
                    "role": c.role,
                    "group": c.group,
                    "viewpoint": c.viewpoint,
                    "items": list(c.items),
                    "min_answered": c.min_answered,
                    "kpi4_threshold": c.kpi4_threshold,
                }
                for c in self.constructs
            ],
            "items": [
                {
                    "code": i.code,
                    "text": {"ja": i.text_ja, "en": i.text_en},
                    "scale": i.scale,
                    "reverse": i.reverse,
                    "data_class": i.data_class,
                    "required": i.required,
                }
                for i in self.items
            ],
        }

    def canonical_json(self) -> str:
        """Sorted keys, no spaces, UTF-8 text as is: the bytes the fingerprint hashes."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_fingerprint(instrument: Instrument) -> str:
    """SHA-256 (hex) of the instrument's canonical JSON."""
    return hashlib.sha256(instrument.canonical_json().encode("utf-8")).hexdigest()


class InstrumentError(ValueError):
    """An instrument file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def load_instrument(source: str | bytes | os.PathLike[str]) -> Instrument:
    """Read and validate an instrument.

    ``source`` is a path (a :class:`~os.PathLike`, or a one-line ``str``
    ending in ``.yaml``/``.yml``), the file's bytes (UTF-8, BOM allowed) or
    its text. Raises :class:`InstrumentError` listing every problem, and
    :class:`OSError` if a path cannot be read.
    """
    if isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and source.strip().lower().endswith((".yaml", ".yml"))
    ):
        source = Path(source).read_bytes()
    if isinstance(source, bytes):
        if len(source) > MAX_FILE_BYTES:
            raise InstrumentError([_file_too_large(len(source))])
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InstrumentError(
                [
                    Problem(
                        code="not_utf8",
                        message=gettext_noop("%(path)s: the file is not UTF-8 text"),
                        params={"path": _ROOT},
                        field=_ROOT,
                    )
                ]
            ) from None
    else:
        text = source.removeprefix("\ufeff")
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise InstrumentError([_file_too_large(len(text.encode("utf-8")))])

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        detail = getattr(exc, "problem", None) or str(exc)
        raise InstrumentError(
            [
                Problem(
                    code="yaml_syntax",
                    message=gettext_noop(
                        "%(path)s: this is not valid YAML, line %(line)s (%(detail)s)"
                    ),
                    params={"path": _ROOT, "line": line or "?", "detail": detail},
                    row=line,
                    field=_ROOT,
                )
            ]
        ) from None

    lines: dict[str, int] = {}
    checker = _Checker(lines)
    if node is not None:
        _map_lines(node, "", lines, checker, depth=0, seen=set())
    return _build(data, checker)


def instrument_from_data(data: object) -> Instrument:
    """Validate already-parsed data (e.g. a wave's stored ``to_dict()`` snapshot)."""
    return _build(data, _Checker({}))


def _default_resource(name: str) -> Traversable:
    if name not in DEFAULT_INSTRUMENTS:
        raise KeyError(name)
    return resources.files("ekkyo.core").joinpath("instruments", f"{name}.yaml")


def default_instrument_path(name: str) -> Path:
    """The shipped YAML of a default instrument, e.g. ``"student-2026"``.

    A file path in a normal (unzipped) install; to copy it as the start of a
    consortium's own version, or to pass to ``ekkyo survey score``.
    """
    return Path(str(_default_resource(name)))


def default_instrument(name: str) -> Instrument:
    """Load a shipped default instrument (``"student-2026"`` or ``"adult-2026"``)."""
    return load_instrument(_default_resource(name).read_bytes())


def _file_too_large(size: int) -> Problem:
    return Problem(
        code="file_too_large",
        message=gettext_noop("%(path)s: the file is %(size)s bytes; at most %(limit)s are read"),
        params={"path": _ROOT, "size": size, "limit": MAX_FILE_BYTES},
        field=_ROOT,
    )


def _map_lines(
    node: yaml.Node,
    path: str,
    lines: dict[str, int],
    checker: _Checker,
    *,
    depth: int,
    seen: set[int],
) -> None:
    """Record the line of every path the validator can name; flag duplicate keys.

    Aliased nodes are visited once, so a "billion laughs" file costs nothing.
    """
    if id(node) in seen or depth > 6:
        return
    seen.add(id(node))
    lines.setdefault(path or _ROOT, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in keys:
                checker.problems.append(
                    Problem(
                        code="duplicate_key",
                        message=gettext_noop('%(path)s: the field "%(name)s" is given twice'),
                        params={"path": path or _ROOT, "name": key},
                        row=key_node.start_mark.line + 1,
                        field=path or _ROOT,
                    )
                )
            keys.add(key)
            _map_lines(value_node, child, lines, checker, depth=depth + 1, seen=seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, child_node in enumerate(node.value):
            _map_lines(child_node, f"{path}[{index}]", lines, checker, depth=depth + 1, seen=seen)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


class _Checker:
    """Collects problems, each located by path and (when known) line."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get(_ROOT)

    def add(self, problem_code: str, message: str, path: str, /, **params: Any) -> None:
        path = path or _ROOT
        self.problems.append(
            Problem(
                code=problem_code,
                message=message,
                params={"path": path, **params},
                row=self.line(path),
                field=path,
            )
        )

    # Shapes ---------------------------------------------------------------

    def mapping(self, value: object, path: str, allowed: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add("not_a_mapping", gettext_noop("%(path)s: must be a mapping of fields"), path)
            return None
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                self.add(
                    "unknown_field",
                    gettext_noop('%(path)s: unknown field "%(name)s" (known: %(known)s)'),
                    path,
                    name=str(key),
                    known=", ".join(allowed),
                )
        return cast(dict[str, Any], value)

    def required(self, data: Mapping[str, Any], key: str, path: str) -> bool:
        if key in data and data[key] is not None:
            return True
        self.add(
            "missing_field",
            gettext_noop('%(path)s: the field "%(name)s" is missing'),
            path,
            name=key,
        )
        return False

    def listing(self, value: object, path: str) -> list[Any] | None:
        if not isinstance(value, list):
            self.add("not_a_list", gettext_noop("%(path)s: must be a list"), path)
            return None
        if not value:
            self.add("empty_list", gettext_noop("%(path)s: must list at least one entry"), path)
            return None
        return value

    # Scalars --------------------------------------------------------------

    def text(self, value: object, path: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.add(
                "not_text",
                gettext_noop("%(path)s: must be text; put it in quotes (YAML read %(value)s)"),
                path,
                value=_show(value),
            )
            return None
        text = str(value).strip()
        if not text:
            self.add("empty_text", gettext_noop("%(path)s: must not be empty"), path)
            return None
        return text

    def bilingual(self, value: object, path: str) -> tuple[str, str] | None:
        data = self.mapping(value, path, LANGUAGES)
        if data is None:
            return None
        texts: list[str | None] = []
        for language in LANGUAGES:
            if data.get(language) is None:
                self.add(
                    "missing_language",
                    gettext_noop("%(path)s: the %(language)s text is missing"),
                    path,
                    language=language,
                )
                texts.append(None)
            else:
                texts.append(self.text(data[language], f"{path}.{language}"))
        ja, en = texts
        return (ja, en) if ja is not None and en is not None else None

    def code(self, value: object, path: str) -> str | None:
        if not isinstance(value, str) or not _CODE_RE.match(value) or len(value) > MAX_CODE_LENGTH:
            self.add(
                "bad_code",
                gettext_noop(
                    '%(path)s: "%(value)s" is not a valid code (a letter, then letters, '
                    'digits, "_", "-" or "."; at most %(limit)s characters)'
                ),
                path,
                value=_show(value),
                limit=MAX_CODE_LENGTH,
            )
            return None
        return value

    def choice(self, value: object, path: str, choices: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or value not in choices:
            self.add(
                "bad_choice",
                gettext_noop('%(path)s: must be one of %(choices)s, not "%(value)s"'),
                path,
                choices=", ".join(choices),
                value=_show(value),
            )
            return None
        return value

    def boolean(self, value: object, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.add("not_boolean", gettext_noop("%(path)s: must be true or false"), path)
            return None
        return value

    def integer(self, value: object, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add("not_an_integer", gettext_noop("%(path)s: must be a whole number"), path)
            return None
        return value

    def number(self, value: object, path: str) -> float | None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.add("not_a_number", gettext_noop("%(path)s: must be a number"), path)
            return None
        return float(value)

    def unique(self, code: str, path: str, seen: dict[str, str]) -> bool:
        key = code.casefold()
        if key in seen:
            self.add(
                "duplicate_code",
                gettext_noop('%(path)s: the code "%(code)s" is already used at %(first)s'),
                path,
                code=code,
                first=seen[key],
            )
            return False
        seen[key] = path
        return True


def _show(value: object) -> str:
    """A short quotation of a bad value; never stringifies a (possibly aliased) tree."""
    if isinstance(value, list | tuple):
        return "[…]"
    if isinstance(value, dict):
        return "{…}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class _RawItem:
    """An item's checked fields; ``complete`` once every field is usable."""

    index: int
    text: tuple[str, str] | None = None
    scale: str | None = None
    reverse: bool | None = False
    required: bool | None = False
    data_class: str | None = None
    construct: str | None = None

    @property
    def complete(self) -> bool:
        return None not in (self.text, self.scale, self.reverse, self.required, self.data_class)


def _build(data: object, checker: _Checker) -> Instrument:
    if data is None:
        checker.add("empty_file", gettext_noop("%(path)s: the file is empty"), "")
        raise InstrumentError(checker.problems)
    top = checker.mapping(data, "", _TOP_KEYS)
    if top is None:
        raise InstrumentError(checker.problems)

    if "format" in top and top["format"] != FORMAT_VERSION:
        checker.add(
            "bad_format",
            gettext_noop("%(path)s: format %(value)s is not supported (expected %(expected)s)"),
            "format",
            value=_show(top["format"]),
            expected=FORMAT_VERSION,
        )

    head: dict[str, Any] = {}
    for key in ("code", "version", "title", "audience", "license", "source"):
        if not checker.required(top, key, ""):
            continue
        value = top[key]
        if key == "code":
            head[key] = checker.code(value, key)
        elif key == "title":
            head[key] = checker.bilingual(value, key)
        elif key == "audience":
            head[key] = checker.choice(value, key, AUDIENCES)
        elif key == "version" and isinstance(value, float):
            # 2026.10 would silently become "2026.1".
            checker.add(
                "version_not_text",
                gettext_noop('%(path)s: write the version in quotes, e.g. "%(value)s"'),
                key,
                value=_show(value),
            )
        else:
            head[key] = checker.text(value, key)

    scales, declared_scales = _scales(top, checker)
    items, declared_items = _items(top, checker, scales, declared_scales)
    constructs, item_construct = _constructs(top, checker, scales, items, declared_items)

    for code, raw in items.items():
        path = f"items[{raw.index}]"
        if code not in item_construct:
            checker.add(
                "item_in_no_construct",
                gettext_noop('%(path)s: item "%(item)s" belongs to no construct'),
                path,
                item=code,
            )
        elif raw.construct is not None and raw.construct != item_construct[code]:
            checker.add(
                "construct_mismatch",
                gettext_noop('%(path)s: item "%(item)s" is listed in construct "%(construct)s"'),
                f"{path}.construct",
                item=code,
                construct=item_construct[code],
            )

    if checker.problems:
        # In file order: the order a person fixes them in.
        raise InstrumentError(sorted(checker.problems, key=lambda p: p.row or 0))

    instrument = Instrument(
        code=head["code"],
        version=head["version"],
        title_ja=head["title"][0],
        title_en=head["title"][1],
        audience=head["audience"],
        scales=tuple(scales.values()),
        constructs=tuple(constructs),
        items=tuple(
            Item(
                code=code,
                text_ja=cast(tuple[str, str], raw.text)[0],
                text_en=cast(tuple[str, str], raw.text)[1],
                scale=cast(str, raw.scale),
                reverse=bool(raw.reverse),
                data_class=cast(DataClass, raw.data_class),
                construct=item_construct[code],
                required=bool(raw.required),
            )
            for code, raw in items.items()
        ),
        license=head["license"],
        source=head["source"],
        fingerprint="",
    )
    return replace(instrument, fingerprint=compute_fingerprint(instrument))


def _entries(top: dict[str, Any], key: str, checker: _Checker) -> Iterator[tuple[str, Any]]:
    if not checker.required(top, key, ""):
        return
    entries = checker.listing(top[key], key)
    for index, entry in enumerate(entries or ()):
        yield f"{key}[{index}]", entry


def _declared(entry: object) -> str | None:
    """The code an entry claims, even if the entry is broken."""
    if isinstance(entry, dict) and isinstance(entry.get("code"), str):
        return cast(str, entry["code"])
    return None


def _scales(top: dict[str, Any], checker: _Checker) -> tuple[dict[str, Scale], set[str]]:
    """The valid scales by code, and every code the file declares for a scale."""
    scales: dict[str, Scale] = {}
    declared: set[str] = set()
    seen: dict[str, str] = {}
    for path, entry in _entries(top, "scales", checker):
        if (claimed := _declared(entry)) is not None:
            declared.add(claimed)
        data = checker.mapping(entry, path, _SCALE_KEYS)
        if data is None:
            continue
        ok = all([checker.required(data, key, path) for key in _SCALE_KEYS])
        code = checker.code(data["code"], f"{path}.code") if "code" in data else None
        if code is not None and not checker.unique(code, f"{path}.code", seen):
            code = None
        low = checker.integer(data["min"], f"{path}.min") if "min" in data else None
        high = checker.integer(data["max"], f"{path}.max") if "max" in data else None
        points: int | None = None
        if low is not None and high is not None:
            if low >= high:
                checker.add(
                    "scale_range",
                    gettext_noop("%(path)s: min (%(min)s) must be less than max (%(max)s)"),
                    path,
                    min=low,
                    max=high,
                )
            elif high - low + 1 > MAX_SCALE_POINTS:
                checker.add(
                    "scale_too_long",
                    gettext_noop("%(path)s: a scale has at most %(limit)s points"),
                    path,
                    limit=MAX_SCALE_POINTS,
                )
            else:
                points = high - low + 1
        labels: dict[str, tuple[str, ...]] = {}
        label_data = (
            checker.mapping(data["labels"], f"{path}.labels", LANGUAGES)
            if data.get("labels") is not None
            else None
        )
        for language in LANGUAGES if label_data is not None else ():
            assert label_data is not None
            lpath = f"{path}.labels.{language}"
            if label_data.get(language) is None:
                checker.add(
                    "missing_language",
                    gettext_noop("%(path)s: the %(language)s text is missing"),
                    f"{path}.labels",
                    language=language,
                )
                continue
            raw = checker.listing(label_data[language], lpath)
            if raw is None:
                continue
            texts = [checker.text(v, f"{lpath}[{i}]") for i, v in enumerate(raw)]
            if points is not None and len(raw) != points:
                checker.add(
                    "label_count",
                    gettext_noop(
                        "%(path)s: %(count)s labels for a scale of %(points)s points "
                        "(%(min)s to %(max)s)"
                    ),
                    lpath,
                    count=len(raw),
                    points=points,
                    min=low,
                    max=high,
                )
            elif all(t is not None for t in texts):
                labels[language] = tuple(cast(list[str], texts))
        if ok and code is not None and points is not None and len(labels) == len(LANGUAGES):
            assert low is not None and high is not None
            scales[code] = Scale(code, low, high, labels["ja"], labels["en"])
    return scales, declared


def _items(
    top: dict[str, Any],
    checker: _Checker,
    scales: dict[str, Scale],
    declared_scales: set[str],
) -> tuple[dict[str, _RawItem], set[str]]:
    """The items with a usable, unique code, and every code the file declares for an item.

    Broken items stay in the result (``complete`` false) and declared codes
    are returned, so that a construct listing a broken item is not also
    reported as naming an unknown one.
    """
    items: dict[str, _RawItem] = {}
    declared: set[str] = set()
    seen: dict[str, str] = {}
    for index, (path, entry) in enumerate(_entries(top, "items", checker)):
        if (claimed := _declared(entry)) is not None:
            declared.add(claimed)
        data = checker.mapping(entry, path, _ITEM_KEYS)
        if data is None:
            continue
        for key in ("code", "text", "scale", "data_class"):
            checker.required(data, key, path)
        code = checker.code(data["code"], f"{path}.code") if "code" in data else None
        if code is not None and code.casefold() == RESPONDENT_COLUMN:
            checker.add(
                "reserved_code",
                gettext_noop('%(path)s: "%(code)s" names the respondent column; choose another'),
                f"{path}.code",
                code=code,
            )
            code = None
        if code is not None and not checker.unique(code, f"{path}.code", seen):
            continue
        raw = _RawItem(index)
        if data.get("text") is not None:
            raw.text = checker.bilingual(data["text"], f"{path}.text")
        value = data.get("scale")
        if value is not None:
            if isinstance(value, str) and value in scales:
                raw.scale = value
            elif not (isinstance(value, str) and value in declared_scales):
                # (a declared but broken scale was reported already)
                checker.add(
                    "unknown_scale",
                    gettext_noop('%(path)s: unknown scale "%(scale)s"'),
                    f"{path}.scale",
                    scale=_show(value),
                )
        if "reverse" in data:
            raw.reverse = checker.boolean(data["reverse"], f"{path}.reverse")
        if "required" in data:
            raw.required = checker.boolean(data["required"], f"{path}.required")
        if data.get("data_class") is not None:
            raw.data_class = checker.choice(data["data_class"], f"{path}.data_class", DATA_CLASSES)
        if data.get("construct") is not None:
            raw.construct = checker.code(data["construct"], f"{path}.construct")
        if code is not None:
            items[code] = raw
    return items, declared


def _min_answered(value: object, path: str, count: int | None, checker: _Checker) -> float | None:
    number = checker.number(value, path)
    if number is None:
        return None
    if 0 < number <= 1:
        return number
    if number >= 2 and number == int(number) and (count is None or number <= count):
        return int(number)
    checker.add(
        "bad_min_answered",
        gettext_noop(
            "%(path)s: must be a share of the items in (0, 1] or a whole number of items "
            "from 2 to %(count)s, not %(value)s"
        ),
        path,
        count=count if count is not None else "?",
        value=_show(value),
    )
    return None


def _constructs(
    top: dict[str, Any],
    checker: _Checker,
    scales: dict[str, Scale],
    items: dict[str, _RawItem],
    declared_items: set[str],
) -> tuple[list[Construct], dict[str, str]]:
    """The valid constructs, and for each listed item the construct that has it."""
    constructs: list[Construct] = []
    item_construct: dict[str, str] = {}
    item_first_path: dict[str, str] = {}
    seen: dict[str, str] = {}
    for path, entry in _entries(top, "constructs", checker):
        data = checker.mapping(entry, path, _CONSTRUCT_KEYS)
        if data is None:
            continue
        ok = all(
            [
                checker.required(data, key, path)
                for key in ("code", "name", "role", "group", "items", "min_answered")
            ]
        )
        code = checker.code(data["code"], f"{path}.code") if "code" in data else None
        if code is not None and not checker.unique(code, f"{path}.code", seen):
            code = None
        name = checker.bilingual(data["name"], f"{path}.name") if "name" in data else None
        role = group = viewpoint = None
        if data.get("role") is not None:
            role = checker.choice(data["role"], f"{path}.role", ROLES)
        if data.get("group") is not None:
            group = checker.choice(data["group"], f"{path}.group", tuple(GROUP_ROLES))
        if role is not None and group is not None:
            expected = GROUP_ROLES[group]
            if expected is not None and role != expected:
                checker.add(
                    "role_group_mismatch",
                    gettext_noop(
                        '%(path)s: a construct of group "%(group)s" has role "%(expected)s"'
                    ),
                    f"{path}.role",
                    group=group,
                    expected=expected,
                )
        if data.get("viewpoint") is not None:
            viewpoint = checker.choice(data["viewpoint"], f"{path}.viewpoint", VIEWPOINTS)
            if viewpoint is not None and group is not None and group != "competency":
                checker.add(
                    "viewpoint_not_competency",
                    gettext_noop("%(path)s: only competency constructs have a viewpoint"),
                    f"{path}.viewpoint",
                )

        members: list[str] = []
        first_of_scale: dict[str, str] = {}
        listed = checker.listing(data["items"], f"{path}.items") if "items" in data else None
        for index, value in enumerate(listed or ()):
            ipath = f"{path}.items[{index}]"
            if not isinstance(value, str) or value not in items:
                if not (isinstance(value, str) and value in declared_items):
                    # (a declared but broken item was reported already)
                    checker.add(
                        "unknown_item",
                        gettext_noop('%(path)s: unknown item "%(item)s"'),
                        ipath,
                        item=_show(value),
                    )
                continue
            if value in members:
                checker.add(
                    "item_listed_twice",
                    gettext_noop('%(path)s: item "%(item)s" is listed twice in this construct'),
                    ipath,
                    item=value,
                )
                continue
            if value in item_construct:
                checker.add(
                    "item_in_two_constructs",
                    gettext_noop(
                        '%(path)s: item "%(item)s" is already in construct "%(construct)s" '
                        "(%(first)s)"
                    ),
                    ipath,
                    item=value,
                    construct=item_construct[value],
                    first=item_first_path[value],
                )
                continue
            members.append(value)
            if code is not None:
                item_construct[value] = code
                item_first_path[value] = ipath
            scale = items[value].scale
            if scale is None:
                continue
            if first_of_scale and scale not in first_of_scale:
                first_scale, first_item = next(iter(first_of_scale.items()))
                checker.add(
                    "mixed_scales",
                    gettext_noop(
                        '%(path)s: item "%(item)s" uses scale "%(scale)s" but "%(first_item)s" '
                        'uses "%(first_scale)s"; the items of a construct share one scale'
                    ),
                    ipath,
                    item=value,
                    scale=scale,
                    first_item=first_item,
                    first_scale=first_scale,
                )
            first_of_scale.setdefault(scale, value)
        construct_scale = scales.get(next(iter(first_of_scale))) if first_of_scale else None

        min_answered = None
        if data.get("min_answered") is not None:
            min_answered = _min_answered(
                data["min_answered"],
                f"{path}.min_answered",
                len(listed) if listed is not None else None,
                checker,
            )
        threshold: float | None = None
        if data.get("kpi4_threshold") is not None:
            tpath = f"{path}.kpi4_threshold"
            threshold = checker.number(data["kpi4_threshold"], tpath)
            if (
                threshold is not None
                and construct_scale is not None
                and not construct_scale.min <= threshold <= construct_scale.max
            ):
                checker.add(
                    "threshold_out_of_scale",
                    gettext_noop("%(path)s: %(value)s is outside the scale, %(min)s to %(max)s"),
                    tpath,
                    value=_show(data["kpi4_threshold"]),
                    min=construct_scale.min,
                    max=construct_scale.max,
                )
        # Anything missing was reported above; the file is rejected then anyway.
        if ok and code and name and role and group and members and min_answered is not None:
            constructs.append(
                Construct(
                    code=code,
                    name_ja=name[0],
                    name_en=name[1],
                    role=cast(Role, role),
                    group=group,
                    viewpoint=viewpoint,
                    items=tuple(members),
                    min_answered=min_answered,
                    kpi4_threshold=threshold,
                )
            )
    return constructs, item_construct


# --------------------------------------------------------------------------
# What other modules need
# --------------------------------------------------------------------------


def construct_specs(instrument: Instrument) -> dict[str, dict[str, Any]]:
    """Per construct, the plain data the scoring module needs.

    ``{"items": [...], "reverse": [...], "scale_min": 1, "scale_max": 5,
    "min_answered": 0.5, "min_items": 2, "threshold": 3.5 | None}`` — ``items``
    in the instrument's order, ``reverse`` the reverse-coded ones among them,
    ``min_answered`` always a share in (0, 1] (a count ``c`` of ``k`` items
    becomes ``c / k``) and ``min_items`` the same rule as a whole number of
    items; ``threshold`` is the KPI ④ threshold or ``None``.
    """
    specs: dict[str, dict[str, Any]] = {}
    for construct in instrument.constructs:
        scale = instrument.construct_scale(construct.code)
        k = len(construct.items)
        share = construct.min_answered / k if construct.min_answered > 1 else construct.min_answered
        specs[construct.code] = {
            "items": list(construct.items),
            "reverse": [c for c in construct.items if instrument.item(c).reverse],
            "scale_min": scale.min,
            "scale_max": scale.max,
            "min_answered": float(share),
            "min_items": construct.min_items,
            "threshold": construct.kpi4_threshold,
        }
    return specs


def kpi4_thresholds(instrument: Instrument) -> dict[str, float]:
    """Construct code → KPI ④ threshold, for the constructs that feed KPI ④.

    The shape :func:`ekkyo.core.kpi.kpi4_share` takes as ``thresholds``.
    """
    return {c.code: c.kpi4_threshold for c in instrument.constructs if c.kpi4_threshold is not None}


def responses_columns(instrument: Instrument) -> list[str]:
    """The item codes in the order shown: the responses CSV's columns after ``respondent``."""
    return [item.code for item in instrument.items]


def to_json_schema() -> dict[str, Any]:
    """A JSON Schema (2020-12) of the YAML layout, for editors' completion.

    It checks shapes only; :func:`load_instrument` remains the authority
    (cross-references, label counts, thresholds within the scale).
    """
    code = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_.\\-]*$", "maxLength": 64}
    text = {"type": ["string", "integer"], "minLength": 1}
    bilingual = {
        "type": "object",
        "properties": {language: {"type": "string", "minLength": 1} for language in LANGUAGES},
        "required": list(LANGUAGES),
        "additionalProperties": False,
    }
    labels = {
        "type": "array",
        "minItems": 2,
        "maxItems": MAX_SCALE_POINTS,
        "items": {"type": "string"},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ekkyo.example/schemas/instrument-1.json",
        "title": "ekkyo survey instrument",
        "type": "object",
        "required": [key for key in _TOP_KEYS if key != "format"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": FORMAT_VERSION},
            "code": code,
            "version": text,
            "title": bilingual,
            "audience": {"enum": list(AUDIENCES)},
            "license": text,
            "source": text,
            "scales": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": list(_SCALE_KEYS),
                    "additionalProperties": False,
                    "properties": {
                        "code": code,
                        "min": {"type": "integer"},
                        "max": {"type": "integer"},
                        "labels": {
                            "type": "object",
                            "required": list(LANGUAGES),
                            "additionalProperties": False,
                            "properties": {language: labels for language in LANGUAGES},
                        },
                    },
                },
            },
            "constructs": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["code", "name", "role", "group", "items", "min_answered"],
                    "additionalProperties": False,
                    "properties": {
                        "code": code,
                        "name": bilingual,
                        "role": {"enum": list(ROLES)},
                        "group": {"enum": list(GROUP_ROLES)},
                        "viewpoint": {"enum": [*VIEWPOINTS, None]},
                        "items": {"type": "array", "minItems": 1, "items": code},
                        "min_answered": {"type": "number", "exclusiveMinimum": 0},
                        "kpi4_threshold": {"type": ["number", "null"]},
                    },
                },
            },
            "items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["code", "text", "scale", "data_class"],
                    "additionalProperties": False,
                    "properties": {
                        "code": code,
                        "text": bilingual,
                        "scale": code,
                        "reverse": {"type": "boolean"},
                        "data_class": {"enum": list(DATA_CLASSES)},
                        "required": {"type": "boolean"},
                        "construct": code,
                    },
                },
            },
        },
    }
