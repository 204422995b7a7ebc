#!/usr/bin/env python
"""The paths that find people by ID number: a department's push and the window's lookup.

    DATABASE_URL=postgres://… .venv/bin/python bench/identifiers.py     # BENCH_PEOPLE (100,000)

Seeds BENCH_PEOPLE people, then measures in-process through the whole stack (Django's test client):
  - push: 20 pushes of 1,000 records each to /api/v1/identities (half new people, half already
    registered), records a second;
  - the window's lookup: a clerk posts a registered ID number and opens the intake page the token
    leads to (the path that finds the person by ID number), median and 95th percentile;
  - the floor of that lookup in the same run: one SELECT of the person by the indexed column the
    portal looks up (``id_index`` where the number is encrypted, ``id_number`` where it is not).
Written to run on the tree before encryption too, so the two can be compared side by side.
"""

import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-identifiers.sqlite3'}")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from areas.models import Township  # noqa: E402
from beneficiaries import services  # noqa: E402
from beneficiaries.idnumber import check_digit  # noqa: E402
from beneficiaries.models import Person  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "100000"))
LOOKUPS = int(os.environ.get("BENCH_LOOKUPS", "300"))
BIRTH0 = date(1940, 1, 1)


def number(n: int, county: str) -> str:
    born = BIRTH0 + timedelta(days=n // 1000)
    body = f"{county}{born:%Y%m%d}{n % 1000:03d}"
    return body + check_digit(body)


def seed(town: Township) -> None:
    have = Person.objects.count()
    batch = []
    for n in range(have, PEOPLE):
        batch.append(Person(id_number=number(n, town.county.code), name=f"对象{n}", township=town))
        if len(batch) == 5000:
            Person.objects.bulk_create(batch, ignore_conflicts=True)
            batch.clear()
    Person.objects.bulk_create(batch, ignore_conflicts=True)


def pct(samples: list[float], q: float) -> float:
    return sorted(samples)[int(len(samples) * q) - 1]


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    clerk = User.objects.get(username="clerk_a")
    town = clerk.township
    t0 = time.perf_counter()
    seed(town)
    print(
        f"database: {connection.vendor}; {Person.objects.count():,} people (seeded in {time.perf_counter() - t0:.1f} s)"
    )

    _token, key = services.department_token_create(department="民政", label="bench", actor=None)
    api = Client()
    pushes, records = 20, 1000
    t0 = time.perf_counter()
    for p in range(pushes):
        body = []
        for r in range(records):
            n = (
                PEOPLE + p * records + r if r % 2 else (p * records + r) % PEOPLE
            )  # new / registered
            body.append({"id_number": number(n, town.county.code), "name": f"对象{n}", "category": "dibao",
                         "certified_on": "2024-01-01", "township": town.code})  # fmt: skip
        response = api.post("/api/v1/identities", data=json.dumps({"records": body}),
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")  # fmt: skip
        assert response.status_code == 200, response.content[:300]
    took = time.perf_counter() - t0
    print(
        f"push: {pushes} × {records} records in {took:.1f} s: {pushes * records / took:,.0f} records/s"
    )

    client = Client()
    client.force_login(clerk)
    targets = [number(n * 7919 % PEOPLE, town.county.code) for n in range(LOOKUPS)]
    portal, floor = [], []
    column = "id_index" if any(f.name == "id_index" for f in Person._meta.fields) else "id_number"
    index = Person._meta.get_field("id_index") if column == "id_index" else None
    table = Person._meta.db_table
    for id_number in targets:
        s0 = time.perf_counter()
        response = client.post(
            "/applications/new/", {"lookup": "1", "id_number": id_number}, follow=True
        )
        portal.append((time.perf_counter() - s0) * 1000)
        assert response.status_code == 200 and "对象" in response.content.decode()
        s0 = time.perf_counter()
        with connection.cursor() as cursor:
            value = index.of(id_number) if index is not None else id_number
            cursor.execute(f"SELECT id, name FROM {table} WHERE {column} = %s", [value])
            assert cursor.fetchone()
        floor.append((time.perf_counter() - s0) * 1000)
    print(
        f"window lookup (POST, token, intake page): p50 {statistics.median(portal):.2f} ms, "
        f"p95 {pct(portal, 0.95):.2f} ms; floor (one SELECT by {column}): p50 "
        f"{statistics.median(floor):.3f} ms; ratio {statistics.median(portal) / statistics.median(floor):.0f}×"
    )


if __name__ == "__main__":
    main()
