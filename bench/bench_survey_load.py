"""Load benchmark: 1,000 students submitting a survey within one minute.

Against a production server (gunicorn, 2 workers × 4 threads) on PostgreSQL,
on this machine only (127.0.0.1). Every student sends once; 10 % resend the
same submission (a flaky tablet), which must not duplicate. Reports p50, p95
and p99 latency and checks: none lost, none duplicated.

Run (needs the local PostgreSQL server):
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/ekkyo_bench \\
      .venv/bin/python bench/bench_survey_load.py [--students 1000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = 8765 + 100


def setup(students: int) -> tuple[list[str], int, dict[str, int]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekkyo.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from ekkyo.people.models import Student
    from ekkyo.registry.models import Consortium, Member, Municipality, Prefecture, School
    from ekkyo.surveys.models import InstrumentVersion, Response, Wave
    from ekkyo.surveys.services import instruments_ensure, student_token, tokens_ensure
    from ekkyo.tenancy.principal import system_scope

    with system_scope(reason="load benchmark setup"):
        instruments_ensure()
        Wave.objects.filter(title="load-bench").delete()
        consortium, _ = Consortium.objects.get_or_create(
            slug="load-bench", defaults={"name": "bench"}
        )
        muni, _ = Municipality.objects.get_or_create(
            code="069015",
            defaults={"prefecture": Prefecture.objects.get(code="06"), "name": "bench"},
        )
        Member.objects.get_or_create(consortium=consortium, municipality=muni, first_fy=2025)
        school, _ = School.objects.get_or_create(
            code="C106290000019", defaults={"kind": "C1", "name": "bench", "municipality": muni}
        )
        have = Student._unscoped.filter(school=school).count()
        Student._unscoped.bulk_create(
            [
                Student(
                    consortium=consortium, school=school, student_number=f"L{i:05d}",
                    family_name="負荷", given_name=f"{i}", family_name_kana="ふか",
                    given_name_kana="てすと", grade=1 + i % 3,
                )
                for i in range(have, students)
            ]
        )  # fmt: skip
        now = timezone.now()
        wave = Wave.objects.create(
            consortium=consortium, instrument=InstrumentVersion.objects.get(code="ekkyo-student"),
            title="load-bench", kind="annual", mode="linked", fiscal_year=2026,
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=2),
        )  # fmt: skip
        wave.schools.add(school)
        tokens = [t for _s, t in tokens_ensure(wave)][:students]
        inst = wave.instrument.parsed()
        scales = {s.code: s for s in inst.scales}
        answers = {i.code: scales[i.scale].max for i in inst.items}
        assert not Response._unscoped.filter(wave=wave).exists()
        del student_token
    return tokens, wave.pk, answers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--concurrency", type=int, default=40)
    args = ap.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (see the docstring)")
    tokens, wave_id, answers = setup(args.students)
    env = {
        **os.environ,
        "EKKYO_ENV": "production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-" + "k" * 50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
    }
    subprocess.run(
        [sys.executable, "-m", "ekkyo", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    server = subprocess.Popen(  # noqa: S603 — our own server on loopback
        [sys.executable, "-m", "gunicorn", "ekkyo.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", "2", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        rng = random.Random(7)
        jobs = []
        start = time.monotonic()
        for i, token in enumerate(tokens):
            body = json.dumps({"client_id": str(uuid.uuid4()), "answers": answers}).encode()
            due = start + args.seconds * i / len(tokens)
            jobs.append((due, token, body))
            if rng.random() < 0.10:
                jobs.append((due + rng.uniform(0.5, 5), token, body))  # the same submission again
        jobs.sort()

        def send(job: tuple[float, str, bytes]) -> None:
            due, token, body = job
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for attempt in range(5):
                req = urllib.request.Request(
                    f"http://127.0.0.1:{PORT}/s/{token}/submit",
                    data=body, headers={"Content-Type": "application/json", "Host": "127.0.0.1"},
                )  # fmt: skip
                t0 = time.perf_counter()
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                        code = resp.status
                except urllib.error.HTTPError as err:
                    code = err.code
                except OSError:  # refused, reset or timed out: try again
                    code = 0
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    statuses[code] = statuses.get(code, 0) + 1
                if code in (200, 201):
                    return
                time.sleep(0.5 * (attempt + 1))

        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            list(pool.map(send, jobs))
        total = time.monotonic() - start
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    from ekkyo.surveys.models import Response

    stored = Response._unscoped.filter(wave_id=wave_id)
    distinct = stored.values("respondent").distinct().count()
    q = statistics.quantiles(latencies, n=100)
    resends = len(jobs) - len(tokens)
    print(f"{len(tokens)} students, {len(jobs)} requests ({resends} resends) in {total:.1f} s")
    print(f"status counts: {dict(sorted(statuses.items()))}")
    p50, p95, p99 = (q[i] * 1000 for i in (49, 94, 98))
    print(f"latency p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms")
    verdict = (
        "none lost, none duplicated" if stored.count() == distinct == len(tokens) else "MISMATCH"
    )
    print(f"stored {stored.count()} responses, {distinct} distinct students: {verdict}")


if __name__ == "__main__":
    main()
