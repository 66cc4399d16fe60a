"""Tests for ekkyo.core.attendance: meeting attendance reports (no Django).

Every file is built here, laid out like the real exports (see the module
docstring for where the layouts come from). All people are invented.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekkyo.core.attendance import (
    MatchResult,
    Participant,
    RosterEntry,
    detect_source,
    match_participants,
    normalize_name,
    parse_attendance_report,
    parse_duration_seconds,
)

IDEOGRAPHIC_SPACE = "\u3000"


def csv_text(rows: Sequence[Sequence[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def teams_bytes(text: str) -> bytes:
    """UTF-16 LE with BOM, as Teams writes its attendance report."""
    return b"\xff\xfe" + text.encode("utf-16-le")


def by_name(participants: Sequence[Participant]) -> dict[str, Participant]:
    return {p.name: p for p in participants}


# --------------------------------------------------------------------------
# Zoom

ZOOM_MEETING_HEADER = [
    ["Meeting ID", "Topic", "Start Time", "End Time", "User Email", "Duration (Minutes)", ""],
    ["81234567890", "越境ゼミ", "06/10/2025 04:00:00 PM", "06/10/2025 05:00:00 PM", "", "60", ""],
    [],
]


def test_zoom_english_with_meeting_header_and_rejoins() -> None:
    rows = [
        *ZOOM_MEETING_HEADER,
        [
            "Name (Original Name)",
            "User Email",
            "Join Time",
            "Leave Time",
            "Duration (Minutes)",
            "Guest",
        ],
        ["越境 花子", "Hanako.Ekkyo@example.jp", "04:00 PM", "04:20 PM", "20", "No"],
        ["Teacher Kita", "kita@example.jp", "04:00 PM", "05:00 PM", "60", "No"],
        ["越境 花子", "hanako.ekkyo@example.jp", "04:25 PM", "05:00 PM", "35", "No"],
        ["Taro's iPad (山里 太郎)", "", "04:02 PM", "04:50 PM", "48", "Yes"],
    ]
    report = parse_attendance_report(csv_text(rows).encode(), "participants_81234567890.csv")
    assert report.source == "zoom"
    assert report.ok, [p.render() for p in report.problems]
    assert report.columns["duration"] == "Duration (Minutes)"
    people = by_name(report.participants)
    assert list(people) == ["越境 花子", "Teacher Kita", "Taro's iPad (山里 太郎)"]
    hanako = people["越境 花子"]
    assert hanako.email == "hanako.ekkyo@example.jp"
    assert hanako.minutes == 55
    assert hanako.rows == (5, 7)  # spreadsheet rows: header is row 4
    assert people["Taro's iPad (山里 太郎)"].email == ""


def test_zoom_unique_users_layout() -> None:
    rows = [
        *ZOOM_MEETING_HEADER,
        ["Name (Original Name)", "User Email", "Total Duration (Minutes)", "Guest"],
        ["越境 花子", "", "55", ""],
    ]
    report = parse_attendance_report(csv_text(rows).encode(), "p.csv")
    assert report.source == "zoom"
    assert [(p.name, p.seconds) for p in report.participants] == [("越境 花子", 55 * 60)]


def test_zoom_japanese_headers_in_cp932() -> None:
    rows = [
        [
            "ミーティング ID",
            "トピック",
            "開始時間",
            "終了時間",
            "ユーザーメール",
            "期間 (分)",
            "参加者",
        ],
        ["81234567890", "越境ゼミ", "2025/06/10 16:00:00", "2025/06/10 17:00:00", "", "60", "3"],
        [],
        ["名前 (元の名前)", "ユーザーメール", "参加時間", "退出時間", "期間 (分)", "ゲスト"],
        ["髙橋 一郎", "", "2025/06/10 16:00:00", "2025/06/10 16:40:00", "40", "はい"],
        ["髙橋 一郎", "", "2025/06/10 16:45:00", "2025/06/10 17:00:00", "15", "はい"],
    ]
    report = parse_attendance_report(csv_text(rows).encode("cp932"), "参加者.csv")
    assert report.source == "zoom"
    assert report.encoding == "cp932"
    assert report.ok
    [ichiro] = report.participants
    assert (ichiro.name, ichiro.minutes, ichiro.rows) == ("髙橋 一郎", 55, (5, 6))


def test_zoom_newer_lowercase_headers_skip_waiting_room() -> None:
    rows = [
        [
            "Name (original name)",
            "Email",
            "Join time",
            "Leave time",
            "Duration (minutes)",
            "Guest",
            "In waiting room",
        ],
        ["越境 花子", "", "09:00", "09:40", "40", "No", "No"],
        ["Someone Waiting", "", "", "", "", "Yes", "Yes"],
    ]
    report = parse_attendance_report(("\ufeff" + csv_text(rows)).encode(), "p.csv")
    assert report.source == "zoom"
    assert report.ok
    assert [p.name for p in report.participants] == ["越境 花子"]


# --------------------------------------------------------------------------
# Teams

TEAMS_EN = "\r\n".join(
    [
        "1. Summary",
        "Meeting title\t越境ゼミ 第3回",
        "Attended participants\t3",
        "Start time\t6/10/25, 4:00:05 PM",
        "End time\t6/10/25, 5:01:10 PM",
        "Meeting duration\t1h 1m 5s",
        "Average attendance time\t50m 2s",
        "",
        "2. Participants",
        "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole",
        "北 先生\t6/10/25, 4:00:05 PM\t6/10/25, 5:01:10 PM\t1h 1m 5s\tkita@school.example.jp"
        "\tkita@school.example.jp\tOrganizer",
        "越境 花子\t6/10/25, 4:01:00 PM\t6/10/25, 5:00:00 PM\t58m 30s\tHanako@school.example.jp"
        "\thanako@school.example.jp\tAttendee",
        "ゲスト 参加者\t6/10/25, 4:10:00 PM\t6/10/25, 4:10:30 PM\t30s\t\tguest-upn\tAttendee",
        "",
        "3. In-Meeting Activities",
        "Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole",
        "越境 花子\t6/10/25, 4:01:00 PM\t6/10/25, 4:30:00 PM\t29m\thanako@school.example.jp"
        "\tAttendee",
        "越境 花子\t6/10/25, 4:30:30 PM\t6/10/25, 5:00:00 PM\t29m 30s\thanako@school.example.jp"
        "\tAttendee",
        "",
    ]
)


def test_teams_utf16_tab_report_with_sections() -> None:
    report = parse_attendance_report(
        teams_bytes(TEAMS_EN), "越境ゼミ - Attendance report 6-10-25.csv"
    )
    assert report.source == "teams"
    assert report.encoding == "utf-16"
    assert report.ok, [p.render() for p in report.problems]
    people = by_name(report.participants)
    # Only section 2 is read: section 3 repeats Hanako per join.
    assert list(people) == ["北 先生", "越境 花子", "ゲスト 参加者"]
    assert people["越境 花子"].seconds == 58 * 60 + 30
    assert people["越境 花子"].rows == (12,)
    assert people["越境 花子"].email == "hanako@school.example.jp"
    assert people["北 先生"].organizer
    assert not people["越境 花子"].organizer
    assert people["ゲスト 参加者"].email == ""  # UPN without "@" is not an email


def test_teams_japanese_ui_report() -> None:
    text = "\r\n".join(
        [
            "1. 要約",
            '会議のタイトル\t"""越境ゼミ"" で会議中"',
            "出席者数\t2",
            "",
            "2. 参加者",
            "名前\t初めての参加\t最終退出\t会議の長さ\tメール\t参加者 ID (UPN)\t役割",
            "北 先生\t2025/6/10 16:00:05\t2025/6/10 17:01:10\t1 時間 1 分 5 秒"
            "\tkita@school.example.jp\tkita@school.example.jp\t開催者",
            "越境 花子\t2025/6/10 16:01:00\t2025/6/10 17:00:00\t58 分 30 秒"
            "\t\thanako@school.example.jp\t出席者",
            "",
            "3. 会議中のアクティビティ",
            "名前\t参加時刻\t退出時刻\t期間\tメール\t役割",
            "越境 花子\t2025/6/10 16:01:00\t2025/6/10 17:00:00\t58 分 30 秒\t\t出席者",
        ]
    )
    report = parse_attendance_report(teams_bytes(text), "出席者レポート.csv")
    assert report.source == "teams"
    assert report.ok, [p.render() for p in report.problems]
    people = by_name(report.participants)
    assert people["北 先生"].seconds == 3665
    assert people["北 先生"].organizer
    # Empty Email falls back to the UPN when that is an address.
    assert people["越境 花子"].email == "hanako@school.example.jp"
    assert people["越境 花子"].rows == (8,)


