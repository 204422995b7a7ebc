"""The fund's books (issue 20): a county's money by source, every kind of outlay booked against it,
the statement balancing to the fen across sources, and the approver's check reading the same."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from applications.models import Application, Status
from payments.models import Recovery, SubsidyTransfer
from settlements import funds
from settlements.models import FundAllocation, FundSource, SubsidyRoster
from tests.factories import PersonFactory, make_application
from tests.monitoring.data import hospital_record

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _approved(world, person, amount, when):
    app = make_application(person, world.users["clerk"])
    Application.objects.filter(pk=app.pk).update(
        status=Status.APPROVED, approved_amount=Decimal(amount), decided_at=when
    )
    return app


@pytest.fixture
def books(world):
    """2026 in 土默特左旗: 3 sources; window 10,500.00 + 2,000.01, one-stop 3,000.33, subsidies
    580.00, a refund of 1,000.00; and outlays of other years and counties that must not count."""
    a = world.county_a
    funds.default_sources()  # (a transactional test before this one may have emptied the table)
    for code, amount in (("central", "8000.00"), ("region", "5000.00"), ("county", "4000.17")):
        FundAllocation.objects.create(
            county=a, year=2026, source=FundSource.objects.get(code=code), amount=Decimal(amount)
        )
    FundAllocation.objects.create(
        county=world.county_b, year=2026, source=FundSource.objects.get(code="central"),
        amount=Decimal("99999.00"),
    )  # fmt: skip
    p = PersonFactory(township=world.town_a1)
    first = _approved(world, p, "10500.00", datetime(2026, 3, 5, 10, tzinfo=SHANGHAI))
    _approved(world, p, "2000.01", datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI))  # 31 Dec, local
    _approved(world, p, "777.00", datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI))  # last year
    revoked = _approved(world, p, "900.00", datetime(2026, 4, 1, 9, tzinfo=SHANGHAI))
    Application.objects.filter(pk=revoked.pk).update(status=Status.REVOKED)
    hospital_record(p, burden="5000", assistance="3000.33", day=date(2026, 6, 1))
    hospital_record(PersonFactory(township=world.town_b1), burden="100", assistance="50.00")
    roster = SubsidyRoster.objects.create(
        county=a, year=2026, policy_code="hohhot-2023", policy_version=1,
        built_at=datetime(2026, 1, 2, tzinfo=SHANGHAI),
    )  # fmt: skip
    for state, total, on in (
        ("confirmed", "580.00", date(2026, 2, 1)),
        ("prepared", "400.00", None),
    ):
        SubsidyTransfer.objects.create(
            number=f"T-{state}", roster=roster, county=a, people=2, total=Decimal(total),
            prepared_by=world.users["finance"], state=state, transferred_on=on,
            decided_by=world.users["admin"] if on else None,
        )  # fmt: skip
    Recovery.objects.create(
        application=first, amount=Decimal("1000.00"), reason="other", note="重复报销",
        state=Recovery.State.REFUNDED, refunded_amount=Decimal("1000.00"),
        refunded_on=date(2026, 9, 9),
    )  # fmt: skip


def test_the_statement_balances_to_the_fen_across_sources(world, books):
    s = funds.statement(world.county_a, 2026)
    assert s.by_kind == [
        ("窗口救助（经审批）", Decimal("12500.01")),
        ("一站式结算救助（医院结算数据）", Decimal("3000.33")),
        ("资助参保（已划转）", Decimal("580.00")),
        ("一事一议（经审定）", Decimal("0.00")),
        ("追回（冲减）", Decimal("-1000.00")),
    ]
    # 12,500.01 + 3,000.33 + 580.00 − 1,000.00 = 15,080.34, drawn central → region → county
    assert s.outlays == Decimal("15080.34")
    assert [(x.source, x.receipts, x.outlays, x.balance) for x in s.lines] == [
        ("中央财政补助资金", Decimal("8000.00"), Decimal("8000.00"), Decimal("0.00")),
        ("自治区财政补助资金", Decimal("5000.00"), Decimal("5000.00"), Decimal("0.00")),
        ("旗县区财政资金", Decimal("4000.17"), Decimal("2080.34"), Decimal("1919.83")),
    ]
    assert (s.receipts, s.balance, s.overrun) == (
        Decimal("17000.17"), Decimal("1919.83"), Decimal("0.00"),
    )  # fmt: skip
    assert sum(x.outlays for x in s.lines) + s.overrun == s.outlays
    # the approver's check reads the same books
    from applications.services import county_budget_left

    assert county_budget_left(world.county_a, 2026) == (Decimal("17000.17"), Decimal("15080.34"))


def test_an_overrun_is_shown_beyond_the_last_source(world, books):
    FundAllocation.objects.filter(county=world.county_a, source__code="county").update(
        amount=Decimal("1000.00")
    )
    s = funds.statement(world.county_a, 2026)
    assert [x.balance for x in s.lines] == [Decimal("0.00")] * 3
    assert (s.overrun, s.balance) == (Decimal("1080.34"), Decimal("-1080.34"))


def test_the_books_page_shows_the_statement_to_the_county(client, world, books):
    client.force_login(world.users["approver"])
    page = client.get("/settlements/books/?year=2026").content.decode()
    assert "旗县区财政资金" in page and "1,919.83" in page and "15,080.34" in page
    client.force_login(world.clerk_a2)
    assert client.get("/settlements/books/?year=2026").status_code == 403


def test_the_year_end_statement_prints_the_same_figures(client, world, books, tmp_path):
    import io

    from pypdf import PdfReader

    from audit.models import AuditEvent
    from tests.pdf_layout import overlaps

    client.force_login(world.users["finance"])
    pdf = client.get("/settlements/books/statement.pdf?year=2026").content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for words in ("医疗救助资金年度清算表", "17,000.17", "15,080.34", "1,919.83", "-1,000.00"):
        assert words in text.replace("−", "-")
    assert overlaps(pdf, tmp_path) == []
    assert AuditEvent.objects.filter(summary="打印土默特左旗 2026 年救助资金年度清算表").exists()
