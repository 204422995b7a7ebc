"""The platform's settlement records as the window sees them: a bill picked by its ``setl_id``
instead of typed. The records are kept by the monitoring floor (above this one), which connects
itself here in portal/wiring.py, so this floor never reads their table by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.extensions import Point


@dataclass(frozen=True)
class PlatformBills:
    # (setl_id, person id) -> the bill's fields, or why it cannot be taken
    bill_of: Callable[[str, int], dict[str, Any] | str]
    # person id -> the person's records in force that no window bill holds yet
    open_records: Callable[[int], list[Any]]


PLATFORM_BILLS: Point[PlatformBills] = Point(
    "platform_bills", "窗口按医保平台结算ID带出费用：查找本人的结算记录、列出尚未申请救助的记录"
)


def platform_bill(setl_id: str, person_id: int | None) -> dict[str, Any] | str:
    """The bill of the person's platform record ``setl_id``, or why not."""
    if person_id is None:
        return "此人尚未登记，没有医保平台结算记录：请按结算单手工录入。"
    for source in PLATFORM_BILLS:
        return source.bill_of(setl_id, person_id)
    return "本系统尚未接入医保平台结算数据：请按结算单手工录入。"


def open_platform_records(person_id: int | None) -> list[Any]:
    if person_id is None:
        return []
    return [r for source in PLATFORM_BILLS for r in source.open_records(person_id)]
