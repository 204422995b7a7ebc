"""The nightly recompute: each person's yearly burden, and the warnings that follow from it.

Seed 001 §五(一): a year's medical costs, after basic medical insurance and critical-illness
insurance, above last year's rural per-capita disposable income → 因病致贫 monitoring; above 50%
of it → 因病返贫 monitoring. Both shares and the income are policy parameters
(``monitoring.poverty_share``, ``monitoring.return_share``, ``rural_income``). Where a city switches
on ``monitoring.caps`` (seed 004), people with a hardship identity whose burden after every layer
exceeds ``fund.person_cap``, and households above ``fund.household_cap``, form a second list.

**Incremental**: a run looks only at the people whose data changed since the last finished run
started (hospital records imported, applications and their bills, decisions in the yearly ledger,
identities, the person's township or household), plus their household members. A new policy
version, or no earlier run, makes it a full run.

**Never duplicated**: a warning is unique per (person, year, list) in the database; a run creates
missing ones with ``ignore_conflicts`` and otherwise updates, escalates, reopens or closes the one
there is. On PostgreSQL an advisory lock keeps a second run from doing the same work at once.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from applications.models import Application, MedicalExpense, Status
from areas.models import Township
from beneficiaries.models import HardshipIdentity, Person, Relationship
from core.rows import insert_rows
from settlements.engine import MissingParameter
from settlements.engine.categories import CATEGORIES
from settlements.engine.money import ZERO, fen
from settlements.models import PolicyVersion, YearLedger
from settlements.policies import load

from .models import (
    LEVEL_RANK,
    OPEN_STATUSES,
    BurdenWarning,
    BurdenYear,
    CloseReason,
    FollowUp,
    HospitalSettlement,
    MonitoringRun,
    WarningLevel,
    WarningList,
    WarningStatus,
)

CHUNK = 10_000  # people per step of a full run (an id range)
IN_CHUNK = 2_000  # people per step of an incremental run (an IN list)
LOCK_KEY = 770_411_905  # pg advisory lock: "monitoring recompute"
COUNTED_OUT = (Status.DRAFT, Status.WITHDRAWN)  # bills of these applications are not counted

# Whom to reach first (seed 001 §五(一) 重点监测低保边缘家庭成员和农村易返贫致贫人口): people with
# no identity and those two categories, then the other identities on application, then the ones
# assisted directly.
PRIORITY = {"": 0, "dibao_edge": 0, "rural_at_risk": 0, "illness_poor": 1, "other": 1}
DIRECT_PRIORITY = 2


def priority_of(category: str) -> int:
    return PRIORITY.get(category, DIRECT_PRIORITY)


# --- thresholds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lines:
    """A city's monitoring lines for one year; None where the policy has no value yet."""

    poverty: Decimal | None
    return_: Decimal | None
    person_cap: Decimal | None
    household_cap: Decimal | None
    note: str = ""