def test_teams_2021_layout_without_sections() -> None:
    text = "\r\n".join(
        [
            "Meeting Summary",
            "Total Number of Participants\t1",
            "",
            "Full Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\tParticipant ID (UPN)",
            "越境 花子\t6/10/2021, 4:01:00 PM\t6/10/2021, 5:00:00 PM\t59m\thanako@example.jp"
            "\tAttendee\thanako@example.jp",
        ]
    )
    report = parse_attendance_report(teams_bytes(text), "report.csv")
    assert report.source == "teams"
    assert [(p.name, p.seconds, p.rows) for p in report.participants] == [
        ("越境 花子", 59 * 60, (5,))
    ]


def test_teams_2020_event_log_is_refused_with_reason() -> None:
    text = "Full Name\tUser Action\tTimestamp\r\n越境 花子\tJoined\t6/10/2020, 4:01:00 PM\r\n"
    report = parse_attendance_report(teams_bytes(text), "meetingAttendanceList.csv")
    assert report.source is None
    assert [p.code for p in report.problems] == ["attendance.no_duration_column"]
    assert "Full Name, User Action, Timestamp" in report.problems[0].render()


# --------------------------------------------------------------------------
# Meet, generic, XLSX


def test_meet_attendance_report() -> None:
    rows = [
        ["First name", "Last name", "Email", "Duration", "Time joined", "Time exited"],
        ["Hanako", "Ekkyo", "hanako@example.jp", "1 hr 5 min", "4:00 PM", "5:05 PM"],
        ["太郎", "山里", "", "45 min", "4:10 PM", "4:55 PM"],
        ["Hanako", "Ekkyo", "hanako@example.jp", "30 sec", "5:06 PM", "5:06 PM"],
    ]
    report = parse_attendance_report(csv_text(rows).encode(), "2025-06-10 16:00 越境ゼミ.csv")
    assert report.source == "meet"
    assert report.ok
    people = by_name(report.participants)
    assert people["Hanako Ekkyo"].seconds == 65 * 60 + 30
    assert people["太郎 山里"].minutes == 45


