"""The hospitals' one-stop assistance (一站式结算) entered into the yearly ledger, under its lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.utils import timezone

from beneficiaries.models import HardshipIdentity, Person, Referral
from beneficiaries.referrals import covering
from core.formats import yuan
from core.rows import update_rows
from engine import Expense, IdentityPeriod, Policy, SettlementInputError, YearState, settle
from engine.model import LEDGER_FIELDS

from ..models import LedgerEntry, Settlement, YearLedger
from ..overpaid import Overpaid, _late_overpaid
from ..policies import load
from ..services import Bill, _state, holders_of
from . import _ledger_rows_locked


@dataclass(frozen=True)
class OneStop:
    """A hospital record that paid medical assistance (一站式结算), as it enters the ledger."""

    person_id: int
    record_key: str
    expense: Expense  # with assistance_paid set
    bill: Bill
    hospital_code: str = ""  # to match a registered referral (转诊备案) by code


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
    referrals: dict[int, list[Referral]]
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
        referrals: dict[int, list[Referral]] = {}
        for referral in Referral.objects.filter(person_id__in=people, ended_at__isnull=True):
            referrals.setdefault(referral.person_id, []).append(referral)
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
        return cls(people, years, rows, held, identities, windowed, earlier, referrals)

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
        twins = [next((self.held[k] for k in r.bill.keys if k in self.held), None) for r in mine]
        # 规范转诊 as the register says; a bill the window assisted already had its tilted
        # assistance there: none due again
        mine_referrals = self.referrals.get(person_id, [])
        expenses = [
            _referred(r, mine_referrals) if twin is None else r.expense
            for r, twin in zip(mine, twins, strict=True)
        ]
        try:
            state, settled_of, moves = _one_by_one(policy, known, expenses, opening)
        except SettlementInputError:
            return  # a record the policy cannot read (before it took effect): not entered
        for year in {e.day.year for e in expenses}:
            row = self.rows[(person_id, year)]
            for name in LEDGER_FIELDS:
                if name != "household_borne":
                    setattr(row, name, getattr(state[year], name))
            self.moved.append(row)
        for r, twin, settled, moved in zip(mine, twins, settled_of, moves, strict=True):
            if twin is not None and twin.settlement is not None:
                self.overpaid.append(
                    Overpaid(
                        twin.settlement,
                        min(twin.assistance, twin.settlement.unrecovered),
                        True,
                        f"医院一站式结算已对同一票据支付医疗救助 {yuan(r.expense.assistance_paid)} 元（{r.bill.label}）",
                    )
                )
            entry = _onestop_entry(r, twin)
            entry.moves = moved
            if settled.tilted:  # due, reserved in the ledger above; the county pays it
                entry.tilted_due = settled.tilted
                entry.tilted_lines = [
                    t for t in settled.lines if t.startswith(("倾斜救助", "规范转诊"))
                ]
            self.entries.append(entry)
        if person_id in self.windowed:
            self.overpaid.extend(
                _late_overpaid(
                    policy, known, [r.expense for r in mine],
                    self.windowed[person_id], self.earlier.get(person_id, []),
                )
            )  # fmt: skip


def _one_by_one(
    policy: Policy,
    known: list[IdentityPeriod],
    expenses: list[Expense],
    opening: dict[int, YearState],
) -> tuple[dict[int, YearState], list[Any], list[dict[str, str]]]:
    """The records settled one after the other in date order, so that each entry keeps what it
    moved in the ledger (``moves``), which a reversal of the record takes back exactly. The closing
    ledger, each record's result and its moves."""
    state = dict(opening)
    settled_of: list[Any] = [None] * len(expenses)
    moves: list[dict[str, str]] = [{} for _ in expenses]
    for i in sorted(range(len(expenses)), key=lambda i: (expenses[i].day, i)):
        one = settle(policy, known, [expenses[i]], state)
        settled_of[i] = one.expenses[0]
        year = expenses[i].day.year
        before, after = state[year], one.closing[year]
        moves[i] = {
            name: str(getattr(after, name) - getattr(before, name))
            for name in LEDGER_FIELDS
            if name != "household_borne" and getattr(after, name) != getattr(before, name)
        }
        state.update(one.closing)
    return state, settled_of, moves


def _referred(r: OneStop, referrals: list[Referral]) -> Expense:
    """The record's bill, 规范转诊 where a registered referral covers its hospital and day."""
    found = covering(referrals, r.bill.hospital, r.hospital_code, r.expense.day)
    if found is None:
        return r.expense
    return replace(r.expense, referred=True, referral=str(found))


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


def onestop_release(*, record_keys: Sequence[str], reason: str) -> list[Overpaid]:
    """The platform reversed these one-stop records (冲销/退费): each live entry is released and
    what entering it moved in the year's ledger is taken back, under the ledger's lock (in the
    caller's transaction). A tilted assistance already paid on the bill by a county case is
    returned as over-paid, for the county to recover."""
    entries = list(
        LedgerEntry.objects.filter(record_key__in=list(record_keys), released_at__isnull=True)
        .select_related("tilted_settlement")
        .order_by("person_id", "year", "id")
    )
    if not entries:
        return []
    rows = _ledger_rows_locked(
        sorted({e.person_id for e in entries}), sorted({e.year for e in entries})
    )
    now = timezone.now()
    found: list[Overpaid] = []
    for e in entries:
        row = rows[(e.person_id, e.year)]
        for name, amount in e.moves.items():
            if name == "tilted_used" and e.tilted_settlement_id is None and e.tilted_refused_at:
                continue  # refused already: its reservation left the ledger then
            setattr(row, name, max(Decimal("0.00"), getattr(row, name) - Decimal(amount)))
        paid = e.tilted_settlement
        if paid is not None and paid.revoked_at is None and e.tilted_due > 0:
            found.append(
                Overpaid(
                    paid, min(e.tilted_due, paid.unrecovered), False,
                    f"医保平台已冲销一站式结算（{e.label}），据其支付的倾斜救助 {yuan(e.tilted_due)} 元应追回",
                )
            )  # fmt: skip
        e.released_at, e.release_reason = now, reason[:200]
    for row in {id(r): r for r in rows.values()}.values():
        row.updated_at = now
        row.save()
    LedgerEntry.objects.bulk_update(entries, ["released_at", "release_reason"])
    return found
