#!/usr/bin/env python
"""Settlement engine benchmark: 1,000,000 expenses of 100,000 people, then ``manage.py settle``.

    .venv/bin/python bench/settle_engine.py                  # defaults below
    BENCH_PEOPLE=10000 BENCH_PER_PERSON=10 .venv/bin/python bench/settle_engine.py

Part 1 runs the pure engine in this process on one core: each person's year of expenses (several
identities, inpatient and outpatient, in and out of region) through ``settle`` with explanation
lines, as an approval would. Prints expenses per second and peak memory.
Part 2 writes one case file of 10,000 expenses and times ``manage.py settle`` on it as a process
(start-up of Django included).
"""

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures import spread  # noqa: E402

from engine import Expense, settle  # noqa: E402
from engine.categories import CATEGORIES, IdentityPeriod  # noqa: E402
from settlements.policies import shipped  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "100000"))
PER_PERSON = int(os.environ.get("BENCH_PER_PERSON", "10"))
FILE_EXPENSES = int(os.environ.get("BENCH_FILE_EXPENSES", "10000"))
YEAR0 = date(2023, 1, 1)
CODES = list(CATEGORIES)


def cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def person_case(rng: random.Random, n: int) -> tuple[list[IdentityPeriod], list[Expense]]:
    identities = []
    for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
        start = YEAR0 + timedelta(days=rng.randint(-400, 300))
        end = None if rng.random() < 0.7 else start + timedelta(days=rng.randint(30, 500))
        identities.append(IdentityPeriod(rng.choice(CODES), start, end))
    expenses = []
    for k in range(n):
        kind = rng.choice(("inpatient", "inpatient", "outpatient", "chronic_outpatient"))
        total = cents(rng, 200, 150_000) if kind == "inpatient" else cents(rng, 20, 8_000)
        scope = (total * Decimal(rng.randint(70, 100)) / 100).quantize(Decimal("0.01"))
        basic = (scope * Decimal(rng.randint(40, 75)) / 100).quantize(Decimal("0.01"))
        critical = (max(Decimal(0), scope - basic - 15000) * Decimal("0.6")).quantize(
            Decimal("0.01")
        )
        in_region = rng.random() < 0.9
        expenses.append(
            Expense(
                id=f"e{k}",
                day=YEAR0 + timedelta(days=rng.randint(0, 364)),
                kind=kind,
                total=total,
                policy_scope=scope,
                basic_paid=basic,
                critical_paid=critical,
                in_region=in_region,
                referred=rng.random() < 0.6,
            )
        )
    return identities, expenses


FEN = Decimal("0.01")


def bare_loop(cases: list) -> tuple[float, Decimal]:  # type: ignore[type-arg]
    """The floor: the same arithmetic per expense in a bare ``Decimal`` loop, with no identities,
    no policy lookups, no explanation: the self-pay after insurance, the out-of-list part, a
    deductible taken from the year's running balance, a ratio, the yearly cap, every amount to the
    fen. What any correct engine must at least do."""
    deductible, ratio, cap = Decimal("5000.00"), Decimal("0.65"), Decimal("100000.00")
    paid_total = Decimal(0)
    t0 = time.process_time()
    for _identities, expenses in cases:
        left_deductible, left_cap = deductible, cap
        for e in expenses:
            personal = (e.total - e.basic_paid - e.critical_paid).quantize(FEN)
            in_scope = max(Decimal(0), e.policy_scope - e.basic_paid - e.critical_paid)
            taken = min(left_deductible, in_scope)
            left_deductible -= taken
            assisted = min(((in_scope - taken) * ratio).quantize(FEN), left_cap)
            left_cap -= assisted
            paid_total += assisted
            _still_borne = personal - assisted  # what the person bears after assistance
    return time.process_time() - t0, paid_total


