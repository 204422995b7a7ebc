#!/usr/bin/env python
"""Status-page benchmark: lookups per second with 1,000,000 applications.

    DATABASE_URL=postgres://…/bench_reminders .venv/bin/python bench/status_page.py

Uses the data set of bench/reminders.py. Posts BENCH_LOOKUPS (2,000) lookups of random applications
(number + the ID's last 6, as an applicant does) through the whole stack in-process (rate limits,
session, the audit row for each successful lookup, the timeline) and prints lookups per second and
the median and 95th-percentile time. The rate limits are raised for the run: one client address
would otherwise be stopped after 20 tries.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ["STATUS_RATE_PER_ADDRESS"] = "100000000/m"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from applications.models import Application  # noqa: E402

LOOKUPS = int(os.environ.get("BENCH_LOOKUPS", "2000"))


def main() -> None:
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
    samples = []
    t0 = time.perf_counter()
    for number, id_number in cases:
        s0 = time.perf_counter()
        response = client.post("/status/", {"number": number, "id_tail": id_number[-6:]})
        samples.append((time.perf_counter() - s0) * 1000)
        assert response.status_code == 200
    elapsed = time.perf_counter() - t0
    samples.sort()
    print(
        f"database: {connection.vendor}, applications: {total:,}\n"
        f"{len(samples):,} lookups in {elapsed:.1f} s: {len(samples) / elapsed:.0f} lookups/s on one core, "
        f"p50 {statistics.median(samples):.1f} ms, p95 {samples[int(len(samples) * 0.95) - 1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