def test_meet_2020_layout() -> None:
    rows = [
        ["Name", "Email", "Duration", "Time Joined", "Time Exited"],
        ["Hanako Ekkyo", "hanako@example.jp", "52 min", "4:00 PM", "4:52 PM"],
    ]
    report = parse_attendance_report(csv_text(rows).encode(), "meet.csv")
    assert report.source == "meet"
    assert [p.minutes for p in report.participants] == [52]


@pytest.mark.parametrize(
    ("headers", "encoding"),
    [
        (["氏名", "メール", "分"], "utf-8-sig"),
        (["name", "email", "minutes"], "utf-8"),
        (["氏名", "メールアドレス", "参加時間（分）"], "cp932"),
    ],
)
def test_generic_table(headers: list[str], encoding: str) -> None:
    rows = [
        headers,
        ["越境　花子", "", "30"],
        ["越境 花子", "", "15"],
        ["山里 太郎", "Taro@Example.jp", "40"],
    ]
    report = parse_attendance_report(csv_text(rows).encode(encoding), "出席.csv")
    assert report.source == "generic"
    assert report.ok
    people = report.participants
    # Full-width and ASCII spaces normalise alike: one person, summed.
    assert [(p.name, p.minutes, p.rows) for p in people] == [
        ("越境　花子", 45, (2, 3)),
        ("山里 太郎", 40, (4,)),
    ]
    assert people[1].email == "taro@example.jp"


