#!/usr/bin/env python
"""Subsidy roster benchmark (issue 20): a county of 300,000 registered people, 60,000 entitled.

    .venv/bin/python bench/subsidy_roster.py                   # SQLite file var/bench_roster.sqlite3
    DATABASE_URL=postgres://… .venv/bin/python bench/subsidy_roster.py
    BENCH_PEOPLE=300000 BENCH_ENTITLED=60000 .venv/bin/python bench/subsidy_roster.py

Seeds one county (10 townships) with BENCH_PEOPLE people, BENCH_ENTITLED of them holding a
subsidised identity (特困, 低保, 返贫致贫; one in ten with two) and as many again holding one the plan
does not subsidise (低保边缘). Then, in the same run:

- **build**: ``roster_build`` for the year (read the identities, the rule per person, the entries);
- **again**: the same build with nothing changed (what a nightly rebuild costs);
- **export**: the CSV the finance officer downloads (full ID numbers decrypted), through the view;
- **xlsx**: the same roster as XLSX (openpyxl's write-only workbook);
- **result**: the same file back with every 参保结果 filled in (``roster_result_import``);
- **transfer**: the subsidy transfer of every person due (``payments.transfers.transfer_prepare``);
- **floor**: reading the same identity rows and writing as many plain entries (no rule, no check).

Prints the time of each, the process's peak memory after each (ru_maxrss), and build / floor.
"""

