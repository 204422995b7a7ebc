"""The production stage's journey (scripts/test-production): headless Chromium through gunicorn on
production settings, installed from the offline bundle, with PostgreSQL, Redis, a worker and beat.

Not part of the ordinary runs (marker ``production``): the stage sets PRODUCTION_URL and the
clerk's credentials, and checks afterwards in the database that the worker rendered the letters.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import fill_inpatient_stay, screenshot

pytestmark = pytest.mark.production


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run this through scripts/test-production")
    return value


@pytest.fixture
def site(browser):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 800}, ignore_https_errors=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page, errors
    context.close()


def test_a_clerk_accepts_an_application_and_the_applicant_finds_it(site):
    page, errors = site
    base = env("PRODUCTION_URL")
    person_id = env("PRODUCTION_PERSON_ID")
    health = json.loads(page.goto(f"{base}/healthz").text())
    assert {k: health[k] for k in ("status", "database", "static", "broker", "cache")} == {
        "status": "ok", "database": "ok", "static": "ok", "broker": "ok", "cache": "ok",
    }  # fmt: skip

    page.goto(f"{base}/accounts/login/")
    # hashed, compressed static files from WhiteNoise (collectstatic's manifest)
    css = page.locator('link[rel="stylesheet"]').first.get_attribute("href")
    assert re.search(r"\.[0-9a-f]{12}\.css$", css or ""), css
    page.get_by_label("用户名").fill(env("PRODUCTION_CLERK"))
    page.get_by_label("密码").fill(env("PRODUCTION_PASSWORD"))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/areas/townships/\d+/$"))
    # 帮助 opens the clerk's chapter of the guide, served by the portal itself
    guide = page.get_by_test_id("help-link").get_attribute("href")
    assert guide == "/help/clerk.html#clerk-dashboard"
    page.goto(f"{base}{guide}")
    assert "窗口经办人" in page.locator("h1").first.inner_text()
    assert page.locator("#clerk-dashboard").count() == 1
    page.go_back()
    page.get_by_role("link", name="受理新申请").click()
    page.get_by_label("申请人公民身份号码").fill(person_id)
    page.keyboard.press("Enter")
    fill_inpatient_stay(page)
    # 低保 is settled one-stop at the hospital: at the window the clerk says why it was not
    page.get_by_label("未在医院直接结算的原因").select_option("elsewhere")
    page.get_by_role("button", name="保存，下一步核对材料").click()
    page.wait_for_url(re.compile(r"/accept/$"))
    for label in page.locator("table label").all_inner_texts():
        if label != "医疗费用发票（原件）":
            page.get_by_label(label, exact=True).check()
    page.get_by_label(re.compile("申请人已签署承诺书")).check()
    page.get_by_role("button", name="受理并转县级审核").click()
    page.wait_for_url(re.compile(r"/applications/\d{6}-\d{8}-\d{4}/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[1]
    assert page.get_by_test_id("status").inner_text() == "已转县级"
    screenshot(page, "production-case-page")
    Path(env("PRODUCTION_RESULT")).write_text(number, encoding="utf-8")

    page.goto(f"{base}/status/")  # the applicant, on the public page
    page.get_by_label(re.compile("申请编号")).fill(number)
    page.get_by_label("申请人身份证号后 6 位").fill(person_id[-6:])
    page.get_by_role("button", name="查询").click()
    text = page.locator("main").inner_text()
    assert number in text and "县级审核" in text
    screenshot(page, "production-status")
    assert errors == []
