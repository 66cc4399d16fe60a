"""Configuration: production mode passes Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    full.update(env)
    return subprocess.run(  # noqa: S603 — our own CLI with fixed arguments
        [sys.executable, "-m", "ekkyo", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_in_production_mode() -> None:
    result = _run(
        {
            "EKKYO_ENV": "production",
            "SECRET_KEY": "k" * 30 + "-Production-Only-" + "z" * 20,
            "ALLOWED_HOSTS": "ekkyo.example.jp",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _run({"EKKYO_ENV": "production", "SECRET_KEY": ""}, "check")
    assert result.returncode != 0
