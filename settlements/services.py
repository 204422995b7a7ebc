"""Every write of the settlements app: policy versions and approved settlements (the ledger).

The engine (``settlements.engine``) computes; these functions load its inputs from the database,
store what it returns, lock what must not be raced, and write the audit row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum

from accounts.models import User
from areas.models import City
from audit.models import AuditEvent
from audit.services import record, save_audited
from beneficiaries.models import Person

from .engine import (
    Expense,
    IdentityPeriod,
    Inputs,
    Policy,
    Result,
    SettlementInputError,
    YearState,
    settle,
)
from .engine.model import LEDGER_FIELDS, state_json
from .models import PolicyVersion, Settlement, YearLedger
from .policies import load, shipped_codes

# The amounts of one settled expense, stored as its result.
SETTLED_PARTS = ("total", "basic", "critical", "assistance", "tilted", "fund", "personal")


class AlreadySettled(ValidationError):
    """The thing named by ``key`` has been settled already: nothing was changed."""


# --- policies -------------------------------------------------------------------------------


def policy_code_error(code: str) -> str | None:
    """Why ``code`` cannot be a city's policy, or None when a policy with that code ships."""
    if code in shipped_codes():
        return None
    return f"没有政策 {code}（可选：{'、'.join(shipped_codes())}）"


@transaction.atomic
def city_save(*, city: City, actor: User | None) -> City:
    """Save a city (its name and the settlement policy its counties use), audited; an unknown
    policy code is refused."""
    error = policy_code_error(city.policy_code)
    if error:
        raise ValidationError({"policy_code": error})
    save_audited(instance=city, actor=actor)
    return city


def policy_for(person: Person) -> Policy:
    """The current policy of the person's city."""
    return load(person.township.county.city.policy_code)


@transaction.atomic
def policy_version_create(
    *,
    policy_code: str,
    effective_from: date,
    values: Mapping[str, Any],
    source: str,
    reason: str = "",
    actor: User,
) -> PolicyVersion:
    """Add version N+1 of a policy: ``values`` (raw, as typed) in force from ``effective_from``."""
    if policy_code not in shipped_codes():
        raise ValidationError(f"未知政策 {policy_code}")
    policy = load(policy_code)
    if effective_from < policy.starts_on:
        raise ValidationError(
            f"生效日期不能早于政策施行日期 {policy.starts_on:%Y年%-m月%-d日}。",
            code="before_policy",
        )
    if not values:
        raise ValidationError("没有改动任何参数：新版本至少要改一个参数。", code="empty")
    if not source.strip():
        raise ValidationError("请写明依据（文件名与条款）。", code="no_source")
    try:
        parsed = policy.parse_values(values)
    except SettlementInputError as exc:
        raise ValidationError(str(exc), code="bad_value") from None
    before = policy.at(effective_from)
    changes = {
        name: [
            policy.parameters[name].display(before.as_dict().get(name)),
            policy.parameters[name].display(value),
        ]
        for name, value in parsed.items()
    }
    number = (
        PolicyVersion.objects.filter(policy_code=policy_code).aggregate(n=Max("number"))["n"] or 1
    ) + 1
    try:
        with transaction.atomic():
            version = PolicyVersion.objects.create(
                policy_code=policy_code,
                number=number,
                effective_from=effective_from,
                values={n: policy.parameters[n].to_json(v) for n, v in parsed.items()},
                source=source.strip(),
                reason=reason.strip(),
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            "另一位管理员刚刚保存了新版本，请刷新页面后再改。", code="race"
        ) from None
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=version,
        summary=f"政策 {policy_code} 第 {number} 版，{effective_from} 起：{source.strip()}",
        changes=changes,
    )
    return version


# --- the ledger and settlements ------------------------------------------------------------


def identities_of(person: Person) -> list[IdentityPeriod]:
    return [IdentityPeriod(i.category, i.certified_on, i.ended_on) for i in person.identities.all()]


def _household_ids(person: Person) -> list[int]:
    if person.household_id is None:
        return [person.pk]
    return list(
        Person.objects.filter(household_id=person.household_id).values_list("pk", flat=True)
    )


def _state(row: YearLedger | None, household_borne: Decimal) -> YearState:
    if row is None:
        return YearState(household_borne=household_borne)
    values = {name: getattr(row, name) for name in LEDGER_FIELDS if name != "household_borne"}
    return YearState(**values, household_borne=household_borne)


