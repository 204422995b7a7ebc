"""Tilted assistance due on one-stop bills (倾斜救助主动发现): paid by a settlement, or refused.

Seed 001 §四(三) gives tilted assistance on "经三重制度综合保障后政策范围内个人自付住院医疗费用超过7000元以上的
部分": the year's self-pay over every channel. A hospital's one-stop settlement pays medical assistance but
not the tilted part, so ``onestop_enter`` works it out with the engine as the bill enters, reserves it in
the year's ledger (``tilted_used``: the 30,000 cap holds across channels) and keeps it on the bill's
entry (``tilted_due``, with the engine's lines). The county then approves it through a case of its own
(four eyes, letter, payment batch, status page: ``tilted_claim_calculate`` → ``settlement_store``), or
refuses it, which gives the reservation back (``tilted_release``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from beneficiaries.models import Person
from core.formats import yuan
from engine import Expense, ExpenseResult, IdentityPeriod, Inputs, Policy, Result, YearState
from engine.categories import most_favourable

from ..models import LedgerEntry, Settlement
from ..services import AlreadySettled, Bill, identities_of, ledger_opening, policy_for
from . import Calculated, _ledger_locked, _ledger_rows_locked

ZERO = Decimal("0.00")


def open_dues() -> QuerySet[LedgerEntry]:
    """One-stop entries with tilted assistance due and not yet approved or refused."""
    return LedgerEntry.objects.filter(
        source=LedgerEntry.Source.ONESTOP,
        released_at__isnull=True,
        tilted_due__gt=0,
        tilted_settlement__isnull=True,
        tilted_refused_at__isnull=True,
    )


def _years(person: Person, entry_ids: Sequence[int]) -> list[int]:
    return sorted(
        set(
            LedgerEntry.objects.filter(person=person, pk__in=list(entry_ids)).values_list(
                "year", flat=True
            )
        )
    )


def _locked_open(person: Person, entry_ids: Sequence[int]) -> list[LedgerEntry]:
    entries = list(
        open_dues()
        .select_for_update()
        .filter(person=person, pk__in=list(entry_ids))
        .order_by("day", "id")
    )
    if not entries:
        raise ValidationError(
            "这些一站式结算票据的倾斜救助已经批准或已不予救助，不能再次办理。", code="no_due"
        )
    return entries


def tilted_claim_calculate(*, key: str, person: Person, entry_ids: Sequence[int]) -> Calculated:
    """The settlement of the dues on ``entry_ids`` (the person's), under the ledger's lock: the
    amounts were reserved in the ledger when the bills entered, so the ledger does not move again
    (opening = closing); each bill's line is the engine's, kept on its entry. Store it with
    ``settlement_store``, then ``tilted_claim_link``."""
    if Settlement.objects.filter(key=key).exists():
        raise AlreadySettled("已经结算过，不再重复结算。", code="already_settled")
    # the ledger's rows first, as every move of the ledger does (one lock order: no deadlock)
    opening, rows = _ledger_locked(person, _years(person, entry_ids))
    entries = _locked_open(person, entry_ids)
    policy, inputs, result = _claim(person, entries, opening)
    bills = tuple(Bill(f"onestop:{e.pk}", e.hospital, f"倾斜救助：{e.label}") for e in entries)
    return Calculated(key, person, policy, inputs, result, rows, bills, claim="tilted")


def tilted_claim_preview(
    person: Person, entry_ids: Sequence[int]
) -> tuple[list[LedgerEntry], Result]:
    """What approving the dues would pay, from the ledger as it is (read only): the entries and
    the result ``tilted_claim_calculate`` would store."""
    entries = list(
        LedgerEntry.objects.filter(person=person, pk__in=list(entry_ids)).order_by("day", "id")
    )
    opening = ledger_opening(person, {e.year for e in entries})
    return entries, _claim(person, entries, opening)[2]


def _claim(
    person: Person, entries: Sequence[LedgerEntry], opening: dict[int, YearState]
) -> tuple[Policy, Inputs, Result]:
    """The claim as a settlement: the person's policy, the inputs it keeps, and the result (each
    bill's due and lines, as they entered); the identities read once for all the bills."""
    identities = tuple(identities_of(person))
    expenses = tuple(
        Expense(
            id=f"onestop:{e.pk}",
            day=e.day,
            kind="inpatient",
            total=e.total,
            policy_scope=e.total,
            assistance_paid=e.assistance,
            referred=True,
            referral="；".join(t for t in e.tilted_lines if t.startswith("规范转诊")),
        )
        for e in entries
    )
    results = tuple(
        ExpenseResult(
            f"onestop:{e.pk}", e.day, _identity(identities, e.day), e.total, ZERO, ZERO, ZERO,
            e.tilted_due if e.tilted_refused_at is None else ZERO, ZERO, ZERO,
            tuple(("{}", (line,)) for line in [f"医院一站式结算票据：{e.label}", *e.tilted_lines]),
        )
        for e in entries
    )  # fmt: skip
    policy = policy_for(person)
    result = Result(policy.code, policy.version, False, results, opening, dict(opening))
    return policy, Inputs(identities, expenses, opening), result


def _identity(identities: Sequence[IdentityPeriod], day: date) -> str | None:
    held = most_favourable(identities, day)
    return held.category if held is not None else None


def tilted_claim_link(settlement: Settlement, entry_ids: Sequence[int]) -> int:
    """Mark the dues as paid by ``settlement`` (in the approval's transaction); how many."""
    return open_dues().filter(pk__in=list(entry_ids)).update(tilted_settlement=settlement)


def tilted_release(
    *, person: Person, entry_ids: Sequence[int], actor: User, reason: str
) -> Decimal:
    """不予倾斜救助: the dues leave the list and their reservation leaves the year's ledger (the cap
    given back, the person's burden as it was), under the ledger's lock; audited. The sum."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("不予倾斜救助须写明原因。", code="reason")
    rows = _ledger_rows_locked([person.pk], _years(person, entry_ids))  # the ledger first
    entries = _locked_open(person, entry_ids)
    now = timezone.now()
    total = ZERO
    for e in entries:
        row = rows[(person.pk, e.year)]
        row.tilted_used = max(ZERO, row.tilted_used - e.tilted_due)
        row.personal_borne += e.tilted_due
        e.tilted_refused_at = now
        e.tilted_refused_reason = reason[:200]
        total += e.tilted_due
    for row in {id(r): r for r in rows.values()}.values():
        row.save(update_fields=["tilted_used", "personal_borne", "updated_at"])
    LedgerEntry.objects.bulk_update(entries, ["tilted_refused_at", "tilted_refused_reason"])
    record(
        actor=actor,
        event=Event.TILTED_REFUSED,
        target=person,
        summary=f"{person.name} 一站式结算票据 {len(entries)} 张的倾斜救助 {yuan(total)} 元不予救助：{reason}",
    )
    return total
