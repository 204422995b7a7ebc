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


# --- what the outside attack found (issue 34): checked on the production set-up itself --------


def test_pages_behind_nginx_are_https_only_and_personal_ones_are_not_stored(site):
    page, _ = site
    base = env("PRODUCTION_URL")
    login = page.goto(f"{base}/accounts/login/")
    assert "max-age=31536000" in login.headers["strict-transport-security"]
    page.get_by_label("用户名").fill(env("PRODUCTION_CLERK"))
    page.get_by_label("密码").fill(env("PRODUCTION_PASSWORD"))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/areas/townships/\d+/$"))
    people = page.goto(f"{base}/people/")
    assert "no-store" in people.headers["cache-control"]
    # a search by full ID number: the address carries a token, never the number
    page.get_by_placeholder(re.compile("身份证号")).fill(env("PRODUCTION_PERSON_ID"))
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(re.compile(r"/people/\?q=~"))
    assert env("PRODUCTION_PERSON_ID") not in page.url


def test_the_runtime_role_cannot_rewrite_or_empty_the_audit_trail():
    import psycopg

    url = env("PRODUCTION_RUNTIME_DATABASE_URL")
    refused = [
        "UPDATE audit_auditevent SET summary = 'x'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only",
        "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
    ]
    with psycopg.connect(url, autocommit=True) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()
        assert rows > 0
        for sql in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
        (after,) = conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()
    # nothing taken away; the live worker and beat may append meanwhile (that is what they may do)
    assert after >= rows


class FromAddress:
    """An applicant's phone, as nginx sees it: HTTPS from one loopback address of its own
    (127.0.0.N), with its own cookies."""

    def __init__(self, base: str, address: str) -> None:
        import http.client
        import ssl
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        self.conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, context=context, source_address=(address, 0), timeout=30
        )
        self.cookies: dict[str, str] = {}
        self.base = base

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "Referer": self.base + path}  # fmt: skip
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, response.read().decode()

    def lookup(self, number: str, tail: str) -> int:
        from urllib.parse import urlencode

        _, page = self.request("GET", "/status/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urlencode({"csrfmiddlewaretoken": token, "number": number, "id_tail": tail})
        status, _ = self.request("POST", "/status/", form)
        self.conn.close()
        return status


def test_behind_nginx_each_applicant_keeps_an_address_of_their_own():
    """Twenty strangers look up their own cases (the address limit is 20 in 10 minutes); the
    owner, from an address of their own, still gets the answer; the audit trail records the
    owner's address. (Behind nginx every request reaches gunicorn from 127.0.0.1: before, the
    owner was the 21st lookup of one shared address and got 429.)"""
    import psycopg

    base = env("PRODUCTION_URL")
    number = Path(env("PRODUCTION_RESULT")).read_text(encoding="utf-8").strip()
    tail = env("PRODUCTION_PERSON_ID")[-6:]
    for n in range(2, 22):
        assert FromAddress(base, f"127.0.0.{n}").lookup(f"150121-20990101-{n:04d}", "000000") == 200
    assert FromAddress(base, "127.0.0.60").lookup(number, tail) == 200
    for n in range(20):  # one address that asks too often is still stopped
        FromAddress(base, "127.0.0.70").lookup(f"150121-20990102-{n:04d}", "000000")
    assert FromAddress(base, "127.0.0.70").lookup(number, tail) == 429
    with psycopg.connect(env("PRODUCTION_RUNTIME_DATABASE_URL")) as conn:
        (ip,) = conn.execute(
            "SELECT host(ip) FROM audit_auditevent WHERE summary = '申请人查询办理进度' "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert ip == "127.0.0.60"
