import re

import pytest
from django.core.management import call_command

from areas.models import Township
from audit.models import AuditEvent
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, username):
    page.goto(base + "/")
    assert "/accounts/login/" in page.url
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("demo12345")
    page.get_by_role("button", name="登录").click()


def test_clerk_signs_in_and_lands_on_their_township(live_server, page):
    call_command("seed_demo")
    _sign_in(page, live_server.url, "clerk_a")
    town = Township.objects.get(name="察素齐镇")
    page.wait_for_url(re.compile(rf"/areas/townships/{town.pk}/$"))
    assert page.get_by_role("heading", name="察素齐镇").is_visible()
    assert (
        "王丽 · 乡镇（街道）窗口经办人 · 土默特左旗 察素齐镇"
        in page.get_by_test_id("whoami").inner_text()
    )
    nav = page.locator("nav").inner_text()
    assert "救助申请" in nav and "系统管理" not in nav and "结算与发放" not in nav
    assert "版本 0.1.0" in page.locator("footer").inner_text()
    screenshot(page, "clerk-township")
    assert page.console_errors == []  # no CSP violation, no missing asset
    page.get_by_test_id("whoami").click()  # the account menu
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    assert AuditEvent.objects.filter(actor_username="clerk_a", event="auth.logged_out").exists()


def test_admin_edits_a_townships_window_phone(live_server, page):
    call_command("seed_demo")
    _sign_in(page, live_server.url, "admin")
    page.wait_for_url(re.compile(r"/areas/$"))
    assert page.get_by_role("heading", name="辖区总览").is_visible()
    screenshot(page, "admin-overview")
    page.locator("li", has_text="察素齐镇").get_by_role("link", name="编辑").click()
    page.get_by_label("救助服务窗口电话").fill("0471-8110000")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/areas/township/$"))
    assert Township.objects.get(name="察素齐镇").window_phone == "0471-8110000"
    row = AuditEvent.objects.get(event="township.changed", target_type="areas.township")
    assert row.actor_username == "admin" and row.changes["window_phone"] == [
        "0471-8111001",
        "0471-8110000",
    ]
    assert page.console_errors == []
