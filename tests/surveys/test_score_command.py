"""`ekkyo survey score` on the default instrument and a generated responses file."""

from __future__ import annotations

import json
import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ekkyo.core.instrument import default_instrument_path, load_instrument


def _write_responses(path: Path, n: int = 60, *, encoding: str = "utf-8-sig") -> list[str]:
    inst = load_instrument(default_instrument_path("student-2026"))
    scales = {s.code: s for s in inst.scales}
    rng = random.Random(3)
    codes = [i.code for i in inst.items]
    lines = [",".join(["respondent", *codes])]
    for r in range(n):
        trait = rng.gauss(0, 1)
        row = [f"r{r:03d}"]
        for item in inst.items:
            s = scales[item.scale]
            mid = (s.min + s.max) / 2
            x = mid + trait * (s.max - s.min) / 4 * (-1 if item.reverse else 1) + rng.gauss(0, 0.6)
            row.append("" if rng.random() < 0.03 else str(int(min(s.max, max(s.min, round(x))))))
        lines.append(",".join(row))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return codes


def test_score_writes_every_construct(tmp_path: Path) -> None:
    responses = tmp_path / "r.csv"
    _write_responses(responses)
    out = tmp_path / "s.json"
    call_command(
        "survey",
        "score",
        "--instrument",
        str(default_instrument_path("student-2026")),
        "--responses",
        str(responses),
        "--output",
        str(out),
        "--bootstrap",
        "50",
        stdout=StringIO(),
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    constructs = result["constructs"]
    assert {"comp_shutaisei", "env_region", "wellbeing"} <= set(constructs)
    for code, stats in constructs.items():
        for key in ("n", "mean", "sd", "alpha", "omega"):
            assert key in stats, (code, key)
    assert constructs["comp_kyodosei"]["alpha"] > 0.5  # generated from one trait
    assert 0 <= constructs["comp_kyodosei"]["share_at_or_above"] <= 1


def test_bad_responses_name_row_and_column(tmp_path: Path) -> None:
    responses = tmp_path / "r.csv"
    codes = _write_responses(responses, n=5, encoding="cp932")
    text = responses.read_bytes().decode("cp932").splitlines()
    cells = text[3].split(",")
    cells[2] = "9"
    text[3] = ",".join(cells)
    responses.write_bytes("\r\n".join(text).encode("cp932"))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "survey",
            "score",
            "--instrument",
            str(default_instrument_path("student-2026")),
            "--responses",
            str(responses),
            "--output",
            str(tmp_path / "s.json"),
            stderr=err,
        )
    assert f"row 4, {codes[1]}" in err.getvalue()
    assert not (tmp_path / "s.json").exists()
