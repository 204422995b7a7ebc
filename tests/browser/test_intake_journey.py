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


def test_clerk_takes_an_application_with_two_materials_missing(live_server, page):
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
    page.get_by_label("规范转诊").check()
    screenshot(page, "intake-form")
    page.get_by_role("button", name="保存，下一步核对材料").click()
    page.wait_for_url(re.compile(r"/accept/$"))
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
        f"{due.year}年{due.month}月{due.day}日" in promise
        and "尚缺：医疗费用发票（原件）、出院小结（出院证）" in promise
    )

    screenshot(page, "case-page")
    page.get_by_role("link", name="本乡镇工作台").click()
    today = page.get_by_test_id("dash-accepted_today")
    assert page.get_by_test_id("count-accepted_today").inner_text() == "3"  # 2 from the demo data
    assert (
        app.number in today.inner_text()
        and f"补齐期限 {due.month}月{due.day}日" in today.inner_text()
    )
    screenshot(page, "clerk-dashboard")
    assert page.console_errors == []
