"""The engine against the policy text: every category, deductible, cap, identity date, tilted
assistance and the Dongying brackets. Amounts worked out by hand from the seed figures.

No database: the engine is pure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from engine import (
    MissingParameter,
    SettlementInputError,
    parse_case,
    result_json,
    settle,
)
from settlements.policies import shipped

INCOME = {"city_income": "50000.00", "rural_income": "20000.00"}


def ident(category: str, start: str = "2023-01-01", end: str | None = None) -> dict:
    return {"category": category, "certified_on": start, "ended_on": end}


def exp(
    eid: str,
    day: str = "2023-03-01",
    *,
    kind: str = "inpatient",
    total: str = "60000.00",
    scope: str = "50000.00",
    basic: str | None = "30000.00",
    critical: str | None = "5000.00",
    in_region: bool = True,
    referred: bool = True,
) -> dict:
    item = {
        "id": eid,
        "date": day,
        "kind": kind,
        "total": total,
        "policy_scope": scope,
        "in_region": in_region,
        "referred": referred,
    }
    if basic is not None:
        item["basic_paid"] = basic
    if critical is not None:
        item["critical_paid"] = critical
    return item


def run(identities, expenses, policy="hohhot-2023", parameters=None) -> dict:
    case = parse_case(
        {
            "policy": policy,
            "parameters": INCOME if parameters is None else parameters,
            "identities": identities,
            "expenses": expenses,
        }
    )
    result = settle(
        shipped(case.policy).with_overrides(case.parameters), case.identities, case.expenses
    )
    return result_json(result)


def amounts(row: dict) -> tuple[str, ...]:
    return (row["identity"], row["assistance"], row["tilted"], row["personal"])


# --- Hohhot 2023, seed 001 §四(三): one 60,000 stay, 50,000 in scope, 30,000 + 5,000 insured ---
# In-scope self-pay 15,000 in every row; tilted threshold 7,000 at 80%.
CATEGORY_TABLE = [
    # category: ratio; deductible; assistance; remaining in-scope self-pay → tilted
    ("tekun", "15000.00", "0.00", "10000.00"),  # 100%: 15,000; nothing left
    ("orphan", "15000.00", "0.00", "10000.00"),  # 100%
    ("dibao", "10500.00", "0.00", "14500.00"),  # 70%: 10,500; 4,500 left < 7,000
    ("returned_poor", "9750.00", "0.00", "15250.00"),  # 65%: 9,750; 5,250 left
    ("rural_at_risk", "9750.00", "0.00", "15250.00"),  # 65%, no deductible
    # deductible 10% × 50,000 = 5,000; (15,000 − 5,000) × 65% = 6,500; 8,500 left: (8,500 − 7,000) × 80% = 1,200
    ("dibao_edge", "6500.00", "1200.00", "17300.00"),
    # deductible 25% × 50,000 = 12,500; 2,500 × 65% = 1,625; 13,375 left: 6,375 × 80% = 5,100
    ("illness_poor", "1625.00", "5100.00", "18275.00"),
    ("other", "9750.00", "0.00", "15250.00"),  # 65%, no deductible
]


@pytest.mark.parametrize(("category", "assistance", "tilted", "personal"), CATEGORY_TABLE)
def test_each_category_on_one_inpatient_stay(category, assistance, tilted, personal):
    out = run([ident(category)], [exp("e1")])
    row = out["expenses"][0]
    assert amounts(row) == (category, assistance, tilted, personal)
    assert (row["basic"], row["critical"]) == ("30000.00", "5000.00")
    assert out["totals"] == {
        "total": "60000.00",
        "basic": "30000.00",
        "critical": "5000.00",
        "assistance": assistance,
        "tilted": tilted,
        "personal": personal,
    }


def test_contract_example_explains_each_step_with_the_clause():
    row = run([ident("dibao")], [exp("e1")])["expenses"][0]
    assert row["lines"] == [
        "基本医保：按结算单支付 30,000.00 元",
        "大病保险：按结算单支付 5,000.00 元",
        "政策范围内个人自付：50,000.00 − 30,000.00 − 5,000.00 = 15,000.00 元",
        "起付标准：低保对象 不设起付线（呼和浩特实施方案 四(三)）",
        "医疗救助：低保对象 政策范围内自付 15,000.00 元 × 70% = 10,500.00 元（呼和浩特实施方案 四(三)）",
        "年度限额：低保对象 100,000.00 元（门诊住院共用），本年已救助 0.00 元，尚余 100,000.00 元，"
        "本次救助 10,500.00 元（呼和浩特实施方案 四(三)）",
        "倾斜救助：三重制度保障后政策范围内自付 4,500.00 元，年度起付 7,000.00 元（本年已计入 0.00 元，"
        "本次计入 4,500.00 元）",
        "倾斜救助：未超过起付，不予倾斜救助（呼和浩特实施方案 四(三)）",
        "个人负担：60,000.00 − 30,000.00 − 5,000.00 − 10,500.00 − 0.00 = 14,500.00 元",
    ]


def test_the_deductible_line_names_the_income_and_the_share():
    row = run([ident("dibao_edge")], [exp("e1")])["expenses"][0]
    assert (
        "起付标准：低保边缘家庭成员 年度 50,000.00 元（上年全体居民人均可支配收入）× 10% = 5,000.00 元，"
        "本年已负担 0.00 元，本次负担 5,000.00 元（呼和浩特实施方案 四(三)）"
    ) in row["lines"]


def test_yearly_cap_is_shared_and_the_second_expense_gets_only_the_rest():
    # 150,000 self-pay × 70% = 105,000 → the 100,000 cap; then outpatient gets nothing.
    big = exp("e1", total="200000.00", scope="200000.00", basic="40000.00", critical="10000.00")
    small = exp(
        "e2",
        "2023-04-01",
        kind="outpatient",
        total="1000.00",
        scope="1000.00",
        basic="500.00",
        critical="0.00",
        referred=False,
    )
    out = run([ident("dibao")], [big, small])
    assert out["expenses"][0]["assistance"] == "100000.00"
    assert out["expenses"][1]["assistance"] == "0.00"
    assert any("本次按剩余限额救助 0.00 元" in line for line in out["expenses"][1]["lines"])
    assert out["totals"]["assistance"] == "100000.00"


def test_cap_of_a_later_identity_applies_minus_what_was_used():
    # rural_at_risk (cap 50,000) to June, dibao (cap 100,000) from July.
    identities = [ident("rural_at_risk", "2023-01-01", "2023-06-30"), ident("dibao", "2023-07-01")]
    first = exp(
        "e1", "2023-03-01", total="120000.00", scope="100000.00", basic="20000.00", critical="0.00"
    )
    second = exp(
        "e2", "2023-08-01", total="150000.00", scope="150000.00", basic="50000.00", critical="0.00"
    )
    out = run(identities, [first, second])
    # 80,000 × 65% = 52,000 → 50,000; then 100,000 × 70% = 70,000 → 100,000 − 50,000 = 50,000
    assert [r["identity"] for r in out["expenses"]] == ["rural_at_risk", "dibao"]
    assert [r["assistance"] for r in out["expenses"]] == ["50000.00", "50000.00"]


def test_a_lower_cap_after_a_higher_one_leaves_nothing_once_exceeded():
    identities = [ident("dibao", "2023-01-01", "2023-06-30"), ident("rural_at_risk", "2023-07-01")]
    first = exp(
        "e1", "2023-03-01", total="100000.00", scope="100000.00", basic="10000.00", critical="0.00"
    )
    second = exp(
        "e2", "2023-08-01", total="10000.00", scope="10000.00", basic="2000.00", critical="0.00"
    )
    out = run(identities, [first, second])
    # 90,000 × 70% = 63,000 used; rural_at_risk cap 50,000 − 63,000 → nothing left
    assert [r["assistance"] for r in out["expenses"]] == ["63000.00", "0.00"]


def test_deductible_accumulates_over_the_year():
    # dibao_edge deductible 5,000: the first 3,000 of self-pay all borne; then 2,000 of the next 4,000
    first = exp(
        "e1",
        kind="outpatient",
        total="3000.00",
        scope="3000.00",
        basic="0.00",
        critical="0.00",
        referred=False,
    )
    second = exp(
        "e2",
        "2023-05-01",
        kind="outpatient",
        total="4000.00",
        scope="4000.00",
        basic="0.00",
        critical="0.00",
        referred=False,
    )
    out = run([ident("dibao_edge")], [first, second])
    assert [r["assistance"] for r in out["expenses"]] == ["0.00", "1300.00"]  # 2,000 × 65%


def test_deductible_of_a_later_identity_is_less_what_was_already_borne():
    # dibao_edge (5,000) to June, then illness_poor (12,500): 7,500 more to bear
    identities = [
        ident("dibao_edge", "2023-01-01", "2023-06-30"),
        ident("illness_poor", "2023-07-01"),
    ]
    first = exp(
        "e1",
        "2023-03-01",
        kind="outpatient",
        total="6000.00",
        scope="6000.00",
        basic="0.00",
        critical="0.00",
        referred=False,
    )
    second = exp(
        "e2",
        "2023-08-01",
        kind="outpatient",
        total="10000.00",
        scope="10000.00",
        basic="0.00",
        critical="0.00",
        referred=False,
    )
    out = run(identities, [first, second])
    # 1,000 × 65% = 650; then (10,000 − 7,500) × 65% = 1,625
    assert [r["assistance"] for r in out["expenses"]] == ["650.00", "1625.00"]


@pytest.mark.parametrize(
    ("day", "identity", "assistance"),
    [
        ("2023-05-31", None, "0.00"),  # the day before certification: not assisted
        ("2023-06-01", "dibao", "10500.00"),  # the certification day counts
        ("2023-09-30", "dibao", "10500.00"),  # the last day of the certificate counts
        ("2023-10-01", None, "0.00"),  # the day after it ended
    ],
)
def test_identity_dates(day, identity, assistance):
    row = run([ident("dibao", "2023-06-01", "2023-09-30")], [exp("e1", day)])["expenses"][0]
    assert (row["identity"], row["assistance"], row["tilted"]) == (identity, assistance, "0.00")
    if identity is None:
        assert row["personal"] == "25000.00"
        assert any("无有效困难身份" in line for line in row["lines"])


def test_most_favourable_identity_is_used_and_only_once():
    out = run([ident("dibao_edge"), ident("dibao"), ident("illness_poor")], [exp("e1")])
    row = out["expenses"][0]
    assert amounts(row) == ("dibao", "10500.00", "0.00", "14500.00")
    assert row["lines"][3].startswith(
        "救助身份：低保对象（同时具有低保边缘、因病致贫身份，按就高不就低"
    )


def test_most_favourable_follows_overridden_parameters():
    # If a city pays returned_poor 90%, that identity now gives the most.
    out = run(
        [ident("dibao"), ident("returned_poor")],
        [exp("e1")],
        parameters={**INCOME, "assistance.ratio.returned_poor": "0.90"},
    )
    assert amounts(out["expenses"][0]) == ("returned_poor", "13500.00", "0.00", "11500.00")


def test_out_of_region_without_referral_gets_no_assistance():
    row = run([ident("tekun")], [exp("e1", in_region=False, referred=False)])["expenses"][0]
    assert amounts(row) == ("tekun", "0.00", "0.00", "25000.00")
    assert "自治区外就医且未规范转诊" in row["lines"][3]


def test_out_of_region_with_referral_is_assisted_but_not_tilted():
    # dibao_edge: 6,500 assistance as in region, but tilted needs treatment inside the region
    row = run([ident("dibao_edge")], [exp("e1", in_region=False, referred=True)])["expenses"][0]
    assert amounts(row) == ("dibao_edge", "6500.00", "0.00", "18500.00")


def test_in_region_without_referral_is_assisted_but_not_tilted():
    row = run([ident("illness_poor")], [exp("e1", referred=False)])["expenses"][0]
    assert amounts(row) == ("illness_poor", "1625.00", "0.00", "23375.00")


def test_tilted_assistance_threshold_and_cap_accumulate_over_the_year():
    # returned_poor, 65%, no deductible; every stay in region and referred
    a = exp("a", "2023-02-01", total="10000.00", scope="10000.00", basic="0.00", critical="0.00")
    b = exp("b", "2023-04-01", total="20000.00", scope="20000.00", basic="0.00", critical="0.00")
    c = exp("c", "2023-06-01", total="100000.00", scope="100000.00", basic="0.00", critical="0.00")
    d = exp("d", "2023-08-01", total="20000.00", scope="20000.00", basic="0.00", critical="0.00")
    out = run([ident("returned_poor")], [a, b, c, d])
    rows = {r["id"]: r for r in out["expenses"]}
    # a: 6,500 assisted, 3,500 left: all of it goes to the 7,000 threshold
    assert (rows["a"]["assistance"], rows["a"]["tilted"]) == ("6500.00", "0.00")
    # b: 13,000 assisted, 7,000 left: 3,500 completes the threshold, 3,500 × 80% = 2,800
    assert (rows["b"]["assistance"], rows["b"]["tilted"]) == ("13000.00", "2800.00")
    # c: 65,000 assisted, 35,000 left × 80% = 28,000; cap 30,000 − 2,800 = 27,200
    assert (rows["c"]["assistance"], rows["c"]["tilted"]) == ("65000.00", "27200.00")
    # d: yearly assistance cap 100,000 − 84,500 = 15,500 > 13,000; tilted cap used up
    assert (rows["d"]["assistance"], rows["d"]["tilted"]) == ("13000.00", "0.00")
    assert out["totals"]["tilted"] == "30000.00"


def test_tilted_assistance_is_for_inpatient_stays_only():
    row = run([ident("illness_poor")], [exp("e1", kind="chronic_outpatient")])["expenses"][0]
    assert (row["assistance"], row["tilted"]) == ("1625.00", "0.00")
    assert any("仅限规范转诊且在自治区内就医的住院费用" in line for line in row["lines"])


def test_a_new_year_starts_a_new_ledger():
    big = {"total": "200000.00", "scope": "200000.00", "basic": "40000.00", "critical": "10000.00"}
    out = run([ident("dibao")], [exp("e1", "2023-12-31", **big), exp("e2", "2024-01-01", **big)])
    assert [r["assistance"] for r in out["expenses"]] == ["100000.00", "100000.00"]


def test_expenses_are_settled_in_date_order_whatever_the_input_order():
    big = {"total": "200000.00", "scope": "200000.00", "basic": "40000.00", "critical": "10000.00"}
    later = exp("late", "2023-09-01", **big)
    earlier = exp(
        "early", "2023-02-01", total="10000.00", scope="10000.00", basic="0.00", critical="0.00"
    )
    out = run([ident("dibao")], [later, earlier])
    rows = {r["id"]: r["assistance"] for r in out["expenses"]}
    assert rows == {"early": "7000.00", "late": "93000.00"}
    assert [r["id"] for r in out["expenses"]] == ["late", "early"]  # output keeps the input order


@pytest.mark.parametrize(
    ("category", "scope", "assistance"),
    [
        ("returned_poor", "0.01", "0.01"),  # 0.0065 → 0.01
        ("dibao", "0.05", "0.04"),  # 0.035 → 0.04 (half up, not to even)
        ("dibao", "0.15", "0.11"),  # 0.105 → 0.11
        ("returned_poor", "0.10", "0.07"),  # 0.065 → 0.07
    ],
)
def test_rounding_is_half_up_to_the_fen(category, scope, assistance):
    row = run(
        [ident(category)],
        [
            exp(
                "e1",
                kind="outpatient",
                total=scope,
                scope=scope,
                basic="0.00",
                critical="0.00",
                referred=False,
            )
        ],
    )
    assert row["expenses"][0]["assistance"] == assistance


def test_special_fund_caps_the_personal_burden_when_switched_on():
    params = {**INCOME, "fund.enabled": True}
    big = exp("e1", total="200000.00", scope="100000.00", basic="50000.00", critical="10000.00")
    out = run([ident("dibao")], [big], parameters=params)
    row = out["expenses"][0]
    # 40,000 × 70% = 28,000; 12,000 left − 7,000 = 5,000 × 80% = 4,000; 108,000 borne → 30,000
    assert (row["assistance"], row["tilted"], row["fund"], row["personal"]) == (
        "28000.00",
        "4000.00",
        "78000.00",
        "30000.00",
    )
    assert out["totals"]["fund"] == "78000.00"
    second = run(
        [ident("dibao")],
        [
            big,
            exp(
                "e2",
                "2023-05-01",
                kind="outpatient",
                total="100.00",
                scope="0.00",
                basic="0.00",
                critical="0.00",
            ),
        ],
        parameters=params,
    )
    assert second["expenses"][1]["fund"] == "100.00"  # the person's 30,000 is reached


def test_special_fund_is_off_in_hohhot_and_absent_from_the_output():
    out = run([ident("dibao")], [exp("e1", total="200000.00")])
    assert "fund" not in out["expenses"][0]
    assert "fund" not in out["totals"]


def test_a_fund_switched_on_later_shows_only_for_expenses_that_reach_that_day():
    hohhot = shipped("hohhot-2023").with_overrides(INCOME)
    later = hohhot.amended(
        start=date(2024, 1, 1), values={"fund.enabled": True}, source="test", version=2
    )
    case = parse_case({"policy": "hohhot-2023", "identities": [ident("dibao")], "expenses": []})
    before = [*parse_case(_case_of(exp("e1"))).expenses]
    after = [*parse_case(_case_of(exp("e2", "2024-02-01", total="200000.00"))).expenses]
    assert settle(later, case.identities, before).fund_layer is False
    both = settle(later, case.identities, [*before, *after])
    assert both.fund_layer is True
    # 2024: 200,000 − 30,000 − 5,000 − 10,500 (70% of 15,000) = 154,500 borne, the fund takes
    # all above the person's 30,000
    assert [row.fund for row in both.expenses] == [Decimal("0.00"), Decimal("124500.00")]
    assert both.expenses[1].personal == Decimal("30000.00")
    # the switch never on: no fund, whatever the days
    assert settle(hohhot, case.identities, [*before, *after]).fund_layer is False


def test_a_fund_layer_whose_switch_has_no_value_is_refused_not_taken_as_off():
    hohhot = shipped("hohhot-2023").with_overrides(INCOME)
    switch = hohhot.parameters["fund.enabled"]
    unset = replace(
        hohhot, parameters={**hohhot.parameters, "fund.enabled": replace(switch, values=())}
    )
    expenses = [*parse_case(_case_of(exp("e1"))).expenses]
    for held in ([], [ident("dibao")]):
        identities = parse_case({**_case_of(exp("e1")), "identities": held}).identities
        with pytest.raises(MissingParameter, match=r"费用 e1（2023-03-01）：.*fund\.enabled"):
            settle(unset, identities, expenses)


def _case_of(expense: dict) -> dict:
    return {"policy": "hohhot-2023", "identities": [], "expenses": [expense]}


def test_an_expense_before_the_policy_is_refused_wherever_it_comes_in_the_list():
    with pytest.raises(
        SettlementInputError, match="费用 e2 的日期 2022-12-31 早于政策 hohhot-2023"
    ):
        run([ident("dibao")], [exp("e1"), exp("e2", "2022-12-31"), exp("e3", "2023-01-01")])
