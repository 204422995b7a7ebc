"""The applicant follows one case on a 360-px phone from intake to payment."""

from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command

from accounts.models import User
from applications.models import Application
from applications.services import (
    application_approve,
    application_recommend,
    application_transition,
    material_receive,
)
from payments.services import payment_batch_create, payment_record
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_applicant_sees_each_step_on_a_phone(live_server, browser):
    call_command("seed_demo")
    cache.clear()
    app = Application.objects.get(person__name="其其格")  # accepted with two materials missing
    tail = app.person.id_number[-6:]
    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    ).new_page()

    def look(first: bool = False) -> str:
        phone.goto(f"{live_server.url}/status/?number={app.number}")  # what the QR code opens
        if first:  # later, the number this phone proved is shown again for half an hour
            assert (
                phone.get_by_label(
                    "申请编号（在受理回执上，如 150121-20250105-0012）"
                ).input_value()
                == app.number
            )
            phone.get_by_label("申请人身份证号后 6 位").fill(tail)
            phone.get_by_role("button", name="查询").click()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px screen"
        return phone.get_by_test_id("status-steps").inner_text()

    steps = look(first=True)
    assert "补交材料" in steps and "还缺：医疗费用发票（原件）、诊断证明" in steps
    screenshot(phone, "status-promise")

    clerk, reviewer = User.objects.get(username="clerk_a"), User.objects.get(username="reviewer_a")
    for code in ("invoice", "diagnosis"):
        material_receive(application=app, code=code, actor=clerk)
    app = application_transition(application=app, action="start_review", actor=reviewer)
    steps = look()
    assert "材料已补齐" in steps and "正在审核" in steps

    app = application_recommend(application=app, actor=reviewer, recommendation="approve")
    app = application_approve(application=app, actor=User.objects.get(username="approver_a"))
    steps = look()
    assert f"批准医疗救助 {app.approved_amount:,.2f} 元" in steps and "正在办理发放" in steps
    assert phone.get_by_role("link", name="下载审批通知书（PDF）").is_visible()

    finance = User.objects.get(username="finance_a")
    batch = payment_batch_create(county=app.county, application_ids=[app.pk], actor=finance)
    payment_record(
        payment=batch.payments.get(), paid=True, paid_on=date(2026, 11, 30), actor=finance
    )
    steps = look()
    assert "已发放" in steps and "2026-11-30" in steps
    assert phone.get_by_test_id("status-now").inner_text() == "已发放"
    screenshot(phone, "status-paid")

    phone.get_by_role("link", name="查询其他申请").click()
    phone.get_by_role("link", name="长辈版（大字）").click()
    assert "large" in (phone.locator("body").get_attribute("class") or "")
    phone.context.close()
