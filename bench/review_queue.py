#!/usr/bin/env python
"""Review-queue benchmark: 1,000,000 applications on PostgreSQL, 20 concurrent users.

    DATABASE_URL=postgres://…/bench_reminders .venv/bin/python bench/review_queue.py

Uses the data set of bench/reminders.py (seeded when the database holds fewer than
BENCH_APPLICATIONS, default 1,000,000): applications across six townships of two counties, every
open case with the due date of its step, so that every order pages. Starts gunicorn on loopback
(4 workers, like production), signs a county reviewer in, and has BENCH_USERS threads (20) walk
the queue for BENCH_SECONDS (30): the first page in each order, with filters, and the following
pages through the keyset links, as a reviewer does, reading each page for about BENCH_THINK seconds
(1; 0 for a stress test). Each user walks the floor in turn with the portal (``bench/queue_floor.py``:
a keyset SELECT of 50 rows in a minimal template, same server, same middleware), so that the two
are measured under the same load, and the ratio is printed. Persistent connections, as in
production. Prints the median and 95th percentile page time, pages per second, and the queries one
page costs (counted in-process).
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
os.environ.setdefault("CONN_MAX_AGE", "600")  # production keeps connections

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from figures import by_thirds, spread  # noqa: E402

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
    if Application.objects.count() < int(os.environ.get("BENCH_APPLICATIONS", "1000000")):
        import reminders  # the same data set, seeded when short

        reminders.seed()
    total = Application.objects.count()
    dated = Application.objects.exclude(status="paid").filter(step_due_on__isnull=False).count()
    print(f"open cases with their step's due date: {dated:,}")
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
            "bench.queue_floor:application",  # the portal, plus the floor at /floor/queue/
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
    floor_base = f"http://127.0.0.1:{PORT}/floor/queue/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=2)  # redirects to login: the server is up
                break
            except Exception:
                time.sleep(0.2)

        def walk() -> tuple[dict[str, list[float]], list[str], float]:
            """Each user walks the portal's queue (a first page, then a few next pages), then
            the floor's, in turn, until the time is up: the two are measured side by side under
            the same load and the same state of the machine (a portal run and then a floor run,
            20 s each, had moved the ratio between 3.6x and 4.9x from one run to the next)."""
            samples: dict[str, list[float]] = {"portal": [], "floor": []}
            errors: list[str] = []
            stop = time.monotonic() + SECONDS

            def pages(
                opener: urllib.request.OpenerDirector,
                rng: random.Random,
                label: str,
                url: str,
                params: dict[str, str],
            ) -> None:
                for _ in range(rng.randint(1, 4)):  # a first page, then a few next pages
                    t0 = time.perf_counter()
                    try:
                        body = opener.open(f"{url}?{urlencode(params)}", timeout=30).read()
                    except Exception as exc:
                        errors.append(str(exc))
                        return
                    samples[label].append((time.perf_counter() - t0) * 1000)
                    if THINK:
                        time.sleep(rng.uniform(0.5, 1.5) * THINK)
                    found = re.search(r'after=([^"&]+)" data-testid="next-page"', body.decode())
                    if not found:
                        return
                    params["after"] = unquote(found.group(1))
                    pages_followed[label] += 1

            def user(seed: int) -> None:
                rng = random.Random(seed)
                opener = urllib.request.build_opener()
                opener.addheaders = [("Cookie", f"sessionid={session}")]
                # Reviewers do not all click at the same instant: each starts within the first
                # think time. Started together, the 20 first clicks queued behind each other and
                # made the run's p95 by themselves (20 of 400 pages).
                if THINK:
                    time.sleep(rng.uniform(0, THINK))
                while time.monotonic() < stop:
                    pages(opener, rng, "portal", base, dict(rng.choice(QUERIES)))
                    pages(opener, rng, "floor", floor_base, {})

            threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            # the p95 ratio in each third of the run, in the order pages came back: the spread
            rounds.extend(by_thirds(samples["portal"], samples["floor"]))
            for taken in samples.values():
                taken.sort()
            return samples, errors, time.perf_counter() - t0

        def report(label: str, samples: list[float], elapsed: float) -> float:
            p95 = samples[int(len(samples) * 0.95) - 1]
            print(
                f"{label:6}: {len(samples):,} pages, {len(samples) / elapsed:.0f} pages/s, "
                f"p50 {statistics.median(samples):.0f} ms, p95 {p95:.0f} ms, "
                f"max {samples[-1]:.0f} ms, next pages followed {pages_followed[label]:,}"
            )
            return p95

        # a first page of each order and of the floor, not timed: on a freshly started server the
        # portal's first pages had read their rows from the disk (4.3x against 3.6-3.9x warm)
        warm = urllib.request.build_opener()
        warm.addheaders = [("Cookie", f"sessionid={session}")]
        for params in [*QUERIES, None]:
            url = floor_base if params is None else f"{base}?{urlencode(params)}"
            warm.open(url, timeout=30).read()
        pages_followed = {"portal": 0, "floor": 0}
        rounds: list[float] = []
        samples, errors, elapsed = walk()
        print(
            f"{USERS} users (think {THINK:g} s) for {elapsed:.0f} s, each walking the portal's "
            f"queue and the floor's in turn; errors {len(errors)}"
        )
        portal = report("portal", samples["portal"], elapsed)
        floor = report("floor", samples["floor"], elapsed)
        print(f"portal ÷ floor (p95): {portal / floor:.1f}x")
        print(
            f"ROW|review queue, gunicorn, {USERS} users reading, p95|{portal:.0f} ms|{floor:.0f} ms|"
            f"{portal / floor:.1f}|{spread(rounds)}"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
