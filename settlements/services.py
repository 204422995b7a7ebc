"""Every write of the settlements app: policy versions and approved settlements (the ledger).

The engine (``engine``) computes; these functions load its inputs from the database,
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
from django.db.models import Max, Q

from accounts.models import User
from areas.models import City
from audit.events import Event
from audit.services import record, save_audited
from beneficiaries.models import Person
from core.formats import yuan
from engine import (
    BASIS_LABELS,
    Basis,
    Expense,
    ExpenseResult,
    IdentityPeriod,
    Inputs,
    Policy,
    Result,
    SettlementInputError,
    YearState,
    settle,
)
from engine.model import LEDGER_FIELDS, state_from_json

from .models import LedgerEntry, PolicyVersion, Settlement, YearLedger
from .policies import load, shipped_codes


class AlreadySettled(ValidationError):
    """The thing named by ``key`` has been settled already: nothing was changed."""


class BillAlreadyAssisted(ValidationError):
    """A bill of the settlement is already on a live ledger entry: nothing was changed."""


@dataclass(frozen=True)
class Bill:
    """What the ledger keeps of one bill besides its amounts: where it comes from and its keys
    (``settlements.bills``). ``expense_id`` is the engine's id of the same bill."""

    expense_id: str
    hospital: str
    label: str
    invoice_key: str = ""
    settlement_key: str = ""

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.invoice_key, self.settlement_key) if k]


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


def _changes(policy: Policy, day: date, parsed: Mapping[str, Any]) -> dict[str, list[str]]:
    """A version's changes for its audit row: {name: [the value before, the new value]}."""
    before = policy.at(day).as_dict()
    return {
        name: [
            policy.parameters[name].display(before.get(name)),
            policy.parameters[name].display(value),
        ]
        for name, value in parsed.items()
    }


def _decider(basis: str, source: str, decided_by: str, actor: User) -> str:
    """Who decided a version's values: as given; for a local setting given by a script without
    one (the form asks for it), the administrator who set it. No source or basis: refused."""
    if not source.strip():
        raise ValidationError("请写明依据（文件名与条款）。", code="no_source")
    if basis not in BASIS_LABELS:
        raise ValidationError("请选择依据类别。", code="no_basis")
    if basis == Basis.LOCAL and not decided_by.strip():
        return f"管理员 {actor.get_full_name() or actor.username}"
    return decided_by.strip()


@transaction.atomic
def policy_version_create(
    *,
    policy_code: str,
    effective_from: date,
    values: Mapping[str, Any],
    source: str,
    reason: str = "",
    actor: User,
    basis: str = "local",
    decided_by: str = "",
) -> PolicyVersion:
    """Add version N+1 of a policy: ``values`` (raw, as typed) in force from ``effective_from``,
    with their basis (``Basis``) and, for a local setting, who decided it."""
    if policy_code not in shipped_codes():
        raise ValidationError(f"未知政策 {policy_code}")
    policy = load(policy_code)
    if effective_from < policy.starts_on:
        raise ValidationError(
            f"生效日期不能早于政策施行日期 {policy.starts_on:%Y-%m-%d}。",
            code="before_policy",
        )
    if not values:
        raise ValidationError("没有改动任何参数：新版本至少要改一个参数。", code="empty")
    decided_by = _decider(basis, source, decided_by, actor)
    try:
        parsed = policy.parse_values(values)
    except SettlementInputError as exc:
        raise ValidationError(str(exc), code="bad_value") from None
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
                basis=basis,
                decided_by=decided_by,
                reason=reason.strip(),
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            "另一位管理员刚刚保存了新版本，请刷新页面后再改。", code="race"
        ) from None
    record(
        actor=actor,
        event=Event.POLICY_VERSION_CREATED,
        target=version,
        summary=(
            f"政策 {policy_code} 第 {number} 版，{effective_from} 起："
            f"{BASIS_LABELS[Basis(basis)]}，{source.strip()}"
        ),
        changes=_changes(policy, effective_from, parsed),
    )
    return version


# --- the ledger and settlements ------------------------------------------------------------


def identities_of(person: Person) -> list[IdentityPeriod]:
    return [IdentityPeriod(i.category, i.certified_on, i.ended_on) for i in person.identities.all()]


def household_ids(person: Person) -> list[int]:
    """The person and the members of their household (the ledger's household cap, the pre-check)."""
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
    rows: dict[int, YearLedger] = {}
    household: dict[int, Decimal] = {}
    # the household's rows, the person's own among them: one read for both
    for r in YearLedger.objects.filter(person_id__in=household_ids(person), year__in=years):
        household[r.year] = household.get(r.year, Decimal("0.00")) + r.personal_borne
        if r.person_id == person.pk:
            rows[r.year] = r
    return {y: _state(rows.get(y), household.get(y, Decimal("0.00"))) for y in years}


