"""Issue 19 in a real browser: a clerk takes an application for a 低保边缘 person the registry does
not know, with the certificate the applicant brought; the county reviewer verifies it; after the
public notice the approver approves a non-zero amount."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from applications.models import Application
from beneficiaries.models import HardshipIdentity, IdentityClaim
from tests.browser.conftest import fill_inpatient_stay, screenshot
from tests.browser.test_sign_in_journeys import _sign_in
from tests.factories import id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan() -> bytes:
    """A photo of the certificate, as a phone takes it (a real PNG: uploads are checked)."""
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def context(browser):
    return browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()


def test_a_certificate_taken_at_the_window_is_verified_and_the_case_approved(
    live_server, browser, time_machine
):
    call_command("seed_demo")
    number = id_number(77, birth="19580312")
    certified = timezone.localdate() - timedelta(days=200)

    clerk = context(browser)
    _sign_in(clerk, live_server.url, "clerk_a")
    clerk.get_by_role("link", name="受理新申请").click()
    clerk.get_by_label("申请人公民身份号码").fill(number)
    clerk.keyboard.press("Enter")
    assert "请当场登记" in clerk.locator(".alert-info").inner_text()
    clerk.locator("[name=p-name]").fill("李桂芝")
    clerk.locator("[name=p-phone]").fill("13904715678")
    clerk.get_by_label(re.compile("低保边缘家庭成员（身份库无记录")).check()
    certificate = clerk.get_by_test_id("certificate")
    certificate.get_by_label("认定部门（证件上的）").select_option("民政")
    certificate.get_by_label("证件编号").fill("BY-2026-0107")
    certificate.get_by_label("认定日期").fill(f"{certified:%Y-%m-%d}")
    clerk.get_by_label("开户银行").fill("内蒙古农村信用社")
    clerk.get_by_label("账户户名").fill("李桂芝")
    clerk.get_by_label("银行账号").fill("6228480000000000133")
    fill_inpatient_stay(clerk)
    screenshot(clerk, "intake-certificate")
    clerk.get_by_role("button", name="保存，下一步核对材料").click()
    clerk.wait_for_url(re.compile(r"/accept/$"))
    clerk.get_by_label("全部已收（全选）").check()
    clerk.locator("[name=file_identity_certificate]").set_input_files(
        {"name": "低保边缘证明.png", "mimeType": "image/png", "buffer": scan()}
    )
    clerk.get_by_role("button", name="受理并转县级审核").click()
    app = Application.objects.get(person__name="李桂芝")
    clerk.wait_for_url(re.compile(rf"/applications/{app.number}/$"))
    assert clerk.get_by_test_id("status").inner_text() == "已转县级"
    assert clerk.get_by_test_id("claim-status").inner_text() == "待县级核验"
    assert clerk.get_by_test_id("provisional").is_visible()
    # not referred yet: (15,000 − 5,000) × 65% = 6,500.00 and no tilted assistance
    assert clerk.get_by_test_id("to-pay").inner_text() == "6,500.00"
    # 规范转诊 is the register's: the clerk registers the referral slip on the person's record
    clerk.goto(f"{live_server.url}/people/{app.person_id}/")
    referrals = clerk.get_by_test_id("referrals")
    referrals.get_by_label("备案号").fill("ZZ2026-0001")
    referrals.get_by_label("转往医疗机构").fill("内蒙古医科大学附属医院")
    referrals.get_by_label("转往定点医药机构编号").fill("H15010200012")
    referrals.get_by_label("就医地行政区划").fill("150100")
    referrals.get_by_label("有效期起").fill(f"{timezone.localdate() - timedelta(days=30):%Y-%m-%d}")
    referrals.get_by_label("有效期止").fill(f"{timezone.localdate() + timedelta(days=30):%Y-%m-%d}")
    referrals.get_by_role("button", name="登记").click()
    assert "已登记转诊备案 ZZ2026-0001" in clerk.locator(".alert-success").inner_text()
    clerk.goto(f"{live_server.url}/applications/{app.number}/")
    # referred and in region: 8,500 left, 1,500 over 7,000 × 80% = 1,200.00 more
    assert clerk.get_by_test_id("to-pay").inner_text() == "7,700.00"
    assert "转诊备案 ZZ2026-0001" in clerk.locator("[data-testid^=referral-]").first.inner_text()
    clerk.context.close()

    reviewer = context(browser)
    _sign_in(reviewer, live_server.url, "reviewer_a")
    reviewer.get_by_role("link", name="审核队列").click()
    reviewer.get_by_role("link", name="身份证明待核验（1）").click()
    reviewer.get_by_role("link", name=app.number).click()
    reviewer.get_by_role("button", name="开始审核").click()
    assert "低保边缘证明.png" in reviewer.get_by_test_id("identity-claim").inner_text()
    screenshot(reviewer, "identity-verify")
    form = reviewer.get_by_test_id("verify-form")
    form.get_by_label("核验通过，登记入身份库").check()
    form.get_by_label(re.compile("说明")).fill("与民政低保边缘家庭名册核对一致")
    form.get_by_role("button", name="提交核验结果").click()
    assert "已登记入身份库" in reviewer.locator(".alert-success").first.inner_text()
    assert reviewer.get_by_test_id("claim-status").inner_text() == "已核验，已登记入身份库"
    reviewer.get_by_text("提出审核意见…").click()
    reviewer.get_by_label("建议批准").check()
    reviewer.get_by_role("button", name="提交审核意见").click()
    assert reviewer.get_by_test_id("status").inner_text() == "公示中"
    reviewer.context.close()

    identity = HardshipIdentity.objects.get(person__name="李桂芝")
    assert (identity.category, identity.source, identity.certified_on) == (
        "dibao_edge",
        "window",
        certified,
    )
    assert IdentityClaim.objects.get().status == "verified"

    time_machine.move_to(timezone.now() + timedelta(days=14))  # the public notice is over
    approver = context(browser)
    _sign_in(approver, live_server.url, "approver_a")
    approver.goto(f"{live_server.url}/applications/{app.number}/")
    approver.get_by_text("批准救助…").click()
    approver.get_by_role("button", name="确认批准").click()
    assert approver.get_by_test_id("status").inner_text() == "已批准"
    assert "批准救助 7,700.00 元" in approver.get_by_test_id("decision-box").inner_text()
    approver.context.close()


def test_the_window_pre_checks_an_illness_poverty_applicant(live_server, browser):
    """因病致贫预审 at the window: a member added on the spot, the four tests with their figures."""
    from applications.services import application_accept
    from areas.models import Township
    from beneficiaries.models import Person
    from tests.factories import make_application

    call_command("seed_demo")
    clerk_user = __import__("accounts.models", fromlist=["User"]).User.objects.get(
        username="clerk_a"
    )
    person = Person.objects.create(
        id_number=id_number(88, birth="19630704"),
        name="高娜仁",
        township=Township.objects.get(name="察素齐镇"),
    )
    app = make_application(person, clerk_user, category="illness_poor")
    app = application_accept(
        application=app,
        actor=clerk_user,
        received=set(app.materials.values_list("code", flat=True)),
        promise_signed=False,
    )
    clerk = context(browser)
    _sign_in(clerk, live_server.url, "clerk_a")
    clerk.goto(f"{live_server.url}/applications/{app.number}/")
    assert "须先完成“因病致贫预审”" in clerk.locator("body").inner_text()
    clerk.get_by_role("link", name="开始预审").click()
    clerk.get_by_text("添加家庭成员…").click()
    member = clerk.get_by_test_id("add-member")
    member.get_by_label("姓名").fill("乌日娜")
    member.get_by_label("公民身份号码").fill(id_number(89, birth="19650302"))
    member.get_by_label("与户主关系").select_option("spouse")
    member.get_by_role("button", name="登记为家庭成员").click()
    assert "已登记家庭成员 乌日娜" in clerk.locator(".alert-success").inner_text()
    assert clerk.get_by_label("家庭人口数（人）").input_value() == "2"
    clerk.get_by_label("家庭上年度总收入（元，全体成员合计）").fill("42000")
    clerk.get_by_label("申请人具有本市户籍（核对户口簿）").check()
    clerk.get_by_label(re.compile("已签署家庭经济状况声明")).check()
    clerk.get_by_role("button", name="计算并保存预审").click()
    result = clerk.get_by_test_id("illness-result").inner_text()
    # 21,000.00 a head < 50,000.00; (42,000 − 25,000) ÷ 2 = 8,500.00 < 9,600 × 1.5 = 14,400.00
    assert "四项条件均符合" in result and "14,400.00" in result and "8,500.00" in result
    screenshot(clerk, "illness-check")
    clerk.goto(f"{live_server.url}/applications/{app.number}/")
    clerk.get_by_role("button", name="转县级审核").click()
    assert clerk.get_by_test_id("status").inner_text() == "已转县级"
    clerk.context.close()