class Thresholds:
    """Lines per (township, year), read from the policy of the township's city.

    The value used for a year is the one in force on the year's last day, or today for the
    current year: the latest published income for that year.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self.city_of: dict[int, str] = dict(
            Township.objects.values_list("pk", "county__city__policy_code")
        )
        self._policies: dict[str, Any] = {}
        self._lines: dict[tuple[str, int], Lines] = {}

    def for_township(self, township_id: int, year: int) -> Lines:
        code = self.city_of[township_id]
        key = (code, year)
        if key not in self._lines:
            self._lines[key] = self._compute(code, year)
        return self._lines[key]

    def _compute(self, code: str, year: int) -> Lines:
        policy = self._policies.get(code)
        if policy is None:
            policy = self._policies[code] = load(code)
        on = min(date(year, 12, 31), self.today)
        if on < policy.starts_on:
            return Lines(None, None, None, None, f"{year} 年早于政策 {code} 的施行日期")
        params = policy.at(on)
        note = ""
        poverty: Decimal | None
        return_: Decimal | None
        try:
            income = params["rural_income"]
            poverty = fen(income * params["monitoring.poverty_share"])
            return_ = fen(income * params["monitoring.return_share"])
        except MissingParameter:
            poverty = return_ = None
            note = (
                f"政策 {code} 未设置 {year} 年适用的上年农村常住居民人均可支配收入，无法按收入预警"
            )
        person_cap = household_cap = None
        if params.get("monitoring.caps"):
            person_cap = params.get("fund.person_cap")
            household_cap = params.get("fund.household_cap")
        return Lines(poverty, return_, person_cap, household_cap, note)

    def any_household_cap(self, years: Iterable[int]) -> bool:
        first_township = {code: pk for pk, code in self.city_of.items()}
        return any(
            self.for_township(pk, year).household_cap is not None
            for pk in first_township.values()
            for year in years
        )

    def notes(self) -> list[str]:
        return sorted({lines.note for lines in self._lines.values() if lines.note})


# --- what changed -------------------------------------------------------------------------


def _changed_people(since: datetime) -> set[int]:
    """People whose burden or warning may differ from what the last run computed."""
    ids: set[int] = set()
    sources: Iterable[Any] = (
        HospitalSettlement.objects.filter(recorded_at__gte=since).values_list("person_id"),
        Application.objects.filter(updated_at__gte=since).values_list("person_id"),
        YearLedger.objects.filter(updated_at__gte=since).values_list("person_id"),
        HardshipIdentity.objects.filter(updated_at__gte=since).values_list("person_id"),
        Person.objects.filter(updated_at__gte=since).values_list("pk"),
    )
    for qs in sources:
        ids.update(pk for (pk,) in qs.distinct().iterator(chunk_size=5000))
    return _with_households(ids)


def _with_households(ids: set[int]) -> set[int]:
    """Add the other members of the households of ``ids`` (their household total changed too)."""
    households: set[int] = set()
    people = sorted(ids)
    for start in range(0, len(people), IN_CHUNK):
        households.update(
            h
            for (h,) in Person.objects.filter(
                pk__in=people[start : start + IN_CHUNK], household__isnull=False
            ).values_list("household_id")
        )
    hh = sorted(households)
    for start in range(0, len(hh), IN_CHUNK):
        ids.update(
            Person.objects.filter(household_id__in=hh[start : start + IN_CHUNK]).values_list(
                "pk", flat=True
            )
        )
    return ids


def _full_reason(last: MonitoringRun | None) -> str:
    if last is None:
        return "首次计算"
    changed = PolicyVersion.objects.filter(created_at__gte=last.started_at).first()
    if changed is not None:
        return f"政策 {changed.policy_code} 新增第 {changed.number} 版"
    return ""


# --- the sums -----------------------------------------------------------------------------


@dataclass
class Sums:
    expenses: int = 0
    total: Decimal = ZERO
    policy_scope: Decimal = ZERO
    insurance: Decimal = ZERO
    assistance: Decimal = ZERO


def _money_sum(expr: Any) -> Sum:
    return Sum(expr, output_field=DecimalField(max_digits=16, decimal_places=2))


def _sums(scope: Q, person_field: str) -> dict[tuple[int, int], Sums]:
    """Per (person, year): hospital records, the applications' bills, and window assistance."""
    sums: dict[tuple[int, int], Sums] = defaultdict(Sums)
    hospital = (
        HospitalSettlement.objects.filter(scope)
        .annotate(y=ExtractYear("day"))
        .values("person_id", "y")
        .annotate(
            n=Count("id"),
            total_sum=_money_sum("total"),
            scope_sum=_money_sum("policy_scope"),
            insurance_sum=_money_sum(F("basic_paid") + F("critical_paid")),
            assistance_sum=_money_sum("assistance_paid"),
        )
        .order_by()
    )
    for row in hospital:
        s = sums[(row["person_id"], row["y"])]
        s.expenses += row["n"]
        s.total += row["total_sum"]
        s.policy_scope += row["scope_sum"]
        s.insurance += row["insurance_sum"]
        s.assistance += row["assistance_sum"]
    bills = (
        MedicalExpense.objects.filter(_rename(scope, f"application__{person_field}"))
        .exclude(application__status__in=COUNTED_OUT)
        .annotate(y=ExtractYear(Coalesce("discharged_on", "visit_on")))
        .values("application__person_id", "y")
        .annotate(
            n=Count("id"),
            total_sum=_money_sum("total"),
            scope_sum=_money_sum("policy_scope"),
            insurance_sum=_money_sum(F("basic_paid") + F("critical_paid")),
        )
        .order_by()
    )
    for bill in bills:
        s = sums[(bill["application__person_id"], bill["y"])]
        s.expenses += bill["n"]
        s.total += bill["total_sum"]
        s.policy_scope += bill["scope_sum"]
        s.insurance += bill["insurance_sum"]
    ledgers = YearLedger.objects.filter(scope).values_list(
        "person_id", "year", "assistance_used", "tilted_used", "fund_used"
    )
    for person_id, year, assistance, tilted, fund in ledgers:
        if assistance or tilted or fund:
            sums[(person_id, year)].assistance += assistance + tilted + fund
    return sums


