"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's ORM calls made from the
    # test itself are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.console_errors = []
    pg.on(
        "console",
        lambda m: (
            pg.console_errors.append(f"{m.text} {m.location.get('url')}")
            if m.type == "error"
            else None
        ),
    )
    pg.on(
        "response",
        lambda r: pg.console_errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    yield pg
    context.close()


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page, name: str) -> None:
    """Into test-artifacts/, and into docs/screenshots/ where README and the user guide (帮助) show
    it: the pictures of the pages are regenerated whenever the journeys run (commit them)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if (SCREENSHOTS / f"{name}.png").exists() or name.endswith("-360"):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fill_inpatient_stay(page) -> None:
    """The intake form's first expense: a stay discharged three days ago, as on a settlement slip
    (60,000 total, 50,000 in scope, 30,000 basic, 5,000 critical-illness)."""
    from datetime import timedelta

    from django.utils import timezone

    discharged = timezone.localdate() - timedelta(days=3)
    page.locator("[name=e-0-hospital]").fill("内蒙古医科大学附属医院")
    page.get_by_label("医疗机构编码").fill("H15010200012")
    page.get_by_label("发票号（电子票据号）").fill(f"BR{timezone.now():%H%M%S%f}")
    page.get_by_label("医院等级").select_option("tier3")
    page.get_by_label("入院日期").fill((discharged - timedelta(days=9)).isoformat())
    page.get_by_label("出院日期").fill(discharged.isoformat())
    page.get_by_label("医疗总费用（元）").fill("60000")
    page.get_by_label("政策范围内费用（元）").fill("50000")
    page.get_by_label("基本医保支付（元）").fill("30000")
    page.get_by_label("大病保险支付（元）").fill("5000")
