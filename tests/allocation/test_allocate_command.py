"""`ekkyo allocate` as a management command (the core is tested in tests/core)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_allocate_command_writes_every_student(tmp_path: Path) -> None:
    problem = {
        "programs": [{"id": "p1", "capacity": 1, "ranking": ["s2", "s1"]}],
        "students": [{"id": "s1", "preferences": ["p1"]}, {"id": "s2", "preferences": ["p1"]}],
    }
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps(problem))
    call_command("allocate", "--input", str(src), "--output", str(out), stdout=StringIO())
    assert json.loads(out.read_text())["assignment"] == {"s1": None, "s2": "p1"}


def test_allocate_command_names_the_bad_entry(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"programs": [], "students": [{"id": "s1", "preferences": ["p9"]}]}))
    with pytest.raises(CommandError, match="p9"):
        call_command("allocate", "--input", str(src), "--output", str(tmp_path / "o.json"))
