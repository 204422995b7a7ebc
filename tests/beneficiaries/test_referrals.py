"""The referral register (转诊备案, issue 36 point 5): entered at the window or read from the platform's
转院备案 records in its own field codes; a bill is 规范转诊 only when a referral covers its hospital and
date, the explanation names it, and an old case keeps the answer its window recorded."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from applications.models import MedicalExpense
from applications.settling import case_preview, engine_expenses
from audit.models import AuditEvent
from beneficiaries.models import Referral
from beneficiaries.referrals import Fields, referral_end, referral_register, referrals_import
from tests.factories import PersonFactory, make_application, make_expense

PLATFORM_HEADER = (
    "trt_dcla_detl_sn,psn_cert_type,certno,psn_name,fixmedins_name,reflin_medins_no,"
    "reflin_medins_name,mdtrtarea_admdvs,refl_date,refl_rea,begndate,enddate\n"
)


def platform_file(*rows: str) -> io.BytesIO:
    return io.BytesIO((PLATFORM_HEADER + "".join(r + "\n" for r in rows)).encode("utf-8"))


def fields(**overrides) -> Fields:
    values = {
        "number": "YB2026100001", "to_hospital": "首都医科大学附属北京天坛医院",
        "to_code": "H11010500001", "area_code": "110000", "valid_from": date(2026, 10, 1),
        "valid_to": date(2026, 12, 31),
    }  # fmt: skip
    values.update(overrides)
    return Fields(**values)


def test_the_window_registers_a_referral_and_every_bad_input_is_refused(world, applicant):
    clerk = world.users["clerk"]
    bad = fields(number="", area_code="11000", valid_to=date(2026, 9, 1), to_code="H-1")
    with pytest.raises(ValidationError) as refused:
        referral_register(person=applicant, fields=bad, actor=clerk)
    assert refused.value.messages == [
        "请填写备案号（医保平台的待遇申报明细流水号或转诊单号）。",
        "定点医药机构编号“H-1”应为字母和数字（如 H15010200001）。",
        "就医地行政区划“11000”应为 6 位区划代码（如 110000）。",
        "有效期止 2026-09-01 早于有效期起 2026-10-01。",
    ]
    referral = referral_register(person=applicant, fields=fields(), actor=clerk)
    assert referral.out_of_region is True  # 11 (北京) is not the person's 15 (内蒙古)
    assert (
        AuditEvent.objects.filter(event="referral.registered", target_id=str(applicant.pk)).count()
        == 1
    )
    with pytest.raises(ValidationError, match="已登记，不能重复登记"):
        referral_register(person=applicant, fields=fields(), actor=clerk)
    assert Referral.objects.count() == 1


def test_a_referral_covers_its_hospital_and_dates_only(world, applicant):
    referral = referral_register(person=applicant, fields=fields(), actor=world.users["clerk"])
    assert referral.covers("首都医科大学附属北京天坛医院", "H11010500001", date(2026, 10, 20))
    assert referral.covers("首都医科大学附属北京天坛医院", "", date(2026, 10, 20))  # by name
    assert not referral.covers("首都医科大学附属北京天坛医院", "H11010500002", date(2026, 10, 20))
    assert not referral.covers("北京协和医院", "", date(2026, 10, 20))
    assert not referral.covers("首都医科大学附属北京天坛医院", "", date(2027, 1, 1))
    referral_end(referral=referral, actor=world.users["clerk"], reason="备案号录错")
    referral.refresh_from_db()
    assert not referral.covers("首都医科大学附属北京天坛医院", "", date(2026, 10, 20))


BEIJING = {
    "hospital": "首都医科大学附属北京天坛医院", "hospital_code": "H11010500001",
    "in_region": False, "referred": False,
}  # fmt: skip


def test_a_referred_bill_out_of_region_without_a_covering_referral_is_not_assisted(
    world, applicant
):
    app = make_application(applicant, world.users["clerk"], expenses=[make_expense(**BEIJING)])
    # no referral: outside the region and not referred, no assistance, and the 转诊备案表 is asked for
    (expense,) = engine_expenses(app)
    assert (expense.referred, expense.referral) == (False, "")
    assert "referral" in set(app.materials.values_list("code", flat=True))
    preview = case_preview(app)
    assert preview.to_pay == Decimal("0.00")
    assert any("自治区外就医且未规范转诊" in line for _e, r, _l in preview.rows for line in r.lines)
    # registered (the referral covers the bill's hospital and its discharge date): assisted
    referral = referral_register(person=applicant, fields=fields(), actor=world.users["clerk"])
    (expense,) = engine_expenses(app)
    assert (expense.referred, expense.referral) == (True, str(referral))
    preview = case_preview(app)
    assert preview.to_pay == Decimal("10500.00")  # 15,000 × 70%
    lines = [line for _e, r, _l in preview.rows for line in r.lines]
    assert f"规范转诊：{referral}" in lines


def test_an_old_case_keeps_the_answer_its_window_recorded(world, applicant):
    app = make_application(applicant, world.users["clerk"], expenses=[make_expense(**BEIJING)])
    MedicalExpense.objects.filter(application=app).update(referred=True, referred_basis="checkbox")
    (expense,) = engine_expenses(app)
    assert expense.referred is True
    assert expense.referral == "旧记录：受理时窗口勾选“规范转诊”（转诊备案建立之前的案件）"


def test_the_platform_file_is_read_in_its_own_codes_all_or_nothing(world, applicant):
    admin = world.users["admin"]
    registered = PersonFactory(township=world.town_b1)
    line = (
        f"YB2026100001,01,{applicant.id_number},{applicant.name},土默特左旗医院,H11010500001,"
        "首都医科大学附属北京天坛医院,110000,2026-09-30 09:00:00,病情需要,2026-10-01 00:00:00,2026-12-31 23:59:59"
    )
    bad = platform_file(
        f"YB2026100002,02,{applicant.id_number},{applicant.name},,,北京协和医院,110000,,,2026-10-01,2026-12-31",
        "YB2026100003,01,150121196001010015,某人,,,北京协和医院,1100,,,2026-10-01,2026-09-01",
        f"YB2026100004,01,{registered.id_number},{registered.name},,,北京协和医院,110000,,,2026-10-01,2026-12-31",
    )
    report = referrals_import(raw=bad, filename="bad.csv", size=500, actor=admin)
    assert report.created == 0 and not Referral.objects.exists()
    by_row = {}
    for row, message in report.errors:
        by_row.setdefault(row, []).append(message)
    assert by_row[2] == ["人员证件类型 02 不是居民身份证（01），本系统按身份证号码查找救助对象。"]
    assert "就医地行政区划“1100”应为 6 位区划代码（如 110000）。" in by_row[3]
    assert "有效期止 2026-09-01 早于有效期起 2026-10-01。" in by_row[3]
    assert 4 not in by_row  # a registered person of the admin's city: fine
    report = referrals_import(raw=platform_file(line), filename="good.csv", size=500, actor=admin)
    assert (report.created, report.known, report.errors) == (1, 0, [])
    referral = Referral.objects.get()
    assert (referral.source, referral.valid_from, referral.valid_to, referral.to_code) == (
        "platform", date(2026, 10, 1), date(2026, 12, 31), "H11010500001",
    )  # fmt: skip
    again = referrals_import(raw=platform_file(line), filename="good.csv", size=500, actor=admin)
    assert (again.created, again.known) == (0, 1)  # the same file twice adds nothing


def test_the_pages(client, world, applicant):
    client.force_login(world.users["clerk"])
    url = f"/people/{applicant.pk}/referrals/"
    data = {
        "number": "YB2026100001", "to_hospital": "首都医科大学附属北京天坛医院", "to_code": "",
        "area_code": "110000", "valid_from": "2026-10-01", "valid_to": "2026-02-30",
    }  # fmt: skip
    page = client.post(url, data, follow=True).content.decode()
    assert "转诊备案未登记" in page and "有效期止不是有效日期" in page
    assert not Referral.objects.exists()
    data["valid_to"] = "2026-12-31"
    page = client.post(url, data, follow=True).content.decode()
    assert "已登记转诊备案 YB2026100001" in page
    # a clerk of another county reaches no such person: nothing registered, nothing told
    client.force_login(world.clerk_b1)
    data["number"] = "YB2026100009"
    assert client.post(url, data).status_code == 404
    assert Referral.objects.count() == 1
