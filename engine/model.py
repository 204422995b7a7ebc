"""The engine's inputs and outputs: frozen dataclasses, ``Decimal`` yuan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple, Protocol

from .categories import IdentityPeriod
from .money import ZERO

__all__ = [
    "KINDS",
    "PAID_PARTS",
    "Expense",
    "ExpenseResult",
    "IdentityPeriod",
    "Inputs",
    "Line",
    "Result",
    "YearState",
    "paid_by_assistance",
]

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
    # Set for a bill the hospital already settled with medical assistance (一站式结算): the engine
    # takes that amount as paid (no deductible, no tilted assistance) and moves the ledger by it.
    assistance_paid: Decimal | None = None
    # The referral that makes the bill 规范转诊, as the explanation names it (a registered
    # referral covering its hospital and date, or an old case's recorded answer); "" if none.
    referral: str = ""


class YearState(NamedTuple):
    """What a person has used of the year's deductibles, caps and thresholds (the yearly ledger).

    ``household_borne`` is the personal burden the whole household (this person included) has borne
    this year; only the special fund (暖心基金) reads it. ``deductible_used`` is the inpatient
    deductible; each outpatient kind has its own deductible and sub-limit amounts
    (``…_outpatient``, ``…_chronic_outpatient``). Immutable, like ExpenseResult.
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
    # outpatient care's own deductible and assistance, against its own parameters (the shared
    # yearly cap is ``assistance_used``, which counts every kind)
    deductible_used_outpatient: Decimal = ZERO
    assistance_used_outpatient: Decimal = ZERO
    deductible_used_chronic_outpatient: Decimal = ZERO
    assistance_used_chronic_outpatient: Decimal = ZERO


LEDGER_FIELDS: tuple[str, ...] = YearState._fields

# What medical assistance pays out of a settlement: 医疗救助 + 倾斜救助 + 暖心基金 (where the
# policy has the fund). The one sum of "拟发放 / 批准金额"; the rest is insurance or the person's.
PAID_PARTS: tuple[str, ...] = ("assistance", "tilted", "fund")


def paid_by_assistance(parts: object) -> Decimal:
    """What assistance pays of ``parts`` (an ExpenseResult, a stored settlement, …)."""
    return sum((getattr(parts, name) for name in PAID_PARTS), ZERO)


def _expense_json(e: Expense) -> dict[str, object]:
    return {
        "id": e.id,
        "date": e.day.isoformat(),
        "kind": e.kind,
        "total": str(e.total),
        "policy_scope": str(e.policy_scope),
        "basic_paid": None if e.basic_paid is None else str(e.basic_paid),
        "critical_paid": None if e.critical_paid is None else str(e.critical_paid),
        "in_region": e.in_region,
        "referred": e.referred,
        **({} if e.assistance_paid is None else {"assistance_paid": str(e.assistance_paid)}),
        **({"referral": e.referral} if e.referral else {}),
    }


def _amount_or_none(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def state_json(state: YearState) -> dict[str, str]:
    return {name: str(getattr(state, name)) for name in LEDGER_FIELDS}


def state_from_json(values: Mapping[str, str]) -> YearState:
    return YearState(**{k: Decimal(v) for k, v in values.items() if k in LEDGER_FIELDS})


@dataclass(frozen=True)
class Inputs:
    """Everything the engine reads about a person, besides the policy: their identities, the
    expenses to settle and the yearly ledger they start from. Built by one loader
    (``settlements.services.load_inputs``) for the case page's preview, the approval and the
    monitoring, stored with every settlement (``to_json``) and read back to re-explain it
    (``from_json``)."""

    identities: tuple[IdentityPeriod, ...]
    expenses: tuple[Expense, ...]
    opening: Mapping[int, YearState] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return sorted({e.day.year for e in self.expenses})

    def to_json(self) -> dict[str, object]:
        return {
            "identities": [
                {
                    "category": i.category,
                    "certified_on": i.certified_on.isoformat(),
                    "ended_on": i.ended_on.isoformat() if i.ended_on else None,
                }
                for i in self.identities
            ],
            "expenses": [_expense_json(e) for e in self.expenses],
            "ledger": {str(year): state_json(state) for year, state in self.opening.items()},
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, object], ledger: Mapping[str, Mapping[str, str]] | None = None
    ) -> Inputs:
        """Read back what ``to_json`` wrote (``ledger``: the opening ledger where an older snapshot
        kept it beside the inputs)."""
        identities = tuple(
            IdentityPeriod(
                i["category"],
                date.fromisoformat(i["certified_on"]),
                date.fromisoformat(i["ended_on"]) if i.get("ended_on") else None,
            )
            for i in data["identities"]  # type: ignore[attr-defined]
        )
        expenses = tuple(
            Expense(
                id=str(e["id"]),
                day=date.fromisoformat(e["date"]),
                kind=e["kind"],
                total=Decimal(e["total"]),
                policy_scope=Decimal(e["policy_scope"]),
                basic_paid=_amount_or_none(e.get("basic_paid")),
                critical_paid=_amount_or_none(e.get("critical_paid")),
                in_region=bool(e.get("in_region", True)),
                referred=bool(e.get("referred", False)),
                assistance_paid=_amount_or_none(e.get("assistance_paid")),
                referral=str(e.get("referral", "")),
            )
            for e in data["expenses"]  # type: ignore[attr-defined]
        )
        stored = data.get("ledger") or ledger or {}
        opening = {int(year): state_from_json(values) for year, values in stored.items()}  # type: ignore[attr-defined]
        return cls(identities, expenses, opening)


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
    # the explanation: its lines, or (from ``settle``) what gives them when first read
    explanation: tuple[Line, ...] | Explanation

    @property
    def explained(self) -> tuple[Line, ...]:
        """The explanation's lines before they are written out (format string and arguments)."""
        found = self.explanation
        return found if type(found) is tuple else found.lines(self.expense_id)  # type: ignore[union-attr]

    @property
    def lines(self) -> tuple[str, ...]:
        """One line per step in Chinese, naming the rule and its clause."""
        return tuple(template.format(*args) for template, args in self.explained)


class Explanation(Protocol):
    """What gives an expense's explanation lines when they are first read (``calculate.Trace``)."""

    def lines(self, expense_id: str) -> tuple[Line, ...]: ...


class Result(NamedTuple):
    """One ``settle`` call's outcome: each expense settled, and the yearly ledger before and after.
    Immutable (a named tuple, like ``ExpenseResult``: a batch makes one per person, and a frozen
    dataclass takes five times as long to make)."""

    policy_code: str
    policy_version: int
    fund_layer: bool
    expenses: tuple[ExpenseResult, ...]
    opening: Mapping[int, YearState]
    closing: Mapping[int, YearState]

    @property
    def to_pay(self) -> Decimal:
        """What assistance pays for these expenses (``PAID_PARTS``)."""
        return sum((paid_by_assistance(item) for item in self.expenses), ZERO)

    def totals(self) -> dict[str, Decimal]:
        sums = dict.fromkeys(
            ("total", "basic", "critical", "assistance", "tilted", "fund", "personal"), ZERO
        )
        for item in self.expenses:
            for key in sums:
                sums[key] += getattr(item, key)
        return sums
