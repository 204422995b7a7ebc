#!/usr/bin/env python
"""Review-queue benchmark: 1,000,000 applications on PostgreSQL, 20 concurrent users.

    DATABASE_URL=postgres://…/bench_reminders .venv/bin/python bench/review_queue.py

Uses the data set of bench/reminders.py (run it first on the same database: 1,000,000 applications
across six townships of two counties). Starts gunicorn on loopback (4 workers, like production),
signs a county reviewer in, and has BENCH_USERS threads (20) walk the queue for BENCH_SECONDS (30):
the first page in each order, with filters, and the following pages through the keyset links, as a
reviewer does, reading each page for about BENCH_THINK seconds (1; 0 for a stress test). Prints the median and 95th percentile page time, pages per second, and the queries
one page costs (counted in-process).
"""

import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from applications.models import Application  # noqa: E402

USERS = int(os.environ.get("BENCH_USERS", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
# A reviewer reads a page before the next click; 0 makes every user click as fast as pages come
# back (a stress test of the 2 cores shared by gunicorn, PostgreSQL and this load generator).
THINK = float(os.environ.get("BENCH_THINK", "1.0"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
QUERIES = [
    {},
    {"order": "waited"},
    {"order": "amount"},
    {"order": "newest"},
    {"status": "forwarded"},
    {"promise_status": "pending", "order": "due"},
    {"late": "on"},
    {"category": "dibao", "amount_min": "5000"},
    {"waited": "5", "order": "waited"},
]


def main() -> None:
    call_command("migrate", verbosity=0)
    total = Application.objects.count()
    reviewer = User.objects.get(username="reviewer_a")
    client = Client()
    client.force_login(reviewer)
    session = client.cookies["sessionid"].value
    with CaptureQueriesContext(connection) as queries:
        client.get("/applications/")
    print(
        f"database: {connection.vendor}, applications: {total:,}; one queue page: "
        f"{len(queries.captured_queries)} queries"
    )
    env = dict(os.environ)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{PORT}/applications/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=2)  # redirects to login: the server is up
                break
            except Exception:
                time.sleep(0.2)
        samples: list[float] = []
        errors: list[str] = []
        stop = time.monotonic() + SECONDS

        def user(seed: int) -> None:
            rng = random.Random(seed)
            opener = urllib.request.build_opener()
            opener.addheaders = [("Cookie", f"sessionid={session}")]
            while time.monotonic() < stop:
                params = dict(rng.choice(QUERIES))
                for _ in range(rng.randint(1, 4)):  # a first page, then a few next pages
                    t0 = time.perf_counter()
                    try:
                        body = (
                            opener.open(f"{base}?{urlencode(params)}", timeout=30).read().decode()
                        )
                    except Exception as exc:
                        errors.append(str(exc))
                        break
                    samples.append((time.perf_counter() - t0) * 1000)
                    if THINK:
                        time.sleep(rng.uniform(0.5, 1.5) * THINK)
                    found = re.search(r'after=([^"&]+)" data-testid="next-page"', body)
                    if not found:
                        break
                    params["after"] = unquote(found.group(1))

        threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        samples.sort()
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(
            f"{USERS} users (think {THINK:g} s) for {elapsed:.0f} s: {len(samples):,} pages, {len(samples) / elapsed:.0f} pages/s, "
            f"p50 {statistics.median(samples):.0f} ms, p95 {p95:.0f} ms, max {samples[-1]:.0f} ms, "
            f"errors {len(errors)}"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