def load_inputs(
    person: Person, expenses: Sequence[Expense], extra: Sequence[IdentityPeriod] = ()
) -> Inputs:
    """The one loader of the engine's input about a person: identities (with ``extra``, identities
    not in the registry yet, for a provisional preview), the expenses, and the ledger as it stands
    (read only: for previews; approval locks it, ``settlement_calculate``)."""
    return Inputs(
        (*identities_of(person), *extra),
        tuple(expenses),
        ledger_opening(person, {e.day.year for e in expenses}),
    )


def settlement_preview(
    *,
    person: Person,
    expenses: Sequence[Expense],
    policy: Policy | None = None,
    extra: Sequence[IdentityPeriod] = (),
) -> Result:
    """What approving these expenses now would give, from the ledger as it stands (``extra``: an
    identity waiting for verification, counted as if verified). Writes nothing."""
    policy = policy or policy_for(person)
    inputs = load_inputs(person, expenses, extra)
    return settle(policy, inputs.identities, inputs.expenses, inputs.opening, explain=True)


def holders_of(keys: Sequence[str]) -> list[LedgerEntry]:
    """The live ledger entries holding any of these bill keys (the bill is assisted already)."""
    keys = [k for k in keys if k]
    if not keys:
        return []
    return list(
        LedgerEntry.objects.filter(released_at__isnull=True)
        .filter(_keys_q(keys))
        .select_related("settlement")
        .order_by("id")
    )


def _keys_q(keys: Sequence[str]) -> Q:
    return Q(invoice_key__in=keys) | Q(settlement_key__in=keys)


def holder_text(entry: LedgerEntry) -> str:
    """Where a bill is assisted already, in words a clerk can act on."""
    if entry.source == LedgerEntry.Source.WINDOW and entry.settlement is not None:
        number = entry.settlement.key.removeprefix("application:")
        return f"已在申请 {number} 中获救助（{entry.label}）"
    return f"已在医院一站式结算中获救助（{entry.label}，救助 {yuan(entry.assistance)} 元）"


def _refuse_held(bills: Sequence[Bill]) -> None:
    held = holders_of([k for b in bills for k in b.keys])
    if held:
        raise BillAlreadyAssisted(
            "同一费用不得重复救助：" + "；".join(holder_text(e) for e in held), code="duplicate"
        )


def settlement_recompute(settlement: Settlement) -> Result:
    """Run a stored settlement again from its snapshot: its policy version, identities, expenses
    and the ledger it started from. Reads nothing else, writes nothing; for re-explaining a
    decision later (the result equals the one stored)."""
    inputs = Inputs.from_json(settlement.inputs, ledger=settlement.ledger_before)
    if settlement.result.get("claim") == "tilted":  # one-stop bills' dues: as stored
        return _stored(settlement, inputs)
    policy = load(settlement.policy_code, version=settlement.policy_version)
    return settle(policy, inputs.identities, inputs.expenses, inputs.opening, explain=True)


def _stored(settlement: Settlement, inputs: Inputs) -> Result:
    """A stored settlement's result read back as it was stored (its amounts and lines)."""
    days = {e.id: e.day for e in inputs.expenses}
    rows = tuple(
        ExpenseResult(
            r["id"], days[r["id"]], r["identity"], Decimal(r["total"]), Decimal(r["basic"]),
            Decimal(r["critical"]), Decimal(r["assistance"]), Decimal(r["tilted"]),
            Decimal(r["fund"]), Decimal(r["personal"]),
            tuple(("{}", (line,)) for line in r["lines"]),
        )
        for r in settlement.result["expenses"]
    )  # fmt: skip
    before = {int(y): state_from_json(v) for y, v in settlement.ledger_before.items()}
    after = {int(y): state_from_json(v) for y, v in settlement.ledger_after.items()}
    return Result(settlement.policy_code, settlement.policy_version, False, rows, before, after)


# --- revoking, recovering, and the hospitals' one-stop assistance -----------------------------


__all__ = [
    "AlreadySettled",
    "Bill",
    "BillAlreadyAssisted",
    "holder_text",
    "holders_of",
    "identities_of",
    "ledger_opening",
    "load_inputs",
    "policy_for",
    "policy_version_create",
    "settlement_preview",
    "settlement_recompute",
]
