"""Outpatient care under parameters of its own (issue 36, point 1).

Seed 001 §四(三) gives the deductible (住院起付标准) and the ratios (政策范围内住院费用) for inpatient
care only; for outpatient and chronic outpatient care it says only that they share the yearly cap
("门诊和住院救助共用年度救助限额"). So each outpatient kind has its own deductible, ratio and optional
sub-limit, shipped equal to the inpatient ones and marked as a local setting, and its own yearly
deductible: an outpatient bill no longer uses up the inpatient deductible.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from beneficiaries.models import HardshipIdentity
from engine import Expense, parse_case, settle
from settlements.ledger import settlement_approve
from settlements.models import YearLedger
from settlements.policies import shipped
from settlements.services import policy_version_create
from tests.factories import PersonFactory
from tests.settlements.test_engine import INCOME, exp, ident, run


def closing(identities, expenses, parameters=INCOME):
    """The yearly ledger after settling (2023's)."""
    case = parse_case(
        {"policy": "hohhot-2023", "parameters": parameters, "identities": identities,
         "expenses": expenses}
    )  # fmt: skip
    policy = shipped(case.policy).with_overrides(case.parameters)
    return settle(policy, case.identities, case.expenses).closing[2023]


# A 低保边缘 person; the city income 50,000.00, so the inpatient deductible is 5,000.00 (10%).
EDGE = [ident("dibao_edge")]
# An outpatient visit: 3,000 in scope, 1,500 paid by basic insurance, 1,500.00 self-pay.
VISIT = {"kind": "outpatient", "total": "3200.00", "scope": "3000.00", "critical": "0.00"}
VISIT["basic"] = "1500.00"
# A stay later in the year: 15,000.00 in-scope self-pay after both insurances.
STAY = exp("stay", "2023-06-01")


def test_an_outpatient_bill_no_longer_uses_up_the_inpatient_deductible():
    result = run(EDGE, [exp("visit", "2023-03-01", **VISIT), STAY])
    visit, stay = result["expenses"]
    # the visit meets the outpatient deductible of its own (shipped as 10%, 5,000.00): nothing paid
    assert visit["assistance"] == "0.00"
    # the stay still has the whole inpatient deductible: (15,000 − 5,000) × 65% = 6,500.00
    # (before, the visit's 1,500.00 counted against it: (15,000 − 3,500) × 65% = 7,475.00)
    assert stay["assistance"] == "6500.00"
    after = closing(EDGE, [exp("visit", "2023-03-01", **VISIT), STAY])
    assert after.deductible_used_outpatient == Decimal("1500.00")
    assert after.deductible_used == Decimal("5000.00")
    # the line names the outpatient parameter and its source, a local setting, not §四(三)'s words
    line = next(t for t in visit["lines"] if t.startswith("起付标准"))
    assert "普通门诊年度" in line
    assert "普通门诊年度起付标准占上年全体居民人均可支配收入的比例：低保边缘家庭成员" in line
    assert "本地设定" in line


OWN = {
    **INCOME,
    "assistance.outpatient.deductible_share.dibao_edge": "0.01",  # 500.00
    "assistance.outpatient.ratio.dibao_edge": "0.50",
    "assistance.outpatient.sublimit.dibao_edge": "300.00",
}


def test_outpatient_values_of_its_own_with_a_sub_limit_within_the_shared_cap():
    result = run(EDGE, [exp("visit", "2023-03-01", **VISIT), STAY], parameters=OWN)
    visit, stay = result["expenses"]
    # (1,500 − 500) × 50% = 500.00, held to the outpatient sub-limit of 300.00
    assert visit["assistance"] == "300.00"
    assert any(
        "普通门诊分项限额：300.00 元" in t and "本次救助 300.00 元" in t for t in visit["lines"]
    )
    assert stay["assistance"] == "6500.00"  # the inpatient rules are untouched
    after = closing(EDGE, [exp("visit", "2023-03-01", **VISIT), STAY], OWN)
    assert after.assistance_used_outpatient == Decimal("300.00")
    assert after.assistance_used == Decimal("6800.00")  # one yearly cap for both kinds


def test_a_changed_outpatient_ratio_changes_only_outpatient_results():
    bills = [
        exp("visit", "2023-03-01", **VISIT),
        exp("chronic", "2023-04-01", **{**VISIT, "kind": "chronic_outpatient"}),
        STAY,
    ]
    plain = {**INCOME, "assistance.outpatient.deductible_share.dibao_edge": "0"}
    before = run(EDGE, bills, parameters=plain)["expenses"]
    after = run(
        EDGE, bills, parameters={**plain, "assistance.outpatient.ratio.dibao_edge": "0.90"}
    )["expenses"]
    assert [e["assistance"] for e in before] == ["975.00", "0.00", "6500.00"]
    # 1,500 × 90% = 1,350.00 for the visit; the chronic visit (its own 5,000 deductible) and the
    # stay stay as they were
    assert [e["assistance"] for e in after] == ["1350.00", "0.00", "6500.00"]


def test_chronic_outpatient_has_its_own_ratio():
    bills = [exp("chronic", "2023-04-01", **{**VISIT, "kind": "chronic_outpatient"})]
    params = {
        **INCOME,
        "assistance.chronic_outpatient.deductible_share.dibao_edge": "0",
        "assistance.chronic_outpatient.ratio.dibao_edge": "0.80",
    }
    (chronic,) = run(EDGE, bills, parameters=params)["expenses"]
    assert chronic["assistance"] == "1200.00"  # 1,500 × 80%
    assert any("门诊慢特病救助比例：低保边缘家庭成员" in t for t in chronic["lines"])


def test_every_outpatient_parameter_is_a_local_setting_never_cited_to_the_inpatient_clause():
    policy = shipped("hohhot-2023")
    names = [n for n in policy.parameters if ".outpatient." in n or ".chronic_outpatient." in n]
    assert len(names) == 2 * 3 * 8  # two kinds × (deductible, ratio, sub-limit) × eight categories
    for name in names:
        (value,) = policy.parameters[name].values
        assert value.basis == "local", name
        assert value.by, name
        assert value.clause == "", name  # no clause quoted for them: the seed gives none


@pytest.mark.django_db
def test_the_administrator_sets_them_and_the_ledger_keeps_them_apart(world):
    person = PersonFactory(township=world.town_a1)
    HardshipIdentity.objects.create(
        person=person, category="dibao", department="民政", certified_on=date(2023, 1, 1)
    )
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={
            "assistance.outpatient.ratio.dibao": "60%",
            "assistance.outpatient.sublimit.dibao": "500",
        },
        source="市医保局门诊救助通知",
        actor=world.users["admin"],
    )
    visit = Expense(
        id="v1", day=date(2023, 3, 1), kind="outpatient", total=Decimal("2000.00"),
        policy_scope=Decimal("2000.00"), basic_paid=Decimal("1000.00"),
        critical_paid=Decimal("0.00"),
    )  # fmt: skip
    settlement = settlement_approve(
        key="t:outpatient", person=person, expenses=[visit], actor=world.users["approver"]
    )
    assert settlement.assistance == Decimal("500.00")  # 1,000 × 60% = 600.00, sub-limit 500.00
    row = YearLedger.objects.get(person=person, year=2023)
    assert (row.assistance_used, row.assistance_used_outpatient) == (Decimal("500.00"),) * 2
    assert row.deductible_used_outpatient == Decimal("0.00")
    audit = AuditEvent.objects.filter(event="settlement.approved").latest("pk")
    assert audit.changes["2023.assistance_used_outpatient"] == ["0.00", "500.00"]
