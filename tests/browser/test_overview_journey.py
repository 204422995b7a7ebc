"""一屏观救助 in Chromium: the charts are drawn (Chart.js) from the numbers of a known year."""

import re

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.conftest import screenshot
from tests.monitoring.data import YEAR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page, live_server, user) -> None:
    """Carry a session made by Django's test client into the browser."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip


def _chart(page, key):
    return page.evaluate(
        """key => { const c = Chart.getChart(document.querySelector(`canvas[data-chart="${key}"]`));
                    return c ? {labels: c.data.labels,
                                sets: c.data.datasets.map(d => [d.label, d.data]),
                                targets: (c.options.plugins.targetLines.targets || [])
                                           .map(t => [t.label, t.value])} : null; }""",
        key,
    )


def test_the_city_overview_draws_every_chart_from_its_table(
    live_server, page, world, overview_data
):
    _signed_in(page, live_server, world.users["admin"])
    page.goto(f"{live_server.url}/monitoring/overview/?year={YEAR}")
    page.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length === 7")
    assert page.get_by_test_id("fig-coverage").inner_text() == "80.0%"
    assert page.get_by_test_id("fig-burden").inner_text() == "20.0%"
    assert page.get_by_test_id("fig-monitored").inner_text() == "1 人"
    assert page.get_by_test_id("fig-over-limit").inner_text() == "2 家"

    rates = _chart(page, "rates")
    assert rates["labels"] == ["土默特左旗", "托克托县"]
    assert rates["sets"] == [["综合保障率", [90, 50]], ["个人负担率", [10, 50]]]
    # both targets are rules across the whole chart (drawn even with a single bar)
    assert rates["targets"] == [["综合保障率目标 ≥ 85.0%", 85], ["个人负担率目标 ≤ 15.0%", 15]]
    assert "重算" in page.get_by_test_id("as-of").inner_text()
    shares = _chart(page, "out_of_list")
    assert shares["labels"] == ["市第一医院", "托县医院", "土左旗医院"]
    assert shares["sets"][0][1] == [11.67, 6, 4]
    assert shares["sets"][1] == ["占比上限", [10, 5, 5]]
    for key in ("monitored", "assistance", "stages", "hospitals", "tiers"):
        assert _chart(page, key) is not None, key
    # every chart's table is one click away, with the same numbers
    page.get_by_test_id("chart-rates").locator("summary").click()
    assert "90.0%" in page.get_by_test_id("table-rates").inner_text()
    screenshot(page, "overview")

    with page.expect_download() as download:
        page.get_by_test_id("csv-rates").click()
    assert re.search(r"\.csv$", download.value.suggested_filename)
    assert page.console_errors == []


def test_a_county_reviewer_sees_the_county_only(live_server, page, world, overview_data):
    _signed_in(page, live_server, world.users["reviewer"])
    page.goto(f"{live_server.url}/monitoring/overview/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    assert "土默特左旗" in page.locator("h1").inner_text()
    assert page.get_by_test_id("fig-coverage").inner_text() == "90.0%"
    assert _chart(page, "rates")["labels"] == ["察素齐镇"]
    assert page.locator("#id_county").count() == 0
    assert page.console_errors == []


def test_the_clerk_follows_a_warning_up(live_server, page, world, overview_data):
    _signed_in(page, live_server, world.users["clerk"])
    page.goto(f"{live_server.url}/areas/townships/{world.town_a1.pk}/")
    assert page.get_by_test_id("warnings-open").inner_text() == "1"
    page.get_by_role("link", name="查看预警名单").click()
    page.get_by_role("link", name="丙").click()
    assert page.get_by_test_id("level").inner_text() == "因病致贫监测"
    page.get_by_text("记录联系情况").click()
    page.get_by_label("联系方式").select_option("visit")
    page.get_by_label("联系情况").fill("入户走访，本人同意申请因病致贫重病患者认定")
    with page.expect_navigation():
        page.get_by_role("button", name="保存联系记录").click()
    assert "联系情况已记录" in page.locator("body").inner_text()
    assert page.get_by_test_id("status").inner_text() == "已联系"
    assert "入户走访，本人同意申请" in page.get_by_test_id("follow-ups").inner_text()
    screenshot(page, "warning-follow-up")
    assert page.console_errors == []
