"""The recompute: yearly burdens, the two lines of seed 001 §五(一), never a duplicate warning."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from applications.models import Status
from beneficiaries.models import HardshipIdentity, Household, Relationship
from monitoring.models import (
    BurdenWarning,
    BurdenYear,
    CloseReason,
    FollowUp,
    MonitoringRun,
    WarningLevel,
    WarningList,
    WarningStatus,
)
from monitoring.recompute import monitoring_recompute
from settlements.services import policy_version_create
from tests.factories import PersonFactory, id_number, make_application, make_expense

from .data import YEAR, hospital_record

pytestmark = pytest.mark.django_db(transaction=False)


def income_warning(person):
    return BurdenWarning.objects.filter(person=person, list=WarningList.INCOME).first()


@pytest.mark.parametrize(
    ("burden", "level", "threshold"),
    [
        ("9999.99", None, None),
        ("10000.00", None, None),  # "above" the line: exactly on it is not
        ("10000.01", WarningLevel.RETURN, "10000.00"),
        ("20000.00", WarningLevel.RETURN, "10000.00"),
        ("20000.01", WarningLevel.POVERTY, "20000.00"),
    ],
)
def test_the_two_lines_at_their_edges(world, incomes, burden, level, threshold):
    person = PersonFactory(township=world.town_a1)
    hospital_record(person, burden=burden)
    run = monitoring_recompute()
    year = BurdenYear.objects.get(person=person, year=YEAR)
    assert year.burden_after_insurance == Decimal(burden)
    assert year.total == Decimal(burden) + Decimal("10000")
    warning = income_warning(person)
    if level is None:
        assert warning is None
        assert run.raised == 0
    else:
        assert (warning.level, warning.threshold, warning.burden) == (
            level,
            Decimal(threshold),
            Decimal(burden),
        )
        assert warning.status == WarningStatus.OPEN
        assert warning.township == world.town_a1
        assert run.raised == 1


def test_a_new_expense_crosses_the_lines_one_warning_escalated(world, incomes):
    person = PersonFactory(township=world.town_a1)
    hospital_record(person, burden="9000.00", day=date(YEAR, 1, 10))
    first = monitoring_recompute()
    assert first.scope == MonitoringRun.Scope.FULL
    assert income_warning(person) is None

    hospital_record(person, burden="2000.00", day=date(YEAR, 2, 10))  # 11,000 in all
    second = monitoring_recompute()
    assert second.scope == MonitoringRun.Scope.INCREMENTAL
    assert second.people == 1
    warning = income_warning(person)
    assert (warning.level, warning.burden) == (WarningLevel.RETURN, Decimal("11000.00"))

    hospital_record(person, burden="9500.00", day=date(YEAR, 3, 10))  # 20,500
    third = monitoring_recompute()
    assert third.escalated == 1 and third.raised == 0
    again = income_warning(person)
    assert again.pk == warning.pk
    assert (again.level, again.burden, again.threshold) == (
        WarningLevel.POVERTY,
        Decimal("20500.00"),
        Decimal("20000.00"),
    )
    step = FollowUp.objects.get(warning=again)
    assert step.action == FollowUp.Action.ESCALATED
    assert "因病返贫监测 → 因病致贫监测" in step.note
    assert BurdenWarning.objects.filter(person=person).count() == 1


def test_a_second_run_adds_nothing_and_looks_at_no_one(world, incomes):
    people = [PersonFactory(township=world.town_a1) for _ in range(3)]
    for p in people:
        hospital_record(p, burden="15000.00")
    monitoring_recompute()
    again = monitoring_recompute()
    assert (again.scope, again.people, again.raised, again.escalated) == (
        MonitoringRun.Scope.INCREMENTAL,
        0,
        0,
        0,
    )
    full = monitoring_recompute(full=True)
    assert full.people == 3 and full.raised == 0 and full.burden_rows == 0
    assert BurdenWarning.objects.count() == 3
    assert BurdenYear.objects.count() == 3


def test_a_closed_warning_reopens_only_by_a_higher_line(world, incomes):
    from monitoring.services import warning_close

    person = PersonFactory(township=world.town_a1)
    hospital_record(person, burden="12000.00")
    monitoring_recompute()
    warning = income_warning(person)
    warning_close(
        warning=warning, reason=CloseReason.NOT_NEEDED, note="", actor=world.users["clerk"]
    )
    hospital_record(person, burden="1000.00", day=date(YEAR, 4, 1))  # still 因病返贫
    monitoring_recompute()
    warning.refresh_from_db()
    assert warning.status == WarningStatus.CLOSED
    assert warning.burden == Decimal("13000.00")  # the figure is kept current
    hospital_record(person, burden="8000.00", day=date(YEAR, 5, 1))  # 21,000: 因病致贫
    monitoring_recompute()
    warning.refresh_from_db()
    assert (warning.status, warning.level, warning.close_reason) == (
        WarningStatus.OPEN,
        WarningLevel.POVERTY,
        "",
    )


def test_a_burden_corrected_below_the_line_closes_and_can_reopen(world, incomes):
    person = PersonFactory(township=world.town_a1)
    record = hospital_record(person, burden="12000.00")
    monitoring_recompute()
    record.delete()
    hospital_record(person, burden="5000.00")
    run = monitoring_recompute()
    warning = income_warning(person)
    assert run.closed == 1
    assert (warning.status, warning.close_reason) == (WarningStatus.CLOSED, CloseReason.BELOW)
    hospital_record(person, burden="6000.00", day=date(YEAR, 6, 1))
    monitoring_recompute()
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN
    assert list(warning.follow_ups.values_list("action", flat=True)) == [
        FollowUp.Action.CLOSED,
        FollowUp.Action.REOPENED,
    ]


def test_window_bills_count_and_assistance_lowers_only_the_burden_after_it(world, incomes):
    person = PersonFactory(township=world.town_a1)
    HardshipIdentity.objects.create(
        person=person, category="dibao", department="民政", certified_on=date(2023, 1, 1),
        source="user",
    )  # fmt: skip
    bill = make_expense(
        total=Decimal("30000.00"),
        policy_scope=Decimal("28000.00"),
        basic_paid=Decimal("14000.00"),
        critical_paid=Decimal("1000.00"),
        admitted_on=date(YEAR, 2, 1),
        discharged_on=date(YEAR, 2, 10),
    )
    app = make_application(person, world.users["clerk"], expenses=[bill])
    draft = make_application(person, world.users["clerk"], expenses=[make_expense(
        total=Decimal("90000.00"), policy_scope=Decimal("1.00"), basic_paid=Decimal("0"),
        critical_paid=Decimal("0"), admitted_on=date(YEAR, 2, 1), discharged_on=date(YEAR, 2, 2),
    )])  # fmt: skip
    assert draft.status == Status.DRAFT  # a draft's bills are not counted
    app.status = Status.ACCEPTED
    app.save()
    from settlements.models import YearLedger

    YearLedger.objects.create(person=person, year=YEAR, assistance_used=Decimal("9000.00"))
    hospital_record(person, burden="100.00", assistance="40.00", category="dibao")
    monitoring_recompute()
    year = BurdenYear.objects.get(person=person, year=YEAR)
    assert (year.expenses, year.total, year.insurance_paid) == (
        2,
        Decimal("40100.00"),
        Decimal("25000.00"),
    )
    assert year.burden_after_insurance == Decimal("15100.00")
    assert year.assistance_paid == Decimal("9040.00")
    assert year.burden_after_assistance == Decimal("6060.00")
    assert year.category == "dibao"
    warning = income_warning(person)  # the line is read after insurance, before assistance
    assert (warning.level, warning.priority, warning.category) == (WarningLevel.RETURN, 2, "dibao")


def test_people_without_identity_and_the_closely_watched_come_first(world, incomes):
    none = PersonFactory(township=world.town_a1, name="无身份")
    edge = PersonFactory(township=world.town_a1, name="低保边缘")
    dibao = PersonFactory(township=world.town_a1, name="低保")
    illness = PersonFactory(township=world.town_a1, name="因病致贫")
    for person, category in ((edge, "dibao_edge"), (dibao, "dibao"), (illness, "illness_poor")):
        HardshipIdentity.objects.create(
            person=person, category=category, department="民政",
            certified_on=date(YEAR - 2, 1, 1), source="user",
        )  # fmt: skip
    # an identity that ended before this year does not count
    HardshipIdentity.objects.create(
        person=none, category="tekun", department="民政", certified_on=date(YEAR - 3, 1, 1),
        ended_on=date(YEAR - 1, 6, 30), source="user",
    )  # fmt: skip
    for person, burden in ((none, "11000"), (edge, "12000"), (dibao, "30000"), (illness, "15000")):
        hospital_record(person, burden=burden)
    monitoring_recompute()
    order = list(BurdenWarning.objects.values_list("person__name", "priority"))
    assert order == [("低保边缘", 0), ("无身份", 0), ("因病致贫", 1), ("低保", 2)]


def test_no_income_set_no_income_warning_and_the_run_says_why(world):
    person = PersonFactory(township=world.town_a1)
    hospital_record(person, burden="90000.00")
    run = monitoring_recompute()
    assert BurdenYear.objects.filter(person=person).exists()
    assert not BurdenWarning.objects.exists()
    assert "未设置" in run.message and "农村常住居民人均可支配收入" in run.message


def test_a_new_policy_version_makes_the_next_run_full(world, incomes):
    person = PersonFactory(township=world.town_a1)
    hospital_record(person, burden="15000.00")
    monitoring_recompute()
    policy_version_create(
        policy_code="hohhot-2023", effective_from=date(YEAR, 1, 1),
        values={"rural_income": "32000"}, source="测试：新统计公报", actor=world.users["admin"],
    )  # fmt: skip
    run = monitoring_recompute()
    assert run.scope == MonitoringRun.Scope.FULL
    assert "新增第 3 版" in run.reason
    warning = income_warning(person)
    assert (warning.status, warning.close_reason) == (WarningStatus.CLOSED, CloseReason.BELOW)


def test_the_cap_list_where_switched_on(world, incomes):
    policy_version_create(
        policy_code="hohhot-2023", effective_from=date(2023, 1, 1),
        values={"monitoring.caps": True}, source="测试：启用封顶线名单", actor=world.users["admin"],
    )  # fmt: skip
    household = Household.objects.create(township=world.town_a1, size=2)
    head = PersonFactory(
        township=world.town_a1, household=household, relationship=Relationship.HEAD
    )
    spouse = PersonFactory(
        township=world.town_a1, household=household, relationship=Relationship.SPOUSE
    )
    alone = PersonFactory(township=world.town_a1)
    stranger = PersonFactory(township=world.town_a1)  # no identity: not on the cap list
    for person in (spouse, alone):
        HardshipIdentity.objects.create(
            person=person, category="dibao_edge", department="民政",
            certified_on=date(YEAR - 1, 1, 1), source="user",
        )  # fmt: skip
    hospital_record(head, burden="20000.00")
    hospital_record(spouse, burden="30000.01")
    hospital_record(alone, burden="30000.00")
    hospital_record(stranger, burden="80000.00")
    monitoring_recompute()
    caps = dict(
        BurdenWarning.objects.filter(list=WarningList.CAP).values_list("person_id", "level")
    )
    assert caps == {spouse.pk: WarningLevel.PERSON_CAP, head.pk: WarningLevel.HOUSEHOLD_CAP}
    household_warning = BurdenWarning.objects.get(person=head, list=WarningList.CAP)
    assert (household_warning.burden, household_warning.threshold) == (
        Decimal("50000.01"),
        Decimal("50000.00"),
    )
    # the income list goes on beside it
    assert BurdenWarning.objects.filter(list=WarningList.INCOME).count() == 4
    monitoring_recompute()
    assert BurdenWarning.objects.filter(list=WarningList.CAP).count() == 2


def test_an_imported_identity_reaches_the_warning_next_night(world, incomes):
    person = PersonFactory(township=world.town_a1)
    hospital_record(person, burden="12000.00")
    monitoring_recompute()
    assert income_warning(person).priority == 0
    HardshipIdentity.objects.create(
        person=person, category="tekun", department="民政", certified_on=date(YEAR, 1, 1),
        source="import",
    )  # fmt: skip
    run = monitoring_recompute()
    assert run.people == 1
    warning = income_warning(person)
    assert (warning.category, warning.priority) == ("tekun", 2)


def test_last_years_expenses_count_in_their_own_year(world, incomes):
    person = PersonFactory(township=world.town_a1, id_number=id_number(777))
    hospital_record(person, burden="12000.00", day=date(YEAR - 1, 12, 31))
    hospital_record(person, burden="1.00", day=date(YEAR, 1, 1))
    monitoring_recompute()
    years = dict(
        BurdenYear.objects.filter(person=person).values_list("year", "burden_after_insurance")
    )
    assert years == {YEAR - 1: Decimal("12000.00"), YEAR: Decimal("1.00")}
    assert list(BurdenWarning.objects.values_list("year", flat=True)) == [YEAR - 1]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_four_runs_at_once_on_postgresql_make_each_warning_once(world, incomes):
    people = [PersonFactory(township=world.town_a1) for _ in range(40)]
    for p in people:
        hospital_record(p, burden="25000.00")
    barrier = threading.Barrier(4)
    results: list[object] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(monitoring_recompute(full=True))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert BurdenWarning.objects.count() == 40
    assert BurdenYear.objects.count() == 40
    done = [r for r in results if r is not None]
    assert sum(r.raised for r in done) == 40  # type: ignore[attr-defined]
