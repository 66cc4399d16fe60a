"""Load benchmark of the KPI dashboards against a running production server.

Start the server first (gunicorn on PostgreSQL, production settings), e.g.:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ekkyo_bench
    export EKKYO_ENV=production SECRET_KEY=bench ALLOWED_HOSTS=127.0.0.1
    .venv/bin/ekkyo collectstatic --noinput
    .venv/bin/gunicorn ekkyo.wsgi -w 4 -b 127.0.0.1:8100 &

then run, with the same environment (the script signs a demo secretariat
user in by writing a session, as the sign-in page would after the second
factor; it reads the database only to find the user and the URLs):

    .venv/bin/python bench/bench_dashboard_load.py --base http://127.0.0.1:8100 \\
        --users 20 --seconds 30 --runs 3

Each run drives ``--users`` concurrent connections in closed loop (no think
time: a harder load than 20 people reading pages) for ``--seconds`` against,
in one go: a trivial page served by the same server (``/healthz``, through
the same middleware: session, user, principal) and every dashboard
(consortium, a member, a school, a programme) in turn. The load comes from
``wrk`` (Debian package ``wrk``) when it is installed — C, so the load
generator takes little of the two cores from the server — else from Python
threads (``--driver python``). Closed loop is the harshest case: 20
requests always in flight, where 20 people reading dashboards would leave the
server idle most of the time. Prints p50, p95 and requests per second per
target, per run, and the median of the runs. The first request of each URL
(cache fill) is made before timing starts and reported apart.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _session_cookie() -> tuple[str, dict[str, str]]:
    """A signed-in session for a demo secretariat user, and the dashboards' URLs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekkyo.settings")
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from ekkyo.accounts.models import Membership
    from ekkyo.programmes.models import Programme
    from ekkyo.registry.models import School
    from ekkyo.registry.selectors import current_fiscal_year
    from ekkyo.tenancy.principal import system_scope

    with system_scope(reason="load benchmark"):
        m = Membership.objects.filter(role="consortium_admin").select_related("user").first()
        if m is None:
            raise SystemExit("no consortium admin: run `ekkyo seed-demo` first")
        user = m.user
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        fy = current_fiscal_year()
        member = m.consortium.members.filter(municipality__isnull=False).first()
        school = School.objects.filter(municipality=member.municipality).first()
        prog = Programme.objects.filter(consortium=m.consortium, kind="online").first()
        urls = {
            "trivial": "/healthz",
            "consortium": f"/kpis/{fy}/dashboard/",
            "member": f"/kpis/{fy}/dashboard/member/{member.municipality.code}/",
            "school": f"/kpis/{fy}/dashboard/school/{school.code}/",
            "programme": f"/kpis/{fy}/dashboard/programme/{prog.pk}/",
        }
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}", urls


def _client(
    base: str, path: str, cookie: str, stop: float, out: list[float], errors: list[str]
) -> None:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Cookie": cookie, "X-Forwarded-Proto": "https", "Accept-Language": "ja"}
    while time.perf_counter() < stop:
        t = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            continue
        out.append(time.perf_counter() - t)
        if r.status != 200:
            errors.append(f"{path}: HTTP {r.status}")
    conn.close()


def _load(base: str, path: str, cookie: str, users: int, seconds: float) -> dict[str, float]:
    stop = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(users)]
    errors: list[str] = []
    threads = [
        threading.Thread(target=_client, args=(base, path, cookie, stop, latencies[i], errors))
        for i in range(users)
    ]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - start
    flat = sorted(x for lst in latencies for x in lst)
    if errors:
        print(f"  {path}: {len(errors)} errors, e.g. {errors[0]}", file=sys.stderr)
    return {
        "n": len(flat),
        "p50": statistics.median(flat) * 1000,
        "p95": flat[int(0.95 * (len(flat) - 1))] * 1000,
        "rps": len(flat) / elapsed,
        "errors": len(errors),
    }


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.3f %.3f %d %d\\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.duration,
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _load_wrk(base: str, path: str, cookie: str, users: int, seconds: float) -> dict[str, float]:
    import shutil
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    wrk = shutil.which("wrk") or "wrk"
    out = subprocess.run(  # noqa: S603 — our own arguments
        [
            wrk, "-t2", f"-c{users}", f"-d{int(seconds)}s", "-s", f.name,
            "-H", f"Cookie: {cookie}", "-H", "X-Forwarded-Proto: https",
            "-H", "Accept-Language: ja", base + path,
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    n, p50, p95, micros, errors = line.split()[1:]
    return {
        "n": float(n),
        "p50": float(p50),
        "p95": float(p95),
        "rps": float(n) / (int(micros) / 1e6),
        "errors": float(errors),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default="http://127.0.0.1:8100")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--driver", choices=["wrk", "python"], default=None)
    args = ap.parse_args()
    import shutil

    driver = args.driver or ("wrk" if shutil.which("wrk") else "python")
    load = _load_wrk if driver == "wrk" else _load
    print(f"load from {driver}")
    cookie, urls = _session_cookie()
    parts = urlsplit(args.base)
    for name, path in urls.items():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        t = time.perf_counter()
        conn.request(
            "GET",
            path,
            headers={"Cookie": cookie, "X-Forwarded-Proto": "https", "Accept-Language": "ja"},
        )
        r = conn.getresponse()
        size = len(r.read())
        print(f"first request {name:14s} {path}: HTTP {r.status}, {size} bytes, "
              f"{(time.perf_counter() - t) * 1000:.0f} ms")  # fmt: skip
    results: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    for run in range(args.runs):
        for name, path in urls.items():
            res = load(args.base, path, cookie, args.users, args.seconds)
            results[name].append(res)
            print(
                f"run {run + 1} {name:14s} n={res['n']:6.0f} p50={res['p50']:7.1f} ms "
                f"p95={res['p95']:7.1f} ms {res['rps']:6.1f} req/s errors={res['errors']:.0f}"
            )
    print(
        f"\nmedian of {args.runs} runs, {args.users} concurrent connections in closed loop, "
        f"{args.seconds:.0f} s each"
    )
    print("| page | p50 (ms) | p95 (ms) | requests/s |")
    print("| --- | --- | --- | --- |")
    for name, runs in results.items():
        p50 = statistics.median(r["p50"] for r in runs)
        p95 = statistics.median(r["p95"] for r in runs)
        rps = statistics.median(r["rps"] for r in runs)
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {rps:.1f} |")


if __name__ == "__main__":
    main()
