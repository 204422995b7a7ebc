"""Writing platform records: the batch into the one table of settlement records (idempotent by
``setl_id``), their assistance into the ledger, the reversals, and the hand bills they match."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from applications.models import Application, MedicalExpense, Status
from areas.models import Institution
from beneficiaries.importing import Outcome, TownshipIndex, insert_people
from beneficiaries.models import IdentityImport, Person
from core.formats import yuan
from core.rows import in_batches, insert_rows, staged
from payments.recoveries import recoveries_propose
from settlements.bills import invoice_key, settlement_key
from settlements.ledger import onestop_enter, onestop_release
from settlements.models import LedgerEntry
from settlements.overpaid import Overpaid

from .. import hospital_import
from ..hospital_import import AMOUNTS, COLUMNS, _judged
from ..models import HospitalSettlement
from .reading import PlatformRecord, code_tables, record_key, validate

PLATFORM_COLUMNS = [*COLUMNS, "origin", "setl_id", "mdtrt_id", "psn_no", "med_type", "insutype",
                    "psn_type", "hospital_listed", "platform", "reversed_by", "reversal_reason"]  # fmt: skip


def apply(
    pairs: list[tuple[PlatformRecord, Outcome]], *, batch: IdentityImport | None, dry_run: bool
) -> None:
    """Write one batch: the records in force, then the reversals (a record and its reversal may
    come in the same batch)."""
    if not pairs:
        return
    records = [(r, o) for r, o in pairs if not r.reverses]
    reversals = [(r, o) for r, o in pairs if r.reverses]
    with transaction.atomic():
        known = Person.objects.filter(
            id_index__any_of=list({r.id_index for r, _ in pairs})
        ).values_list("id_index", "pk", "name")
        people = {index: pk for index, pk, _ in known}
        names = {index: name for index, _, name in known}
        held = set(
            HospitalSettlement.all_records.with_setl_ids(
                [r.setl_id for r, _ in records]
            ).values_list("setl_id", flat=True)
        )
        held_keys = {record_key(s) for s in held}
        new_people, new_records = _judged(records, people, names, held_keys)
        if dry_run:
            _judge_reversals(reversals, {r.setl_id for r in new_records})
            return
        people.update(insert_people(new_people))
        now = timezone.now()
        insert_rows(
            HospitalSettlement,
            PLATFORM_COLUMNS,
            [[people[r.id_index], r.record_key, r.settlement_number, r.hospital, r.hospital_code,
              r.invoice_number, invoice_key(r.hospital_code, r.invoice_number),
              settlement_key(r.settlement_number), r.hospital_level, r.kind, r.category,
              r.admitted_on, r.day, *(r.amounts[k] for k in AMOUNTS),
              batch.pk if batch else None, now, HospitalSettlement.Origin.PLATFORM, r.setl_id,
              r.mdtrt_id, r.psn_no, r.med_type, r.insutype, r.psn_type, True,
              json.dumps(r.platform or {}, ensure_ascii=False), "", ""] for r in new_records],
        )  # fmt: skip
        overpaid = onestop_enter(
            [hospital_import.onestop(people[r.id_index], r) for r in new_records
             if r.amounts["assistance_paid"]]
        )  # fmt: skip
        if overpaid:
            recoveries_propose(overpaid)
        hand_bills_match([(people[r.id_index], r) for r in new_records])
        reversals_apply(reversals, reason_of=lambda r: f"医保平台退费结算 {r.setl_id} 冲销")
        taken = {r.setl_id for r in new_records}
        reversals_apply(  # re-settled under a new setl_id: the old record goes the same way
            [(replace(r, reverses=r.replaces), o) for r, o in records
             if r.replaces and r.setl_id in taken],
            reason_of=lambda r: f"医保平台重新结算为 {r.setl_id}",
            missing_ok=True,
        )  # fmt: skip


def _judge_reversals(reversals: list[tuple[PlatformRecord, Outcome]], coming: set[str]) -> None:
    """The check's word on each reversal: its record held, coming in this file, or missing."""
    found = dict(
        HospitalSettlement.all_records.with_setl_ids(
            [r.reverses for r, _ in reversals]
        ).values_list("setl_id", "reversed_by")
    )
    for r, out in reversals:
        out.person = "unchanged"
        if r.reverses in found:
            out.identity = "unchanged" if found[r.reverses] == r.setl_id else "created"
        elif r.reverses in coming:
            out.identity = "created"
        else:
            out.errors.append(f"被冲销的原结算ID {r.reverses} 尚未导入：请先导入原结算记录。")
            out.person = ""


def reversals_apply(
    reversals: list[tuple[Any, Outcome]], *, reason_of: Any, missing_ok: bool = False
) -> None:
    """Each reversal: its record marked reversed (it then counts nowhere), its one-stop ledger
    entry released, and the window bills of the same settlement flagged (a case not approved yet)
    or proposed for recovery (approved or paid)."""
    if not reversals:
        return
    originals = {
        h.setl_id: h
        for h in HospitalSettlement.all_records.select_for_update().with_setl_ids(
            [r.reverses for r, _ in reversals]
        )
    }
    now = timezone.now()
    for r, out in reversals:
        out.person = out.person or "unchanged"  # a record made again keeps its own word
        original = originals.get(r.reverses)
        if original is None and missing_ok:
            continue
        if original is None:
            out.errors.append(f"被冲销的原结算ID {r.reverses} 尚未导入：请先导入原结算记录。")
            out.person = ""
            continue
        if original.reversed_at is not None:
            out.identity = "unchanged"
            out.warnings.append(f"原结算ID {r.reverses} 已冲销过，不重复处理。")
            continue
        reason = reason_of(r)[:200]
        original.reversed_at, original.reversed_by, original.reversal_reason = (
            now,
            r.setl_id,
            reason,
        )
        original.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
        out.identity = "created"
        found = onestop_release(record_keys=[original.record_key], reason=reason)
        found += _window_bills_reversed(original, reason)
        if found:
            recoveries_propose(found)
        out.warnings.append(f"已冲销原结算 {r.reverses}：{reason}")


