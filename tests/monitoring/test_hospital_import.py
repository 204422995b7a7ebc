"""Hospital settlement files: the same check-then-confirm flow as identity files."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from beneficiaries import services
from beneficiaries.models import IdentityImport, ImportRow, Person
from monitoring.models import HospitalSettlement
from tests.beneficiaries.conftest import SAMPLES, csv_bytes, idn

pytestmark = pytest.mark.django_db

HEADER = ["公民身份号码", "姓名", "医疗机构", "医院等级", "费用类别", "入院日期", "出院日期", "就诊日期",
          "医疗总费用", "政策范围内费用", "基本医保支付", "大病保险支付", "目录外费用", "医疗救助支付",
          "结算单号", "居住乡镇"]  # fmt: skip
A = idn("15012119580312002")


def row(**kw):
    base = {
        "id": A, "name": "乌兰其其格", "hospital": "市第一医院", "level": "三级", "kind": "住院",
        "in": "2026-03-02", "out": "2026-03-15", "visit": "", "total": "48000.00",
        "scope": "40000.00", "basic": "24000.00", "critical": "3000.00", "list": "4500.00",
        "assist": "", "number": "JS1", "town": "150121100",
    }  # fmt: skip
    base.update(kw)
    return list(base.values())


@pytest.fixture
def run_hospital(run_import):
    """The identity import's own runner (check, confirm, import as the tasks do), for hospital files."""

    def _run(rows, *, apply=True, name="hospital.csv", content=None):
        return run_import(
            content or csv_bytes(rows, header=HEADER), name, apply=apply, department="医保",
            kind="hospital",
        )  # fmt: skip

    return _run


def errors(batch):
    return [
        m
        for _, m in batch.rows.filter(kind=ImportRow.Kind.ERROR).values_list(
            "row_number", "message"
        )
    ]


def test_preview_counts_and_writes_nothing_then_apply_writes_once(world, run_hospital):
    rows = [
        row(),
        row(number="JS2", kind="门诊慢特病", **{"in": "", "out": "", "visit": "2026-04-01"}),
    ]
    preview = run_hospital(rows, apply=False)
    assert preview.status == IdentityImport.Status.PREVIEWED
    assert (preview.total_rows, preview.records_created, preview.people_created) == (2, 2, 1)
    assert not HospitalSettlement.objects.exists() and not Person.objects.exists()

    batch = run_hospital(rows)
    assert (batch.records_created, batch.people_created, batch.bad_rows) == (2, 1, 0)
    stay, visit = HospitalSettlement.objects.order_by("day")
    assert (stay.kind, stay.day, stay.admitted_on.isoformat()) == (
        "inpatient",
        stay.day,
        "2026-03-02",
    )
    assert stay.day.isoformat() == "2026-03-15" and stay.hospital_level == "tier3"
    assert (stay.total, stay.out_of_list, stay.assistance_paid) == (
        Decimal("48000.00"), Decimal("4500.00"), Decimal("0.00"),
    )  # fmt: skip
    assert stay.personal_burden == Decimal("21000.00")
    assert (visit.kind, visit.day.isoformat()) == ("chronic_outpatient", "2026-04-01")
    assert Person.objects.get().township == world.town_a1

    again = run_hospital(rows)  # the same file again: nothing counted twice
    assert (again.records_created, again.records_unchanged) == (0, 2)
    assert HospitalSettlement.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "150121195803120021"}, "校验位不正确"),
        ({"total": "-1"}, "医疗总费用“-1”不是有效金额：金额不能为负数"),
        ({"total": "48000.001"}, "最多两位小数"),
        ({"total": "四万"}, "“四万”不是有效金额"),
        ({"total": "9" * 28}, "过大，不能超过 999,999,999.99 元"),
        ({"total": "4e4"}, "不能用科学计数法"),
        ({"scope": "50000.00"}, "政策范围内费用 50000.00 大于医疗总费用"),
        ({"basic": "46000.00"}, "共支付 49000.00，大于医疗总费用"),
        ({"out": "2026-02-30"}, "出院日期“2026-02-30”不是有效日期"),
        ({"out": "2026-03-01"}, "早于入院日期"),
        ({"out": "2099-01-01"}, "晚于今天"),
        ({"level": "特级"}, "医院等级“特级”无法识别"),
        ({"kind": "体检"}, "费用类别“体检”无法识别"),
        ({"town": ""}, "登记中没有此人"),
        ({"town": "火星镇"}, "不在本市的乡镇"),
        ({"list": ""}, "目录外费用为空"),
    ],
)
def test_every_bad_row_is_refused_with_its_reason(world, run_hospital, change, message):
    batch = run_hospital([row(**change)])
    assert batch.bad_rows == 1 and batch.records_created == 0
    assert any(message in m for m in errors(batch)), errors(batch)
    assert not HospitalSettlement.objects.exists()


def test_a_fake_file_is_refused_before_anything(world):
    from django.core.exceptions import ValidationError

    upload = SimpleUploadedFile("hospital.xlsx", b"%PDF-1.4 not a sheet")
    with pytest.raises(ValidationError, match="不是 XLSX"):
        services.identity_import_create(
            upload=upload, department="医保", content="hospital", actor=world.users["admin"]
        )
    assert not IdentityImport.objects.exists()


def test_missing_columns_fail_the_file_with_their_names(world, run_hospital):
    batch = run_hospital(None, content=csv_bytes([[A, "x"]], header=["公民身份号码", "姓名"]))
    assert batch.status == IdentityImport.Status.FAILED
    assert "缺少必需的列：医疗机构、医院等级、费用类别" in batch.message


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_shipped_samples_import_cleanly(world, run_hospital, fmt):
    content = (SAMPLES / f"hospital-sample.{fmt}").read_bytes()
    batch = run_hospital(None, content=content, name=f"h.{fmt}")
    assert (batch.status, batch.bad_rows, batch.records_created) == ("applied", 0, 3), errors(batch)


def test_the_upload_page_takes_a_hospital_file(client, world):
    client.force_login(world.users["admin"])
    content = (SAMPLES / "hospital-sample.csv").read_bytes()
    response = client.post(
        reverse("beneficiaries:import_list"),
        {"content": "hospital", "department": "民政",
         "file": SimpleUploadedFile("h.csv", content)},
    )  # fmt: skip
    batch = IdentityImport.objects.get()
    assert response.status_code == 302
    assert (batch.content, batch.department) == ("hospital", "医保")
    sample = client.get(reverse("beneficiaries:import_sample", args=["csv"]) + "?content=hospital")
    assert b"".join(sample.streaming_content).startswith(content[:40])


def test_confirming_a_hospital_file_is_audited_as_a_hospital_file(world, run_import):
    """It was audited as 确认导入身份数据文件 (hospital files share the import batch)."""
    from audit.models import AuditEvent

    run_import(csv_bytes([row()], header=HEADER), "h.csv", department="医保", kind="hospital")
    assert AuditEvent.objects.filter(summary="确认导入医院结算数据（简表）文件 h.csv").count() == 1