def test_generic_xlsx() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["氏名", "メール", "分"])
    sheet.append(["越境 花子", "hanako@example.jp", 30])
    sheet.append(["山里 太郎", None, 12.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = parse_attendance_report(buffer.getvalue(), "出席.xlsx")
    assert report.source == "generic"
    assert report.ok
    assert [(p.name, p.seconds) for p in report.participants] == [
        ("越境 花子", 1800),
        ("山里 太郎", 750),
    ]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Name (Original Name)", "User Email", "Total Duration (Minutes)", "Guest"], "zoom"),
        (
            ["名前 (元の名前)", "ユーザーメール", "参加時間", "退出時間", "期間 (分)", "ゲスト"],
            "zoom",
        ),
        (
            [
                "Name",
                "First join",
                "Last leave",
                "In-meeting duration",
                "Email",
                "Participant ID (UPN)",
                "Role",
            ],
            "teams",
        ),
        (
            ["名前", "初めての参加", "最終退出", "会議の長さ", "メール", "参加者 ID (UPN)", "役割"],
            "teams",
        ),
        (["First name", "Last name", "Email", "Duration", "Time joined", "Time exited"], "meet"),
        (["氏名", "メール", "分"], None),
        (["Meeting ID", "Topic", "User Email", "Duration (Minutes)", "Participants"], None),
        ([], None),
    ],
)
def test_detect_source(headers: list[str], expected: str | None) -> None:
    assert detect_source(headers) == expected


# --------------------------------------------------------------------------
# Problems


def test_bad_and_missing_duration_are_located() -> None:
    rows = [
        ["氏名", "メール", "分"],
        ["越境 花子", "", "30"],
        ["山里 太郎", "", "三十"],
        ["海野 次郎", "", ""],
        ["", "", "5"],
    ]
    report = parse_attendance_report(csv_text(rows).encode(), "出席.csv")
    assert [(p.code, p.row, p.column) for p in report.problems] == [
        ("attendance.bad_duration", 3, "分"),
        ("attendance.missing_duration", 4, "分"),
        ("attendance.missing_name", 5, None),
    ]
    assert "Row 3" in report.problems[0].render() and "三十" in report.problems[0].render()
    assert [p.name for p in report.participants] == ["越境 花子"]


def test_bad_duration_row_counts_lines_before_the_table() -> None:
    text = TEAMS_EN.replace("58m 30s", "fifty-eight")
    report = parse_attendance_report(teams_bytes(text), "report.csv")
    [problem] = report.problems
    assert (problem.code, problem.row, problem.column) == (
        "attendance.bad_duration",
        12,
        "In-Meeting Duration",
    )


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02garbage\xff\xfe\x00",
        bytes(range(256)) * 4,
        b"PK\x03\x04not really a zip",
        b"\xff\xfe\x41",  # UTF-16 BOM, odd number of bytes
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel",
    ],
)
def test_garbage_is_reported_not_raised(data: bytes) -> None:
    report = parse_attendance_report(data, "report.csv")
    assert report.source is None
    assert report.participants == []
    assert report.problems


def test_unknown_columns_say_what_was_expected() -> None:
    report = parse_attendance_report("学年,組\n1,2\n".encode(), "x.csv")
    [problem] = report.problems
    assert problem.code == "attendance.unknown_columns"
    text = problem.render()
    assert "Name (Original Name)" in text and "In-Meeting Duration" in text
    assert "氏名" in text and "学年, 組" in text


