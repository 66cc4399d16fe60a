"""schemathesis against the live server, once per kind of token: 0 failures.

The CLI runs with ``--checks all`` (every built-in check, including the
stateful ones the Python API leaves to the runner) against the published
schema, for a consortium token, a town token, a token with one scope, and
no token at all. A small world is seeded first so that positive data finds
real programmes and sessions. Examples per operation are few (the run is
bounded to about a minute per role on two cores).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ekkyo.api.models import Scope

from ..factories import build_world
from .conftest import ALL_SCOPES, make_token

pytestmark = pytest.mark.django_db(transaction=True)

# A residence's end before its start, and a host town that is not the
# token's, are refused with 422: rules across fields and rows that JSON
# Schema cannot state, so valid-looking data may meet them.
CONFIG = """
[[operations]]
include-path = "/api/v1/residences"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""
ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = os.environ.get("EKKYO_SCHEMATHESIS_EXAMPLES", "10")


@pytest.mark.skipif(not ST.exists(), reason="schemathesis is not installed")
@pytest.mark.parametrize("role", ["consortium", "town", "few-scopes", "no-token"])
def test_schemathesis_finds_nothing(role: str, live_server: object, tmp_path: Path) -> None:
    world = build_world()
    a = world.a
    secret = {
        "consortium": lambda: make_token(a.consortium.pk, None, ALL_SCOPES, "st-consortium"),
        "town": lambda: make_token(a.consortium.pk, a.municipality.pk, ALL_SCOPES, "st-town"),
        "few-scopes": lambda: make_token(a.consortium.pk, None, [Scope.PROGRAMMES_READ], "st-few"),
        "no-token": lambda: "",
    }[role]()
    url = f"{live_server.url}/api/v1/openapi.json"  # type: ignore[attr-defined]
    cmd = [
        str(ST),
        "run",
        url,
        "--checks",
        "all",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        "1",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
    ]
    # The token through schemathesis's own auth (not -H), so that its
    # "missing Authorization" cases really go without it.
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG + (f'\n[auth.openapi.TokenAuth]\nbearer = "{secret}"\n' if secret else "")
    )
    cmd[1:1] = ["--config-file", str(config)]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(  # noqa: S603 — our own command line
        cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env, check=False
    )
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
