#!/usr/bin/env python
"""Reminder sweep benchmark: 1,000,000 applications, 20,000 promises open.

    .venv/bin/python bench/reminders.py                       # SQLite file var/bench-reminders.sqlite3
    DATABASE_URL=postgres://... .venv/bin/python bench/reminders.py
    BENCH_APPLICATIONS=200000 BENCH_OPEN=5000 .venv/bin/python bench/reminders.py

Seeds 100,000 people and BENCH_APPLICATIONS applications across the demo townships (most of them
settled long ago), BENCH_OPEN of them with a pending promise due from 5 days ago to 7 days ahead and
two materials missing, and BENCH_IN_REVIEW more (30,000) in the county's hands (accepted to
approved). Every open case has the due date of its step (10 days late to 15 ahead): the review
queue's benchmark pages through them in every order. Then times ``reminders_sweep`` (the beat task's body: find what is due, write
the clerks' inbox rows and the outbox, mark overdue, send through the gateway) and counts its
queries; then runs it again the same day (nothing new: the idempotent case) and once more with
twice the open promises, to show the query count does not grow with the volume.
"""

import logging
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-reminders.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from applications.models import (  # noqa: E402
    Application,
    InboxMessage,
    Material,
    Notification,
)
from applications.services import notifications_deliver_all, reminders_sweep  # noqa: E402
from areas.models import Township  # noqa: E402
from beneficiaries.idnumber import check_digit  # noqa: E402
from beneficiaries.models import Person  # noqa: E402

APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "1000000"))
OPEN = int(os.environ.get("BENCH_OPEN", "20000"))
# cases still in the county's hands (the review queue's rows), each with the due date of its step
IN_REVIEW = int(os.environ.get("BENCH_IN_REVIEW", "30000"))
QUEUE_STATES = ["accepted", "forwarded", "in_review", "recommended", "notice", "approved"]
PEOPLE = 100_000
BATCH = 5000
logging.getLogger("applications.sms").setLevel(logging.WARNING)  # 20,000 log lines otherwise


def seed() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    towns = list(Township.objects.select_related("county").order_by("code"))
    clerks = {u.township_id: u for u in User.objects.filter(role="clerk")}
    fallback = User.objects.get(username="clerk_a")
    t0 = time.perf_counter()
    have = Person.objects.count()
    batch = []
    for n in range(have, PEOPLE):
        town = towns[n % len(towns)]
        born = date(1940, 1, 1) + timedelta(days=n // 1000)
        body = f"{town.county.code}{born:%Y%m%d}{n % 1000:03d}"
        batch.append(
            Person(
                id_number=body + check_digit(body),
                name=f"对象{n}",
                township=town,
                phone=f"139{n:08d}",
            )
        )
        if len(batch) == BATCH:
            Person.objects.bulk_create(batch, ignore_conflicts=True)
            batch.clear()
    Person.objects.bulk_create(batch, ignore_conflicts=True)
    people = list(Person.objects.values_list("pk", "township_id").order_by("pk")[:PEOPLE])
    have = Application.objects.count()
    today = timezone.localdate()
    town_by_id = {t.pk: t for t in towns}
    apps = []
    for n in range(have, APPLICATIONS):
        person_id, town_id = people[n % len(people)]
        town = town_by_id[town_id]
        # the open cases are the newest (the settled years lie behind them, as in a real county)
        recent = APPLICATIONS - 1 - n
        open_promise = recent < OPEN
        in_review = OPEN <= recent < OPEN + IN_REVIEW
        status = (
            "forwarded"
            if open_promise
            else (QUEUE_STATES[n % len(QUEUE_STATES)] if in_review else "paid")
        )
        apps.append(
            Application(
                number=f"{town.county.code}-BENCH-{n:07d}",
                person_id=person_id,
                township_id=town_id,
                county_id=town.county_id,
                category="dibao",
                contact_phone=f"139{n % 100000000:08d}",
                status=status,
                # every open case has the due date of its step, from 10 days late to 15 ahead,
                # so the queue's default order (by due date) pages through all of them
                step_due_on=today + timedelta(days=(n % 26) - 10) if status != "paid" else None,
                promise_status="pending" if open_promise else "none",
                promise_due_on=today + timedelta(days=(n % 13) - 5) if open_promise else None,
                accepted_on=today - timedelta(days=7),
                created_by=clerks.get(town_id, fallback),
            )
        )
        if len(apps) == BATCH:
            Application.objects.bulk_create(apps)
            apps.clear()
    Application.objects.bulk_create(apps)
    if not Material.objects.exists():
        open_ids = Application.objects.filter(promise_status="pending").values_list("pk", flat=True)
        Material.objects.bulk_create(
            [
                Material(application_id=pk, code=code)
                for pk in open_ids
                for code in ("invoice", "diagnosis")
            ],
            batch_size=BATCH,
        )
    print(
        f"seeded {Application.objects.count():,} applications "
        f"({Application.objects.filter(promise_status='pending').count():,} promises open) "
        f"in {time.perf_counter() - t0:.1f} s"
    )


def sweep(label: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        result = reminders_sweep(deliver=False)
        seconds = time.perf_counter() - t0
    print(
        f"{label:<40} scan {seconds:5.2f} s {len(queries.captured_queries):3d} queries: "
        f"due soon {result.due_soon:,}, overdue {result.overdue:,}, marked overdue "
        f"{result.marked_overdue:,}, inbox rows {result.inbox_created:,}, "
        f"messages {result.notifications_created:,}"
    )
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        sent, failed = notifications_deliver_all()
        seconds = time.perf_counter() - t0
    print(
        f"{'':<40} send {seconds:5.2f} s {len(queries.captured_queries):3d} queries: "
        f"{sent:,} sent through the logging gateway, {failed:,} failed"
    )


def main() -> None:
    seed()
    InboxMessage.objects.all().delete()
    Notification.objects.all().delete()
    Application.objects.filter(promise_status="overdue").update(promise_status="pending")
    print(f"database: {connection.vendor}")
    sweep("first sweep of the day")
    sweep("second sweep, same day (nothing new)")
    # double the open promises: the query count must stay the same
    extra = list(
        Application.objects.filter(promise_status="none").values_list("pk", flat=True)[:OPEN]
    )
    today = timezone.localdate()
    Application.objects.filter(pk__in=extra).update(
        promise_status="pending", promise_due_on=today + timedelta(days=1), status="forwarded"
    )
    sweep(f"after {len(extra):,} more promises fall due")
    Application.objects.filter(pk__in=extra).update(
        promise_status="none", promise_due_on=None, status="paid"
    )


if __name__ == "__main__":
    main()