import csv
import io
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_roster.sqlite3'}")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.approval import fresh_database  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "300000"))
ENTITLED = int(os.environ.get("BENCH_ENTITLED", "60000"))
BATCH = 20_000
YEAR = 2026


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed():  # type: ignore[no-untyped-def]
    from accounts import services as accounts
    from accounts.models import Role, User
    from areas import services as areas
    from areas.models import City, County, Township
    from beneficiaries.idnumber import check_digit
    from beneficiaries.importing import IDENTITY_COLUMNS
    from beneficiaries.models import HardshipIdentity, Person
    from beneficiaries.records import PERSON_COLUMNS
    from core.rows import insert_rows
    from settlements.services import city_save, policy_version_create

    city = city_save(city=City(code="150100", name="呼和浩特市"), actor=None)
    county = areas.county_save(
        county=County(city=city, code="150121", name="土默特左旗"), actor=None
    )
    towns = [
        areas.township_save(
            township=Township(county=county, code=f"150121{100 + n}", name=f"镇{n}"), actor=None
        )
        for n in range(10)
    ]
    finance = accounts.staff_create(
        username="b_finance", password="bench-pass-123!", role=Role.FINANCE, county=county,
        actor=None,
    )  # fmt: skip
    admin = User.objects.create_superuser("b_admin", password="bench-pass-123!", role=Role.ADMIN)
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={"subsidy.contribution": "400.00", "subsidy.contribution.student": "250.00"},
        source="基准测试",
        actor=admin,
    )
    now = timezone.now()
    rows = []
    for n in range(PEOPLE):
        born = date(1935, 1, 1) + __import__("datetime").timedelta(days=n // 900)
        body = f"150121{born:%Y%m%d}{n % 900 + 100:03d}"
        rows.append([body + check_digit(body), f"参保{n}", "", born, "", "", "", True,
                     towns[n % 10].pk, None, "", "", "", "", "", now, now])  # fmt: skip
        if len(rows) == BATCH:
            with transaction.atomic():
                insert_rows(Person, PERSON_COLUMNS, rows)
            rows.clear()
    with transaction.atomic():
        insert_rows(Person, PERSON_COLUMNS, rows)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    categories = ["dibao", "tekun", "returned_poor"]
    identities = []
    for i, pk in enumerate(ids[:ENTITLED]):
        category = categories[i % 3]
        department = "乡村振兴" if category == "returned_poor" else "民政"
        start = date(2024, 1, 1) if i % 7 else date(YEAR, 1 + i % 12, 5)  # some join in the year
        identities.append(
            [pk, category, department, "", start, None, "import", None, None, now, now]
        )
        if i % 10 == 0 and category == "dibao":
            identities.append(
                [pk, "tekun", "民政", "", date(2025, 1, 1), None, "import", None, None, now, now]
            )
    for pk in ids[ENTITLED : 2 * ENTITLED]:
        identities.append(
            [pk, "dibao_edge", "民政", "", date(2024, 1, 1), None, "import", None, None, now, now]
        )
    with transaction.atomic():
        for start in range(0, len(identities), BATCH):
            insert_rows(HardshipIdentity, IDENTITY_COLUMNS, identities[start : start + BATCH])
    return county, finance, len(identities)


def timed(name: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    print(f"  {name:<7} {seconds:7.2f} s   peak memory so far {peak_mb():7.0f} MB")
    return seconds, out


def floor(county) -> None:  # type: ignore[no-untyped-def]
    """The same rows read, as many entries written plainly (a scratch roster, rolled back)."""
    from beneficiaries.models import HardshipIdentity
    from settlements.models import SubsidyEntry, SubsidyRoster

    first, last = date(YEAR, 1, 1), date(YEAR, 12, 31)
    with transaction.atomic():
        scratch = SubsidyRoster.objects.create(
            county=county, year=1999, policy_code="x", policy_version=1, built_at=timezone.now()
        )
        rows = (
            HardshipIdentity.objects.filter(person__township__county=county, certified_on__lte=last)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
            .values_list("person_id", "category", "certified_on")
            .order_by("person_id")
        )
        seen: dict[int, str] = {}
        for person_id, category, _start in rows.iterator(chunk_size=BATCH):
            if category != "dibao_edge":
                seen[person_id] = category
        SubsidyEntry.objects.bulk_create(
            [
                SubsidyEntry(
                    roster=scratch,
                    person_id=pk,
                    category=c,
                    contribution=400,
                    amount=400,
                    joined_on=first,
                )
                for pk, c in seen.items()
            ],
            batch_size=BATCH,
        )
        transaction.set_rollback(True)


def main() -> None:
    from django.test import Client
    from django.urls import reverse

    from settlements.models import SubsidyEntry, SubsidyRoster
    from settlements.subsidies import roster_build, roster_result_import

    fresh_database()
    t0 = time.perf_counter()
    county, finance, identities = seed()
    print(
        f"database: {connection.vendor}; seeded {PEOPLE} people, {identities} identities "
        f"({ENTITLED} entitled) in {time.perf_counter() - t0:.1f} s; peak {peak_mb():.0f} MB"
    )
    floor_s, _ = timed("floor", lambda: floor(county))
    build_s, roster = timed("build", lambda: roster_build(county=county, year=YEAR, actor=finance))
    print(f"          {SubsidyEntry.objects.filter(roster=roster).count()} entries")
    timed("again", lambda: roster_build(county=county, year=YEAR, actor=finance))
    client = Client()
    client.force_login(finance)
    _s, response = timed(
        "export", lambda: client.get(reverse("settlements:roster_export") + f"?year={YEAR}")
    )
    timed(
        "xlsx",
        lambda: client.get(reverse("settlements:roster_export") + f"?year={YEAR}&fmt=xlsx"),
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    result_column = rows[0].index("参保结果")
    for row in rows[1:]:
        row[result_column] = "已参保"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode("utf-8-sig")
    roster = SubsidyRoster.objects.get(pk=roster.pk)
    timed(
        "result",
        lambda: roster_result_import(
            roster=roster, raw=io.BytesIO(data), filename="result.csv", actor=finance
        ),
    )
    from payments.transfers import transfer_prepare

    _s, transfer = timed("transfer", lambda: transfer_prepare(roster=roster, actor=finance))
    print(f"          {transfer.people} people, {transfer.total:,.2f} yuan")
    print(f"build / floor: {build_s / floor_s:.1f}x")


if __name__ == "__main__":
    main()