def bench_engine() -> None:
    rng = random.Random(20231)
    policy = shipped("hohhot-2023").with_overrides({"city_income": "50000.00"})
    t0 = time.perf_counter()
    cases = [person_case(rng, PER_PERSON) for _ in range(PEOPLE)]
    built = time.perf_counter() - t0
    count = PEOPLE * PER_PERSON
    assisted = Decimal(0)
    lines = 0
    # The engine and its floor take the people a thousand at a time, in turn, so that both see
    # the same state of the machine (the engine's whole run and then the floor's had moved the
    # ratio by a tenth from one run to the next); which goes first alternates, so that neither
    # is always the one running just after the other
    cpu = wall = floor_cpu = 0.0
    thirds: list[tuple[float, float]] = []  # (engine, floor) CPU at each third of the people
    for start in range(0, len(cases), 1000):
        if start and start % max(1000, len(cases) // 3000 * 1000) == 0:
            thirds.append((cpu, floor_cpu))
        chunk = cases[start : start + 1000]
        floor_first = start % 2000 == 0
        if floor_first:
            floor_cpu += bare_loop(chunk)[0]
        t0 = time.process_time()
        w0 = time.perf_counter()
        for identities, expenses in chunk:  # as the ledger and one-stop entries do: no line read
            result = settle(policy, identities, expenses)
            for row in result.expenses:
                assisted += row.assistance + row.tilted
        cpu += time.process_time() - t0
        wall += time.perf_counter() - w0
        if not floor_first:
            floor_cpu += bare_loop(chunk)[0]
    marks = [(0.0, 0.0), *thirds, (cpu, floor_cpu)]
    rounds = [(c1 - c0) / (f1 - f0) for (c0, f0), (c1, f1) in pairwise(marks) if f1 > f0]
    t0 = time.process_time()
    for identities, expenses in cases:  # as an approval does: every line built, to be stored
        result = settle(policy, identities, expenses, explain=True)
        for row in result.expenses:
            lines += len(row.explained)
    explained_cpu = time.process_time() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"engine: {count:,} expenses of {PEOPLE:,} people (inputs built in {built:.1f} s)")
    print(
        f"  {cpu:.1f} s CPU ({wall:.1f} s wall) on one core: {count / cpu:,.0f} expenses/s, "
        f"{cpu / count * 1e6:.1f} µs per expense; each explanation built only when read"
    )
    print(
        f"  with every explanation built at once (explain=True, as an approval stores it): "
        f"{count / explained_cpu:,.0f} expenses/s, {explained_cpu / count * 1e6:.1f} µs per expense, "
        f"{lines / count:.1f} lines each"
    )
    # Writing the explanation text out, as a case page or a letter does, for a sample of results
    sample = [settle(policy, i, e, explain=True) for i, e in cases[:2000]]
    t0 = time.process_time()
    written = sum(len(r.lines) for result in sample for r in result.expenses)
    per_line = (time.process_time() - t0) / written
    print(
        f"  writing the explanation text: {per_line * 1e6:.2f} µs per line "
        f"({per_line * lines / count * 1e6:.1f} µs per expense, done only when a line is read)"
    )
    print(
        f"  assistance + tilted paid: {assisted:,.2f} yuan; peak RSS {peak:,.0f} MiB "
        f"(the million inputs held in memory; results are dropped as they come)"
    )
    print(
        f"  floor (a bare Decimal loop, the same arithmetic, same inputs): {count / floor_cpu:,.0f} "
        f"expenses/s, {floor_cpu / count * 1e6:.1f} µs per expense; engine ÷ floor: "
        f"{cpu / floor_cpu:.1f}x"
    )
    print(
        f"ROW|settlement engine, {count:,} expenses|{count / cpu:,.0f} a second|"
        f"{count / floor_cpu:,.0f} a second|{cpu / floor_cpu:.1f}|"
        f"{spread(rounds)}"
    )


def bench_command() -> None:
    rng = random.Random(7)
    identities, expenses = person_case(rng, FILE_EXPENSES)
    case = {
        "policy": "hohhot-2023",
        "parameters": {"city_income": "50000.00"},
        "identities": [
            {
                "category": i.category,
                "certified_on": i.certified_on.isoformat(),
                "ended_on": i.ended_on.isoformat() if i.ended_on else None,
            }
            for i in identities
        ]
        or [{"category": "dibao", "certified_on": "2022-01-01", "ended_on": None}],
        "expenses": [
            {
                "id": e.id,
                "date": e.day.isoformat(),
                "kind": e.kind,
                "total": str(e.total),
                "policy_scope": str(e.policy_scope),
                "basic_paid": str(e.basic_paid),
                "critical_paid": str(e.critical_paid),
                "in_region": e.in_region,
                "referred": e.referred,
            }
            for e in expenses
        ],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(case, handle)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "settle", handle.name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - t0
    out = json.loads(done.stdout)
    Path(handle.name).unlink()
    print(
        f"manage.py settle: {FILE_EXPENSES:,} expenses in {wall:.2f} s "
        f"({FILE_EXPENSES / wall:,.0f} expenses/s including Django start-up and JSON), "
        f"output {len(done.stdout) / 1e6:.1f} MB, assistance total {out['totals']['assistance']}"
    )


if __name__ == "__main__":
    bench_engine()
    bench_command()
