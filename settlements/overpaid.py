"""What a window settlement paid too much once the hospitals' one-stop records are counted: the
year settled again in date order, with and without them. Reads only; ``ledger.onestop_enter`` asks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.formats import yuan
from engine import (
    Expense,
    IdentityPeriod,
    Inputs,
    Policy,
    SettlementInputError,
    settle,
)
from engine.model import paid_by_assistance

from .models import LedgerEntry, Settlement

# The amounts of one settled expense, stored as its result.
SETTLED_PARTS = ("total", "basic", "critical", "assistance", "tilted", "fund", "personal")


@dataclass(frozen=True)
class Overpaid:
    """A window settlement that paid more than it would have had the hospital's record been in the
    ledger when it was approved (or that paid a bill the hospital also assisted)."""

    settlement: Settlement
    amount: Decimal
    duplicate: bool
    note: str


def _fixed(expense_id: str, day: date, assistance: Decimal) -> Expense:
    """One-stop assistance as the replay sees it: a fixed amount that uses the cap, nothing else."""
    zero = Decimal("0.00")
    return Expense(
        id=expense_id, day=day, kind="outpatient", total=assistance, policy_scope=assistance,
        basic_paid=zero, critical_paid=zero, assistance_paid=assistance,
    )  # fmt: skip


def _late_overpaid(
    policy: Policy,
    identities: Sequence[IdentityPeriod],
    new: Sequence[Expense],  # the new records' expenses, their assistance paid set
    window: Sequence[Settlement],
    onestop_before: Sequence[LedgerEntry],
) -> list[Overpaid]:
    """Window settlements of the same years that the new records would have lowered: the year
    settled again in date order, with and without them (one-stop amounts are fixed facts)."""
    earlier = [_fixed(f"h{e.pk}", e.day, e.assistance) for e in onestop_before]
    added = [
        _fixed(f"n{i}", e.day, e.assistance_paid or Decimal("0.00")) for i, e in enumerate(new)
    ]
    owned: dict[str, Settlement] = {}
    bills: list[Expense] = []
    for s in window:
        for e in Inputs.from_json(s.inputs, ledger=s.ledger_before).expenses:
            bills.append(e)
            owned[e.id] = s
    try:
        without = settle(policy, identities, [*earlier, *bills])
        with_new = settle(policy, identities, [*earlier, *added, *bills])
    except SettlementInputError:
        return []
    paid_without: dict[int, Decimal] = {}
    paid_with: dict[int, Decimal] = {}
    for result, into in ((without, paid_without), (with_new, paid_with)):
        for r in result.expenses:
            if r.expense_id in owned:
                pk = owned[r.expense_id].pk
                into[pk] = into.get(pk, Decimal("0.00")) + paid_by_assistance(r)
    found = []
    for s in window:
        over = paid_without.get(s.pk, Decimal("0.00")) - paid_with.get(s.pk, Decimal("0.00"))
        over = min(over, s.unrecovered)
        if over > 0:
            found.append(
                Overpaid(
                    s,
                    over,
                    False,
                    "医院一站式结算记录晚于本案审批到达，按日期顺序计入本年限额后，本案多付 "
                    f"{yuan(over)} 元",
                )
            )
    return found