def test_empty_file_and_empty_table() -> None:
    assert [p.code for p in parse_attendance_report(b"", "x.csv").problems] == [
        "attendance.unknown_columns"
    ]
    report = parse_attendance_report("氏名,分\n".encode(), "x.csv")
    assert report.source == "generic"
    assert [p.code for p in report.problems] == ["attendance.empty"]


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_parse_never_raises(data: bytes) -> None:
    report = parse_attendance_report(data, "report.csv")
    assert report.participants or report.problems or report.source is not None


# --------------------------------------------------------------------------
# Durations and names


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45", 2700),
        ("12.5", 750),
        ("４５", 2700),
        ("0:45:00", 2700),
        ("1:02:03", 3723),
        ("1h 2m 10s", 3730),
        ("10m 59s", 659),
        ("30s", 30),
        ("1h", 3600),
        ("1 時間 2 分 10 秒", 3730),
        ("58 分 30 秒", 3510),
        ("1 hr 5 min", 3900),
        ("2 hrs", 7200),
        ("30 sec", 30),
        ("", None),
        ("abc", None),
        ("1h x", None),
        ("x 1h", None),
        ("-5", None),
        ("45:00", None),
    ],
)
def test_parse_duration_seconds(text: str, seconds: int | None) -> None:
    assert parse_duration_seconds(text) == seconds


def test_normalize_name() -> None:
    assert normalize_name("越境　花子") == normalize_name("越境 花子") == "越境花子"
    assert normalize_name("エッキョウ ハナコ") == normalize_name("えっきょう　はなこ")
    assert normalize_name("ｴｯｷｮｳ ﾊﾅｺ") == normalize_name("えっきょうはなこ")
    assert normalize_name("ＥＫＫＹＯ Hanako") == "ekkyohanako"
    assert normalize_name("Ekkyo, Hanako") == "ekkyohanako"
    assert normalize_name("葛\U000e0100西") == normalize_name("葛西")


# --------------------------------------------------------------------------
# Matching


def student(
    key: str,
    family: str,
    given: str,
    family_kana: str = "",
    given_kana: str = "",
    romanized: str = "",
    emails: tuple[str, ...] = (),
) -> RosterEntry:
    return RosterEntry(key, family, given, family_kana, given_kana, romanized, emails)


ROSTER = [
    student("s1", "越境", "花子", "えっきょう", "はなこ", "Hanako Ekkyo", ("hanako@example.jp",)),
    student("s2", "山里", "太郎", "やまざと", "たろう", "YAMAZATO Taro"),
    student("s3", "佐藤", "花子", "さとう", "はなこ", "Hanako Sato"),
    student("s4", "佐藤", "花子", "さとう", "はなこ", "Hanako Sato"),
    student(
        "s5", "海野", "次郎", "うみの", "じろう", "", ("jiro@example.jp", "JIRO.UMINO@Example.jp")
    ),
]


def person(name: str, email: str = "", minutes: int = 30, organizer: bool = False) -> Participant:
    return Participant(name, email, minutes * 60, (2,), (name,) if name else (), organizer)


def only(result: MatchResult) -> tuple[str, str] | tuple[str, str, tuple[str, ...]]:
    if result.matched:
        [m] = result.matched
        return (m.student_key, m.how)
    [u] = result.unmatched
    return (u.reason, u.participant.name, result.candidates.get(u.participant, ()))


