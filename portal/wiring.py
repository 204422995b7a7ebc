"""Every link from a higher floor into a lower one, in one place (``core.extensions``).

A lower floor declares an extension point where it consumes additions; the additions of the floors
above are connected here when the portal starts (``PortalConfig.ready``: every process, the web, the
worker and beat, runs it). The portal stands above every app but ``config``, so it may import them
all, and no app imports a floor above it. To find what adds to a point: search this file for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from applications.eligibility import BURDEN_SOURCES, BurdenLine
from applications.payment_facts import CASE_PANELS, PAYMENT_FACTS, PaymentFacts
from applications.platform_bills import PLATFORM_BILLS, PlatformBills
from applications.selectors import window_outlays
from beneficiaries import institutions
from beneficiaries.models import IdentityImport
from beneficiaries.services import FILE_KINDS, IDENTITY_KIND, IMPORT_APPLIED, FileKind
from core.queueing import enqueue
from monitoring import hospital_import, platform
from monitoring.models import HospitalSettlement
from monitoring.selectors import onestop_outlays
from payments.panels import money_panel
from payments.selectors import paid_line, payment_pending
from payments.transfers import refunded_in, transferred_in
from relief.panels import relief_panel
from relief.selectors import special_outlays
from relief.services import HELP_CHANGED
from settlements.funds import register_outlay


def connect() -> None:
    # The import runner (beneficiaries) takes the departments' identity files and the hospitals'
    # settlement files (kept by monitoring); once an import is applied, monitoring recomputes.
    FILE_KINDS.provide(IdentityImport.Content.IDENTITIES, IDENTITY_KIND)
    FILE_KINDS.provide(
        IdentityImport.Content.HOSPITAL,
        FileKind(
            hospital_import.LAYOUT,
            hospital_import.process,
            hospital_import.count,
            hospital_import.done,
            hospital_import.HospitalRecord,
        ),
    )
    FILE_KINDS.provide(
        IdentityImport.Content.PLATFORM,
        FileKind(
            platform.LAYOUT,
            platform.process,
            platform.count,
            platform.done,
            platform.PlatformRecord,
        ),
    )
    FILE_KINDS.provide(
        IdentityImport.Content.MEDINS,
        FileKind(
            institutions.LAYOUT,
            institutions.process,
            institutions.count,
            institutions.done,
            institutions.Entry,
        ),
    )
    IMPORT_APPLIED.provide("monitoring.recompute", _recompute_after_import)
    # The window (applications) takes a bill from the platform's record by its setl_id.
    PLATFORM_BILLS.provide(
        "monitoring.platform",
        PlatformBills(platform.bill_of, platform.open_records),
    )
    # The window's 因病致贫 pre-check (applications) counts the household's hospital bills.
    BURDEN_SOURCES.provide("monitoring.hospital", _hospital_burdens)
    # The fund's books (settlements) count every outlay, in this order.
    register_outlay("window", "窗口救助（经审批）", window_outlays, position=10)
    register_outlay("onestop", "一站式结算救助（医院结算数据）", onestop_outlays, position=20)
    register_outlay("subsidy", "资助参保（已划转）", transferred_in, position=30)
    register_outlay("special", "一事一议（经审定）", special_outlays, position=35)
    register_outlay("recovery", "追回（冲减）", refunded_in, position=40)
    # A case (applications) learns from the payments floor whether it waits for the bank, and how
    # it was paid (the status page shows the date and the masked account).
    PAYMENT_FACTS.provide("payments", PaymentFacts(payment_pending, paid_line))
    # The case page (applications) shows the payee's account and the recoveries (payments).
    CASE_PANELS.provide("payments.money", money_panel)
    # 梯次减负 (relief) on the case page: hand-offs and 一事一议; and once other bodies' help or a
    # 一事一议 changes, monitoring recomputes the burdens, rates and warnings.
    CASE_PANELS.provide("relief", relief_panel)
    HELP_CHANGED.provide("monitoring.recompute", _recompute_after_help)


def _recompute_after_import(batch: IdentityImport) -> None:
    """New bills and identities reach the warnings now rather than at night."""
    enqueue("monitoring.tasks.recompute_monitoring")


def _recompute_after_help() -> None:
    enqueue("monitoring.tasks.recompute_monitoring")


def _hospital_burdens(person_ids: Sequence[int], year: int) -> Iterable[BurdenLine]:
    """The household's bills settled at the hospital in ``year``: the burden after insurance."""
    rows = HospitalSettlement.objects.filter(person_id__in=person_ids, day__year=year).order_by(
        "day", "id"
    )
    for r in rows:
        yield BurdenLine(
            r.person_id,
            f"{r.hospital} {r.day:%Y-%m-%d}（医院结算记录）",
            r.day,
            r.personal_burden,
            tuple(k for k in (r.invoice_key, r.settlement_key) if k),
            "医院结算记录",
        )
