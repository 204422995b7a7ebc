#!/usr/bin/env python
"""Nightly monitoring recompute: 1,000,000 hospital settlement records of 200,000 people.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_monitoring .venv/bin/python bench/monitoring.py
    BENCH_PEOPLE=20000 BENCH_RECORDS=100000 .venv/bin/python bench/monitoring.py   # SQLite, smaller

Seeds BENCH_PEOPLE people across the demo townships (a third with a hardship identity, two in
five in two-person households) and BENCH_RECORDS one-stop hospital records over this year and last
(COPY on PostgreSQL, the import's own path). Then times:

1. the first night: a full recompute (every person's yearly burden written, warnings raised);
2. the next night with nothing new: the incremental run finds no one to look at;
3. a night after a hospital file of 10,000 records for 5,000 people: the incremental run;
4. a full run again (what a new policy version causes), over rows that already exist.

Aim (issue 9): the nightly recompute of 1,000,000 expenses of 200,000 people under 60 s on PostgreSQL.
"""

import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-monitoring.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from areas.models import Township  # noqa: E402
from beneficiaries.idnumber import check_digit  # noqa: E402
from beneficiaries.importing import IDENTITY_COLUMNS  # noqa: E402
from beneficiaries.models import HardshipIdentity, Household, Person  # noqa: E402
from beneficiaries.records import PERSON_COLUMNS  # noqa: E402
from core.rows import insert_rows as _insert  # noqa: E402
from monitoring.hospital_import import AMOUNTS, COLUMNS, record_key  # noqa: E402
from monitoring.models import BurdenWarning, BurdenYear, HospitalSettlement  # noqa: E402
from monitoring.recompute import monitoring_recompute  # noqa: E402
from settlements.bills import invoice_key, settlement_key  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "200000"))
RECORDS = int(os.environ.get("BENCH_RECORDS", "1000000"))
BATCH = 20_000
CATEGORIES = ["dibao", "tekun", "dibao_edge", "rural_at_risk", "illness_poor", "returned_poor"]
HOSPITALS = [
    (f"第{n}人民医院", "tier3" if n < 8 else "tier2" if n < 30 else "tier1") for n in range(60)
]


