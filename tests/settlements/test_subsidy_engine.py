"""The participation subsidy (分类资助参保, issue 20, first part): the rules as dated policy
parameters and the pure calculation, straight from the seeds (no database)."""

from datetime import date
from decimal import Decimal

import pytest

from engine import Kind, MissingParameter, ParameterDef
from engine.policy import SubsidyRule
from engine.subsidy import subsidy_for
from settlements.policies import shipped

HOHHOT = shipped("hohhot-2023").with_overrides(
    {"subsidy.contribution": "400.00", "subsidy.contribution.student": "250.00"}
)
PARAMS = HOHHOT.at(date(2026, 1, 1))


def test_hohhot_subsidises_tekun_in_full_and_dibao_at_the_45_percent_floor():
    tekun = subsidy_for(["tekun"], PARAMS, sources=PARAMS.sources)
    assert (tekun.category, tekun.amount) == ("tekun", Decimal("400.00"))
    assert tekun.lines == (
        "个人缴费标准（居民）400.00 元",
        "特困人员（特困供养人员）：全额资助 400.00 元（呼和浩特实施方案 三(一)：特困人员全额资助）",
    )
    dibao = subsidy_for(["dibao"], PARAMS)
    assert (dibao.category, dibao.amount) == ("dibao", Decimal("180.00"))  # 45% of 400
    assert dibao.lines[1] == "低保对象：定额资助，按不低于个人缴费 45% 的下限：180.00 元"
    # a student's contribution is its own: 45% of 250.00 = 112.50
    assert subsidy_for(["returned_poor"], PARAMS, student=True).amount == Decimal("112.50")


def test_a_person_with_two_identities_is_subsidised_once_under_the_one_that_gives_most():
    both = subsidy_for(["dibao", "tekun"], PARAMS)
    assert (both.category, both.amount) == ("tekun", Decimal("400.00"))
    assert (
        both.lines[-1] == "同时具有 2 个身份，按资助最多的“特困”资助一次（就高不就低，不重复资助）"
    )


def test_identities_the_plan_does_not_subsidise_and_no_identity_give_nothing():
    edge = subsidy_for(["dibao_edge"], PARAMS)
    assert (edge.category, edge.amount) == (None, Decimal("0.00"))
    assert edge.lines[1] == "低保边缘家庭成员：不资助"
    nobody = subsidy_for([], PARAMS)
    assert (nobody.amount, nobody.lines[-1]) == (
        Decimal("0.00"),
        "本年度没有有效的困难身份，不资助",
    )


@pytest.mark.parametrize(
    ("rule", "amount", "words"),
    [
        ("定额 200", "200.00", "定额资助 200.00 元"),
        ("定额 100", "180.00", "定额 100.00 元低于个人缴费的 45%（180.00 元），按 180.00 元资助"),
        ("定额 500", "400.00", "定额资助 400.00 元（以个人缴费为限）"),
        ("比例 60%", "240.00", "个人缴费 400.00 元 × 60% = 240.00 元"),
        (
            "比例 10% 至少 150",
            "150.00",
            "个人缴费 400.00 元 × 10% = 40.00 元，低于 150.00 元，按 150.00 元资助",
        ),
        ("全额", "400.00", "全额资助 400.00 元"),
        ("不资助", "0.00", "不资助"),
    ],
)
def test_each_kind_of_rule_as_the_administrator_types_it(rule, amount, words):
    policy = HOHHOT.with_overrides({"subsidy.rule.dibao": rule})
    result = subsidy_for(["dibao"], policy.at(date(2026, 1, 1)))
    assert result.amount == Decimal(amount)
    assert result.lines[1] == f"低保对象：{words}"


def test_a_rule_round_trips_and_a_bad_one_is_refused_in_chinese():
    definition = ParameterDef("subsidy.rule.dibao", "资助参保方式：低保对象", Kind.SUBSIDY, "s")
    for text in ("全额", "定额 140.00", "定额", "比例 50% 至少 100", "不资助"):
        rule = definition.parse(text)
        assert definition.parse(definition.to_json(rule)) == rule
    assert (
        definition.display(definition.parse("比例 50% 至少 100"))
        == "个人缴费的 50%，至少 100.00 元"
    )
    assert definition.parse({"kind": "fixed", "amount": "140"}) == SubsidyRule(
        "fixed", Decimal("140.00")
    )
    for bad in ("半额", "定额 -5", "比例", "全额 100"):
        with pytest.raises(
            ValueError, match=r"^参数 subsidy\.rule\.dibao（资助参保方式：低保对象）"
        ):
            definition.parse(bad)


def test_dongying_2020_contributions_are_those_of_its_notice_and_a_missing_rule_says_so():
    params = shipped("dongying-2020").at(date(2020, 6, 1))
    assert (params["subsidy.contribution"], params["subsidy.contribution.student"]) == (
        Decimal("310.00"),
        Decimal("210.00"),
    )
    with pytest.raises(MissingParameter, match=r"subsidy\.fixed_floor_share"):
        subsidy_for(["dibao"], params)
    with pytest.raises(MissingParameter, match=r"subsidy\.contribution"):
        subsidy_for(["tekun"], shipped("hohhot-2023").at(date(2026, 1, 1)))
