#!/usr/bin/env python
"""Intake benchmark (issue 19): what the window's eligibility rules add to saving an application.

    .venv/bin/python bench/intake.py                     # SQLite file var/bench_intake.sqlite3
    DATABASE_URL=postgres://… .venv/bin/python bench/intake.py
    BENCH_CASES=500 .venv/bin/python bench/intake.py

Seeds one township with BENCH_CASES (300) 低保 people, half of them with a case already open (so
the second-case rule finds one), and a filing limit of 12 months. Then, for every person, in the
same run:

- **checks**: the eligibility rules alone (``_eligibility_refused``: the policy's start and the
  filing limit, the one-stop reason, the other open cases);
- **intake**: ``application_save_draft`` with three bills — the rules, the duplicate-bill check,
  the claim, the rows, the checklist, the events and the audit row (one transaction);
- **picture**: the case page's whole-picture panel (``eligibility.picture``: other open cases,
  this year's assistance by channel, the identities valid on each bill's date);
- **floor**: the same application, three bills and checklist written directly (``create`` and
  ``bulk_create``, no rule, no event, no audit).

Prints the median and 95th percentile of each, and intake / floor.
"""

import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_intake.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.approval import fresh_database, summary, timed  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "300"))


def bills(n: int, tag: str) -> list:
    from applications.models import MedicalExpense

    return [
        MedicalExpense(
            hospital="内蒙古医科大学附属医院",
            hospital_code="H15010200001",
            invoice_number=f"{tag}{n:06d}{month:02d}",
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


def seed() -> tuple[list, object]:
    from stdnum.cn import ric

    from accounts import services as accounts
    from accounts.models import Role, User
    from applications.services import Intake, application_save_draft
    from areas import services as areas
    from areas.models import City, County, Township
    from beneficiaries.models import HardshipIdentity, Person
    from settlements.services import city_save, policy_version_create

    city = city_save(city=City(code="150100", name="呼和浩特市"), actor=None)
    county = areas.county_save(
        county=County(city=city, code="150121", name="土默特左旗"), actor=None
    )
    town = areas.township_save(
        township=Township(county=county, code="150121100", name="察素齐镇"), actor=None
    )
    clerk = accounts.staff_create(
        username="b_clerk", password="bench-pass-123!", role=Role.CLERK, township=town, actor=None
    )
    admin = User.objects.create_superuser("b_admin", password="bench-pass-123!", role=Role.ADMIN)
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={"intake.filing_months": "12"},
        source="基准测试",
        actor=admin,
    )
    people = []
    for n in range(CASES):
        body = f"150121{19500101 + n % 28:08d}{n % 1000:03d}"
        person = Person.objects.create(
            id_number=body + ric.calc_check_digit(body), name=f"测试{n}", township=town
        )
        HardshipIdentity.objects.create(
            person=person, category="dibao", department="民政", certified_on=date(2024, 1, 1),
            source="import",
        )  # fmt: skip
        if n % 2:
            application_save_draft(
                person=person,
                intake=Intake(category="dibao", identity=None, onestop_reason="elsewhere"),
                expenses=bills(n, "OPEN"),
                actor=clerk,
            )
        people.append(person)
    return people, clerk


def floor_write(person, clerk, expenses) -> None:  # type: ignore[no-untyped-def]
    """The rows an intake writes, written directly."""
    from applications.models import Application, Material, MedicalExpense
    from applications.services.intake import _checklist

    with transaction.atomic():
        app = Application.objects.create(
            number=f"F-{person.pk}",
            person=person,
            township_id=person.township_id,
            county_id=person.township.county_id,
            category="dibao",
            created_by=clerk,
            claimed_total=sum(e.total for e in expenses),
        )
        for e in expenses:
            e.application = app
            e.set_keys()
        MedicalExpense.objects.bulk_create(expenses)
        Material.objects.bulk_create(
            [Material(application=app, code=c) for c in _checklist(app, expenses)]
        )


def main() -> None:
    from django.utils import timezone

    from applications.eligibility import picture
    from applications.services import Intake, application_save_draft
    from applications.services.intake import _eligibility_refused

    fresh_database()
    t0 = time.perf_counter()
    people, clerk = seed()
    print(
        f"database: {connection.vendor}; seeded {len(people)} people, {len(people) // 2} with a "
        f"case open, in {time.perf_counter() - t0:.1f} s"
    )
    checks, intakes, pictures, floors = [], [], [], []
    today = timezone.localdate()
    for n, person in enumerate(people):
        intake = Intake(
            category="dibao",
            identity=person.identities.first(),
            onestop_reason="elsewhere",
            second_case_ack=True,
        )
        checks.append(timed(lambda: _eligibility_refused(person, intake, bills(n, "NEW"), None)))  # noqa: B023
        floors.append(timed(lambda: floor_write(person, clerk, bills(n, "FLOOR"))))  # noqa: B023
        saved = []
        intakes.append(
            timed(
                lambda: saved.append(  # noqa: B023
                    application_save_draft(
                        person=person,  # noqa: B023
                        intake=intake,  # noqa: B023
                        expenses=bills(n, "NEW"),  # noqa: B023
                        actor=clerk,
                    )
                )
            )
        )
        pictures.append(timed(lambda: picture(saved[0], today=today)))  # noqa: B023
    print(f"per intake (3 bills), {len(people)} intakes:")
    floor = summary("floor", floors)
    summary("checks", checks)
    summary("picture", pictures)
    intake_ms = summary("intake", intakes)
    print(f"intake / floor: {intake_ms / floor:.1f}x")


if __name__ == "__main__":
    main()
