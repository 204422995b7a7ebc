#!/usr/bin/env python
"""Status-page benchmark: lookups per second, beside the floor of the same lookup.

    DATABASE_URL=postgres://…/bench_reminders .venv/bin/python bench/status_page.py
    BENCH_APPLICATIONS=200000 DATABASE_URL=… .venv/bin/python bench/status_page.py

Uses the data set of bench/reminders.py (seeded first when the database holds fewer applications
than BENCH_APPLICATIONS, default 1,000,000). Posts BENCH_LOOKUPS (2,000) lookups of random
applications (number + the ID's last 6, as an applicant does) through the whole stack in-process
(rate limits, the audit row for each successful lookup, the timeline, the signed cookie), each
followed at once by the same lookup of the floor (``bench/status_floor_urls.py``: the same
middleware, one SELECT, a minimal page), after a first pass of both that is not timed. Prints
lookups per second, p50 and p95 of each, the queries per lookup, and the ratio. Persistent
connections, as in production. The rate limits are raised for the run: one client address would
otherwise be stopped after 20 tries.
"""

import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ["STATUS_RATE_PER_ADDRESS"] = "100000000/m"
os.environ["STATUS_RATE_PER_NUMBER"] = "100000000/m"
os.environ.setdefault("CONN_MAX_AGE", "600")  # production keeps connections

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from figures import by_thirds, p95, spread  # noqa: E402

from applications.models import Application  # noqa: E402

LOOKUPS = int(os.environ.get("BENCH_LOOKUPS", "2000"))
PORT = int(os.environ.get("BENCH_PORT", "8766"))


def production_cache() -> str:
    """The cache production uses (Redis, shared by the workers: the status page's limits live in
    it): BENCH_CACHE_URL, or a database of the broker's Redis; none on a machine without Redis."""
    if os.environ.get("BENCH_CACHE_URL"):
        return os.environ["BENCH_CACHE_URL"]
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith("redis://"):
        return urlunsplit(urlsplit(broker)._replace(path="/3"))
    return ""


def over_http(cases: list[tuple[str, str]]) -> tuple[list[float], list[float], str]:
    """The same lookups through gunicorn (4 workers, as production) on loopback, with the
    production cache where there is one: each case asked of the portal, then of the floor."""
    cache = production_cache()
    env = {**os.environ, "CACHE_URL": cache or "locmemcache://"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "bench.status_floor_wsgi:application",
         "--bind", f"127.0.0.1:{PORT}", "--workers", "4", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PORT}"
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        for _ in range(150):
            try:
                form = opener.open(f"{base}/status/", timeout=2).read().decode()
                break
            except Exception:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not answer")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]

        def ask(url: str, number: str, id_number: str) -> float:
            data = urlencode(
                {"number": number, "id_tail": id_number[-6:], "csrfmiddlewaretoken": token}
            ).encode()
            t0 = time.perf_counter()
            with opener.open(url, data=data, timeout=30) as response:
                response.read()
                assert response.status == 200
            return (time.perf_counter() - t0) * 1000

        portal, floor = [], []
        for timed in (False, True):  # a first pass, not timed
            for number, id_number in cases:
                p = ask(f"{base}/status/", number, id_number)
                f = ask(f"{base}/status-floor/", number, id_number)
                if timed:
                    portal.append(p)
                    floor.append(f)
        return (
            portal,
            floor,
            "Redis" if cache.startswith("redis") else "in-process memory (no Redis here)",
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def main() -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import CaptureQueriesContext, override_settings

    call_command("migrate", verbosity=0)
    wanted = int(os.environ.get("BENCH_APPLICATIONS", "1000000"))
    if Application.objects.count() < wanted:
        import reminders  # the same data set

        reminders.seed()
    total = Application.objects.count()
    rng = random.Random(8)
    top = Application.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = [rng.randint(1, top) for _ in range(LOOKUPS * 2)]
    cases = list(
        Application.objects.filter(pk__in=ids)
        .exclude(status="draft")
        .values_list("number", "person__id_number")[:LOOKUPS]
    )
    client = Client()
    number, id_number = cases[0]
    page = client.post("/status/", {"number": number, "id_tail": id_number[-6:]}).content.decode()
    assert "status-steps" in page, "the lookup did not find the case"
    with CaptureQueriesContext(connection) as seen:
        client.post("/status/", {"number": number, "id_tail": id_number[-6:]})
    portal_queries = len(seen.captured_queries)

    def lookups() -> tuple[list[float], float, list[float], float]:
        """Each case asked of the portal, then at once of the floor: the two, taken in turn,
        see the same state of the machine and of the database's cache (the portal first and the
        floor after, each 1,000 lookups long, had moved the ratio by a fifth between runs)."""
        portal, floor, spent_portal, spent_floor = [], [], 0.0, 0.0
        for number, id_number in cases:
            data = {"number": number, "id_tail": id_number[-6:]}
            s0 = time.perf_counter()
            response = client.post("/status/", data)
            s1 = time.perf_counter()
            assert response.status_code == 200
            floor_response = client.post("/status-floor/", data)
            s2 = time.perf_counter()
            assert floor_response.status_code == 200
            portal.append((s1 - s0) * 1000)
            floor.append((s2 - s1) * 1000)
            spent_portal += s1 - s0
            spent_floor += s2 - s1
        return portal, spent_portal, floor, spent_floor

    # the floor's view mounted beside the portal's URLs (the same middleware)
    with override_settings(ROOT_URLCONF="bench.status_floor_urls"):
        lookups()  # a first pass, not timed: both read the same rows, from the cache after it
        portal, t_portal, floor, t_floor = lookups()
    print(
        f"database: {connection.vendor}, applications: {total:,}, "
        f"CONN_MAX_AGE {settings.DATABASES['default'].get('CONN_MAX_AGE')}\n"
        f"portal: {len(portal) / t_portal:.0f} lookups/s, p50 {statistics.median(portal):.2f} ms, "
        f"p95 {p95(portal):.2f} ms, {portal_queries} queries\n"
        f"floor:  {len(floor) / t_floor:.0f} lookups/s, p50 {statistics.median(floor):.2f} ms, "
        f"p95 {p95(floor):.2f} ms, 1 query\n"
        f"ratio (p95): {p95(portal) / p95(floor):.1f}x, (p50): "
        f"{statistics.median(portal) / statistics.median(floor):.1f}x"
    )
    print(
        f"ROW|status lookup, {total:,} applications, in-process, p95|{p95(portal):.1f} ms, "
        f"{portal_queries} queries|{p95(floor):.1f} ms, 1 query|{p95(portal) / p95(floor):.1f}|"
        f"{spread(by_thirds(portal, floor))}"
    )
    portal, floor, cache = over_http(cases)
    print(
        f"over HTTP (gunicorn, 4 workers, cache: {cache}): portal p50 {statistics.median(portal):.2f} ms, "
        f"p95 {p95(portal):.2f} ms; floor p50 {statistics.median(floor):.2f} ms, p95 {p95(floor):.2f} ms; "
        f"ratio (p95) {p95(portal) / p95(floor):.1f}x, rounds {spread(by_thirds(portal, floor))}"
    )
    print(
        f"ROW|status lookup, {total:,} applications, over HTTP (gunicorn, cache {cache.split(' ')[0]}), p95|"
        f"{p95(portal):.1f} ms|{p95(floor):.1f} ms|{p95(portal) / p95(floor):.1f}|"
        f"{spread(by_thirds(portal, floor))}"
    )


if __name__ == "__main__":
    main()
