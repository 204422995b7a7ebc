"""The materials checklist and the working-day calendar: pure tables."""

from datetime import date

import pytest

from applications.materials import ExpenseFacts, required_materials
from applications.workdays import WorkCalendar, uncovered_years

STAY = ExpenseFacts("inpatient", in_region=True, referred=True)
VISIT = ExpenseFacts("outpatient", in_region=True, referred=False)
CHRONIC = ExpenseFacts("chronic_outpatient", in_region=True, referred=False)
# ``referred``: a registered referral covers the bill (转诊备案)
AWAY = ExpenseFacts("inpatient", in_region=False, referred=True)
BASE = ["application_form", "id_card", "bank_account", "invoice", "cost_list", "settlement_slip"]


@pytest.mark.parametrize(
    ("category", "in_registry", "agent", "expenses", "extra"),
    [
        ("dibao", True, False, [VISIT], []),
        ("dibao", True, False, [STAY], ["discharge_summary", "diagnosis"]),
        ("dibao", True, False, [CHRONIC], ["diagnosis", "prescription"]),
        ("dibao", True, False, [STAY, CHRONIC], ["discharge_summary", "diagnosis", "prescription"]),
        ("dibao", True, True, [VISIT], ["agent_id", "entrustment"]),
        ("dibao_edge", False, False, [VISIT], ["identity_certificate"]),
        (
            "illness_poor",
            False,
            False,
            [VISIT],
            ["identity_certificate", "income_declaration", "finance_authorisation", "hukou"],
        ),
        # out of the region, the register covers it: nothing more to bring
        ("tekun", True, False, [AWAY], ["discharge_summary", "diagnosis"]),
        # out of the region and no referral registered: the 转诊备案表, so it can be registered
        (
            "tekun",
            True,
            False,
            [ExpenseFacts("outpatient", in_region=False, referred=False)],
            ["referral"],
        ),
    ],
)
def test_checklist(category, in_registry, agent, expenses, extra):
    got = required_materials(
        category=category, identity_in_registry=in_registry, has_agent=agent, expenses=expenses
    )
    assert sorted(got) == sorted(BASE + extra)
    assert got[:3] == ["application_form", "id_card", "bank_account"]  # checklist order


CAL = WorkCalendar()


def test_national_day_and_make_up_days_2026():
    assert CAL.add(date(2026, 9, 30), 1) == date(2026, 10, 8)  # 1–7 October are holidays
    assert CAL.is_working_day(date(2026, 10, 10))  # a Saturday worked instead
    assert CAL.is_working_day(date(2026, 9, 20))  # a Sunday worked instead
    assert not CAL.is_working_day(date(2026, 9, 27))  # an ordinary Sunday
    assert CAL.add(date(2026, 11, 20), 10) == date(2026, 12, 4)


def test_lateness_in_working_days():
    assert CAL.late_by(date(2026, 11, 20), date(2026, 11, 20)) == 0
    assert CAL.late_by(date(2026, 11, 20), date(2026, 11, 23)) == 1  # Friday due, Monday: 1 late
    assert CAL.late_by(date(2026, 9, 30), date(2026, 10, 9)) == 2  # the holiday week does not count
    assert CAL.late_by(None, date(2026, 11, 23)) == 0


def test_administrator_days_win_and_unknown_years_fall_back_to_weekdays():
    calendar = WorkCalendar({date(2026, 12, 31): False, date(2027, 1, 2): True})
    assert not calendar.is_working_day(date(2026, 12, 31))  # a Thursday made a holiday
    assert calendar.is_working_day(date(2027, 1, 2))  # a Saturday made a working day
    assert calendar.is_working_day(date(2027, 1, 4))  # 2027 is not in the package: Monday works
    assert not calendar.is_working_day(date(2027, 1, 3))
    assert uncovered_years([2026, 2027], {}) == [2027]
    assert uncovered_years([2027], {date(2027, 2, 10): False}) == []
