"""倾斜救助主动发现 in Chromium: a one-stop bill whose tilted assistance is due appears on the
county's list with the engine's lines; the reviewer opens a case and lands on it, in review."""

import re
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from areas.models import Township
from beneficiaries.models import HardshipIdentity, Person, Referral
from monitoring import hospital_import
from tests.browser.conftest import screenshot
from tests.browser.test_intake_journey import fits
from tests.browser.test_sign_in_journeys import _sign_in
from tests.factories import id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_county_finds_a_one_stop_due_and_opens_its_case(live_server, page):
    call_command("seed_demo")
    year = timezone.localdate().year
    person = Person.objects.create(
        id_number=id_number(61, birth="19590402"), name="敖登", phone="13904719876",
        township=Township.objects.get(name="察素齐镇"), bank_name="内蒙古农村信用社",
        bank_account_holder="敖登", bank_account_number="6228480000000000141",
    )  # fmt: skip
    HardshipIdentity.objects.create(
        person=person, category="dibao", department="民政", certified_on=date(year - 2, 1, 1)
    )
    Referral.objects.create(
        person=person, number=f"YB{year}030077", to_hospital="内蒙古医科大学附属医院",
        to_code="H15010200001", area_code="150100", valid_from=date(year, 2, 20),
        valid_to=date(year, 4, 30), source=Referral.Source.PLATFORM,
    )  # fmt: skip
    row = {
        "id_number": person.id_number, "name": person.name, "hospital": "内蒙古医科大学附属医院",
        "hospital_code": "H15010200001", "hospital_level": "三级", "kind": "住院",
        "admitted_on": f"{year}-03-01", "discharged_on": f"{year}-03-10", "total": "60000.00",
        "policy_scope": "50000.00", "basic_paid": "30000.00", "critical_paid": "5000.00",
        "out_of_list": "0", "assistance_paid": "6000.00", "settlement_number": f"JS{year}0310077",
        "category": "低保对象",
    }  # fmt: skip
    outcomes = list(
        hospital_import.process([(2, row)], batch=None, today=timezone.localdate(), dry_run=False)
    )
    assert [o.errors for o in outcomes] == [[]]

    _sign_in(page, live_server.url, "reviewer_a")
    page.goto(f"{live_server.url}/applications/")
    page.get_by_role("link", name="倾斜救助主动发现").click()
    page.wait_for_url(re.compile(r"/applications/tilted/$"))
    found = page.get_by_test_id("tilted-found")
    listed = found.locator("tr", has_text="敖登")
    assert "1,600.00" in listed.inner_text()
    assert person.id_number not in page.content()  # masked on the list
    listed.locator("summary").click()
    assert "倾斜救助：超出部分 2,000.00 元 × 80% = 1,600.00 元" in listed.inner_text()
    fits(page)
    screenshot(page, "tilted-discovery")
    listed.get_by_role("button", name="立案审核").click()
    page.wait_for_url(re.compile(r"/applications/[0-9-]+/$"))
    assert page.get_by_test_id("status").inner_text() == "县级审核中"
    assert "已立案" in page.locator(".alert-success").inner_text()
    assert (
        "倾斜救助：超出部分 2,000.00 元 × 80% = 1,600.00 元"
        in page.get_by_test_id("settlement-preview").inner_text()
    )
    assert page.get_by_test_id("to-pay").inner_text() == "1,600.00"
    fits(page)
    assert page.console_errors == []