@pytest.mark.parametrize(
    ("participant", "expected"),
    [
        (person("Whatever", "HANAKO@example.jp"), ("s1", "email")),
        (person("", "jiro.umino@example.jp"), ("s5", "email")),
        (person("越境 花子"), ("s1", "name")),
        (person("花子 越境"), ("s1", "name")),
        (person(f"越境{IDEOGRAPHIC_SPACE}花子"), ("s1", "name")),
        (person("越境花子"), ("s1", "name")),
        (person("エッキョウ ハナコ"), ("s1", "name")),
        (person("えっきょう はなこ"), ("s1", "name")),
        (person("ﾔﾏｻﾞﾄ ﾀﾛｳ"), ("s2", "name")),
        (person("Hanako Ekkyo"), ("s1", "name")),
        (person("EKKYO Hanako"), ("s1", "name")),
        (person("Taro Yamazato"), ("s2", "name")),
        (person("ｙａｍａｚａｔｏ　ｔａｒｏ"), ("s2", "name")),
        (person("Taro's iPad (山里 太郎)"), ("s2", "name")),
        # An email not on the roster falls back to the name.
        (person("山里 太郎", "taro.personal@example.com"), ("s2", "name")),
        (person("佐藤 花子"), ("ambiguous", "佐藤 花子", ("s3", "s4"))),
        (person("Hanako Sato"), ("ambiguous", "Hanako Sato", ("s3", "s4"))),
        (person("越境"), ("no_match", "越境", ())),
        (person("北 先生", "kita@example.jp"), ("no_match", "北 先生", ())),
        (person("北 先生", organizer=True), ("organizer", "北 先生", ())),
        # Marked organiser but a student: matched like anyone else.
        (person("越境 花子", organizer=True), ("s1", "name")),
    ],
)
def test_match_rules(participant: Participant, expected: tuple[object, ...]) -> None:
    assert only(match_participants([participant], ROSTER)) == expected


def test_shared_email_is_ambiguous_not_guessed() -> None:
    roster = [
        student("a", "越境", "一郎", emails=("family@example.jp",)),
        student("b", "越境", "二郎", emails=("Family@example.jp",)),
    ]
    result = match_participants([person("越境 一郎", "family@example.jp")], roster)
    assert only(result) == ("ambiguous", "越境 一郎", ("a", "b"))


def test_name_parts_pointing_at_two_students_are_ambiguous() -> None:
    result = match_participants([person("越境 花子 (山里 太郎)")], ROSTER)
    assert only(result) == ("ambiguous", "越境 花子 (山里 太郎)", ("s1", "s2"))


def test_student_matched_twice_and_threshold() -> None:
    participants = [
        person("越境 花子", "hanako@example.jp", minutes=20),
        person("はなこ えっきょう", minutes=15),
        person("山里 太郎", minutes=10),
        person("Guest"),
    ]
    result = match_participants(participants, ROSTER, min_minutes=30)
    assert [(m.student_key, m.how) for m in result.matched] == [
        ("s1", "email"),
        ("s1", "name"),
        ("s2", "name"),
    ]
    assert list(result.multiple) == ["s1"]
    assert [p.name for p in result.multiple["s1"]] == ["越境 花子", "はなこ えっきょう"]
    assert result.seconds == {"s1": 35 * 60, "s2": 10 * 60}
    assert result.attended == ["s1"]
    assert result.below_threshold == ["s2"]
    assert [(u.participant.name, u.reason) for u in result.unmatched] == [("Guest", "no_match")]


def test_default_threshold_counts_everyone_matched() -> None:
    result = match_participants([person("山里 太郎", minutes=0)], ROSTER)
    assert result.attended == ["s2"]


def test_report_to_matching_end_to_end() -> None:
    report = parse_attendance_report(teams_bytes(TEAMS_EN), "report.csv")
    result = match_participants(report.participants, ROSTER, min_minutes=10)
    assert [(m.participant.name, m.student_key, m.how) for m in result.matched] == [
        ("越境 花子", "s1", "name")  # school address is not on the roster: name
    ]
    assert [(u.participant.name, u.reason) for u in result.unmatched] == [
        ("北 先生", "organizer"),
        ("ゲスト 参加者", "no_match"),
    ]
    assert result.attended == ["s1"]


