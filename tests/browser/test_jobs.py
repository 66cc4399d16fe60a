"""In a real browser, with a real worker process: a large roster import runs
on the database queue and its progress page follows it to the end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from ekkyo.jobs.models import Job, JobStatus
from ekkyo.people.models import Student
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, build_world
from .test_browser import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ROWS = 3000
HEADER = "学籍番号,姓,名,姓（かな）,名（かな）,学年,生年月日,住所地の市区町村コード"


@pytest.fixture
def live_world(live_server: Any) -> World:
    return build_world()


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user, host, port = s["USER"] or "postgres", s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


@pytest.fixture
def worker(settings: Any) -> Any:
    """The database backend, and ``ekkyo worker`` as its own process on the
    live server's database (stopped after the test)."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": str(ROOT),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ekkyo", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_a_large_import_runs_on_the_queue_and_its_page_follows_it(
    page: Any, live_server: Any, live_world: World, worker: Any
) -> None:
    base = live_server.url
    _sign_in(page, base, live_world.a.users[Role.SCHOOL_STAFF].email)
    home = live_world.a.municipality.code
    lines = [HEADER] + [
        f"Q{n:05d},山田,太郎,やまだ,たろう,{1 + n % 3},2012-05-0{1 + n % 9},{home}"
        for n in range(ROWS)
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    page.goto(f"{base}/people/roster/import/")
    page.set_input_files(
        "input[type=file]", files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.click("main form button[type=submit]")
    page.wait_for_url("**/people/roster/import/*/")
    started = time.monotonic()
    page.click("button[value=apply]")
    page.wait_for_url("**/jobs/*/")
    # The request answered with the job page; the worker process does the work
    # and the page (polling its status) reloads when it is done.
    page.wait_for_selector("#job-done", timeout=120_000)
    elapsed = time.monotonic() - started
    assert page.locator("#job-percent").inner_text() == "100 %"
    assert page.locator("#job-rows").inner_text() == f"{ROWS} / {ROWS}"
    assert page.locator("#job-status").get_attribute("data-status") == "done"
    with system_scope(reason="assert"):
        job = Job._unscoped.get(kind="roster.apply", params__import_id__gt=0)
        assert job.status == JobStatus.DONE and job.task_id
        assert Student._unscoped.filter(student_number__startswith="Q").count() == ROWS
    print(f"\n{ROWS}-row import through the queue: {elapsed:.1f} s to done on the page")
    assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
