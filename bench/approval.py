#!/usr/bin/env python
"""Approval benchmark: what a county approver's click costs, against the engine's own work.

    .venv/bin/python bench/approval.py                     # SQLite file var/bench_approval.sqlite3
    DATABASE_URL=postgres://… .venv/bin/python bench/approval.py
    BENCH_CASES=500 .venv/bin/python bench/approval.py

Seeds one county with BENCH_CASES (300) cases recommended for approval, each a 低保 person with
three bills of the year, through the real services. Then, for every case, in the same run:

- **approve**: ``application_approve`` — lock the case and the person's ledger rows, load the
  inputs, run the engine once, store the settlement with its snapshot, move the ledger, check the
  budget, write the events and audit rows, queue the letters (one transaction);
- **preview**: ``case_preview`` — load the inputs and run the engine on the unlocked ledger (what
  the case page shows, and what approval used to run a second time before it locked);
- **floor**: the engine alone on the same inputs (``settle``), no database.

Prints the median and 95th percentile of each, and approve / floor.
"""

import os
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_approval.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "300"))


def fresh_database() -> None:
    if connection.vendor == "sqlite":
        connection.close()
        Path(connection.settings_dict["NAME"]).unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
    else:  # migrate first: the flush empties the tables the current models know
        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)


def seed() -> tuple[list, object]:
    from accounts import services as accounts
    from accounts.models import Role
    from applications.models import MedicalExpense
    from applications.services import (
        Intake,
        application_accept,
        application_recommend,
        application_save_draft,
        application_transition,
    )
    from areas import services as areas
    from areas.models import City, County, Township
    from beneficiaries.models import HardshipIdentity, Person
    from settlements.services import city_save

    city = city_save(city=City(code="150100", name="呼和浩特市"), actor=None)
    county = areas.county_save(
        county=County(
            city=city,
            code="150121",
            name="土默特左旗",
            second_approval_above=Decimal("999999.00"),
        ),
        actor=None,
    )
    town = areas.township_save(
        township=Township(county=county, code="150121100", name="察素齐镇"), actor=None
    )
    clerk = accounts.staff_create(
        username="b_clerk", password="bench-pass-123!", role=Role.CLERK, township=town, actor=None
    )
    reviewer = accounts.staff_create(
        username="b_reviewer", password="bench-pass-123!", role=Role.REVIEWER, county=county,
        actor=None,
    )  # fmt: skip
    approver = accounts.staff_create(
        username="b_approver", password="bench-pass-123!", role=Role.APPROVER, county=county,
        actor=None,
    )  # fmt: skip
    from stdnum.cn import ric

    cases = []
    for n in range(CASES):
        body = f"150121{19500101 + n % 28:08d}{n % 1000:03d}"
        person = Person.objects.create(
            id_number=body + ric.calc_check_digit(body), name=f"测试{n}", township=town
        )
        identity = HardshipIdentity.objects.create(
            person=person, category="dibao", department="民政", certified_on=date(2024, 1, 1),
            source="import",
        )  # fmt: skip
        bills = [
            MedicalExpense(
                hospital="内蒙古医科大学附属医院",
                hospital_level="tier3",
                kind="inpatient",
                in_region=True,
                referred=True,
                admitted_on=date(2026, month, 3),
                discharged_on=date(2026, month, 12),
                total=Decimal("30000.00") + n,
                policy_scope=Decimal("25000.00"),
                basic_paid=Decimal("15000.00"),
                critical_paid=Decimal("2000.00"),
            )
            for month in (3, 6, 9)
        ]
        app = application_save_draft(
            person=person,
            intake=Intake(
                category="dibao",
                identity=identity,
                contact_phone="13800138000",
                bank_name="内蒙古银行",
                bank_account_holder=person.name,
                bank_account_number="6222000000001234",
                onestop_reason="elsewhere",  # a 低保 bill at the window says why (seed 七(一))
            ),
            expenses=bills,
            actor=clerk,
        )
        app = application_accept(
            application=app,
            actor=clerk,
            received=set(app.materials.values_list("code", flat=True)),
            promise_signed=False,
            forward=True,
        )
        app = application_transition(application=app, action="start_review", actor=reviewer)
        cases.append(
            application_recommend(application=app, actor=reviewer, recommendation="approve")
        )
    return cases, approver


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def summary(name: str, ms: list[float]) -> float:
    ms = sorted(ms)
    median = statistics.median(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(f"  {name:<9} median {median:8.2f} ms   p95 {p95:8.2f} ms")
    return median


def main() -> None:
    from applications.services import application_approve
    from applications.settling import case_preview, engine_expenses
    from engine import settle
    from settlements.services import load_inputs, policy_for

    fresh_database()
    t0 = time.perf_counter()
    cases, approver = seed()
    print(
        f"database: {connection.vendor}; seeded {len(cases)} cases recommended for approval "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    policy = policy_for(cases[0].person)
    previews, floors, approvals = [], [], []
    for app in cases:
        inputs = load_inputs(app.person, engine_expenses(app))
        floors.append(
            timed(lambda: settle(policy, inputs.identities, inputs.expenses, inputs.opening))  # noqa: B023
        )
        previews.append(timed(lambda: case_preview(app)))  # noqa: B023
        approvals.append(timed(lambda: application_approve(application=app, actor=approver)))  # noqa: B023
    print(f"per case (3 bills), {len(cases)} cases:")
    floor = summary("floor", floors)
    summary("preview", previews)
    approve = summary("approve", approvals)
    print(f"approve / floor: {approve / floor:.1f}x (one engine run inside the approval)")


if __name__ == "__main__":
    main()
