"""A run: incremental or full, in steps of people (id ranges or IN lists), one at a time on
PostgreSQL (an advisory lock), recorded as a MonitoringRun."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from beneficiaries.models import Person
from core.rows import execute_update as _execute_update
from core.rows import insert_rows
from engine.money import ZERO

from ..models import (
    BurdenYear,
    MonitoringRun,
    WarningLevel,
    WarningList,
)
from .changes import CHUNK, IN_CHUNK, _changed_people, _full_reason
from .sums import _best_categories, _rename, _sums
from .thresholds import Thresholds
from .warnings import Tally, Wanted, _household_step, _income_level, _settle_warnings

LOCK_KEY = 770_411_905  # pg advisory lock: "monitoring recompute"


def monitoring_recompute(
    *, full: bool = False, now: datetime | None = None, reason: str = ""
) -> MonitoringRun | None:
    """Recompute burdens and warnings; return the run, or None if another run holds the lock."""
    now = now or timezone.now()
    with _lock() as held:
        if not held:
            return None
        return _run(full=full, now=now, reason=reason)


class _lock:
    """A session-level advisory lock on PostgreSQL; elsewhere the database serialises writers."""

    def __enter__(self) -> bool:
        self.pg = connection.vendor == "postgresql"
        if not self.pg:
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc: object) -> None:
        if self.pg and self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _run(*, full: bool, now: datetime, reason: str) -> MonitoringRun:
    started = time.perf_counter()
    today = timezone.localdate(now)
    last = MonitoringRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    if not full:
        reason = reason or _full_reason(last)
        full = bool(reason)
    run = MonitoringRun.objects.create(
        scope=MonitoringRun.Scope.FULL if full else MonitoringRun.Scope.INCREMENTAL,
        started_at=now,
        reason=reason or ("手动全量重算" if full else "夜间增量重算"),
    )
    thresholds = Thresholds(today)
    tally = Tally()
    warn_from = today.year - 1  # warnings for this year and last; burdens for every year
    changed = None if full else sorted(_changed_people(last.started_at))  # type: ignore[union-attr]
    for scope in _scopes(changed):
        _step(scope, thresholds, now, warn_from, tally)
    households = _household_step(changed, thresholds, now, warn_from, tally)
    run.people = tally.people
    run.burden_rows = tally.burden_rows
    run.raised, run.escalated, run.closed = tally.raised, tally.escalated, tally.closed
    run.finished_at = timezone.now()
    run.seconds = Decimal(str(round(time.perf_counter() - started, 2)))
    notes = thresholds.notes() + ([f"家庭封顶线核对 {households} 户"] if households else [])
    run.message = "；".join(notes)[:500]
    run.save()
    return run


def _scopes(changed: list[int] | None) -> Iterator[Q]:
    """Person filters, one step each: id ranges for a full run, IN lists for an incremental one."""
    if changed is None:
        top = Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for start in range(0, top + 1, CHUNK):
            yield Q(person_id__gte=start, person_id__lt=start + CHUNK)
        return
    for start in range(0, len(changed), IN_CHUNK):
        yield Q(person_id__in=changed[start : start + IN_CHUNK])


BURDEN_FIELDS = ("township_id", "category", "expenses", "total", "policy_scope", "insurance_paid",
                 "assistance_paid", "burden_after_insurance", "burden_after_assistance",
                 "special_paid", "other_help", "burden_after_help")  # fmt: skip


def _step(scope: Q, thresholds: Thresholds, now: datetime, warn_from: int, tally: Tally) -> None:
    sums = _sums(scope, "person_id")
    # tuples, not model instances: a full run compares 400,000 of them
    held_burdens = {
        (row[1], row[2]): row
        for row in BurdenYear.objects.filter(scope)
        .order_by()
        .values_list("pk", "person_id", "year", *BURDEN_FIELDS)
    }
    people = {pk for pk, _ in sums} | {pk for pk, _ in held_burdens}
    if not people:
        return
    township_of = dict(Person.objects.filter(_rename(scope, "pk")).values_list("pk", "township_id"))
    years = {y for _, y in sums}
    best = _best_categories(scope, years)
    tally.people += len(people)
    new: list[tuple[Any, ...]] = []
    changed: list[list[Any]] = []
    wanted: dict[tuple[int, int, str], Wanted] = {}
    categories: dict[tuple[int, int], str] = {}
    for key, s in sums.items():
        person_id, year = key
        after_insurance = s.total - s.insurance
        after_assistance = max(ZERO, after_insurance - s.assistance)
        # 梯次减负 (seed 004 9, 11): then 一事一议 and the other bodies' help, each yuan once
        after_help = max(ZERO, after_assistance - s.special - s.help)
        category = best.get(key, "")
        categories[key] = category
        values = (township_of[person_id], category, s.expenses, s.total, s.policy_scope,
                  s.insurance, s.assistance, after_insurance, after_assistance, s.special,
                  s.help, after_help)  # fmt: skip
        held = held_burdens.pop(key, None)
        if held is None:
            new.append((person_id, year, *values, now))
        elif held[3:] != values:
            changed.append([*values, now, held[0]])
        if year < warn_from:
            continue
        lines = thresholds.for_township(township_of[person_id], year)
        income = _income_level(after_insurance, lines)
        if income is not None:
            wanted[(person_id, year, WarningList.INCOME)] = income
        # the cap list (seed 004 11) counts every layer and every other body's help
        if category and lines.person_cap is not None and after_help > lines.person_cap:
            wanted[(person_id, year, WarningList.CAP)] = Wanted(
                WarningLevel.PERSON_CAP, after_help, lines.person_cap
            )
    with transaction.atomic():
        _create_burdens(new)
        _execute_update(BurdenYear, [*BURDEN_FIELDS, "computed_at"], changed)
        if held_burdens:  # a year with no expense left (a bill corrected away)
            BurdenYear.objects.filter(pk__in=[row[0] for row in held_burdens.values()]).delete()
        tally.burden_rows += len(new) + len(changed)
        _settle_warnings(
            scope, wanted, township_of, categories, now, warn_from, tally,
            lists=(WarningList.INCOME, WarningList.CAP),
        )  # fmt: skip


def _create_burdens(rows: list[tuple[Any, ...]]) -> None:
    """New yearly burdens: COPY on PostgreSQL (the advisory lock keeps other runs out), otherwise
    an INSERT that skips a row another run made meanwhile."""
    columns = ["person_id", "year", *BURDEN_FIELDS, "computed_at"]
    if connection.vendor == "postgresql":
        insert_rows(BurdenYear, columns, [list(r) for r in rows])
        return
    BurdenYear.objects.bulk_create(
        [BurdenYear(**dict(zip(columns, r, strict=True))) for r in rows],
        batch_size=2000,
        ignore_conflicts=True,
    )
