import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from applications.models import Application
from areas.models import Township
from beneficiaries.models import HardshipIdentity, Person
from tests.browser.conftest import fill_inpatient_stay, screenshot
from tests.browser.test_sign_in_journeys import _sign_in
from tests.factories import id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page) -> None:
    """Nothing wider than the screen: the page never scrolls sideways (wide tables scroll inside
    their own box)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def nav(page, name: str) -> None:
    """Follow a menu item; on a narrow screen the menu is behind the ☰ button first."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.locator("#mainnav").get_by_role("link", name=name).click()


@pytest.mark.parametrize("width", [1280, 360])
def test_clerk_takes_an_application_with_two_materials_missing(live_server, page, width):
    """The whole intake at a desk (1280 px) and on a township tablet or phone (360 px)."""
    page.set_viewport_size({"width": width, "height": 800})
    suffix = "" if width == 1280 else f"-{width}"
    call_command("seed_demo")
    town = Township.objects.get(name="察素齐镇")
    person = Person.objects.create(
        id_number=id_number(41, birth="19520817"),
        name="其其格",
        phone="13904711234",
        township=town,
        bank_name="内蒙古农村信用社",
        bank_account_holder="其其格",
        bank_account_number="6228480000000000125",
    )
    HardshipIdentity.objects.create(
        person=person,
        category="dibao",
        department="民政",
        certified_on=date(2024, 3, 1),
        source="import",
    )
    _sign_in(page, live_server.url, "clerk_a")
    page.wait_for_url(re.compile(rf"/areas/townships/{town.pk}/$"))
    page.get_by_role("link", name="受理新申请").click()
    page.get_by_label("申请人公民身份号码").fill(person.id_number)
    page.keyboard.press("Enter")
    assert page.get_by_test_id("applicant").inner_text().startswith("其其格")
    assert person.id_number not in page.url  # the lookup is a POST; the URL carries a token
    assert page.get_by_label(
        re.compile("低保对象（2024-03-01")
    ).is_checked()  # most favourable, prefilled
    fill_inpatient_stay(page)
    # no 规范转诊 checkbox: the referral register decides it, and the form says so
    assert "规范转诊按申请人的转诊备案认定" in page.locator("main").inner_text()
    # 低保 is settled one-stop at the hospital: at the window the clerk says why it was not
    page.get_by_label("未在医院直接结算的原因").select_option("emergency")
    fits(page)
    screenshot(page, f"intake-form{suffix}")
    page.get_by_role("button", name="保存，下一步核对材料").click()
    page.wait_for_url(re.compile(r"/accept/$"))
    fits(page)
    # 全选 ticks every material and shows itself half-ticked when one is unticked again
    page.get_by_label("全部已收（全选）").check()
    boxes = page.locator("tbody input[type=checkbox]")
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.get_by_label("全部已收（全选）").uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))
    for label in page.locator("table label").all_inner_texts():
        if label not in ("医疗费用发票（原件）", "出院小结（出院证）"):
            page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="受理并转县级审核").click()
    assert "须由申请人签署承诺书" in page.locator(".alert-danger").inner_text()  # the promise first
    for label in page.locator("table label").all_inner_texts():
        if label not in ("医疗费用发票（原件）", "出院小结（出院证）"):
            page.get_by_label(label, exact=True).check()
    page.get_by_label(re.compile("申请人已签署承诺书")).check()
    page.get_by_role("button", name="受理并转县级审核").click()
    app = Application.objects.get(person=person)
    page.wait_for_url(re.compile(rf"/applications/{app.number}/$"))
    assert page.get_by_test_id("status").inner_text() == "已转县级"
    due = app.promise_due_on
    assert due == timezone.localdate() + timedelta(days=7)
    promise = page.get_by_test_id("promise-box").inner_text()
    assert (
        f"{due:%Y-%m-%d}" in promise and "尚缺：医疗费用发票（原件）、出院小结（出院证）" in promise
    )
    fits(page)
    screenshot(page, f"case-page{suffix}")
    nav(page, "本乡镇工作台")
    today = page.get_by_test_id("dash-accepted_today")
    assert page.get_by_test_id("count-accepted_today").inner_text() == "2"  # 1 from the demo data
    assert app.number in today.inner_text() and f"补齐期限 {due:%Y-%m-%d}" in today.inner_text()
    fits(page)
    screenshot(page, f"clerk-dashboard{suffix}")
    assert page.console_errors == []