def seed_people() -> list[int]:
    towns = list(Township.objects.select_related("county").order_by("code"))
    have = Person.objects.filter(name__startswith="监测").count()
    if have < PEOPLE:
        now = timezone.now()
        groups = range(have // 5, (PEOPLE + 4) // 5)  # people 5g and 5g+1 share a household
        made = Household.objects.bulk_create(
            [Household(township=towns[(5 * g) % len(towns)], size=2) for g in groups]
        )
        household_of = {g: h.pk for g, h in zip(groups, made, strict=True)}
        rows = []
        for n in range(have, PEOPLE):
            town = towns[n % len(towns)]
            born = date(1935, 1, 1) + timedelta(days=n // 900)
            body = f"{town.county.code}{born:%Y%m%d}{n % 900 + 100:03d}"
            household = household_of.get(n // 5) if n % 5 < 2 else None
            relationship = ("head" if n % 5 == 0 else "spouse") if household else ""
            rows.append([body + check_digit(body), f"监测{n}", "", born, "", "", "", True, town.pk,
                         household, relationship, "", "", "", "", now, now])  # fmt: skip
            if len(rows) == BATCH:
                with transaction.atomic():
                    _insert(Person, PERSON_COLUMNS, rows)
                rows.clear()
        with transaction.atomic():
            _insert(Person, PERSON_COLUMNS, rows)
        ids = list(Person.objects.filter(name__startswith="监测").values_list("pk", flat=True))
        identities = [
            [pk, CATEGORIES[pk % len(CATEGORIES)], "民政", "", date(2020, 1, 1), None, "import", None, None, now, now]
            for pk in ids
            if pk % 3 == 0
        ]  # fmt: skip
        with transaction.atomic():
            for start in range(0, len(identities), BATCH):
                _insert(HardshipIdentity, IDENTITY_COLUMNS, identities[start : start + BATCH])
    return list(Person.objects.filter(name__startswith="监测").values_list("pk", flat=True))


def record_rows(rng: random.Random, people: list[tuple[int, str]], n: int, tag: str) -> list[list]:
    """n records for the given people: mostly small outpatient bills, some large inpatient stays."""
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for i in range(n):
        pk, id_number = people[i % len(people)]
        hospital, level = HOSPITALS[rng.randrange(len(HOSPITALS))]
        inpatient = rng.random() < 0.06
        total = (
            Decimal(
                rng.randrange(2000_00, 40000_00) if inpatient else rng.randrange(50_00, 1500_00)
            )
            / 100
        )
        scope = (total * Decimal("0.85")).quantize(Decimal("0.01"))
        basic = (scope * Decimal("0.7" if inpatient else "0.5")).quantize(Decimal("0.01"))
        critical = (
            (scope * Decimal("0.1")).quantize(Decimal("0.01")) if inpatient else Decimal("0.00")
        )
        out = (total * Decimal(rng.choice(["0.03", "0.06", "0.12"]))).quantize(Decimal("0.01"))
        day = today - timedelta(days=rng.randrange(0, 600))
        number = f"{tag}{i}"
        code, invoice = f"H{HOSPITALS.index((hospital, level)):05d}", f"F{tag}{i}"
        rows.append([pk, record_key(id_number, hospital, number, day, "x", total), number, hospital,
                     code, invoice, invoice_key(code, invoice), settlement_key(number), level,
                     "inpatient" if inpatient else "outpatient", "", day if inpatient else None, day,
                     total, scope, basic, critical, out, Decimal("0.00"), None, now])  # fmt: skip
    return rows


def seed_records(rng: random.Random, ids: list[int]) -> None:
    have = HospitalSettlement.objects.count()
    if have >= RECORDS:
        return
    people = list(Person.objects.filter(pk__in=ids).values_list("pk", "id_number").order_by("pk"))
    rng.shuffle(people)
    for start in range(have, RECORDS, BATCH):
        n = min(BATCH, RECORDS - start)
        with transaction.atomic():
            _insert(
                HospitalSettlement,
                COLUMNS,
                record_rows(rng, people[start % len(people) :] + people, n, f"B{start}-"),
            )
    assert COLUMNS[-8:-2] == list(AMOUNTS)


def timed(label: str, **kwargs) -> None:
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        run = monitoring_recompute(**kwargs)
        seconds = time.perf_counter() - t0
    assert run is not None
    print(
        f"{label:<44} {seconds:7.2f} s  {run.get_scope_display()}  people {run.people:>7,}  "
        f"burden rows written {run.burden_rows:>7,}  raised {run.raised:>6,}  escalated {run.escalated:>5,}  "
        f"closed {run.closed:>5,}  queries {len(queries):>4}"
    )


def main() -> None:
    rng = random.Random(9)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    ids = seed_people()
    seed_records(rng, ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    BurdenYear.objects.all().delete()
    from monitoring.models import FollowUp, MonitoringRun

    FollowUp.objects.all().delete()
    BurdenWarning.objects.all().delete()
    MonitoringRun.objects.all().delete()
    print(
        f"{connection.vendor}: {Person.objects.count():,} people, "
        f"{HospitalSettlement.objects.count():,} hospital records "
        f"(seeded in {time.perf_counter() - t0:.0f} s)"
    )
    timed("1. first night: full recompute", full=True, reason="bench")
    timed("2. next night, nothing new: incremental")
    people = list(Person.objects.filter(pk__in=ids[:5000]).values_list("pk", "id_number"))
    with transaction.atomic():
        _insert(
            HospitalSettlement, COLUMNS, record_rows(rng, people, 10_000, f"N{time.time_ns()}-")
        )
    timed("3. after 10,000 new records of 5,000 people")
    timed("4. full again (a new policy version)", full=True, reason="bench")
    print(
        f"warnings: {BurdenWarning.objects.count():,}; burden rows: {BurdenYear.objects.count():,}"
    )


if __name__ == "__main__":
    main()
