import re

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from settlements.models import PolicyVersion
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in_journeys import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_reads_a_policy_and_raises_the_tilted_cap_from_a_date(live_server, page):
    call_command("seed_demo")  # version 2: the demo incomes
    _sign_in(page, live_server.url, "admin")
    page.wait_for_url(re.compile(r"/areas/$"))
    page.get_by_role("link", name="救助政策").click()
    page.get_by_role("link", name=re.compile("呼和浩特市医疗救助")).click()
    page.wait_for_url(re.compile(r"/settlements/policies/hohhot-2023/$"))
    row = page.locator("tr", has_text="tilted.cap")
    assert "30,000.00 元" in row.inner_text()
    screenshot(page, "policy-page")

    page.get_by_role("link", name="新增版本（调整参数）").click()
    page.get_by_label("生效日期").fill("2027-01-01")
    page.get_by_label("依据（文件名与条款）").fill("呼医保发〔2026〕9号 第三条")
    page.get_by_label("决定机关（本地设定时必填）").fill("呼和浩特市医疗保障局")
    page.get_by_label(re.compile(r"倾斜救助年度最高限额")).fill("35000.00")
    page.get_by_role("button", name="保存新版本").click()
    page.wait_for_url(re.compile(r"/settlements/policies/hohhot-2023/$"))
    assert "已保存第 3 版，2027-01-01起生效，改动 1 个参数" in page.locator("body").inner_text()
    history = page.locator("tr", has_text="tilted.cap").inner_text()
    assert "2027-01-01 起：35,000.00 元" in history and "第 3 版" in history
    version = PolicyVersion.objects.get(number=3)
    assert version.values == {"tilted.cap": "35000.00"}
    assert AuditEvent.objects.filter(
        target_type="settlements.policyversion", target_id=str(version.pk), actor_username="admin"
    ).exists()
    assert page.console_errors == []
