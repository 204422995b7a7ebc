#!/usr/bin/env python
"""Foundation benchmarks: seed realistic volumes, then time the hot paths and print figures.

    make bench                                   # SQLite file var/bench.sqlite3
    DATABASE_URL=postgres://... make bench       # PostgreSQL
    BENCH_PEOPLE=500000 make bench

Measures, in-process through Django's test client (view + ORM + template, no network):
  - a clerk's people list (scoped to one township, masked IDs), first page and a search by ID;
  - a person's detail page (writes one access-log row per view);
  - audit rows written per second by the service;
  - /healthz.
"""

import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from areas.models import Township  # noqa: E402
from audit.events import Event  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from audit.services import record  # noqa: E402
from beneficiaries.idnumber import check_digit  # noqa: E402
from beneficiaries.models import Person  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "200000"))
BIRTH0 = date(1940, 1, 1)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏"
GIVEN = "秀英桂兰玉建国军海燕志强丽娟金花福来其格乌春梅淑珍文华永红庆宝山敖日勒"
REPEAT = int(os.environ.get("BENCH_REPEAT", "200"))


def seed() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    have = Person.objects.count()
    if have >= PEOPLE:
        return
    towns = list(Township.objects.order_by("code"))
    batch = []
    t0 = time.perf_counter()
    for n in range(have, PEOPLE):
        town = towns[n % len(towns)]
        born = BIRTH0 + timedelta(days=n // 1000)  # (birth date, sequence) is unique per n
        body = f"{town.county.code}{born:%Y%m%d}{n % 1000:03d}"
        name = (
            SURNAMES[n % len(SURNAMES)]
            + GIVEN[(n // 7) % len(GIVEN)]
            + GIVEN[(n // 13) % len(GIVEN)]
        )
        batch.append(
            Person(
                id_number=body + check_digit(body),
                name=name,
                township=town,
                phone=f"139{n:08d}",
                sex="M" if n % 2 else "F",
                birth_date=born,
            )
        )
        if len(batch) == 5000:
            Person.objects.bulk_create(batch, ignore_conflicts=True)
            batch.clear()
    Person.objects.bulk_create(batch, ignore_conflicts=True)
    print(f"seeded {Person.objects.count():,} people in {time.perf_counter() - t0:.1f} s")


def timed(label: str, fn, repeat: int = REPEAT) -> None:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   ({repeat} runs)")


def main() -> None:
    seed()
    print(
        f"database: {connection.vendor}, people: {Person.objects.count():,}, audit rows: {AuditEvent.objects.count():,}"
    )
    clerk = User.objects.get(username="clerk_a")
    reviewer = User.objects.get(username="reviewer_a")
    c = Client()
    c.force_login(clerk)
    r = Client()
    r.force_login(reviewer)
    someone = Person.objects.filter(township=clerk.township).order_by("pk").last()

    def ok(resp):
        assert resp.status_code == 200, resp.status_code
        return resp

    timed("clerk people list, first page", lambda: ok(c.get("/people/")))
    timed("clerk people list, page 100", lambda: ok(c.get("/people/?page=100")))
    timed(
        "clerk people search by full ID number",
        # a full ID number never stays in an address: the search answers with a sealed token
        lambda: ok(c.get(f"/people/?q={someone.id_number}", follow=True)),
    )
    timed("clerk people search by phone", lambda: ok(c.get(f"/people/?q={someone.phone}")))
    timed(
        "clerk people search by name (first 2 chars)",
        lambda: ok(c.get(f"/people/?q={someone.name[:2]}")),
    )
    timed("reviewer search by full name (county)", lambda: ok(r.get(f"/people/?q={someone.name}")))
    timed("reviewer person detail (+1 access-log row)", lambda: ok(r.get(f"/people/{someone.pk}/")))
    timed("/healthz", lambda: ok(Client().get("/healthz")))

    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        record(actor=reviewer, event=Event.PERSON_VIEWED, target=someone, summary="bench")
    rate = n / (time.perf_counter() - t0)
    print(f"{'audit rows written by the service':<44} {rate:,.0f} rows/s")


if __name__ == "__main__":
    main()
