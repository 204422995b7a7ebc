"""梯次减负 in Chromium: from a family whose burden stays high after the three layers, the county
refers it to 临时救助, records the body's help, and the help is counted in the family's burden."""

import pytest
from django.utils import timezone

from monitoring.models import BurdenWarning
from monitoring.recompute import monitoring_recompute
from relief.models import Handoff, Help
from tests.browser.conftest import screenshot
from tests.browser.test_overview_journey import _signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_high_burden_family_is_handed_off_and_its_help_counted(
    live_server, page, world, burdened, bodies
):
    warning = BurdenWarning.objects.get(person=burdened, list="income")
    _signed_in(page, live_server, world.users["reviewer"])
    page.goto(f"{live_server.url}/monitoring/warnings/{warning.pk}/")
    assert page.get_by_test_id("burden-after-help").inner_text() == "25,000.00"
    page.locator("#wh-body").select_option(label="市民政局临时救助（临时救助（民政））")
    page.locator("#wh-asked").fill("8000")
    page.get_by_test_id("warning-handoff").click()
    page.wait_for_url("**/relief/handoffs/*/")
    assert page.get_by_test_id("handoff-state").inner_text() == "待答复"
    assert "25,000.00" in page.get_by_test_id("handoff-figures").inner_text()
    handoff = Handoff.objects.get()
    # the body answered on paper: the county records it (a mistyped amount first)
    page.get_by_label("已帮扶").check()
    page.get_by_label("帮扶金额（元）").fill("8000.5x")
    page.get_by_label("帮扶日期").fill(str(timezone.localdate()))
    page.get_by_label("帮扶方式").fill("临时救助金")
    page.get_by_role("button", name="登记答复").click()
    assert "未登记" in page.locator(".alert").first.inner_text()
    assert not Help.objects.exists()
    page.get_by_label("已帮扶").check()
    page.get_by_label("帮扶金额（元）").fill("8000")
    page.get_by_label("帮扶日期").fill(str(timezone.localdate()))
    page.get_by_label("帮扶方式").fill("临时救助金")
    page.get_by_label("单位业务编号（可不填）").fill("MZ-LS-2026-031")
    page.get_by_role("button", name="登记答复").click()
    page.wait_for_url(f"**/relief/handoffs/{handoff.pk}/")
    assert page.get_by_test_id("help-amount").inner_text() == "8,000.00"
    assert page.get_by_test_id("handoff-state").inner_text() == "已帮扶"
    screenshot(page, "handoff")
    monitoring_recompute()  # what the worker does once the help is recorded
    page.goto(f"{live_server.url}/monitoring/warnings/{warning.pk}/")
    assert page.get_by_test_id("other-help").inner_text() == "8,000.00"
    assert page.get_by_test_id("burden-after-help").inner_text() == "17,000.00"
    # nothing failed but the refused first answer (its 400 and the console's note of it)
    assert all("/answer/" in e and "400" in e for e in page.console_errors), page.console_errors