# Small alphabets so that names and emails collide often.
_names = st.sampled_from(
    ["越境 花子", "佐藤 花子", "花子 佐藤", "山里", "Taro Yama", "たろう やま", ""]
)
_emails = st.sampled_from(["", "a@x.jp", "B@x.jp", "c@x.jp"])
_roster_entries = st.builds(
    RosterEntry,
    student_key=st.sampled_from(["k1", "k2", "k3", "k4", "k5"]),
    family_name=st.sampled_from(["越境", "佐藤", "山里", ""]),
    given_name=st.sampled_from(["花子", "太郎", ""]),
    family_name_kana=st.sampled_from(["やま", "さとう", ""]),
    given_name_kana=st.sampled_from(["たろう", "はなこ", ""]),
    romanized_name=st.sampled_from(["Taro Yama", "Hanako Sato", ""]),
    emails=st.lists(_emails, max_size=2).map(tuple),
)
_participants = st.builds(
    Participant,
    name=_names,
    email=_emails.map(str.lower),
    seconds=st.integers(0, 7200),
    rows=st.just((2,)),
    names=st.lists(_names, max_size=2).map(tuple),
    organizer=st.booleans(),
)


@given(
    st.lists(_participants, max_size=8, unique=True),
    st.lists(_roster_entries, max_size=6, unique_by=lambda e: e.student_key),
    st.integers(0, 120),
)
@settings(max_examples=400, deadline=None)
def test_matching_invariants(
    participants: list[Participant], roster: list[RosterEntry], min_minutes: int
) -> None:
    result = match_participants(participants, roster, min_minutes=min_minutes)
    keys = {e.student_key for e in roster}
    matched = [m.participant for m in result.matched]
    unmatched = [u.participant for u in result.unmatched]
    # Every participant lands exactly once, in one of the two lists.
    assert sorted(map(repr, matched + unmatched)) == sorted(map(repr, participants))
    # ... so none is assigned to two students.
    assert len(matched) == len(set(map(repr, matched)))
    assert all(m.student_key in keys for m in result.matched)
    for u in result.unmatched:
        if u.reason == "ambiguous":
            assert len(result.candidates[u.participant]) >= 2
            assert set(result.candidates[u.participant]) <= keys
    assert set(result.candidates) == {
        u.participant for u in result.unmatched if u.reason == "ambiguous"
    }
    matched_keys = {m.student_key for m in result.matched}
    assert set(result.attended) | set(result.below_threshold) == matched_keys
    assert not set(result.attended) & set(result.below_threshold)
    for key in result.attended:
        assert result.seconds[key] >= min_minutes * 60
    assert all(len(group) >= 2 for group in result.multiple.values())


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["越境 花子", "越境　花子", "山里 太郎", "Hanako"]),
            st.sampled_from(["", "a@x.jp", "A@X.jp"]),
            st.integers(0, 300),
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=200, deadline=None)
def test_parsing_keeps_every_minute(rows: list[tuple[str, str, int]]) -> None:
    data = csv_text([["氏名", "メール", "分"], *[[n, e, str(m)] for n, e, m in rows]]).encode()
    report = parse_attendance_report(data, "x.csv")
    assert report.ok
    assert sum(p.seconds for p in report.participants) == sum(m for _, _, m in rows) * 60
    assert sorted(r for p in report.participants for r in p.rows) == list(range(2, len(rows) + 2))
    emails = [p.email for p in report.participants if p.email]
    assert len(emails) == len(set(emails))


def test_table_problems_are_located_in_the_whole_file() -> None:
    rows = [
        *ZOOM_MEETING_HEADER,
        ["Name (Original Name)", "User Email", "Duration (Minutes)"],
        ["越境 花子", "", "20"],
        ["山里 太郎", "", "15", "stray"],
    ]
    report = parse_attendance_report(csv_text(rows).encode(), "p.csv")
    [problem] = report.problems
    assert (problem.code, problem.row) == ("table.extra_cells", 6)
    assert problem.render().startswith("Row 6 has values in column(s) D")
    assert "row 4" in problem.render()
    assert [p.name for p in report.participants] == ["越境 花子", "山里 太郎"]
