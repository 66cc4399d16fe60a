"""Synthetic OneRoster 1.2 Japan Profile packages, written like the published samples.

For tests, benchmarks and demonstrations of :mod:`ekkyo.core.oneroster`: a
school's or a board's export as a 校務支援システム writes it — every file of
the profile with its columns in the profile's order (manifest, academic
sessions, orgs, courses, classes, users, roles, enrollments, demographics),
``YYYY年度`` school years, 学校コード and 教育委員会コード identifiers, grade
codes, homeroom classes (1年1組 …), full-width katakana readings, 出席番号, and
teachers beside the students.

Nobody in it is real: names come from :func:`ekkyo.core.synthetic.generate`
(family and given names drawn independently from pools of common names, 髙,
﨑 and 𠮷 among them), ids are deterministic UUIDs, e-mail addresses use
example domains. The same arguments always give the same package.

Functional core: no Django import.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from ekkyo.core.oneroster import GRADES_BY_KIND
from ekkyo.core.synthetic import generate

__all__ = [
    "HEADERS",
    "SamplePackage",
    "SampleSchool",
    "SampleTable",
    "katakana",
    "package_zip",
    "sample_package",
    "write_folder",
]


def _cols(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


#: The profile's columns, in its order (OneRoster 1.2 CSV + Japan Profile).
HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "manifest.csv": ("propertyName", "value"),
    "academicSessions.csv": _cols(
        "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear"
    ),
    "orgs.csv": _cols("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"),
    "courses.csv": _cols(
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
        "orgSourcedId,subjects,subjectCodes"
    ),
    "classes.csv": _cols(
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
        "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods,"
        "metadata.jp.specialNeeds"
    ),
    "users.csv": _cols(
        "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
        "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
        "userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,"
        "preferredFamilyName,primaryOrgSourcedId,pronouns,metadata.jp.kanaGivenName,"
        "metadata.jp.kanaFamilyName,metadata.jp.kanaMiddleName,metadata.jp.homeClass"
    ),
    "roles.csv": _cols(
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
        "orgSourcedId,userProfileSourcedId"
    ),
    "enrollments.csv": _cols(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
        "primary,beginDate,endDate,metadata.jp.ShussekiNo,metadata.jp.PublicFlg"
    ),
    "demographics.csv": _cols(
        "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
        "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
        "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,"
        "stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus"
    ),
}

_MANIFEST_FILES: Final = (
    ("academicSessions", "bulk"),
    ("categories", "absent"),
    ("classResources", "absent"),
    ("classes", "bulk"),
    ("courseResources", "absent"),
    ("courses", "bulk"),
    ("demographics", "bulk"),
    ("enrollments", "bulk"),
    ("lineItemLearningObjectiveIds", "absent"),
    ("lineItems", "absent"),
    ("lineItemScoreScales", "absent"),
    ("orgs", "bulk"),
    ("resources", "absent"),
    ("resultLearningObjectiveIds", "absent"),
    ("results", "absent"),
    ("resultScoreScales", "absent"),
    ("roles", "bulk"),
    ("scoreScales", "absent"),
    ("userProfiles", "absent"),
    ("userResources", "absent"),
    ("users", "bulk"),
)
#: School year s (1 = first year of elementary school) of grade code.
_SCHOOL_YEAR: Final = {
    **{f"P{i}": i for i in range(1, 7)},
    **{f"J{i}": 6 + i for i in range(1, 4)},
    **{f"H{i}": 9 + i for i in range(1, 4)},
}
_GRADE_LABEL: Final = {code: f"{int(code[1])}年" for code in _SCHOOL_YEAR}
#: Grade codes per kind of school: ekkyo's kinds, and 小学校 (which it skips).
_GRADES: Final = {**{k: list(v) for k, v in GRADES_BY_KIND.items()}, "B1": list(_SCHOOL_YEAR)[:6]}


def katakana(hiragana: str) -> str:
    """ぁ-ゖ and ゝゞ to their katakana, as exporters write readings."""
    return "".join(
        chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" or c in "\u309d\u309e" else c
        for c in hiragana
    )


@dataclass(frozen=True, slots=True)
class SampleSchool:
    """A school of the package; ``code`` is its 学校コード (its kind sets the grades)."""

    code: str
    name: str
    students: int


@dataclass
class SampleTable:
    """One CSV file: its headings and rows (cells by heading); edit freely in tests."""

    headers: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)

    def text(self, *, quote_all: bool = False, line_end: str = "\r\n") -> str:
        buffer = io.StringIO(newline="")
        writer = csv.writer(
            buffer,
            lineterminator=line_end,
            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        )
        writer.writerow(self.headers)
        for row in self.rows:
            writer.writerow([row.get(h, "") for h in self.headers])
        return buffer.getvalue()

    def find(self, **match: str) -> dict[str, str]:
        """The first row whose cells equal ``match`` (``KeyError`` if none)."""
        for row in self.rows:
            if all(row.get(k) == v for k, v in match.items()):
                return row
        raise KeyError(match)


SamplePackage = dict[str, SampleTable]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def sample_package(
    *,
    schools: Sequence[SampleSchool],
    fiscal_year: int,
    board: tuple[str, str] | None = None,
    seed: int = 2025,
    class_size: int = 35,
) -> SamplePackage:
    """A bulk package of ``schools`` (under ``board`` = (教育委員会コード, name) if given).

    Each school's students are spread over its grades (by the kind in its
    学校コード) and homerooms of at most ``class_size``; each homeroom has a
    teacher. Students' ``identifier`` is a student number unique in the
    package (``S`` + school index + serial).
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    total = sum(s.students for s in schools)
    names = generate(
        seed=seed,
        municipalities=1,
        prefectures=1,
        schools=1,
        students=max(total, 1),
        reference_date=date(fiscal_year, 6, 1),
    ).students
    package: SamplePackage = {name: SampleTable(list(h)) for name, h in HEADERS.items()}
    manifest = package["manifest.csv"]
    manifest.rows += [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "oneroster.version", "value": "1.2"},
        *({"propertyName": f"file.{n}", "value": mode} for n, mode in _MANIFEST_FILES),
        {"propertyName": "source.systemName", "value": "Sample School Affairs System"},
        {"propertyName": "source.systemCode", "value": "SAMPLE"},
    ]
    year_id = _uuid(rng)
    package["academicSessions.csv"].rows.append(
        {
            "sourcedId": year_id,
            "title": f"{fiscal_year}年度",
            "type": "schoolYear",
            "startDate": f"{fiscal_year}-04-01",
            "endDate": f"{fiscal_year + 1}-03-31",
            "schoolYear": str(fiscal_year),
        }
    )
    orgs = package["orgs.csv"]
    district_id = ""
    if board is not None:
        district_id = _uuid(rng)
        orgs.rows.append(
            {"sourcedId": district_id, "name": board[1], "type": "district", "identifier": board[0]}
        )
    people = iter(names)
    for index, school in enumerate(schools, start=1):
        school_id = _uuid(rng)
        orgs.rows.append(
            {
                "sourcedId": school_id,
                "name": school.name,
                "type": "school",
                "identifier": school.code,
                "parentSourcedId": district_id,
            }
        )
        grades = _GRADES[school.code[:2]]
        # Students per grade, as even as possible.
        per_grade = [
            school.students // len(grades) + (1 if i < school.students % len(grades) else 0)
            for i in range(len(grades))
        ]
        serial = 0
        for code, count in zip(grades, per_grade, strict=True):
            if not count:
                continue
            course_id = _uuid(rng)
            package["courses.csv"].rows.append(
                {
                    "sourcedId": course_id,
                    "schoolYearSourcedId": year_id,
                    "title": f"{fiscal_year}年度{_GRADE_LABEL[code]}学級",
                    "grades": code,
                    "orgSourcedId": school_id,
                }
            )
            rooms = -(-count // class_size)
            for room in range(rooms):
                in_room = count // rooms + (1 if room < count % rooms else 0)
                class_id = _uuid(rng)
                package["classes.csv"].rows.append(
                    {
                        "sourcedId": class_id,
                        "title": f"{_GRADE_LABEL[code]}{room + 1}組",
                        "grades": code,
                        "courseSourcedId": course_id,
                        "classType": "homeroom",
                        "schoolSourcedId": school_id,
                        "termSourcedIds": year_id,
                        "metadata.jp.specialNeeds": "false",
                    }
                )
                teacher = _teacher(index, room, code)
                _add_user(package, rng, teacher, school_id, class_id, code="", number=None)
                for seat in range(1, in_room + 1):
                    serial += 1
                    person = next(people)
                    born = _birth_date(rng, fiscal_year, code)
                    _add_user(
                        package,
                        rng,
                        {
                            "givenName": person.given_name,
                            "familyName": person.family_name,
                            "kanaGivenName": katakana(person.given_name_kana),
                            "kanaFamilyName": katakana(person.family_name_kana),
                            "identifier": f"S{index:02d}{serial:05d}",
                            "role": "student",
                            "sex": person.gender,
                            "birthDate": born.isoformat(),
                        },
                        school_id,
                        class_id,
                        code=code,
                        number=seat,
                        begin=f"{fiscal_year}-04-01",
                    )
    return package


def _teacher(school: int, room: int, code: str) -> dict[str, str]:
    """A class teacher (fictional; teachers are not imported, only skipped)."""
    return {
        "givenName": "先生",
        "familyName": f"担任{school}{code}{room + 1}",
        "kanaGivenName": "センセイ",
        "kanaFamilyName": "タンニン",
        "identifier": f"T{school:02d}{code}{room + 1:02d}",
        "role": "teacher",
        "sex": "",
        "birthDate": "",
    }


def _birth_date(rng: random.Random, fiscal_year: int, code: str) -> date:
    s = _SCHOOL_YEAR[code]
    start = date(fiscal_year - 6 - s, 4, 2).toordinal()
    end = date(fiscal_year - 5 - s, 4, 1).toordinal()
    return date.fromordinal(start + int(rng.random() * (end - start + 1)))


def _add_user(
    package: SamplePackage,
    rng: random.Random,
    person: Mapping[str, str],
    school_id: str,
    class_id: str,
    *,
    code: str,
    number: int | None,
    begin: str = "",
) -> None:
    user_id = _uuid(rng)
    student = person["role"] == "student"
    package["users.csv"].rows.append(
        {
            "sourcedId": user_id,
            "enabledUser": "true",
            "username": f"{person['identifier'].lower()}@example.jp",
            "givenName": person["givenName"],
            "familyName": person["familyName"],
            "identifier": person["identifier"],
            "grades": code,
            "userMasterIdentifier": _uuid(rng),
            "preferredGivenName": person["givenName"],
            "preferredFamilyName": person["familyName"],
            "primaryOrgSourcedId": school_id,
            "metadata.jp.kanaGivenName": person["kanaGivenName"],
            "metadata.jp.kanaFamilyName": person["kanaFamilyName"],
            "metadata.jp.homeClass": class_id if student else "",
        }
    )
    package["roles.csv"].rows.append(
        {
            "sourcedId": _uuid(rng),
            "userSourcedId": user_id,
            "roleType": "primary",
            "role": person["role"],
            "orgSourcedId": school_id,
        }
    )
    package["enrollments.csv"].rows.append(
        {
            "sourcedId": _uuid(rng),
            "classSourcedId": class_id,
            "schoolSourcedId": school_id,
            "userSourcedId": user_id,
            "role": person["role"],
            "primary": "false" if student else "true",
            "beginDate": begin,
            "metadata.jp.ShussekiNo": str(number) if number is not None else "",
        }
    )
    if student:
        package["demographics.csv"].rows.append(
            {
                "sourcedId": user_id,
                "birthDate": person["birthDate"],
                "sex": person["sex"] if person["sex"] in ("male", "female") else "other",
            }
        )


def _encoded(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def package_zip(
    package: Mapping[str, SampleTable],
    *,
    encoding: str = "utf-8",
    folder: str = "",
    quote_all: bool = False,
) -> bytes:
    """The package as a zip (files at the top, or in ``folder``), in ``encoding``
    (``utf-8``, ``utf-8-sig`` with a BOM, or ``cp932``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in package.items():
            path = f"{folder}/{name}" if folder else name
            archive.writestr(path, _encoded(table.text(quote_all=quote_all), encoding))
    return buffer.getvalue()


def write_folder(
    package: Mapping[str, SampleTable], path: Path, *, encoding: str = "utf-8"
) -> None:
    """The package as a folder of CSV files."""
    path.mkdir(parents=True, exist_ok=True)
    for name, table in package.items():
        (path / name).write_bytes(_encoded(table.text(), encoding))
