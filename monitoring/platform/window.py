"""The platform's records as the window sees them (``applications.platform_bills``): a bill taken
by its setl_id, and the person's records no window bill holds yet."""

from __future__ import annotations

from typing import Any

from applications.models import MedicalExpense

from ..models import HospitalSettlement


def bill_of(setl_id: str, person_id: int) -> dict[str, Any] | str:
    """A window bill's figures from the person's platform record ``setl_id``, or why not (the
    record unknown, another person's, reversed, or already assisted)."""
    record = (
        HospitalSettlement.all_records.with_setl_ids([setl_id])
        .select_related("person__township")
        .first()
    )
    if record is None or record.person_id != person_id:
        return (
            f"没有找到本人的结算ID“{setl_id}”的医保平台结算记录：可能尚未导入，请按结算单手工录入。"
        )
    if record.reversed_at is not None:
        return f"结算ID“{setl_id}”已在医保平台冲销（{record.reversal_reason}），不能再申请救助。"
    return {
        "hospital": record.hospital, "hospital_code": record.hospital_code,
        "settlement_number": record.setl_id, "hospital_level": record.hospital_level,
        "kind": record.kind, "admitted_on": record.admitted_on,
        # 自治区内就医: the institution's province (its code's 区划) is the person's
        "in_region": record.hospital_code[1:3] == record.person.township.code[:2],
        "discharged_on": record.day if record.kind == "inpatient" else None,
        "visit_on": None if record.kind == "inpatient" else record.day,
        "total": record.total, "policy_scope": record.policy_scope,
        "basic_paid": record.basic_paid, "critical_paid": record.critical_paid,
        "assistance_paid": record.assistance_paid,
    }  # fmt: skip


def open_records(person_id: int) -> list[HospitalSettlement]:
    """The person's platform records in force that no window bill holds yet, newest first."""
    taken = (
        MedicalExpense.objects.filter(application__person_id=person_id)
        .exclude(settlement_key="")
        .values_list("settlement_key", flat=True)
    )
    return list(
        HospitalSettlement.objects.filter(person_id=person_id, origin="platform")
        .exclude(settlement_key__in=taken)
        .order_by("-day", "-id")[:20]
    )
