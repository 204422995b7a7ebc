"""The platform's data end to end in Chromium, with a real worker: the administrator imports the
定点医药机构 register and a settlement file in the platform's own layout; the window clerk takes a
bill by its setl_id instead of retyping it."""

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from applications.models import MedicalExpense
from areas.models import Township
from beneficiaries.models import HardshipIdentity, IdentityImport, Person
from monitoring.models import HospitalSettlement
from tests.browser.conftest import screenshot
from tests.browser.test_sign_in_journeys import _sign_in
from tests.celery_processes import celery_processes
from tests.factories import id_number

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]
SAMPLES = Path(__file__).resolve().parents[2] / "beneficiaries" / "samples"


def platform_file(path: Path, person) -> Path:
    """One settlement of the person as the platform exports it: field codes, in the platform's order,
    with fields the portal does not read."""
    day = timezone.localdate() - timedelta(days=4)
    header = ["setl_id", "mdtrt_id", "psn_no", "psn_name", "gend", "psn_cert_type", "certno",
              "insutype", "psn_type", "med_type", "fixmedins_code", "fixmedins_name", "begndate",
              "enddate", "setl_time", "medfee_sumamt", "fulamt_ownpay_amt", "inscp_scp_amt",
              "hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt", "clr_optins"]  # fmt: skip
    row = ["150000BROWSER0001", "MDBROWSER0001", "15000000000000009999", person.name, "2", "01",
           person.id_number, "390", "", "21", "H15010200012", "内蒙古医科大学附属医院",
           (day - timedelta(days=8)).isoformat(), day.isoformat(), f"{day} 11:20:00", "38600.00",
           "1200.00", "35000.00", "21000.00", "2000.00", "0.00", "15600.00", "150121"]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows([header, row])
    return path


def upload(page, kind: str, path: Path) -> None:
    page.goto(re.sub(r"(https?://[^/]+).*", r"\1", page.url) + "/people/imports/")
    page.get_by_label(kind).check()
    page.get_by_label("数据文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url(re.compile(r"/people/imports/\d+/$"))
    page.get_by_test_id("import-status").filter(has_text="检查完成").wait_for(timeout=60000)
    page.get_by_role("button", name=re.compile("确认导入")).click()
    page.get_by_test_id("import-status").filter(has_text="已导入").wait_for(timeout=60000)


def test_admin_imports_the_register_and_a_platform_file_then_the_clerk_takes_the_bill(
    live_server, page, tmp_path
):
    call_command("seed_demo")
    person = Person.objects.create(
        id_number=id_number(43, birth="19560312"), name="娜仁花", phone="13904715678",
        township=Township.objects.get(name="察素齐镇"), bank_name="内蒙古农村信用社",
        bank_account_holder="娜仁花", bank_account_number="6228480000000000133",
    )  # fmt: skip
    HardshipIdentity.objects.create(person=person, category="dibao", department="民政",
                                    certified_on=date(2024, 3, 1), source="import")  # fmt: skip
    _sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/people/imports/")
    assert "不必改列名" in page.get_by_test_id("platform-layout").inner_text()
    with celery_processes(tmp_path):
        upload(page, "定点医药机构名录", SAMPLES / "medins-sample.csv")
        upload(page, "医保平台结算数据（平台字段）", platform_file(tmp_path / "setl.csv", person))
        screenshot(page, "platform-import")
    batch = IdentityImport.objects.filter(content="platform").get()
    assert (batch.status, batch.records_created, batch.bad_rows) == ("applied", 1, 0)
    record = HospitalSettlement.objects.get(setl_id="150000BROWSER0001")
    assert (record.hospital_level, record.kind) == ("tier3", "inpatient")
    assert page.console_errors == []

    page.context.clear_cookies()
    _sign_in(page, live_server.url, "clerk_a")
    page.get_by_role("link", name="受理新申请").click()
    page.get_by_label("申请人公民身份号码").fill(person.id_number)
    page.keyboard.press("Enter")
    records = page.get_by_test_id("platform-records")
    assert "150000BROWSER0001" in records.inner_text()
    records.get_by_role("row", name=re.compile("150000BROWSER0001")).get_by_role(
        "button", name="带入"
    ).click()
    page.get_by_test_id("bill-source").first.filter(has_text="平台记录带出").wait_for()
    assert page.locator("[name=e-0-total]").input_value() == "38600.00"
    assert page.locator("[name=e-0-total]").get_attribute("readonly") is not None
    screenshot(page, "platform-bill")
    assert page.get_by_label(re.compile("低保对象（2024-03-01")).is_checked()
    page.get_by_label("未在医院直接结算的原因").select_option("emergency")
    page.get_by_role("button", name="保存，下一步核对材料").click()
    page.wait_for_url(re.compile(r"/accept/$"))
    bill = MedicalExpense.objects.get(setl_id="150000BROWSER0001")
    assert (bill.source, bill.total, bill.hospital_level) == ("platform", record.total, "tier3")
    assert page.console_errors == []