def _rename(scope: Q, field: str) -> Q:
    """The same person filter with the lookup moved onto another path (bills → application)."""
    children = [(k.replace("person_id", field), v) for k, v in scope.children]  # type: ignore[misc]
    return Q(*children)


def _best_categories(scope: Q, years: set[int]) -> dict[tuple[int, int], str]:
    """The most favourable identity valid at some point of each year, per (person, year)."""
    best: dict[tuple[int, int], str] = {}
    if not years:
        return best
    first, last = date(min(years), 1, 1), date(max(years), 12, 31)
    rows = (
        HardshipIdentity.objects.filter(scope, certified_on__lte=last)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .values_list("person_id", "category", "certified_on", "ended_on")
    )
    for person_id, category, start, end in rows:
        for year in range(max(start.year, first.year), min((end or last).year, last.year) + 1):
            key = (person_id, year)
            held = best.get(key)
            if held is None or CATEGORIES[category][2] < CATEGORIES[held][2]:
                best[key] = category
    return best


def _update_rows(model: Any, objects: list[Any], names: list[str]) -> None:
    """Write ``names`` of each object (see ``_execute_update``)."""
    attnames = [model._meta.get_field(name).attname for name in names]
    _execute_update(
        model, attnames, [[getattr(obj, a) for a in attnames] + [obj.pk] for obj in objects]
    )


def _execute_update(model: Any, attnames: list[str], rows: list[list[Any]]) -> None:
    """UPDATE … SET the columns WHERE id = the row's last value, sent with executemany.

    ``bulk_update`` builds one CASE WHEN per field and row; for thousands of rows Django spends
    seconds compiling it. The values go through each field's own database preparation.
    """
    if not rows:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[a] for a in attnames]
    ops = connection.ops
    sets = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in fields)
    sql = f"UPDATE {ops.quote_name(model._meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=False)] + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- the run ------------------------------------------------------------------------------


@dataclass
class Tally:
    people: int = 0
    burden_rows: int = 0
    raised: int = 0
    escalated: int = 0
    closed: int = 0


@dataclass(frozen=True)
class Wanted:
    level: str
    burden: Decimal
    threshold: Decimal


