"""The yearly ledger (年度救助台账) and everything that moves it, under one lock.

``_ledger_rows_locked`` is the lock: the rows of the people concerned (and of their household), made
where missing and locked in one order until the transaction ends. Every write of ``YearLedger`` is a
function of this package, each under that lock:

- ``settlement_store`` (through ``settlement_approve``, or ``settlement_calculate`` then store, as a
  case's approval does): an approved settlement's closing state;
- ``settlement_revoke``: a revoked settlement's moves taken back;
- ``settlement_recover``: recovered money given back to the year's cap;
- ``onestop_enter`` (``onestop.py``): the hospitals' one-stop assistance (一站式结算) entered, with
  the tilted assistance its bills are due (倾斜救助, reserved against the yearly cap);
- ``tilted_claim_*`` (``tilted.py``): a due tilted assistance approved, or refused and given back.

Reads of the ledger (previews, the opening state) are ``settlements.services.ledger_opening``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from beneficiaries.models import Person
from core.formats import yuan
from engine import (
    Expense,
    Inputs,
    Policy,
    Result,
    SettlementInputError,
    YearState,
    settle,
)
from engine.model import LEDGER_FIELDS, paid_by_assistance, state_json

from ..models import LedgerEntry, Settlement, YearLedger
from ..services import (
    AlreadySettled,
    Bill,
    BillAlreadyAssisted,
    _refuse_held,
    _state,
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
    # "tilted": the one-stop bills' tilted dues (``tilted.py``), re-explained from the stored
    # result, not by settling again
    claim: str = ""


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
                result={
                    **_result_json(result),
                    **({"claim": calculated.claim} if calculated.claim else {}),
                },
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


LEDGER_AUDITED = (
    "deductible_used",
    "assistance_used",
    "tilted_threshold_used",
    "tilted_used",
    "deductible_used_outpatient",
    "assistance_used_outpatient",
    "deductible_used_chronic_outpatient",
    "assistance_used_chronic_outpatient",
)


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
    # one-stop bills' tilted dues it paid are due again (still reserved: the cap holds)
    LedgerEntry.objects.filter(tilted_settlement=item).update(tilted_settlement=None)
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


# the one-stop records' door, a module of its own (imported last: it uses the lock above)
from .onestop import OneStop, onestop_enter, onestop_release  # noqa: E402

__all__ = [
    "Calculated",
    "OneStop",
    "onestop_enter",
    "onestop_release",
    "settlement_approve",
    "settlement_calculate",
    "settlement_recover",
    "settlement_revoke",
    "settlement_store",
]
