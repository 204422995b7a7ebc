"""Issue 39, 5: the case page (and the application list) on a 360-px phone shows every column of the bills and of the
settlement as stacked cards (no amount hidden until swiped), and at 1280 px no short column
(类别, 住院) breaks one character a line."""

import pytest
from django.core.management import call_command

from applications.models import Application
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in_journeys import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_case_page_reads_on_a_phone_and_on_a_desk(live_server, browser):
    call_command("seed_demo")
    app = Application.objects.get(person__name="其其格")
    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    ).new_page()
    _sign_in(phone, live_server.url, "reviewer_a")
    phone.goto(live_server.url + app.get_absolute_url())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    for table in ("expenses", "settlement-row"):
        cells = phone.get_by_test_id(table).locator("td[data-label]")
        assert cells.count() >= 6
        for i in range(cells.count()):
            box = cells.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (table, i, box)
    shown = phone.get_by_test_id("settlement-row").locator("td[data-label=大病保险]")
    # each figure beside its column's name (drawn by CSS from data-label)
    assert shown.evaluate("el => getComputedStyle(el, '::before').content") == '"大病保险"'
    assert shown.is_visible()
    screenshot(phone, "case-page-360")
    phone.context.close()

    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}).new_page()
    _sign_in(desk, live_server.url, "reviewer_a")
    desk.goto(live_server.url + app.get_absolute_url())
    kind = desk.get_by_test_id("expenses").locator("td[data-label=类别]").first
    size = desk.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert kind.bounding_box()["width"] >= 2 * size  # 住院 on one line, not a character a line
    desk.context.close()


def test_the_application_list_reads_on_a_phone(live_server, browser):
    """The queue at 360 px: a card per case, every column beside its name, 乡镇 on one line."""
    call_command("seed_demo")
    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    ).new_page()
    _sign_in(phone, live_server.url, "reviewer_a")
    phone.goto(live_server.url + "/applications/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    cells = phone.get_by_test_id("applications").locator("td[data-label]")
    cases = phone.get_by_test_id("applications").locator("tbody tr").count()
    assert cases >= 3 and cells.count() == 8 * cases  # every column but the number is labelled
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (i, box)
    town = phone.get_by_test_id("applications").locator("td[data-label=乡镇]").first
    assert town.evaluate("el => getComputedStyle(el, '::before').content") == '"乡镇"'
    line = phone.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) || 24")
    assert town.bounding_box()["height"] < 1.8 * line  # one line, not a character a line
    screenshot(phone, "queue-360")
    phone.context.close()
