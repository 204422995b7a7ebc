"""The engine's inputs and outputs: frozen dataclasses, ``Decimal`` yuan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from .categories import IdentityPeriod
from .money import ZERO

__all__ = ["KINDS", "Expense", "ExpenseResult", "IdentityPeriod", "Line", "Result", "YearState"]

KINDS: dict[str, str] = {
    "inpatient": "住院",
    "outpatient": "普通门诊",
    "chronic_outpatient": "门诊慢特病",
}


@dataclass(frozen=True, slots=True)
class Expense:
    """One medical expense as on the hospital's settlement slip (结算单)."""

    id: str
    day: date
    kind: str
    total: Decimal
    policy_scope: Decimal
    basic_paid: Decimal | None = None
    critical_paid: Decimal | None = None
    in_region: bool = True
    referred: bool = False


class YearState(NamedTuple):
    """What a person has used of the year's deductibles, caps and thresholds (the yearly ledger).

    ``household_borne`` is the personal burden the whole household (this person included) has borne
    this year; only the special fund (暖心基金) reads it. Immutable, like ExpenseResult.
    """

    deductible_used: Decimal = ZERO
    assistance_used: Decimal = ZERO
    tilted_threshold_used: Decimal = ZERO
    tilted_used: Decimal = ZERO
    critical_burden: Decimal = ZERO
    critical_used: Decimal = ZERO
    personal_borne: Decimal = ZERO
    fund_used: Decimal = ZERO
    household_borne: Decimal = ZERO


LEDGER_FIELDS: tuple[str, ...] = YearState._fields


# An explanation line before it is written out: a format string and its arguments (amounts are
# formatted ``{:,.2f}``, rates ``{:%}``). Writing the text is left until someone reads it, so that
# settling a million expenses does not format eight million lines nobody looks at.
type Line = tuple[str, tuple[object, ...]]


class ExpenseResult(NamedTuple):
    """One expense settled. Immutable (a named tuple rather than a frozen dataclass: a million of
    them are made in a batch, and a tuple is made several times faster)."""

    expense_id: str
    day: date
    identity: str | None
    total: Decimal
    basic: Decimal
    critical: Decimal
    assistance: Decimal
    tilted: Decimal
    fund: Decimal
    personal: Decimal
    explained: tuple[Line, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        """One line per step in Chinese, naming the rule and its clause."""
        return tuple(template.format(*args) for template, args in self.explained)


@dataclass(frozen=True)
class Result:
    policy_code: str
    policy_version: int
    fund_layer: bool
    expenses: tuple[ExpenseResult, ...]
    opening: Mapping[int, YearState] = field(default_factory=dict)
    closing: Mapping[int, YearState] = field(default_factory=dict)

    def totals(self) -> dict[str, Decimal]:
        sums = dict.fromkeys(
            ("total", "basic", "critical", "assistance", "tilted", "fund", "personal"), ZERO
        )
        for item in self.expenses:
            for key in sums:
                sums[key] += getattr(item, key)
        return sums