def ledger_opening(person: Person, years: set[int]) -> dict[int, YearState]:
    """The ledger at the start of a calculation, by year: read only, nothing locked."""
    rows = {r.year: r for r in YearLedger.objects.filter(person=person, year__in=years)}
    household = dict(
        YearLedger.objects.filter(person_id__in=_household_ids(person), year__in=years)
        .values_list("year")
        .annotate(s=Sum("personal_borne"))
    )
    return {y: _state(rows.get(y), household.get(y) or Decimal("0.00")) for y in years}


def _ledger_locked(
    person: Person, years: list[int]
) -> tuple[dict[int, YearState], dict[int, YearLedger]]:
    """The ledger at the start, with the person's rows (and the household's, for the special fund)
    locked until the transaction ends: (opening by year, the person's rows to write back)."""
    YearLedger.objects.bulk_create(
        [YearLedger(person=person, year=y) for y in years], ignore_conflicts=True
    )
    locked = list(
        YearLedger.objects.select_for_update()
        .filter(person_id__in=_household_ids(person), year__in=years)
        .order_by("person_id", "year")
    )
    own = {r.year: r for r in locked if r.person_id == person.pk}
    household: dict[int, Decimal] = {}
    for row in locked:
        household[row.year] = household.get(row.year, Decimal("0.00")) + row.personal_borne
    return {y: _state(own[y], household[y]) for y in years}, own


def load_inputs(person: Person, expenses: Sequence[Expense]) -> Inputs:
    """The one loader of the engine's input about a person: identities, the expenses, and the
    ledger as it stands (read only: for previews; approval locks it, ``settlement_calculate``)."""
    return Inputs(
        tuple(identities_of(person)),
        tuple(expenses),
        ledger_opening(person, {e.day.year for e in expenses}),
    )


def settlement_preview(
    *, person: Person, expenses: Sequence[Expense], policy: Policy | None = None
) -> Result:
    """What approving these expenses now would give, from the ledger as it stands. Writes nothing."""
    policy = policy or policy_for(person)
    inputs = load_inputs(person, expenses)
    return settle(policy, inputs.identities, inputs.expenses, inputs.opening)


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


def settlement_calculate(
    *, key: str, person: Person, expenses: Sequence[Expense], policy: Policy | None = None
) -> Calculated:
    """Load → calculate, under lock: the person's ledger rows (and those of the household) are
    locked first, so two approvals at the same moment run one after the other and a cap can never
    be exceeded. Call inside ``transaction.atomic``; the lock lasts until it ends."""
    if not expenses:
        raise ValidationError("没有可结算的费用。", code="empty")
    if Settlement.objects.filter(key=key).exists():
        raise AlreadySettled("已经结算过，不再重复结算。", code="already_settled")
    policy = policy or policy_for(person)
    opening, rows = _ledger_locked(person, sorted({e.day.year for e in expenses}))
    inputs = Inputs(tuple(identities_of(person)), tuple(expenses), opening)
    try:
        result = settle(policy, inputs.identities, inputs.expenses, inputs.opening)
    except SettlementInputError as exc:
        raise ValidationError(str(exc), code="engine") from None
    return Calculated(key, person, policy, inputs, result, rows)


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
    for year in inputs.years:
        row, state = calculated.rows[year], result.closing[year]
        for name in LEDGER_FIELDS:
            if name != "household_borne":
                setattr(row, name, getattr(state, name))
        row.save()
    record(
        actor=actor,
        action=AuditEvent.Action.SETTLE,
        target=settlement,
        summary=(
            f"结算入账 {key}：医疗救助 {totals['assistance']} 元，倾斜救助 {totals['tilted']} 元"
            f"（{policy.code} 第 {policy.version} 版）"
        ),
        changes=_ledger_changes(result, inputs.years),
    )
    return settlement


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


def settlement_recompute(settlement: Settlement) -> Result:
    """Run a stored settlement again from its snapshot: its policy version, identities, expenses
    and the ledger it started from. Reads nothing else, writes nothing; for re-explaining a
    decision later (the result equals the one stored)."""
    inputs = Inputs.from_json(settlement.inputs, ledger=settlement.ledger_before)
    policy = load(settlement.policy_code, version=settlement.policy_version)
    return settle(policy, inputs.identities, inputs.expenses, inputs.opening)


__all__ = [
    "AlreadySettled",
    "identities_of",
    "ledger_opening",
    "load_inputs",
    "policy_for",
    "policy_version_create",
    "settlement_approve",
    "settlement_calculate",
    "settlement_preview",
    "settlement_recompute",
    "settlement_store",
]
