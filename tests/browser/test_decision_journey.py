from decimal import Decimal

import pytest
from django.core.management import call_command

from applications.models import Application
from core.formats import yuan
from settlements.models import Settlement, YearLedger
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in_journeys import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_recommends_and_approver_approves_with_the_settlement_lines(live_server, browser):
    call_command("seed_demo")
    app = Application.objects.get(person__name="其其格")  # forwarded by 察素齐镇, 低保
    number = app.number

    reviewer = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    ).new_page()
    _sign_in(reviewer, live_server.url, "reviewer_a")
    reviewer.get_by_role("link", name="审核队列").click()
    # the queue says how many cases are still to do and what each would pay
    assert "未办结的申请" in reviewer.get_by_test_id("result-count").inner_text()
    assert reviewer.get_by_test_id("to-pay").first.inner_text().endswith("测算")
    screenshot(reviewer, "review-queue")
    reviewer.get_by_label("编号 / 姓名 / 身份证号").fill(number.rsplit("-", 1)[1])  # "0001"
    reviewer.get_by_role("button", name="筛选").click()
    reviewer.get_by_role("link", name=number).click()
    reviewer.get_by_role("button", name="开始审核").click()
    assert reviewer.get_by_test_id("status").inner_text() == "县级审核中"
    lines = reviewer.get_by_test_id("lines").first.inner_text()
    assert "医疗救助：低保对象 政策范围内自付" in lines and "× 70%" in lines
    screenshot(reviewer, "review-case")
    reviewer.get_by_text("提出审核意见…").click()
    reviewer.get_by_label("建议批准").check()
    reviewer.get_by_role("button", name="提交审核意见").click()
    assert reviewer.get_by_test_id("status").inner_text() == "待审批"
    reviewer.context.close()

    approver = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    ).new_page()
    _sign_in(approver, live_server.url, "approver_a")
    approver.goto(f"{live_server.url}/applications/{number}/")
    to_pay = approver.get_by_test_id("to-pay").inner_text()
    approver.get_by_text("批准救助…").click()
    approver.get_by_role("button", name="确认批准").click()
    assert approver.get_by_test_id("status").inner_text() == "已批准"
    assert f"批准救助 {to_pay} 元" in approver.get_by_test_id("decision-box").inner_text()
    screenshot(approver, "approved-case")
    approver.context.close()

    # The applicant promised two materials: the case is approved but held until they arrive.
    clerk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(clerk, live_server.url, "clerk_a")
    clerk.goto(f"{live_server.url}/applications/{number}/")
    for _ in range(2):
        clerk.get_by_role("button", name="登记收到").first.click()
        clerk.wait_for_load_state()
    assert "全部补齐" in clerk.get_by_test_id("promise-box").inner_text()
    clerk.context.close()

    finance = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    ).new_page()
    _sign_in(finance, live_server.url, "finance_a")
    finance.get_by_role("link", name="结算与发放").click()
    payable = finance.get_by_test_id("payable")
    assert number in payable.inner_text()
    payable.get_by_label("全选").uncheck()
    assert finance.get_by_test_id("selected-total").inner_text() == "已选 0 件，合计 0.00 元"
    assert finance.get_by_role("button", name="将选中的申请生成发放批次").is_disabled()
    payable.get_by_label(f"选中 {number}").check()  # only this case in the batch
    assert finance.get_by_test_id("selected-total").inner_text() == f"已选 1 件，合计 {to_pay} 元"
    screenshot(finance, "payment-desk")
    finance.get_by_role("button", name="将选中的申请生成发放批次").click()
    with finance.expect_download() as download:
        finance.get_by_role("link", name="导出银行文件（CSV）").click()
    assert number in download.value.path().read_text(encoding="utf-8-sig")
    finance.get_by_role("button", name="登记").click()
    assert "已发放" in finance.get_by_test_id("lines").inner_text()
    assert finance.get_by_test_id("batch-state").inner_text() == "已完成"
    screenshot(finance, "payment-batch")
    finance.context.close()

    app.refresh_from_db()
    assert app.status == "paid" and app.paid_at is not None
    settlement = Settlement.objects.get(key=f"application:{number}")
    assert yuan(app.approved_amount) == to_pay
    assert yuan(settlement.assistance + settlement.tilted + settlement.fund) == to_pay
    # one ledger: the hospital's one-stop assistance of the demo (9,100.00) and this approval
    onestop = sum(e.assistance for e in app.person.ledger_entries.filter(source="onestop"))
    assert onestop == Decimal("9100.00")
    assert YearLedger.objects.get(person=app.person).assistance_used == (
        onestop + settlement.assistance
    )
