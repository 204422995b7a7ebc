"""Eligibility at the window, continued: the 因病致贫 pre-check with its four conditions, the filing
limit, the person's whole picture and the second case, the one-stop channel, and the parameters."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.eligibility import illness_tests
from applications.models import (
    Application,
    ApplicationEvent,
    IllnessCheck,
    Status,
)
from applications.services import (
    Household,
    illness_check_save,
)
from applications.workflow import refusal
from audit.models import AuditEvent
from engine import Kind, ParameterDef
from settlements.policies import shipped
from settlements.services import policy_version_create
from tests.factories import PersonFactory, make_application, make_expense, walk

# --- the 因病致贫 pre-check ----------------------------------------------------------------------


POLICY = shipped("hohhot-2023").with_overrides(
    {
        "city_income": "50000.00",
        "illness_poor.dibao_standard.urban": {"150121": "9000.00"},
        "illness_poor.dibao_standard.rural": {"150121": "7200.00"},
    }
)
PASSING = {
    "county_code": "150121",
    "hukou_local": True,
    "rural": False,
    "household_size": 3,
    "household_income": Decimal("90000.00"),  # 30,000.00 a head, below 50,000.00
    "medical_burden": Decimal("60000.00"),  # (90,000 − 60,000) ÷ 3 = 10,000.00 < 13,500.00
    "assets_ok": True,
}


def verdicts(**changes):
    tests = illness_tests(policy=POLICY, on=date(2026, 11, 27), **{**PASSING, **changes})
    return {t.code: t.passed for t in tests}, {t.code: t.detail for t in tests}


def test_the_four_conditions_pass_together_with_their_figures_and_clause():
    passed, details = verdicts()
    assert passed == {"hukou": True, "income": True, "burden": True, "assets": True}
    assert details["income"] == (
        "家庭人均年收入 30,000.00 元（90,000.00 元 ÷ 3 人），低于上年全体居民人均可支配收入 50,000.00 元"
    )
    assert details["burden"] == (
        "扣减个人负担医疗费用 60,000.00 元后家庭人均收入 10,000.00 元（（90,000.00 − 60,000.00）÷ 3 人），"
        "低于城市低保标准 9,000.00 元/年 × 1.5 = 13,500.00 元"
    )
    tests = illness_tests(policy=POLICY, on=date(2026, 11, 27), **PASSING)
    assert all(t.clause.startswith("呼和浩特实施方案 二(四)") for t in tests)


@pytest.mark.parametrize(
    ("changes", "failing", "words"),
    [
        ({"hukou_local": False}, "hukou", "申请人不是本市户籍"),
        (
            {"household_income": Decimal("150000.00"), "medical_burden": Decimal("120000.00")},
            "income",
            "家庭人均年收入 50,000.00 元（150,000.00 元 ÷ 3 人），不低于上年全体居民人均可支配收入 50,000.00 元",
        ),
        (
            {"medical_burden": Decimal("40000.00")},
            "burden",
            "家庭人均收入 16,666.67 元（（90,000.00 − 40,000.00）÷ 3 人），不低于城市低保标准 9,000.00 元/年 × 1.5 = 13,500.00 元",
        ),
        ({"assets_ok": False}, "assets", "申报的家庭财产不符合规定，或未签署声明和核查授权书"),
    ],
)
def test_each_condition_fails_alone_with_its_message(changes, failing, words):
    passed, details = verdicts(**changes)
    assert passed == {code: code != failing for code in ("hukou", "income", "burden", "assets")}
    assert words in details[failing]


def test_a_rural_household_is_compared_with_the_rural_standard_and_a_missing_one_says_so():
    passed, details = verdicts(rural=True, medical_burden=Decimal("58000.00"))
    # (90,000 − 58,000) ÷ 3 = 10,666.67 < 7,200 × 1.5 = 10,800.00
    assert (
        passed["burden"] is True
        and "农村低保标准 7,200.00 元/年 × 1.5 = 10,800.00 元" in details["burden"]
    )
    passed, details = verdicts(county_code="150122")
    assert passed["burden"] is None
    assert (
        "本旗县区（150122）城市低保标准（illness_poor.dibao_standard.urban）尚未设置"
        in details["burden"]
    )


def test_the_window_pre_checks_with_the_households_bills_counted_once(world, incomes, accept):
    from monitoring.models import HospitalSettlement

    clerk = world.users["clerk"]
    person = PersonFactory(township=world.town_a1, name="高娜仁")
    app = accept(make_application(person, clerk, category="illness_poor"))
    assert refusal(app, "forward", clerk).startswith(
        "申请身份为因病致贫重病患者且尚未认定：须先完成“因病致贫预审”"
    )
    expense = app.expenses.get()  # 60,000 − 30,000 − 5,000 = 25,000 after insurance
    # the hospital's record of the same bill (counted once) and of another stay this year
    common = {"person": person, "hospital": "医院", "hospital_level": "tier3", "kind": "inpatient",
              "policy_scope": Decimal("0"), "out_of_list": Decimal("0"), "critical_paid": Decimal("0")}  # fmt: skip
    HospitalSettlement.objects.create(
        record_key="r1", invoice_key=expense.invoice_key, day=expense.day,
        total=Decimal("60000.00"), basic_paid=Decimal("30000.00"), **common,
    )  # fmt: skip
    HospitalSettlement.objects.create(
        record_key="r2", invoice_key="other", day=date(2026, 3, 1),
        total=Decimal("10000.00"), basic_paid=Decimal("4000.00"), **common,
    )  # fmt: skip
    household = Household(
        household_size=2,
        household_income=Decimal("60000.00"),
        hukou_local=True,
        rural=False,
        assets_ok=True,
    )
    with pytest.raises(ValidationError, match="只有申请人所在乡镇"):
        illness_check_save(application=app, household=household, actor=world.users["reviewer"])
    check = illness_check_save(application=app, household=household, actor=clerk)
    assert check.medical_burden == Decimal("31000.00")  # 25,000 + 6,000; the same bill once
    # 30,000 a head < 50,000; (60,000 − 31,000) ÷ 2 = 14,500 ≥ 13,500: not certifiable
    assert [t["passed"] for t in check.tests] == [True, True, False, True] and not check.passed
    assert refusal(app, "forward", clerk) is None  # pre-checked: the county sees why
    assert ApplicationEvent.objects.get(application=app, action="illness_check").reason == (
        "不符合：扣减医疗费用后家庭人均收入低于低保标准的倍数"
    )
    check = illness_check_save(
        application=app, household=Household(3, Decimal("60000.00"), True, False, True), actor=clerk
    )
    assert check.passed and IllnessCheck.objects.count() == 1  # recorded again, not doubled


def test_the_window_adds_household_members_on_the_spot(client, world, accept):
    from beneficiaries.models import Household, Person
    from tests.factories import id_number

    clerk = world.users["clerk"]
    person = PersonFactory(township=world.town_a1, name="高娜仁")
    app = accept(make_application(person, clerk, category="illness_poor"))
    url = reverse("applications:illness_check", args=[app.number])
    client.force_login(clerk)
    member = {"add_member": "1", "member_name": "高娃", "member_relationship": "child"}
    page = client.post(url, {**member, "member_id_number": "150121201001010011"}).content.decode()
    assert "校验码" in page or "校验位" in page  # a bad ID number is explained, nothing saved
    assert not Household.objects.exists() and Person.objects.count() == 1
    wife = id_number(321, birth="19650302")
    response = client.post(
        url, {**member, "member_id_number": wife, "member_relationship": "spouse"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    household = person.household
    added = Person.objects.with_id_number(wife).get()
    assert (person.relationship, added.household, added.relationship, added.township) == (
        "head",
        household,
        "spouse",
        world.town_a1,
    )
    assert Household.objects.get().size == 2
    assert AuditEvent.objects.filter(
        actor=clerk, summary__contains="登记为高娜仁的家庭成员"
    ).exists()
    again = client.post(url, {**member, "member_id_number": wife}).content.decode()
    assert "已是这个家庭的成员" in again
    other = PersonFactory(
        township=world.town_a1, household=Household.objects.create(township=world.town_a1)
    )
    elsewhere = client.post(url, {**member, "member_id_number": other.id_number}).content.decode()
    assert "此人已登记在另一个家庭" in elsewhere
    page = client.get(url).content.decode()
    field = re.search(r'<input[^>]*name="household_size"[^>]*>', page).group(0)
    assert 'value="2"' in field, field  # the form starts from the household


def test_the_county_sends_the_passing_pre_checks_to_civil_affairs_as_a_pdf(
    client, world, incomes, accept
):
    clerk = world.users["clerk"]
    person = PersonFactory(township=world.town_a1, name="高娜仁", id_number="150121196001010014")
    app = accept(make_application(person, clerk, category="illness_poor"))
    illness_check_save(
        application=app, household=Household(3, Decimal("30000.00"), True, False, True), actor=clerk
    )
    client.force_login(world.users["reviewer"])
    page = client.get(reverse("applications:illness_list")).content.decode()
    assert "待报送（1 人）" in page and "150121196001010014" not in page  # masked on screen
    response = client.post(reverse("applications:illness_list_pdf"))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    check = IllnessCheck.objects.get()
    assert check.sent_at is not None
    assert AuditEvent.objects.filter(
        actor=world.users["reviewer"],
        action="export",
        event="illness.list_sent",
        summary__contains="因病致贫重病患者预审名单 1 人",
    ).exists()
    response = client.post(reverse("applications:illness_list_pdf"), follow=True)
    assert "没有待报送的预审。" in response.content.decode()


# --- the filing limit ---------------------------------------------------------------------------


def test_a_bill_outside_the_filing_limit_is_refused_at_intake_naming_the_limit(world, applicant):
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={"intake.filing_months": "12"},
        source="本县经办规程第 5 条：出院后 12 个月内申请",
        actor=world.users["admin"],
    )
    old = make_expense(admitted_on=date(2025, 9, 20), discharged_on=date(2025, 10, 1))
    with pytest.raises(ValidationError) as refused:
        make_application(applicant, world.users["clerk"], expenses=[make_expense(), old])
    assert refused.value.messages == [
        "第 2 笔费用的出院日期 2025-10-01 已超过申请期限：须在出院后 12 个月内（即 2026-10-01 前）"
        "申请（依据：本县经办规程第 5 条：出院后 12 个月内申请）。"
    ]
    assert not Application.objects.exists()
    recent = make_expense(admitted_on=date(2025, 12, 1), discharged_on=date(2025, 12, 10))
    assert make_application(applicant, world.users["clerk"], expenses=[recent]).pk


def test_a_bill_before_the_policy_is_refused_at_intake_whatever_the_limit(world, applicant):
    before = make_expense(admitted_on=date(2022, 11, 20), discharged_on=date(2022, 12, 1))
    with pytest.raises(
        ValidationError, match="出院日期 2022-12-01 早于救助政策施行日期 2023-01-01"
    ):
        make_application(applicant, world.users["clerk"], expenses=[before])
    assert not Application.objects.exists()


# --- the person's whole picture and the second case ---------------------------------------------


def test_a_second_case_needs_the_clerks_acknowledgement_and_both_sides_see_the_first(
    client, world, applicant
):
    from tests.factories import case_at

    first = case_at(world, applicant, Status.FORWARDED, missing=["invoice"])
    with pytest.raises(ValidationError) as refused:
        make_application(applicant, world.users["clerk"], second_case_ack=False)
    assert refused.value.messages[0].startswith(
        f"此人另有在办申请：{first.number}（已转县级，承诺补交材料期限 {first.promise_due_on:%Y-%m-%d}）。"
    )
    assert Application.objects.count() == 1
    second = make_application(applicant, world.users["clerk"], second_case_ack=True)
    assert (
        first.number
        in ApplicationEvent.objects.get(application=second, action="second_case").reason
    )
    client.force_login(world.users["reviewer"])
    page = client.get(first.get_absolute_url()).content.decode()
    assert 'data-testid="other-open-cases"' in page and second.number in page
    client.force_login(world.users["clerk"])
    from tests.applications.test_pages import intake_url

    page = client.get(intake_url(client, applicant.id_number)).content.decode()
    assert 'data-testid="second-case"' in page and first.number in page


# --- the channel --------------------------------------------------------------------------------


def test_a_one_stop_identity_at_the_window_says_why_the_hospital_did_not_settle(
    client, world, applicant
):
    clerk = world.users["clerk"]
    with pytest.raises(
        ValidationError,
        match="低保对象的医疗费用在定点医疗机构“一站式”结算（呼和浩特实施方案 七\\(一\\)",
    ):
        make_application(applicant, clerk, onestop_reason="")
    with pytest.raises(ValidationError, match="请写明原因"):
        make_application(applicant, clerk, onestop_reason="other", onestop_note=" ")
    app = make_application(applicant, clerk, onestop_reason="emergency")
    client.force_login(world.users["reviewer"])
    app = walk(world, app, Status.FORWARDED)
    page = client.get(app.get_absolute_url()).content.decode()
    assert "未在医院直接结算的原因：急诊（未能在定点医疗机构直接结算）" in page
    # an identity applied for at the window (低保边缘) is not asked
    edge = PersonFactory(township=world.town_a1)
    assert (
        make_application(edge, clerk, category="dibao_edge", onestop_reason="").onestop_reason == ""
    )


# --- the parameters -------------------------------------------------------------------------------


def test_amounts_per_county_factors_and_months_are_parameters_with_their_words():
    per_county = ParameterDef("x", "低保标准", Kind.COUNTY_AMOUNTS, "s")
    value = per_county.parse({"150122": "7200", "150121": "9000.5"})
    assert per_county.display(value) == "150121：9,000.50 元；150122：7,200.00 元"
    assert per_county.to_json(value) == {"150121": "9000.50", "150122": "7200.00"}
    with pytest.raises(ValueError, match="旗县区代码应为 6 位数字"):
        per_county.parse({"1501": "7200"})
    assert ParameterDef("f", "倍数", Kind.FACTOR, "s").display(Decimal("1.50")) == "1.5 倍"
    with pytest.raises(ValueError, match="应为大于 0 的倍数"):
        ParameterDef("f", "倍数", Kind.FACTOR, "s").parse("0")
    months = ParameterDef("m", "申请期限", Kind.MONTHS, "s", nullable=True)
    assert (months.display(12), months.display(None)) == ("12 个月", "不限")


def test_the_administrator_sets_the_standards_per_county_on_the_policy_form(client, world):
    from settlements.models import PolicyVersion
    from settlements.policies import load
    from tests.settlements.test_policy_pages import URL, form_data

    client.force_login(world.users["admin"])
    assert "城市最低生活保障标准（元/人·年），按旗县区" in client.get(URL).content.decode()
    name = "p__illness_poor.dibao_standard.urban"
    response = client.post(URL, form_data(**{name: "150121 9600\n150122"}))
    assert "（150122）" in response.content.decode() and not PolicyVersion.objects.exists()
    response = client.post(URL, form_data(**{name: "150121 9600\n150122 8400.5"}))
    assert response.status_code == 302
    assert PolicyVersion.objects.get().values == {
        "illness_poor.dibao_standard.urban": {"150121": "9600.00", "150122": "8400.50"}
    }
    assert load("hohhot-2023").at(date(2026, 1, 1))["illness_poor.dibao_standard.urban"] == {
        "150121": Decimal("9600.00"),
        "150122": Decimal("8400.50"),
    }