def _window_bills_reversed(original: HospitalSettlement, reason: str) -> list[Overpaid]:
    """The window bills of a reversed settlement: flagged while their case is undecided; a case
    approved or paid on them gets a recovery proposed for the bill's assistance."""
    key = settlement_key(original.setl_id)
    found: list[Overpaid] = []
    bills = MedicalExpense.objects.filter(settlement_key=key).select_related("application")
    for bill in bills:
        app: Application = bill.application
        if app.status in (Status.APPROVED, Status.PAID):
            continue  # the ledger entry below names the money
        bill.reversed_note = f"医保平台已冲销这笔结算（{reason}）"[:200]
        bill.save(update_fields=["reversed_note"])
    for entry in LedgerEntry.objects.filter(
        settlement_key=key, source=LedgerEntry.Source.WINDOW, released_at__isnull=True
    ).select_related("settlement"):
        if entry.settlement is None or entry.assistance <= 0:
            continue
        amount = min(entry.assistance, entry.settlement.unrecovered)
        if amount > 0:
            found.append(
                Overpaid(
                    entry.settlement, amount, False,
                    f"医保平台已冲销结算 {original.setl_id}（{reason}），该票据获得的医疗救助 {yuan(amount)} 元应追回",
                )
            )  # fmt: skip
    return found


# label, the bill's field, the record's field
COMPARED = (("医疗机构编码", "hospital_code", "hospital_code"), ("费用类别", "kind", "kind"),
            ("医疗总费用", "total", "total"), ("政策范围内费用", "policy_scope", "policy_scope"),
            ("基本医保支付", "basic_paid", "basic_paid"),
            ("大病保险支付", "critical_paid", "critical_paid"))  # fmt: skip


def hand_bills_match(arrived: list[tuple[int, PlatformRecord]]) -> int:
    """Hand bills (手工录入) the arriving records match: the same setl_id typed as the settlement
    number, or the same person, hospital code, day and total. Each is marked checked, with the
    figures that differ (as typed, as the platform has them) for the reviewer. How many."""
    if not arrived:
        return 0
    by_key = {settlement_key(r.setl_id): r for _, r in arrived}
    by_facts: dict[tuple[int, str, date | None, Decimal], PlatformRecord] = {
        (p, r.hospital_code, r.day, r.amounts["total"]): r for p, r in arrived
    }
    persons = {p for p, _ in arrived}
    unchecked = MedicalExpense.objects.filter(source="hand", checked_at__isnull=True)
    # the unchecked hand bills are few (the partial index holds only them): their keys first, then
    # the bills whose key or person this batch names
    wanted = [
        pk
        for pk, key, person in unchecked.values_list(
            "pk", "settlement_key", "application__person_id"
        )
        if key in by_key or person in persons
    ]
    candidates = {b.pk: b for b in unchecked.filter(pk__in=wanted).select_related("application")}
    now = timezone.now()
    matched = []
    for bill in candidates.values():
        r = by_key.get(bill.settlement_key) or by_facts.get(
            (bill.application.person_id, bill.hospital_code, bill.day, bill.total)
        )
        if r is None:
            continue
        figures = {**r.amounts, "hospital_code": r.hospital_code, "kind": r.kind}
        bill.differences = [
            [label, _shown(getattr(bill, mine)), _shown(figures[theirs])]
            for label, mine, theirs in COMPARED
            if getattr(bill, mine) != figures[theirs]
        ]
        bill.checked_at, bill.checked_setl_id = now, r.setl_id
        matched.append(bill)
    MedicalExpense.objects.bulk_update(matched, ["differences", "checked_at", "checked_setl_id"])
    return len(matched)


def _shown(value: Any) -> str:
    return yuan(value) if isinstance(value, Decimal) else str(value)


# A city's daily file is hundreds of thousands of records: five thousand a transaction (each
# batch's look-ups, ledger locks and COPY cost the same whatever its size), still a flat memory.
ROWS_A_BATCH = 5000


def process(
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    batch: IdentityImport | None,
    today: date,
    dry_run: bool,
    on_batch: Any = None,
    stage: Any = None,
    validated: bool = False,
) -> Iterator[Outcome]:
    townships = TownshipIndex()
    register = {i.code: i for i in Institution.objects.filter(active=True)}
    tables = code_tables()
    return in_batches(
        rows,
        validate=staged
        if validated
        else lambda n, raw: validate(
            raw,
            row_number=n,
            townships=townships,
            today=today,
            register=register,
            tables=tables,
        ),
        apply=lambda pairs: apply(pairs, batch=batch, dry_run=dry_run),
        on_batch=on_batch,
        stage=stage,
        size=ROWS_A_BATCH,
    )


def done(batch: IdentityImport) -> str:
    return (
        f"医保平台结算数据导入完成：新增结算记录 {batch.records_created}（含冲销），"
        f"已有记录 {batch.records_unchanged}，有误 {batch.bad_rows} 行"
    )
