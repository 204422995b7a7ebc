"""The engine on Dongying 2020 (seed 003 二(一)(二): computed basic insurance, tiered critical-illness
insurance) and what it refuses: missing amounts and parameters, bad expenses, unknown categories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine import (
    MissingAmount,
    MissingParameter,
    SettlementInputError,
    UnknownParameter,
    parse_case,
    settle,
)
from settlements.policies import shipped
from tests.settlements.test_engine import exp, ident, run

# --- Dongying 2020, seed 003 二(一)(二): basic 70% of in-scope inpatient cost; tiered critical ---


def dongying(identities, *expenses):
    return run(identities, list(expenses), policy="dongying-2020", parameters={})


def dy(eid, day="2020-05-01", total="250000.00", scope="200000.00", **kw):
    return exp(eid, day, total=total, scope=scope, basic=None, critical=None, **kw)


def test_dongying_basic_and_ordinary_critical_schedule():
    row = dongying([], dy("a"))["expenses"][0]
    # basic 200,000 × 70% = 140,000; burden 60,000: (60,000 − 16,000) × 60% = 26,400
    assert (row["identity"], row["basic"], row["critical"], row["assistance"], row["tilted"]) == (
        None,
        "140000.00",
        "26400.00",
        "0.00",
        "0.00",
    )
    assert row["personal"] == "83600.00"


def test_dongying_poor_schedule_for_dibao():
    row = dongying([ident("dibao", "2020-01-01")], dy("a"))["expenses"][0]
    # (60,000 − 5,000) × 65% = 35,750
    assert (row["identity"], row["critical"]) == ("dibao", "35750.00")


def test_dongying_accumulated_burden_crosses_bracket_edges():
    first = dy("a", "2020-03-01")  # burden 60,000
    second = dy(
        "b", "2020-06-01", total="300000.00", scope="300000.00"
    )  # basic 210,000, burden 90,000
    out = dongying([], first, second)
    # 60,000 → 150,000: 40,000 × 60% + 50,000 × 65% = 24,000 + 32,500
    assert out["expenses"][1]["critical"] == "56500.00"
    assert (
        "大病保险：16,000.00–100,000.00 元段 40,000.00 元 × 60% = 24,000.00 元"
        in out["expenses"][1]["lines"]
    )


def test_dongying_at_the_exact_edge_of_a_bracket():
    # burden exactly 100,000: 84,000 × 60% = 50,400, the 65% band not entered
    row = dongying([], dy("a", total="333333.34", scope="333333.34"))["expenses"][0]
    assert row["basic"] == "233333.34"
    assert row["critical"] == "50400.00"


def test_dongying_ordinary_cap_and_no_cap_for_the_poor():
    huge = {"total": "3000000.00", "scope": "3000000.00"}
    ordinary = dongying([], dy("a", **huge))["expenses"][0]
    # burden 900,000: 50,400 + 65,000 + 70,000 + 450,000 = 635,400 → cap 400,000
    assert ordinary["critical"] == "400000.00"
    poor = dongying([ident("tekun", "2020-01-01")], dy("a", **huge))["expenses"][0]
    # 95,000 × 65% + 200,000 × 75% + 600,000 × 85% = 61,750 + 150,000 + 510,000
    assert poor["critical"] == "721750.00"


def test_dongying_uses_the_slip_when_given():
    row = dongying(
        [],
        exp(
            "a",
            "2020-05-01",
            basic="100000.00",
            critical=None,
            total="250000.00",
            scope="200000.00",
        ),
    )["expenses"][0]
    # burden 100,000: 84,000 × 60% = 50,400
    assert (row["basic"], row["critical"]) == ("100000.00", "50400.00")


# --- refusals ----------------------------------------------------------------------------


def test_dongying_cannot_compute_outpatient_basic():
    with pytest.raises(MissingAmount, match="缺少 basic_paid"):
        dongying([], dy("a", kind="outpatient"))


def test_hohhot_needs_the_slip_amounts():
    with pytest.raises(MissingAmount, match="缺少 critical_paid"):
        run([ident("dibao")], [exp("e1", critical=None)])


def test_hohhot_deductible_needs_the_city_income():
    with pytest.raises(MissingParameter, match="city_income（上年全体居民人均可支配收入）"):
        run([ident("dibao_edge")], [exp("e1")], parameters={})
    # … which a dibao case does not need
    assert run([ident("dibao")], [exp("e1")], parameters={})["totals"]["assistance"] == "10500.00"


def test_unknown_parameter_is_refused():
    with pytest.raises(UnknownParameter, match=r"没有参数 assistance\.ratio\.nobody"):
        run([ident("dibao")], [exp("e1")], parameters={"assistance.ratio.nobody": "0.5"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"total": "-1.00"}, "不能为负数"),
        ({"total": "12.345"}, "最多两位小数"),
        ({"total": "abc"}, "“abc”不是有效金额"),
        ({"total": True}, "应填写金额（元，最多两位小数），收到 True"),
        ({"date": "2023-02-30"}, "不是有效日期"),
        ({"date": "2023/03/01"}, "YYYY-MM-DD"),
        ({"kind": "dental"}, "未知费用类别"),
        ({"policy_scope": "70000.00"}, "政策范围内费用 70,000.00 元大于总费用"),
        ({"basic_paid": "59000.00"}, "之和超过总费用"),
        ({"in_region": "yes"}, "应为 true 或 false"),
        ({"date": "2022-12-31"}, "早于政策 hohhot-2023 的施行日期"),
    ],
)
def test_bad_expenses_are_refused_with_a_reason(change, message):
    with pytest.raises(SettlementInputError, match=message):
        run([ident("dibao")], [{**exp("e1"), **change}])


def test_unknown_category_and_impossible_identity_dates_are_refused():
    with pytest.raises(SettlementInputError, match="未知身份类别 'poor'"):
        run([ident("poor")], [exp("e1")])
    with pytest.raises(SettlementInputError, match="终止日期 2023-01-01 早于认定日期 2023-02-01"):
        run([ident("dibao", "2023-02-01", "2023-01-01")], [exp("e1")])


def test_numbers_are_accepted_as_amounts_exactly():
    case = parse_case(
        {
            "policy": "hohhot-2023",
            "identities": [],
            "expenses": [{**exp("e1"), "total": Decimal("60000.1")}],
        }
    )
    assert case.expenses[0].total == Decimal("60000.10")


def test_inputs_read_back_what_they_wrote_and_settle_the_same():

    from engine import Expense, IdentityPeriod, Inputs, YearState

    inputs = Inputs(
        identities=(IdentityPeriod("dibao", date(2023, 1, 1), date(2023, 12, 31)),),
        expenses=(
            Expense("a", date(2023, 3, 1), "inpatient", Decimal("60000.00"), Decimal("50000.00"),
                    Decimal("30000.00"), Decimal("5000.00"), in_region=False, referred=True),
            Expense("b", date(2023, 4, 1), "outpatient", Decimal("800.00"), Decimal("700.00"),
                    Decimal("350.00"), Decimal("0.00")),
        ),
        opening={2023: YearState(assistance_used=Decimal("12000.00"))},
    )  # fmt: skip
    again = Inputs.from_json(inputs.to_json())
    assert again == inputs and again.years == [2023]
    policy = shipped("hohhot-2023").with_overrides({"city_income": "50000.00"})
    first = settle(policy, inputs.identities, inputs.expenses, inputs.opening)
    second = settle(policy, again.identities, again.expenses, again.opening)
    assert (
        first.to_pay
        == second.to_pay
        == sum((e.assistance + e.tilted + e.fund for e in first.expenses), Decimal("0.00"))
    )
    assert first.to_pay > 0 and first.opening[2023].assistance_used == Decimal("12000.00")
