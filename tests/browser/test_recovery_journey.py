"""Recovery of money paid (追回), in the browser: the approver proposes it on the case page, finance
(a second person) confirms it with the written notice, and records the refund when it arrives."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import User
from applications.models import Application, Letter
from payments.models import Recovery
from payments.services import payment_batch_create, payment_record
from settlements.models import YearLedger
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in_journeys import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_approver_recovers_a_paid_case_and_finance_records_the_refund(live_server, browser):
    call_command("seed_demo")
    app = Application.objects.get(status="approved")  # the demo's case approved by approver_a
    finance = User.objects.get(username="finance_a")
    batch = payment_batch_create(county=app.county, application_ids=[app.pk], actor=finance)
    payment_record(payment=batch.payments.get(), paid=True, actor=finance)
    app.refresh_from_db()
    assert app.status == "paid"
    ledger_before = YearLedger.objects.get(person=app.person, year=app.settlement.year)

    approver = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    ).new_page()
    _sign_in(approver, live_server.url, "approver_a")
    approver.goto(f"{live_server.url}/applications/{app.number}/")
    box = approver.get_by_test_id("recovery-box")
    box.get_by_text("提出追回…").click()
    box.get_by_label("追回金额（元）").fill("1000.00")
    box.get_by_label("原因").select_option(label="虚假材料")
    box.get_by_label("事实与依据").fill("门诊发票一张系重复报销，经医院核实")
    box.get_by_role("button", name="提出追回，待另一人复核").click()
    assert "已提出追回，待另一位审批或财务人员复核" in approver.content()
    box = approver.get_by_test_id("recovery-box")
    assert "待复核" in box.inner_text()
    # the proposer is not offered the confirmation
    assert box.get_by_role("button", name="复核同意，发追回通知书").count() == 0
    screenshot(approver, "recovery-proposed")
    approver.context.close()

    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(desk, live_server.url, "finance_a")
    desk.get_by_role("link", name="结算与发放").click()
    row = desk.get_by_test_id("recoveries").locator("tr", has_text=app.number)
    row.get_by_role("button", name="复核同意，发追回通知书").click()
    assert "已复核，追回通知书已生成" in desk.content()
    row = desk.get_by_test_id("recoveries").locator("tr", has_text=app.number)
    assert "已发追回通知，待退回" in row.inner_text()
    row.get_by_label("退回金额").fill("1000.00")
    row.get_by_role("button", name="登记退回到账").click()
    assert "已登记退回 1,000.00 元" in desk.content()
    assert app.number not in desk.get_by_test_id("recoveries").inner_text()
    screenshot(desk, "recovery-refunded")
    desk.context.close()

    item = Recovery.objects.get(application=app)
    assert (item.state, item.refunded_amount, item.proposed_by.username) == (
        "refunded",
        Decimal("1000.00"),
        "approver_a",
    )
    assert item.confirmed_by == finance
    notice = Letter.objects.get(application=app, kind="recovery")
    assert notice.file.open("rb").read(5) == b"%PDF-"
    app.settlement.refresh_from_db()
    assert app.settlement.recovered == Decimal("1000.00")
    ledger = YearLedger.objects.get(pk=ledger_before.pk)
    assert ledger.assistance_used == ledger_before.assistance_used - Decimal("1000.00")
