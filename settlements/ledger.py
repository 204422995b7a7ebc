"""The yearly ledger (年度救助台账) and everything that moves it, under one lock.

``_ledger_rows_locked`` is the lock: the rows of the people concerned (and of their household), made
where missing and locked in one order until the transaction ends. Every write of ``YearLedger`` is a
function of this module, each under that lock:

- ``settlement_store`` (through ``settlement_approve``, or ``settlement_calculate`` then store, as a
  case's approval does): an approved settlement's closing state;
- ``settlement_revoke``: a revoked settlement's moves taken back;
- ``settlement_recover``: recovered money given back to the year's cap;
- ``onestop_enter``: the hospitals' one-stop assistance (一站式结算) entered.

Reads of the ledger (previews, the opening state) are ``settlements.services.ledger_opening``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from beneficiaries.models import HardshipIdentity, Person
from core.formats import yuan
from core.rows import update_rows
from engine import (
    Expense,
    IdentityPeriod,
    Inputs,
    Policy,
    Result,
    SettlementInputError,
    YearState,
    settle,
)
from engine.model import LEDGER_FIELDS, paid_by_assistance, state_json

from .models import LedgerEntry, Settlement, YearLedger
from .overpaid import Overpaid, _late_overpaid
from .policies import load
from .services import (
    AlreadySettled,
    Bill,
    BillAlreadyAssisted,
    _refuse_held,
    _state,
    holders_of,
    household_ids,
    identities_of,
    policy_for,
)

# The amounts of one settled expense, stored as its result.
SETTLED_PARTS = ("total", "basic", "critical", "assistance", "tilted", "fund", "personal")


def _ledger_rows_locked(
    person_ids: Sequence[int], years: Sequence[int], also: Sequence[int] = ()
) -> dict[tuple[int, int], YearLedger]:
    """The yearly ledger rows of these people (made where missing) and of ``also`` (the rest of a
    household), locked until the transaction ends, always in the same order (no deadlock), by
    (person, year). Every move of the ledger starts here."""
    YearLedger.objects.bulk_create(
        [YearLedger(person_id=p, year=y) for p in person_ids for y in years], ignore_conflicts=True
    )
    return {
        (r.person_id, r.year): r
        for r in YearLedger.objects.select_for_update()
        .filter(person_id__in={*person_ids, *also}, year__in=years)
        .order_by("person_id", "year")
    }


def _ledger_locked(
    person: Person, years: list[int]
) -> tuple[dict[int, YearState], dict[int, YearLedger]]:
    """The ledger at the start, with the person's rows (and the household's, for the special fund)
    locked until the transaction ends: (opening by year, the person's rows to write back)."""
    locked = _ledger_rows_locked([person.pk], years, also=household_ids(person))
    own = {year: row for (pk, year), row in locked.items() if pk == person.pk}
    household: dict[int, Decimal] = {}
    for (_pk, year), row in locked.items():
        household[year] = household.get(year, Decimal("0.00")) + row.personal_borne
    return {y: _state(own[y], household[y]) for y in years}, own


@dataclass(frozen=True)
class Calculated:
    """A settlement computed under the ledger's row lock and not stored yet: the caller decides
    (a first approval above the county's amount stores nothing) and ``settlement_store`` keeps it,
    in the same transaction, so the figure decided on is the figure stored."""

    key: str
    person: Person
    policy: Policy
    inputs: Inputs
    result: Result
    rows: dict[int, YearLedger]
    bills: tuple[Bill, ...] = ()


def settlement_calculate(
    *,
    key: str,
    person: Person,
    expenses: Sequence[Expense],
    policy: Policy | None = None,
    bills: Sequence[Bill] = (),
) -> Calculated:
    """Load → calculate, under lock: the person's ledger rows (and those of the household) are
    locked first, so two approvals at the same moment run one after the other and a cap can never
    be exceeded. Call inside ``transaction.atomic``; the lock lasts until it ends. A bill already
    on a live ledger entry is refused (the unique keys refuse it again when it is stored)."""
    if not expenses:
        raise ValidationError("没有可结算的费用。", code="empty")
    if Settlement.objects.filter(key=key).exists():
        raise AlreadySettled("已经结算过，不再重复结算。", code="already_settled")
    policy = policy or policy_for(person)
    opening, rows = _ledger_locked(person, sorted({e.day.year for e in expenses}))
    _refuse_held(bills)
    inputs = Inputs(tuple(identities_of(person)), tuple(expenses), opening)
    try:
        result = settle(policy, inputs.identities, inputs.expenses, inputs.opening, explain=True)
    except SettlementInputError as exc:
        raise ValidationError(str(exc), code="engine") from None
    return Calculated(key, person, policy, inputs, result, rows, tuple(bills))


def settlement_store(*, calculated: Calculated, actor: User) -> Settlement:
    """→ store: the settlement with the snapshot of its inputs and policy version, the ledger
    moved, the audit row; exactly once per key (a unique key)."""
    key, person, policy, inputs, result = (
        calculated.key,
        calculated.person,
        calculated.policy,
        calculated.inputs,
        calculated.result,
    )
    totals = result.totals()
    first = min(inputs.expenses, key=lambda e: e.day)
    try:
        with transaction.atomic():
            settlement = Settlement.objects.create(
                key=key,
                person=person,
                year=first.day.year,
                policy_code=policy.code,
                policy_version=policy.version,
                identity=next((r.identity for r in result.expenses if r.identity), "") or "",
                **{k: totals[k] for k in ("total", "basic", "critical", "assistance", "tilted")},
                fund=totals["fund"],
                personal=totals["personal"],
                inputs=_inputs_json(policy, inputs, first.day),
                result=_result_json(result),
                ledger_before={str(y): state_json(s) for y, s in result.opening.items()},
                ledger_after={str(y): state_json(s) for y, s in result.closing.items()},
                approved_by=actor,
            )
    except IntegrityError:
        raise AlreadySettled("已经结算过，不再重复结算。", code="already_settled") from None
    _enter_window_bills(settlement, result, calculated.bills)
    for year in inputs.years:
        row, state = calculated.rows[year], result.closing[year]
        for name in LEDGER_FIELDS:
            if name != "household_borne":
                setattr(row, name, getattr(state, name))
        row.save()
    record(
        actor=actor,
        event=Event.SETTLEMENT_APPROVED,
        target=settlement,
        summary=(
            f"结算入账 {key}：医疗救助 {totals['assistance']} 元，倾斜救助 {totals['tilted']} 元"
            f"（{policy.code} 第 {policy.version} 版）"
        ),
        changes=_ledger_changes(result, inputs.years),
    )
    return settlement


def _enter_window_bills(settlement: Settlement, result: Result, bills: Sequence[Bill]) -> None:
    """One live ledger entry per settled bill. Two approvals of the same bill at once: the second
    one's INSERT meets the unique index and its whole transaction is refused."""
    by_id = {b.expense_id: b for b in bills}
    entries = []
    for r in result.expenses:
        bill = by_id.get(r.expense_id) or Bill(r.expense_id, "", f"费用 {r.expense_id}")
        entries.append(
            LedgerEntry(
                person=settlement.person,
                year=r.day.year,
                day=r.day,
                source=LedgerEntry.Source.WINDOW,
                settlement=settlement,
                hospital=bill.hospital[:100],
                label=bill.label[:200],
                invoice_key=bill.invoice_key,
                settlement_key=bill.settlement_key,
                total=r.total,
                assistance=paid_by_assistance(r),
            )
        )
    try:
        with transaction.atomic():
            LedgerEntry.objects.bulk_create(entries)
    except IntegrityError:
        _refuse_held(bills)  # names the holder that committed first
        raise BillAlreadyAssisted("同一费用不得重复救助。", code="duplicate") from None


def _inputs_json(policy: Policy, inputs: Inputs, day: date) -> dict[str, Any]:
    """The snapshot a decision keeps to be re-explained later: the policy version and its
    parameters on the day, and the engine's inputs (``Inputs.to_json``)."""
    return {
        "policy": policy.code,
        "policy_version": policy.version,
        "parameters": {
            name: policy.parameters[name].to_json(value)
            for name, value in policy.at(day).as_dict().items()
        },
        **inputs.to_json(),
    }


def _result_json(result: Result) -> dict[str, Any]:
    return {
        "expenses": [
            {
                "id": r.expense_id,
                "identity": r.identity,
                **{k: str(getattr(r, k)) for k in SETTLED_PARTS},
                "lines": list(r.lines),
            }
            for r in result.expenses
        ]
    }


LEDGER_AUDITED = ("deductible_used", "assistance_used", "tilted_threshold_used", "tilted_used")


def _ledger_changes(result: Result, years: list[int]) -> dict[str, list[str]]:
    """The yearly ledger's moves, for the audit row: ``{"2026.assistance_used": [old, new]}``."""
    return {
        f"{year}.{name}": [
            str(getattr(result.opening[year], name)),
            str(getattr(result.closing[year], name)),
        ]
        for year in years
        for name in LEDGER_AUDITED
        if getattr(result.opening[year], name) != getattr(result.closing[year], name)
    }


@transaction.atomic
def settlement_approve(
    *,
    key: str,
    person: Person,
    expenses: Sequence[Expense],
    actor: User,
    policy: Policy | None = None,
) -> Settlement:
    """Settle ``expenses`` for good and move the person's yearly ledger, exactly once per ``key``:
    ``settlement_calculate`` under the lock, then ``settlement_store``."""
    calculated = settlement_calculate(key=key, person=person, expenses=expenses, policy=policy)
    return settlement_store(calculated=calculated, actor=actor)


@transaction.atomic
def settlement_revoke(*, settlement: Settlement, actor: User, reason: str) -> Settlement:
    """Revoke an approved settlement (撤销): its moves leave the yearly ledger and its bills are
    released, under the ledger's row lock; the settlement itself stays, marked, for the record."""
    item = Settlement.objects.select_for_update().get(pk=settlement.pk)
    if item.revoked_at is not None:
        raise ValidationError("该结算已经撤销。", code="revoked")
    years = sorted(int(y) for y in item.ledger_after)
    rows = _ledger_rows_locked([item.person_id], years)
    changes: dict[str, list[str]] = {}
    for year in years:
        row = rows[(item.person_id, year)]
        before, after = item.ledger_before[str(year)], item.ledger_after[str(year)]
        for name in LEDGER_FIELDS:
            if name == "household_borne" or name not in after:
                continue
            moved = Decimal(after[name]) - Decimal(before.get(name, "0"))
            if moved:
                old = getattr(row, name)
                setattr(row, name, max(Decimal("0.00"), old - moved))
                if name in LEDGER_AUDITED:
                    changes[f"{year}.{name}"] = [str(old), str(getattr(row, name))]
        row.save()
    now = timezone.now()
    item.revoked_at, item.revoked_by, item.revoke_reason = now, actor, reason.strip()
    item.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    released = item.entries.filter(released_at__isnull=True).update(released_at=now)
    record(
        actor=actor,
        event=Event.SETTLEMENT_REVOKED,
        target=item,
        summary=f"撤销结算 {item.key}：台账退回医疗救助 {yuan(item.paid_by_assistance)} 元，"
        f"释放票据 {released} 张；理由：{reason.strip()}",
        changes=changes,
    )
    return item


@transaction.atomic
def settlement_recover(
    *, settlement: Settlement, amount: Decimal, actor: User, note: str
) -> Settlement:
    """Money of a paid settlement came back (追回到账): the ledger gives the amount back to the
    year's cap (assistance first, then tilted assistance, then the fund), under the row lock."""
    item = Settlement.objects.select_for_update().get(pk=settlement.pk)
    left = item.unrecovered
    if amount <= 0 or amount > left:
        raise ValidationError(
            f"追回金额须大于 0 且不超过尚未追回的 {yuan(left)} 元。", code="amount"
        )
    row = _ledger_rows_locked([item.person_id], [item.year])[(item.person_id, item.year)]
    rest = amount
    changes: dict[str, list[str]] = {}
    for name in ("assistance_used", "tilted_used", "fund_used"):
        take = min(rest, getattr(row, name))
        if take:
            changes[f"{item.year}.{name}"] = [
                str(getattr(row, name)),
                str(getattr(row, name) - take),
            ]
            setattr(row, name, getattr(row, name) - take)
            rest -= take
    row.save()
    item.recovered += amount
    item.save(update_fields=["recovered"])
    record(
        actor=actor,
        event=Event.SETTLEMENT_RECOVERED,
        target=item,
        summary=f"追回到账 {item.key}：{yuan(amount)} 元，台账退回本年限额；{note}",
        changes=changes,
    )
    return item


@dataclass(frozen=True)
class OneStop:
    """A hospital record that paid medical assistance (一站式结算), as it enters the ledger."""

    person_id: int
    record_key: str
    expense: Expense  # with assistance_paid set
    bill: Bill


def onestop_enter(records: Sequence[OneStop]) -> list[Overpaid]:
    """Enter hospitals' one-stop assistance into the yearly ledgers (in the caller's transaction).

    Each record becomes a live entry and moves its person's ledger (under the row lock), so caps
    and the burden figures count it. A record already entered is skipped. A bill already assisted
    at the window keeps its window entry; the hospital's entry is kept without keys, linked to it,
    and the window's amount is returned as over-paid. A record dated before window bills of the
    same year can make an approval already made too high: the approval stands (it was right on
    what the ledger held), and the difference, found by settling the year again in date order with
    and without the new records, is returned as over-paid for the county to recover.
    """
    records = [r for r in records if r.expense.assistance_paid]
    entered = set(
        LedgerEntry.objects.filter(record_key__in=[r.record_key for r in records]).values_list(
            "record_key", flat=True
        )
    )
    records = [r for r in records if r.record_key not in entered]
    if not records:
        return []
    ctx = _OneStopContext.load(records)
    by_person: dict[int, list[OneStop]] = {}
    for r in records:
        by_person.setdefault(r.person_id, []).append(r)
    for person_id, mine in sorted(by_person.items()):
        ctx.enter(person_id, mine)
    now = timezone.now()  # written by hand: the recompute reads it for what changed
    for row in ctx.moved:
        row.updated_at = now
    update_rows(
        YearLedger, ctx.moved, [n for n in LEDGER_FIELDS if n != "household_borne"] + ["updated_at"]
    )
    LedgerEntry.objects.bulk_create(ctx.entries)
    return [o for o in ctx.overpaid if o.amount > 0]


@dataclass
class _OneStopContext:
    """What entering a set of one-stop records needs, loaded once for all their people: the
    ledger rows (locked), the bills already held, identities, the window settlements a late record
    may have made too high, and the one-stop entries before them; and what entering produces."""

    people: dict[int, Person]
    years: list[int]
    rows: dict[tuple[int, int], YearLedger]
    held: dict[str, LedgerEntry]
    identities: dict[int, list[IdentityPeriod]]
    windowed: dict[int, list[Settlement]]
    earlier: dict[int, list[LedgerEntry]]
    policies: dict[str, Policy] = field(default_factory=dict)
    entries: list[LedgerEntry] = field(default_factory=list)
    moved: list[YearLedger] = field(default_factory=list)
    overpaid: list[Overpaid] = field(default_factory=list)

    @classmethod
    def load(cls, records: Sequence[OneStop]) -> _OneStopContext:
        people = {p.pk: p for p in Person.objects.filter(pk__in={r.person_id for r in records})
                  .select_related("township__county__city")}  # fmt: skip
        years = sorted({r.expense.day.year for r in records})
        rows = _ledger_rows_locked(sorted(people), years)
        held = {k: e for e in holders_of([k for r in records for k in r.bill.keys])
                for k in (e.invoice_key, e.settlement_key) if k}  # fmt: skip
        identities: dict[int, list[IdentityPeriod]] = {}
        for person_id, category, start, end in HardshipIdentity.objects.filter(
            person_id__in=people
        ).values_list("person_id", "category", "certified_on", "ended_on"):
            identities.setdefault(person_id, []).append(IdentityPeriod(category, start, end))
        windowed: dict[int, list[Settlement]] = {}
        for settlement in Settlement.objects.filter(
            person_id__in=people, year__in=years, revoked_at__isnull=True
        ).order_by("approved_at", "id"):
            windowed.setdefault(settlement.person_id, []).append(settlement)
        earlier: dict[int, list[LedgerEntry]] = {}
        for entry in LedgerEntry.objects.filter(
            person_id__in=list(windowed), year__in=years, source=LedgerEntry.Source.ONESTOP,
            released_at__isnull=True,
        ):  # fmt: skip
            earlier.setdefault(entry.person_id, []).append(entry)
        return cls(people, years, rows, held, identities, windowed, earlier)

    def policy(self, person: Person) -> Policy:
        code = person.township.county.city.policy_code
        if code not in self.policies:
            self.policies[code] = load(code)
        return self.policies[code]

    def enter(self, person_id: int, mine: list[OneStop]) -> None:
        """One person's records: the ledger moved, an entry each, over-paid window cases found."""
        policy = self.policy(self.people[person_id])
        opening = {y: _state(self.rows[(person_id, y)], Decimal("0.00")) for y in self.years}
        known = self.identities.get(person_id, [])
        try:
            result = settle(policy, known, [r.expense for r in mine], opening)
        except SettlementInputError:
            return  # a record the policy cannot read (before it took effect): not entered
        for year, state in result.closing.items():
            row = self.rows[(person_id, year)]
            for name in LEDGER_FIELDS:
                if name != "household_borne":
                    setattr(row, name, getattr(state, name))
            self.moved.append(row)
        for r in mine:
            twin = next((self.held[k] for k in r.bill.keys if k in self.held), None)
            if twin is not None and twin.settlement is not None:
                self.overpaid.append(
                    Overpaid(
                        twin.settlement,
                        min(twin.assistance, twin.settlement.unrecovered),
                        True,
                        f"医院一站式结算已对同一票据支付医疗救助 {yuan(r.expense.assistance_paid)} 元（{r.bill.label}）",
                    )
                )
            self.entries.append(_onestop_entry(r, twin))
        if person_id in self.windowed:
            self.overpaid.extend(
                _late_overpaid(
                    policy, known, [r.expense for r in mine],
                    self.windowed[person_id], self.earlier.get(person_id, []),
                )
            )  # fmt: skip


def _onestop_entry(r: OneStop, twin: LedgerEntry | None) -> LedgerEntry:
    """The ledger entry of a one-stop record; without the bill's keys when the window holds them."""
    return LedgerEntry(
        person_id=r.person_id,
        year=r.expense.day.year,
        day=r.expense.day,
        source=LedgerEntry.Source.ONESTOP,
        record_key=r.record_key,
        hospital=r.bill.hospital[:100],
        label=r.bill.label[:200],
        invoice_key="" if twin else r.bill.invoice_key,
        settlement_key="" if twin else r.bill.settlement_key,
        total=r.expense.total,
        assistance=r.expense.assistance_paid or Decimal("0.00"),
        duplicate_of=twin,
    )