def _income_level(burden: Decimal, lines: Lines) -> Wanted | None:
    if lines.poverty is not None and burden > lines.poverty:
        return Wanted(WarningLevel.POVERTY, burden, lines.poverty)
    if lines.return_ is not None and burden > lines.return_:
        return Wanted(WarningLevel.RETURN, burden, lines.return_)
    return None


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
                 "assistance_paid", "burden_after_insurance", "burden_after_assistance")  # fmt: skip


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
        category = best.get(key, "")
        categories[key] = category
        values = (township_of[person_id], category, s.expenses, s.total, s.policy_scope,
                  s.insurance, s.assistance, after_insurance, after_assistance)  # fmt: skip
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
        if category and lines.person_cap is not None and after_assistance > lines.person_cap:
            wanted[(person_id, year, WarningList.CAP)] = Wanted(
                WarningLevel.PERSON_CAP, after_assistance, lines.person_cap
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


def _settle_warnings(
    scope: Q,
    wanted: dict[tuple[int, int, str], Wanted],
    township_of: dict[int, int],
    categories: dict[tuple[int, int], str],
    now: datetime,
    warn_from: int,
    tally: Tally,
    *,
    lists: tuple[str, ...],
    cap_levels: tuple[str, ...] = (WarningLevel.PERSON_CAP,),
) -> None:
    """Make the warnings of the people in ``scope`` match ``wanted``: create, escalate, reopen,
    refresh or close; each change of level or state leaves a follow-up row."""
    existing = {
        (w.person_id, w.year, w.list): w
        for w in BurdenWarning.objects.filter(scope, year__gte=warn_from, list__in=lists)
    }
    create: list[BurdenWarning] = []
    update: list[BurdenWarning] = []
    follow: list[FollowUp] = []
    for key, want in wanted.items():
        person_id, year, lst = key
        category = categories.get((person_id, year), "")
        w = existing.pop(key, None)
        if w is None:
            create.append(
                BurdenWarning(
                    person_id=person_id, township_id=township_of[person_id], year=year, list=lst,
                    level=want.level, priority=priority_of(category), category=category,
                    burden=want.burden, threshold=want.threshold, raised_at=now,
                )
            )  # fmt: skip
            continue
        before = (w.level, w.status, w.burden, w.threshold, w.category, w.township_id)
        if LEVEL_RANK[WarningLevel(want.level)] > LEVEL_RANK[WarningLevel(w.level)]:
            follow.append(
                FollowUp(
                    warning=w,
                    action=FollowUp.Action.ESCALATED,
                    note=f"{w.get_level_display()} → {WarningLevel(want.level).label}，"
                    f"个人负担 {want.burden} 元，超过监测线 {want.threshold} 元",
                )
            )
            w.level, w.escalated_at = want.level, now
            tally.escalated += 1
            if w.status == WarningStatus.CLOSED:
                w.status, w.close_reason = WarningStatus.OPEN, ""
        elif w.status == WarningStatus.CLOSED and w.close_reason == CloseReason.BELOW:
            w.status, w.close_reason = WarningStatus.OPEN, ""
            follow.append(
                FollowUp(
                    warning=w,
                    action=FollowUp.Action.REOPENED,
                    note=f"个人负担又升至 {want.burden} 元，超过监测线 {want.threshold} 元",
                )
            )
        if LEVEL_RANK[WarningLevel(want.level)] == LEVEL_RANK[WarningLevel(w.level)]:
            w.burden, w.threshold = want.burden, want.threshold
        w.category, w.priority = category, priority_of(category)
        w.township_id = township_of[person_id]
        if (w.level, w.status, w.burden, w.threshold, w.category, w.township_id) != before:
            update.append(w)
    for w in existing.values():  # no longer above any line
        if w.list == WarningList.CAP and w.level not in cap_levels:
            continue  # the household step decides household warnings
        if w.status in OPEN_STATUSES:
            w.status, w.close_reason = WarningStatus.CLOSED, CloseReason.BELOW
            follow.append(
                FollowUp(
                    warning=w,
                    action=FollowUp.Action.CLOSED,
                    note="重算后个人负担已不超过监测线，系统自动办结；如再超过会重新列入",
                )
            )
            update.append(w)
            tally.closed += 1
    # ignore_conflicts: a warning another run created meanwhile stays the only one
    BurdenWarning.objects.bulk_create(create, batch_size=2000, ignore_conflicts=True)
    tally.raised += len(create)
    for w in update:
        w.updated_at = now
    _update_rows(
        BurdenWarning,
        update,
        ["level", "status", "close_reason", "burden", "threshold", "category", "priority",
         "township", "escalated_at", "updated_at"],
    )  # fmt: skip
    FollowUp.objects.bulk_create(follow, batch_size=2000)


def _household_step(
    changed: list[int] | None,
    thresholds: Thresholds,
    now: datetime,
    warn_from: int,
    tally: Tally,
) -> int:
    """Seed 004's household cap, where switched on: the household's yearly burden after every
    layer, summed over members with a hardship identity's household, on the head's warning."""
    if not thresholds.any_household_cap((warn_from, warn_from + 1)):
        return 0
    columns = ("person_id", "person__household_id", "person__relationship", "year", "township_id",
               "category", "burden_after_assistance")  # fmt: skip
    rows = BurdenYear.objects.filter(year__gte=warn_from, person__household__isnull=False)
    if changed is not None:
        households: set[int] = set()
        for start in range(0, len(changed), IN_CHUNK):
            households.update(
                Person.objects.filter(
                    pk__in=changed[start : start + IN_CHUNK], household__isnull=False
                ).values_list("household_id", flat=True)
            )
        rows = rows.filter(person__household_id__in=sorted(households))
    per: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows.values_list(*columns).iterator(chunk_size=5000):
        per[(row[1], row[3])].append(row)
    wanted: dict[tuple[int, int, str], Wanted] = {}
    township_of: dict[int, int] = {}
    categories: dict[tuple[int, int], str] = {}
    heads: set[int] = set()
    for (_household, year), members in per.items():
        head = min(members, key=lambda r: (r[2] != Relationship.HEAD, r[0]))
        heads.add(head[0])
        township_of[head[0]] = head[4]
        lines = thresholds.for_township(head[4], year)
        if lines.household_cap is None or not any(m[5] for m in members):
            continue
        total = sum((m[6] for m in members), ZERO)
        if total > lines.household_cap:
            categories[(head[0], year)] = min(
                (m[5] for m in members if m[5]), key=lambda c: CATEGORIES[c][2]
            )
            wanted[(head[0], year, WarningList.CAP)] = Wanted(
                WarningLevel.HOUSEHOLD_CAP, total, lines.household_cap
            )
    if heads:
        with transaction.atomic():
            _settle_warnings(
                Q(person_id__in=sorted(heads)), wanted, township_of, categories, now, warn_from,
                tally, lists=(WarningList.CAP,), cap_levels=(WarningLevel.HOUSEHOLD_CAP,),
            )  # fmt: skip
    return len(per)
