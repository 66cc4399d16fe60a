"""A class signing in and saving at the same moment on SQLite: no page is a 500.

``make demo`` serves SQLite; under a dozen users it answered "database is
locked" as HTTP 500. This drives the live server (one thread per request, its
own database connection each) over real HTTP on 127.0.0.1: twenty students
sign in with one-time codes at once, then save their round application at
once. Only SQLite is checked here; PostgreSQL has its own concurrency tests.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from ekkyo.accounts.models import StudentSignInCode
from ekkyo.accounts.services import IssuedCode, student_code_issue
from ekkyo.allocation.models import Application
from ekkyo.audit.models import AuditEvent
from ekkyo.tenancy.principal import system_scope

from ..factories import build_world, student

STUDENTS = 20
TIMEOUT = 60  # seconds per request; the busy timeout (20 s) must answer first

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="checks SQLite's locking; PostgreSQL has row locks"
    ),
]

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the test looks at each 302 itself


@dataclass
class _Browser:
    """One student's cookie jar, talking to the live server only."""

    base: str
    opener: urllib.request.OpenerDirector = field(init=False)
    statuses: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
        )

    def send(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        assert self.base.startswith("http://127.0.0.1:")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                status, text, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
            location = error.headers.get("Location", "")
        self.statuses.append((f"{'POST' if body else 'GET'} {path}", status))
        return status, text, location

    def form(self, path: str) -> str:
        status, text, _ = self.send(path)
        assert status == 200, (path, status)
        return text


def _token(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def test_twenty_students_sign_in_and_save_at_once(live_server: Any) -> None:
    world = build_world()
    with system_scope(reason="arrange a class"):
        # Students of A's second town may apply to A's programme (not their own town).
        school_ = world.a2.school
        pupils = [
            student(school_, consortium=world.a.consortium, family="同時", given=f"生徒{i}")
            for i in range(STUDENTS)
        ]
        codes: list[IssuedCode] = [student_code_issue(student=p, issued_by=None) for p in pupils]
    # The live server listens on localhost; name the loopback address itself.
    base = f"http://127.0.0.1:{urllib.parse.urlsplit(live_server.url).port}"
    round_id, programme_id = world.a.round.pk, world.a.published.pk
    sign_in = reverse("student_sign_in")
    apply = reverse("programmes:apply", args=[round_id])
    home = reverse("home")
    start_sign_in = threading.Barrier(STUDENTS, timeout=TIMEOUT)
    start_save = threading.Barrier(STUDENTS, timeout=TIMEOUT)

    def one_student(issued: IssuedCode) -> _Browser:
        try:
            return steps(issued)
        except BaseException:  # let the others go on instead of waiting at a barrier
            start_sign_in.abort()
            start_save.abort()
            raise

    def steps(issued: IssuedCode) -> _Browser:
        browser = _Browser(base)
        token = _token(browser.form(sign_in))
        start_sign_in.wait()
        status, _, location = browser.send(
            sign_in,
            {"csrfmiddlewaretoken": token, "login_id": issued.login_id, "code": issued.code},
        )
        if status != 302 or location != home:
            start_save.abort()
            return browser
        page = browser.form(apply)
        found = _VERSION.search(page)
        try:
            start_save.wait()
        except threading.BrokenBarrierError:  # another sign-in failed: report, not hang
            return browser
        browser.send(
            apply,
            {
                "csrfmiddlewaretoken": _token(page),
                "version": found.group(1) if found else "0",
                "choice_1": str(programme_id),
                "action": "save",
            },
        )
        return browser

    with ThreadPoolExecutor(max_workers=STUDENTS) as pool:
        browsers = list(pool.map(one_student, codes, timeout=4 * TIMEOUT))

    errors = [s for b in browsers for s in b.statuses if s[1] >= 500]
    assert not errors, f"{len(errors)} server errors: {errors}"
    for b in browsers:
        assert [s for _path, s in b.statuses] == [200, 302, 200, 302], b.statuses
    with system_scope(reason="assert"):
        assert StudentSignInCode.objects.filter(
            student__in=pupils, used_at__isnull=False
        ).count() == len(pupils)
        saved = Application._unscoped.filter(round_id=round_id, student__in=pupils)
        assert saved.count() == len(pupils)
        assert all(a.choices.get().programme_id == programme_id for a in saved)
        users = [p.user_id for p in pupils]  # student_code_issue gave each a user
        signed_in = AuditEvent.objects.filter(action="student.sign_in", actor_id__in=users)
        assert signed_in.count() == len(pupils)
        assert AuditEvent.objects.filter(
            action="application.save", actor_id__in=users
        ).count() == len(pupils)
