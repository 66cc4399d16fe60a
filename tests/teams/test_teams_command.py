"""`ekkyo teams` as a management command (the core is tested in tests/core/test_teams.py)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _students(n: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"s{i}",
            "school": f"S{i % 4}",
            "municipality": f"M{i % 4}",
            "prefecture": f"P{i % 2}",
            "grade": "M2" if i % 3 else "M1",
            "gender": "F" if i % 2 else "M",
            "interests": ["sea", "rice"] if i % 2 else ["rice"],
        }
        for i in range(n)
    ]


def test_teams_command_writes_teams_and_scores(tmp_path: Path) -> None:
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(
        json.dumps(
            {"students": _students(12), "require": [["s0", "s5"]], "prevent": [["s1", "s2"]]}
        )
    )
    call_command(
        "teams",
        "--input", str(src),
        "--output", str(out),
        "--team-size", "4",
        "--method", "heuristic",
        "--time-limit", "2",
        "--weight-regions", "5",
        stdout=StringIO(),
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert sorted(sid for team in result["teams"] for sid in team) == sorted(
        f"s{i}" for i in range(12)
    )
    assert [len(team) for team in result["teams"]] == [4, 4, 4]
    team_of = {sid: t for t, team in enumerate(result["teams"]) for sid in team}
    assert team_of["s0"] == team_of["s5"] and team_of["s1"] != team_of["s2"]
    assert result["min_score"] == min(result["team_scores"])
    assert 0 < result["harmonic_mean"] <= 100
    assert result["bound"] >= result["min_score"]
    assert result["method"] == "heuristic"
    assert result["violations"] == []


def test_teams_command_writes_to_stdout(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"students": _students(6)}))
    out = StringIO()
    call_command(
        "teams", "--input", str(src), "--output", "-", "--team-size", "3", "--time-limit", "5",
        stdout=out,
    )  # fmt: skip
    result = json.loads(out.getvalue())
    assert result["optimal"] is True and result["method"] == "exact"


@pytest.mark.parametrize(
    ("data", "size", "message"),
    [
        ({"students": [{"id": "a"}]}, "2", r"students\[0\]\.school: missing"),
        (
            {
                "students": [s for s in _students(4) if s["id"] != "s3"]
                + [{**_students(4)[3], "grade": None}]
            },
            "2",
            r"students\[3\]\.grade: missing",
        ),
        ({"students": _students(3) + _students(1)}, "2", r"students\[3\]\.id: duplicate id s0"),
        ({"students": _students(4), "prevent": [["s0", "zz"]]}, "2", r"prevent\[0\]\[1\]: unknown"),
        ({"students": _students(4)}, "1", "team_size: must be at least 2"),
        ({"students": _students(4)}, "5", "team_size: 5 is more than the 4 students"),
    ],
)
def test_teams_command_rejects_malformed_input(
    tmp_path: Path, data: dict[str, object], size: str, message: str
) -> None:
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps(data))
    with pytest.raises(CommandError, match=message) as excinfo:
        call_command("teams", "--input", str(src), "--output", str(out), "--team-size", size)
    assert excinfo.value.returncode == 2
    assert not out.exists()


def test_teams_command_rejects_bad_json(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("teams", "--input", str(src), "--output", "-", "--team-size", "2")
