"""Issue 20 in Chromium: finance builds the subsidy roster from the demo registry and transfers it
(prepared by one, confirmed by another); the approver makes last month's statistical report and
reads the fund's books."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from monitoring.models import MonthlyReport
from payments.models import SubsidyTransfer
from settlements.models import SubsidyEntry
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in_journeys import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser):
    return browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()


def test_the_roster_is_transferred_four_eyes_and_the_month_is_reported(live_server, browser):
    call_command("seed_demo")
    # the demo's second finance officer checks what the first prepared
    second = User.objects.get(username="finance_a2")
    assert second.county == User.objects.get(username="finance_a").county
    year = timezone.localdate().year

    first = _page(browser)
    _sign_in(first, live_server.url, "finance_a")
    first.goto(f"{live_server.url}/settlements/")
    first.get_by_test_id("roster-link").click()
    first.get_by_role("button", name="生成名单").click()
    summary = first.get_by_test_id("roster-summary").inner_text()
    people = SubsidyEntry.objects.filter(roster__year=year, amount__gt=0).count()
    assert (
        people > 0 and f"共 {SubsidyEntry.objects.filter(roster__year=year).count()} 人" in summary
    )
    first.get_by_role("link", name="资助资金划转").first.click()
    first.get_by_role("button", name="制单划转").click()
    assert re.search(rf"已制单 .*：{people} 人", first.locator(".alert-success").inner_text())
    transfer = SubsidyTransfer.objects.get()
    # the preparer is not offered the confirmation
    assert "待另一位财务人员复核" in first.get_by_test_id("transfers").inner_text()
    assert first.get_by_role("button", name="复核确认").count() == 0

    checker = _page(browser)
    _sign_in(checker, live_server.url, "finance_a2")
    checker.goto(f"{live_server.url}/settlements/transfers/")
    checker.get_by_role("button", name="复核确认").click()
    assert f"已复核 {transfer.number}" in checker.locator(".alert-success").inner_text()
    transfer.refresh_from_db()
    assert (transfer.state, transfer.decided_by) == ("confirmed", second)
    screenshot(checker, "subsidy-transfers")
    with checker.expect_download() as got:
        checker.get_by_role("link", name="明细 PDF").click()
    assert got.value.suggested_filename == f"transfer-{transfer.number}.pdf"

    approver = _page(browser)
    _sign_in(approver, live_server.url, "approver_a")
    approver.goto(f"{live_server.url}/monitoring/overview/")
    assert approver.get_by_test_id("fig-enrolment").inner_text() == "0.0%"  # no result file yet
    approver.get_by_test_id("monthly-link").click()
    approver.get_by_role("button", name=re.compile("生成")).click()
    last = timezone.localdate().replace(day=1) - timedelta(days=1)
    heading = approver.get_by_role("heading", level=1).inner_text()
    assert heading == f"土默特左旗 {last.year} 年 {last.month} 月医疗救助统计月报"
    report = MonthlyReport.objects.get()
    shown = approver.get_by_test_id("monthly-figures").inner_text()
    amount = Decimal(report.figures["month"]["amount"])
    assert f"救助金额\t元\t{amount:,.2f}" in shown
    screenshot(approver, "monthly-report")
    with approver.expect_download() as got:
        approver.get_by_role("link", name="下载 XLSX").click()
    assert got.value.suggested_filename.endswith(".xlsx")
    approver.goto(f"{live_server.url}/settlements/books/")
    kinds = approver.get_by_test_id("books-kinds").inner_text()
    assert f"资助参保（已划转）\t{transfer.total:,.2f}" in kinds
    screenshot(approver, "fund-books")
