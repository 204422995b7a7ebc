#!/usr/bin/env python
"""One-stop assistance entering the yearly ledger: what it costs a hospital file.

    .venv/bin/python bench/onestop.py                       # SQLite file var/bench_onestop.sqlite3
    DATABASE_URL=postgres://… .venv/bin/python bench/onestop.py
    BENCH_RECORDS=20000 .venv/bin/python bench/onestop.py

Seeds BENCH_PEOPLE (5,000) 特困 people and, for a third of them, a window approval earlier in the
year (so the late-record check settles their year again). Then imports two hospital files of
BENCH_RECORDS (10,000) records each through the import's own path (``hospital_import.process``),
in the same run:

- **floor**: a file whose records paid no medical assistance (insurance only): read, checked and
  inserted, nothing enters the ledger;
- **one-stop**: the same number of records, each with assistance paid at the hospital: the same
  work plus ``settlements.ledger.onestop_enter`` (ledger rows locked and moved, one entry per
  bill with its unique keys, duplicates and late records turned into recovery proposals).

Prints records a second for each and the ratio one-stop / floor.
"""

import os
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_onestop.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.approval import fresh_database  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "5000"))
RECORDS = int(os.environ.get("BENCH_RECORDS", "10000"))
WINDOW = PEOPLE // 3


def seed() -> list:
    from accounts.models import User
    from applications.models import MedicalExpense
    from applications.services import Intake, application_save_draft
    from beneficiaries.idnumber import check_digit
    from beneficiaries.models import HardshipIdentity, Person
    from tests.factories import walk

    call_command("seed_demo", verbosity=0)
    town = User.objects.get(username="clerk_a").township
    people = []
    for n in range(PEOPLE):
        body = f"150121197{n % 10}{(n // 10) % 12 + 1:02d}{(n // 120) % 28 + 1:02d}{n % 997:03d}"
        people.append(Person(id_number=body + check_digit(body), name=f"测{n}", township=town))
    Person.objects.bulk_create(people, ignore_conflicts=True)
    people = list(Person.objects.filter(name__startswith="测").order_by("pk"))
    identities = [
        HardshipIdentity(person=p, category="tekun", department="民政",
                         certified_on=date(2023, 1, 1), source="user")
        for p in people
    ]  # fmt: skip
    HardshipIdentity.objects.bulk_create(identities)

    class World:
        users = {
            "clerk": User.objects.get(username="clerk_a"),
            "reviewer": User.objects.get(username="reviewer_a"),
            "approver": User.objects.get(username="approver_a"),
        }

    year = date.today().year
    for n, person in enumerate(people[:WINDOW]):
        day = date(year, 10, 1) + timedelta(days=n % 20)
        app = application_save_draft(
            person=person,
            intake=Intake(category="tekun", identity=person.identities.first(),
                          bank_name="内蒙古银行", bank_account_holder=person.name,
                          bank_account_number="6222000000001234",
                          onestop_reason="elsewhere"),
            expenses=[MedicalExpense(
                hospital="土默特左旗医院", hospital_code="H15012100021",
                invoice_number=f"BW{n:08d}", hospital_level="tier2", kind="outpatient",
                visit_on=day, total=Decimal("3000.00"), policy_scope=Decimal("2800.00"),
                basic_paid=Decimal("1500.00"), critical_paid=Decimal("0.00"),
            )],
            actor=World.users["clerk"],
        )  # fmt: skip
        walk(World, app, "approved")
    return people


def rows(people: list, *, assisted: bool, offset: int) -> list:
    year = date.today().year
    out = []
    for n in range(RECORDS):
        person = people[n % len(people)]
        day = date(year, 3, 1) + timedelta(days=n % 150)
        out.append((n + 2, {
            "id_number": person.id_number, "name": person.name, "hospital": "内蒙古自治区人民医院",
            "hospital_code": "H15010200011", "hospital_level": "三级", "kind": "门诊慢特病",
            "visit_on": day.isoformat(), "total": "1200.00", "policy_scope": "1100.00",
            "basic_paid": "660.00", "critical_paid": "0", "out_of_list": "60.00",
            "assistance_paid": "440.00" if assisted else "0",
            "settlement_number": f"JS{offset + n:09d}", "invoice_number": f"FP{offset + n:09d}",
            "category": "特困人员",
        }))  # fmt: skip
    return out


def timed(data: list) -> float:
    from django.utils import timezone

    from monitoring import hospital_import

    started = time.perf_counter()
    outcomes = list(
        hospital_import.process(data, batch=None, today=timezone.localdate(), dry_run=False)
    )
    seconds = time.perf_counter() - started
    bad = [o.errors for o in outcomes if o.errors]
    assert not bad, bad[:3]
    return seconds


def main() -> None:
    from payments.models import Recovery
    from settlements.models import LedgerEntry

    print(
        f"数据库: {connection.vendor}；{PEOPLE} 人（{WINDOW} 人年内已有窗口批准），每个文件 {RECORDS} 条"
    )
    fresh_database()
    people = seed()
    floor = timed(rows(people, assisted=False, offset=0))
    onestop = timed(rows(people, assisted=True, offset=RECORDS))
    entries = LedgerEntry.objects.filter(source="onestop").count()
    print(f"  仅医保结算（下限）：{floor:7.2f} s，{RECORDS / floor:9,.0f} 条/秒")
    print(f"  一站式救助入台账：  {onestop:7.2f} s，{RECORDS / onestop:9,.0f} 条/秒")
    print(f"  比值（一站式 / 下限）：{onestop / floor:.2f}×")
    print(f"  台账票据 {entries} 条，追回建议 {Recovery.objects.count()} 件")


if __name__ == "__main__":
    main()
