"""Which materials (申请材料) an application needs, from its identity and expenses.

docs/domain.md "Materials"; pure Python so the checklist can be tested as a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MATERIALS: dict[str, str] = {
    "application_form": "救助申请书（申请审批表）",
    "id_card": "申请人身份证或社会保障卡",
    "bank_account": "本人银行卡或社会救助“一卡通”（收款账户）",
    "agent_id": "代办人身份证",
    "entrustment": "委托代办书",
    "invoice": "医疗费用发票（原件）",
    "cost_list": "费用明细清单",
    "settlement_slip": "基本医保、大病保险结算单",
    "discharge_summary": "出院小结（出院证）",
    "diagnosis": "诊断证明",
    "prescription": "门诊慢特病处方",
    "identity_certificate": "困难身份证明（低保证、特困证等）",
    "income_declaration": "家庭收入和财产申报表",
    "finance_authorisation": "家庭经济状况核查委托授权书",
    "hukou": "户口簿",
    "referral": "转诊备案表（转诊单）",
}


@dataclass(frozen=True)
class ExpenseFacts:
    kind: str
    in_region: bool
    referred: bool


def required_materials(
    *,
    category: str,
    identity_in_registry: bool,
    has_agent: bool,
    expenses: Iterable[ExpenseFacts],
) -> list[str]:
    """The material codes this application needs, in the order of the checklist."""
    items = list(expenses)
    needed = {"application_form", "id_card", "bank_account"}
    if has_agent:
        needed |= {"agent_id", "entrustment"}
    if items:
        needed |= {"invoice", "cost_list", "settlement_slip"}
    kinds = {e.kind for e in items}
    if "inpatient" in kinds:
        needed |= {"discharge_summary", "diagnosis"}
    if "chronic_outpatient" in kinds:
        needed |= {"diagnosis", "prescription"}
    if not identity_in_registry:
        needed.add("identity_certificate")
    if category == "illness_poor":
        needed |= {"income_declaration", "finance_authorisation", "hukou"}
    if any(not e.in_region and not e.referred for e in items):
        # treatment outside the region is assisted only when referred: a bill no registered
        # referral covers needs the 转诊备案表, so that the referral can be registered
        needed.add("referral")
    return [code for code in MATERIALS if code in needed]
