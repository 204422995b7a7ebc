from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from applications.eligibility import BurdenLine


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
    verbose_name = "因病致贫返贫监测"

    def ready(self) -> None:
        # Monitoring stands above the registry: it hands the registry's import runner the
        # hospital's settlement files, and is told when an import is applied (the higher floor
        # owns the orchestration; the registry never imports monitoring).
        from beneficiaries import services as registry
        from beneficiaries.models import IdentityImport

        from . import hospital_import

        registry.register_file_kind(
            IdentityImport.Content.HOSPITAL,
            registry.FileKind(
                hospital_import.LAYOUT,
                hospital_import.process,
                hospital_import.count,
                hospital_import.done,
                hospital_import.HospitalRecord,
            ),
        )
        registry.on_import_applied(_recompute_after_import)
        # the window's 因病致贫 pre-check counts the household's bills settled at the hospital
        from applications.eligibility import register_burden_source

        register_burden_source(_hospital_burdens)
        # the fund's books count the assistance paid at the hospital (一站式)
        from settlements.funds import register_outlay

        from .selectors import onestop_outlays

        register_outlay("onestop", "一站式结算救助（医院结算数据）", onestop_outlays, position=20)


def _recompute_after_import(batch: object) -> None:
    """New bills and identities reach the warnings now rather than at night."""
    from core.queueing import enqueue

    enqueue("monitoring.tasks.recompute_monitoring")


def _hospital_burdens(person_ids: Sequence[int], year: int) -> Iterable[BurdenLine]:
    """The household's bills settled at the hospital in ``year``: the burden after insurance."""
    from applications.eligibility import BurdenLine

    from .models import HospitalSettlement

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
