"""Issue 39: the applicant keeps the promise from a 360-px phone. A code by SMS (read from the
notification log), a photo of each missing paper (a decompression bomb refused first), the clerk
confirms at the window, the promise closes, and the SMS of approval and payment follow."""

import io
import re
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command
from PIL import Image

from accounts.models import User
from applications.models import Application, Notification, OnlineUpload, PromiseStatus
from applications.services import application_approve, application_recommend
from applications.services import application_transition as move
from payments.services import payment_batch_create, payment_record
from tests.browser.conftest import screenshot
from tests.fuzz_corpus import png_bomb

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), "white").save(out, "JPEG")
    return out.getvalue()


def test_the_promise_is_kept_from_a_phone(live_server, browser, page):
    call_command("seed_demo")
    cache.clear()
    app = Application.objects.get(person__name="其其格")  # accepted with two materials missing
    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    ).new_page()
    phone.goto(f"{live_server.url}/status/?number={app.number}")
    phone.get_by_label("申请人身份证号后 6 位").fill(app.person.id_number[-6:])
    phone.get_by_role("button", name="查询").click()
    phone.get_by_test_id("online-link").click()
    assert "诊断证明" in phone.get_by_test_id("online-missing").inner_text()
    phone.get_by_role("button", name="发送验证码到登记的手机").click()
    assert "验证码已发到申请时登记的手机号" in phone.get_by_test_id("online-notice").inner_text()
    sms = Notification.objects.filter(application=app, kind="code").latest("id").text
    phone.get_by_label("短信验证码（6 位数字）").fill(re.search(r"\d{6}", sms).group(0))
    phone.get_by_role("button", name="确定").click()

    # a decompression bomb is refused, and nothing of the form is kept
    bomb = {"name": "诊断.png", "mimeType": "image/png", "buffer": png_bomb()}
    phone.locator("#m-diagnosis").set_input_files([bomb])
    phone.locator("#m-invoice").set_input_files(
        [{"name": "发票.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    phone.get_by_role("button", name="上传").click()
    assert "尺寸大得异常" in phone.get_by_test_id("online-errors").inner_text()
    assert not OnlineUpload.objects.exists()
    for field, name in (("#m-invoice", "发票.jpg"), ("#m-diagnosis", "诊断.jpg")):
        phone.locator(field).set_input_files(
            [{"name": name, "mimeType": "image/jpeg", "buffer": _photo()}]
        )
    phone.get_by_role("button", name="上传").click()
    assert "已上传 2 个文件" in phone.get_by_test_id("online-notice").inner_text()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide on a 360px screen"
    screenshot(phone, "status-online-360")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("clerk_a")
    page.get_by_label("密码").fill("demo12345")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}{app.get_absolute_url()}")
    assert "2 项待核对" in page.get_by_test_id("online-panel").inner_text()
    for code in ("invoice", "diagnosis"):
        page.get_by_test_id(f"online-{code}").get_by_role("button", name="确认收到").click()
    assert "承诺的材料已全部补齐" in page.locator(".alert-success").inner_text()
    app.refresh_from_db()
    assert app.promise_status == PromiseStatus.FULFILLED

    reviewer = User.objects.get(username="reviewer_a")
    app = move(application=app, action="start_review", actor=reviewer)
    app = application_recommend(application=app, actor=reviewer, recommendation="approve")
    app = application_approve(application=app, actor=User.objects.get(username="approver_a"))
    finance = User.objects.get(username="finance_a")
    batch = payment_batch_create(county=app.county, application_ids=[app.pk], actor=finance)
    payment_record(
        payment=batch.payments.get(), paid=True, paid_on=date(2026, 12, 7), actor=finance
    )
    told = dict(Notification.objects.filter(application=app).values_list("kind", "text"))
    assert f"救助金额{app.approved_amount:,.2f}元" in told["approved"]
    assert "已于2026-12-07" in told["paid"]
    phone.goto(f"{live_server.url}/status/?number={app.number}")  # the proof is kept half an hour
    assert phone.get_by_test_id("status-now").inner_text() == "已发放"
    phone.context.close()
