"""Put what was approved or paid before the one ledger existed into it (run once after upgrading).

    .venv/bin/python manage.py ledger_backfill            # writes
    .venv/bin/python manage.py ledger_backfill --check    # only counts what would be written

1. Window settlements approved before ledger entries existed get one entry per bill (their amounts
   are already in the yearly ledger; the bills had no numbers then, so the entries have no keys).
2. Hospital records that paid one-stop assistance and never entered the ledger enter it now, the way
   a new hospital file does (``settlements.services.onestop_enter``): the ledger moves, and what
   they reveal (a bill also assisted at the window, a window approval too high) becomes recovery
   proposals for the county.

Idempotent: a second run finds nothing to do.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from monitoring.hospital_import import onestop_of
from monitoring.models import HospitalSettlement
from payments.recoveries import recoveries_propose
from settlements.ledger import onestop_enter
from settlements.models import LedgerEntry, Settlement

BATCH = 1000


class Command(BaseCommand):
    help = "把一站式结算和旧的窗口结算补记入年度救助台账（升级后运行一次）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="只统计，不写入")

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        legacy = Settlement.objects.filter(revoked_at__isnull=True, entries__isnull=True)
        records = HospitalSettlement.objects.filter(assistance_paid__gt=0).exclude(
            record_key__in=LedgerEntry.objects.exclude(record_key="").values("record_key")
        )
        if check:
            self.stdout.write(
                f"待补记：旧窗口结算 {legacy.count()} 笔，一站式结算记录 {records.count()} 条"
            )
            return
        windows = 0
        for settlement in legacy.iterator(chunk_size=BATCH):
            windows += _window_entries(settlement)
        entered = proposed = 0
        while True:
            batch = list(records.order_by("pk")[:BATCH])
            if not batch:
                break
            with transaction.atomic():
                found = onestop_enter([onestop_of(r) for r in batch])
                proposed += recoveries_propose(found)
            entered += len(batch)
        self.stdout.write(
            f"已补记：旧窗口结算票据 {windows} 张，一站式结算记录 {entered} 条，追回建议 {proposed} 件"
        )


@transaction.atomic
def _window_entries(settlement: Settlement) -> int:
    days = {e["id"]: date.fromisoformat(e["date"]) for e in settlement.inputs.get("expenses", [])}
    entries = [
        LedgerEntry(
            person_id=settlement.person_id,
            year=days[r["id"]].year,
            day=days[r["id"]],
            source=LedgerEntry.Source.WINDOW,
            settlement=settlement,
            label=f"{settlement.key.removeprefix('application:')} 费用 {r['id']}（票据号启用前批准）",
            total=Decimal(r["total"]),
            assistance=sum(
                (Decimal(r.get(k, "0")) for k in ("assistance", "tilted", "fund")), Decimal("0.00")
            ),
        )
        for r in settlement.result.get("expenses", [])
        if r["id"] in days
    ]
    LedgerEntry.objects.bulk_create(entries)
    return len(entries)
