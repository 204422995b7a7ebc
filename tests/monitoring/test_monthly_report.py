"""医疗救助统计月报 (issue 20): every figure of a small county's month matches a hand count; beat
makes last month's reports on the month's first working day and not on other days; the report
downloads as PDF and XLSX, and each county sees only its own."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from accounts.models import Role
from applications.models import Application, CalendarDay, Status
from audit.models import AuditEvent
from monitoring import monthly
from monitoring.models import MonthlyReport
from payments.models import Recovery, SubsidyTransfer, TransferLine
from settlements.models import Settlement, SubsidyEntry, SubsidyRoster
from tests.factories import PersonFactory, UserFactory, make_application
from tests.monitoring.data import hospital_record

SH = ZoneInfo("Asia/Shanghai")


def _settled(world, person, category, when, bills):
    """An approved case whose stored settlement pays ``bills``: [(kind, assistance, tilted, fund)]."""
    clerk = {
        world.town_a1.pk: world.users["clerk"], world.town_a2.pk: world.clerk_a2,
        world.town_b1.pk: world.clerk_b1,
    }[person.township_id]  # fmt: skip
    app = make_application(person, clerk, category=category)
    inputs = {"expenses": [{"id": str(i), "kind": k} for i, (k, *_r) in enumerate(bills)]}
    result = {
        "expenses": [
            {"id": str(i), "assistance": a, "tilted": t, "fund": f}
            for i, (_k, a, t, f) in enumerate(bills)
        ]
    }
    paid = sum(Decimal(a) + Decimal(t) + Decimal(f) for _k, a, t, f in bills)
    settlement = Settlement.objects.create(
        key=f"application:{app.number}", person=person, year=when.year, policy_code="hohhot-2023",
        policy_version=1, identity=category, total=paid, basic=0, critical=0, assistance=paid,
        tilted=sum(Decimal(t) for _k, _a, t, _f in bills), fund=0, personal=0, inputs=inputs,
        result=result, ledger_before={}, ledger_after={}, approved_by=world.users["approver"],
    )  # fmt: skip
    Application.objects.filter(pk=app.pk).update(
        status=Status.PAID, approved_amount=paid, decided_at=when, settlement=settlement
    )
    return app


@pytest.fixture
def october(world):
    """土默特左旗, October 2026 and around it (hand-counted in the test)."""
    a = PersonFactory(township=world.town_a1, name="甲")  # both channels in October
    b = PersonFactory(township=world.town_a2, name="乙")
    c = PersonFactory(township=world.town_a1, name="丙")
    # October, window: 甲 低保 inpatient 6,000 + tilted 1,200; 乙 特困 outpatient 300 + chronic 500
    first = _settled(world, a, "dibao", datetime(2026, 10, 9, 10, tzinfo=SH),
                     [("inpatient", "6000.00", "1200.00", "0.00")])  # fmt: skip
    _settled(world, b, "tekun", datetime(2026, 10, 31, 23, 50, tzinfo=SH),
             [("outpatient", "300.00", "0", "0"), ("chronic_outpatient", "480.00", "0", "20.00")])  # fmt: skip
    # October, one-stop: 甲 低保 inpatient 2,000.50; 丙 no category outpatient 99.99
    hospital_record(
        a, burden="5000", assistance="2000.50", day=date(2026, 10, 20), category="dibao"
    )
    rec = hospital_record(c, burden="500", assistance="99.99", day=date(2026, 10, 1))
    type(rec).objects.filter(pk=rec.pk).update(kind="outpatient")
    # outside October: a September case (year so far), last October's case (last year), another
    # county's October case, a November record
    _settled(world, c, "dibao", datetime(2026, 9, 30, 12, tzinfo=SH),
             [("inpatient", "1000.00", "0", "0")])  # fmt: skip
    _settled(world, c, "dibao", datetime(2025, 10, 15, 12, tzinfo=SH),
             [("inpatient", "4000.00", "0", "0")])  # fmt: skip
    _settled(world, PersonFactory(township=world.town_b1), "tekun",
             datetime(2026, 10, 10, tzinfo=SH), [("inpatient", "777.00", "0", "0")])  # fmt: skip
    hospital_record(b, burden="500", assistance="10.00", day=date(2026, 11, 1))
    # October: a transfer of 2 people (400 + 180), a prepared one not counted; a refund of 500
    roster = SubsidyRoster.objects.create(
        county=world.county_a, year=2026, policy_code="hohhot-2023", policy_version=1,
        built_at=datetime(2026, 1, 2, tzinfo=SH),
    )  # fmt: skip
    done = SubsidyTransfer.objects.create(
        number="Z1", roster=roster, county=world.county_a, people=2, total=Decimal("580.00"),
        prepared_by=world.users["finance"], state="confirmed", transferred_on=date(2026, 10, 8),
        decided_by=world.users["admin"],
    )  # fmt: skip
    for person, category, amount in ((a, "dibao", "180.00"), (b, "tekun", "400.00")):
        entry = SubsidyEntry.objects.create(
            roster=roster, person=person, category=category, contribution=Decimal("400.00"),
            amount=Decimal(amount), joined_on=date(2026, 1, 1),
        )  # fmt: skip
        TransferLine.objects.create(transfer=done, entry=entry, amount=Decimal(amount))
    Recovery.objects.create(
        application=first, amount=Decimal("500.00"), reason="other", note="n", state="refunded",
        refunded_amount=Decimal("500.00"), refunded_on=date(2026, 10, 30),
    )  # fmt: skip


def test_every_figure_of_the_month_matches_a_hand_count(world, october):
    f = monthly.figures([world.county_a.pk], date(2026, 10, 1), date(2026, 10, 31))
    expected = {
        # 甲 (window + one-stop), 乙 (window), 丙 (one-stop): 3 people; 2 cases + 2 records
        "people": 3, "times": 4,
        # 7,200 + 800 + 2,000.50 + 99.99
        "amount": Decimal("10100.49"),
        "onestop_times": 2, "onestop_amount": Decimal("2100.49"),
        "window_times": 2, "window_amount": Decimal("8000.00"),
        "inpatient_times": 2, "inpatient_amount": Decimal("9200.50"),  # 7,200 + 2,000.50
        "outpatient_times": 2, "outpatient_amount": Decimal("399.99"),  # 300 + 99.99
        "chronic_outpatient_times": 1, "chronic_outpatient_amount": Decimal("500.00"),
        "cat_dibao_people": 1, "cat_dibao_amount": Decimal("9200.50"),
        "cat_tekun_people": 1, "cat_tekun_amount": Decimal("800.00"),
        "cat_none_people": 1, "cat_none_amount": Decimal("99.99"),
        "tilted_people": 1, "tilted_amount": Decimal("1200.00"),
        "subsidy_people": 2, "subsidy_amount": Decimal("580.00"),
        "recovery_count": 1, "recovery_amount": Decimal("500.00"),
    }  # fmt: skip
    assert {k: f[k] for k in expected} == expected
    others = {k: v for k, v in f.items() if k not in expected}
    assert set(others.values()) <= {0, Decimal("0.00")}  # every other category: none
    # by kind and by category each add up to the total
    kinds = ("inpatient", "outpatient", "chronic_outpatient")
    assert sum(f[f"{k}_amount"] for k in kinds) == f["amount"]
    assert (
        sum(v for k, v in f.items() if k.startswith("cat_") and k.endswith("_amount"))
        == f["amount"]
    )


def test_the_year_so_far_and_last_year_and_the_city(world, october):
    report = monthly.report_generate(
        city=world.county_a.city, county=world.county_a, year=2026, month=10
    )
    got = report.figures
    assert got["ytd"]["window_amount"] == "9000.00"  # October's 8,000 + September's 1,000
    assert got["ytd"]["people"] == 3
    assert got["last_month"]["window_amount"] == "4000.00" and got["last_month"]["people"] == 1
    rows = {
        label: (now, ytd, before, pct)
        for _s, label, _u, now, ytd, before, pct in monthly.rows(report)
    }
    assert rows["窗口申请 金额"] == (
        Decimal("8000.00"),
        Decimal("9000.00"),
        Decimal("4000.00"),
        "+100.0%",
    )
    assert rows["一站式结算 金额"] == (Decimal("2100.49"), Decimal("2100.49"), Decimal("0.00"), "—")
    assert rows["救助人数"] == (3, 3, 1, "+200.0%")
    city = monthly.report_generate(city=world.county_a.city, county=None, year=2026, month=10)
    # the other county's 777.00 counts city-wide only (both counties are in the test city)
    assert city.figures["month"]["window_amount"] == "8777.00"
    assert city.figures["month"]["people"] == 4


def test_beat_makes_last_months_reports_on_the_first_working_day_only(world, october):
    # 1 Nov 2026 is a Sunday: the first working day is Monday 2 November
    assert monthly.monthly_reports_due(date(2026, 11, 1)) == 0
    made = monthly.monthly_reports_due(date(2026, 11, 2))
    cities = {c.city_id for c in (world.county_a, world.county_b)}
    from areas.models import County

    assert made == County.objects.count() + len(cities)
    assert monthly.monthly_reports_due(date(2026, 11, 2)) == 0  # kept, not made twice
    assert monthly.monthly_reports_due(date(2026, 11, 3)) == 0
    report = MonthlyReport.objects.get(county=world.county_a, year=2026, month=10)
    assert report.generated_by is None and report.figures["month"]["amount"] == "10100.49"
    # an administrator's correction of the calendar moves the day
    CalendarDay.objects.create(day=date(2026, 12, 1), working=False)
    assert monthly.monthly_reports_due(date(2026, 12, 1)) == 0
    assert monthly.monthly_reports_due(date(2026, 12, 2)) > 0


@time_machine.travel(date(2026, 11, 5), tick=False)
def test_the_report_downloads_and_each_county_sees_its_own(client, world, october):
    client.force_login(world.users["approver"])
    page = client.post("/monitoring/monthly/new/", {"year": "2026", "month": "10"}, follow=True)
    assert "已生成土默特左旗 2026 年 10 月医疗救助统计月报" in page.content.decode()
    report = MonthlyReport.objects.get(county=world.county_a)
    assert report.generated_by == world.users["approver"]
    assert (
        client.post("/monitoring/monthly/new/", {"year": "2026", "month": "11"}, follow=True)
        .content.decode()
        .count("只能生成已结束月份的月报")
        == 1
    )
    xlsx = client.get(f"/monitoring/monthly/{report.pk}.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = {r[0]: r[2:5] for r in sheet.iter_rows(values_only=True)}
    assert values["救助金额"] == (10100.49, 11100.49, 4000)  # + September; last October
    assert values["救助人数"] == (3, 3, 1)
    pdf = client.get(f"/monitoring/monthly/{report.pk}.pdf")
    assert pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "医疗救助统计月报" in text and "10,100.49" in text
    assert (
        AuditEvent.objects.filter(
            summary__startswith="下载土默特左旗 2026 年 10 月", event="report.exported"
        ).count()
        == 2
    )
    other = UserFactory(username="t_approver_b", role=Role.APPROVER, county=world.county_b)
    client.force_login(other)
    assert client.get(f"/monitoring/monthly/{report.pk}/").status_code == 404
    assert client.get(f"/monitoring/monthly/{report.pk}.pdf").status_code == 404


def test_the_overview_shows_the_enrolment_rate(client, world):
    """资助参保率 = enrolled / entitled on the year's roster (the dead before the year and the
    people owed nothing are not entitled)."""
    roster = SubsidyRoster.objects.create(
        county=world.county_a, year=2026, policy_code="hohhot-2023", policy_version=1,
        built_at=datetime(2026, 1, 2, tzinfo=SH),
    )  # fmt: skip
    rows = [("400.00", "enrolled", None), ("180.00", "enrolled", None),
            ("180.00", "not_enrolled", None), ("400.00", "", None),
            ("400.00", "enrolled", date(2025, 12, 1)),  # dead before the year: not entitled
            ("0.00", "", None)]  # fmt: skip
    for amount, enrolment, died in rows:
        SubsidyEntry.objects.create(
            roster=roster, person=PersonFactory(township=world.town_a1), category="tekun",
            contribution=Decimal("400.00"), amount=Decimal(amount), joined_on=date(2026, 1, 1),
            enrolment=enrolment, enrolment_reason="外出" if enrolment == "not_enrolled" else "",
            ended_on=died, ended_by_death=died is not None,
        )  # fmt: skip
    client.force_login(world.users["approver"])
    page = client.get("/monitoring/overview/?year=2026").content.decode()
    assert 'data-testid="fig-enrolment">50.0%</div>' in page  # 2 of 4
    assert "应资助 4 人，已参保 2 人" in page
