"""The platform's settlement records read as the platform gives them: field codes as headers in any
order, the interface's JSON, the same file twice adding nothing, reversals, the register."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from areas.models import Institution
from beneficiaries.models import ImportRow
from monitoring.models import HospitalSettlement, PlatformCode
from monitoring.platform import code_tables
from settlements.models import LedgerEntry, YearLedger
from tests.beneficiaries.conftest import SAMPLES, csv_bytes
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

WULAN = "150121195803120026"
ZHANG = "150121194207080019"
HEADER = ["setl_id", "psn_name", "psn_cert_type", "certno", "med_type", "fixmedins_code",
          "fixmedins_name", "begndate", "enddate", "setl_time", "medfee_sumamt", "inscp_scp_amt",
          "hifp_pay", "hifmi_pay", "maf_pay", "fulamt_ownpay_amt", "refd_setl_flag",
          "init_setl_id"]  # fmt: skip


def rec(**kw):
    base = {
        "setl_id": "S1", "psn_name": "乌兰其其格", "psn_cert_type": "01", "certno": WULAN,
        "med_type": "21", "fixmedins_code": "H15010200012", "fixmedins_name": "内蒙古医科大学附属医院",
        "begndate": "2026-03-02", "enddate": "2026-03-15", "setl_time": "2026-03-15 10:22:31",
        "medfee_sumamt": "48000.00", "inscp_scp_amt": "40000.00", "hifp_pay": "24000.00",
        "hifmi_pay": "3000.00", "maf_pay": "0", "fulamt_ownpay_amt": "4500.00",
        "refd_setl_flag": "0", "init_setl_id": "",
    }  # fmt: skip
    base.update(kw)
    return [base[h] for h in HEADER]


@pytest.fixture
def registered(world, run_import):
    """The register imported from the shipped sample, and the two people of the samples."""
    batch = run_import((SAMPLES / "medins-sample.csv").read_bytes(), "medins.csv",
                       department="医保", kind="medins")  # fmt: skip
    assert batch.status == "applied", batch.message
    PersonFactory(township=world.town_a1, name="乌兰其其格", id_number=WULAN)
    PersonFactory(township=world.town_a1, name="张福来", id_number=ZHANG)
    return batch


@pytest.fixture
def run_platform(run_import):
    def _run(content: bytes, name="setl.csv", **kw):
        return run_import(content, name, department="医保", kind="platform", **kw)

    return _run


def errors(batch):
    return list(batch.rows.filter(kind=ImportRow.Kind.ERROR).values_list("row_number", "message"))


def test_the_register_is_read_with_its_levels(registered):
    levels = dict(Institution.objects.values_list("code", "level"))
    assert levels == {
        "H15010200011": "tier3", "H15010200012": "tier3", "H15012100021": "tier2",
        "H15012200031": "tier2", "H15012100101": "tier1",
    }  # fmt: skip
    assert Institution.objects.get(code="H15012100021").region == "150121"


def test_the_code_tables_ship_as_data_with_their_names_and_a_region_adds_its_own(
    registered, run_platform
):
    tables = code_tables()
    assert tables["med_type"]["14"] == ("门诊慢特病", "chronic_outpatient")
    assert tables["fund_pay_type"]["610100"] == ("医疗救助基金", "assistance")
    assert tables["insutype"]["390"][0] == "城乡居民基本医疗保险"
    refused = run_platform(csv_bytes([rec(med_type="9901")], header=HEADER))
    assert "医疗类别（med_type）代码“9901”不在代码表中" in errors(refused)[0][1]
    PlatformCode.objects.create(table="med_type", code="9901", name="单病种住院（本地）",
                                meaning="inpatient")  # fmt: skip
    taken = run_platform(csv_bytes([rec(med_type="9901")], header=HEADER), name="again.csv")
    assert errors(taken) == []
    assert HospitalSettlement.objects.get().med_type == "9901"


def test_the_sample_csv_imports_and_the_same_file_again_adds_nothing(registered, run_platform):
    content = (SAMPLES / "platform-sample.csv").read_bytes()
    batch = run_platform(content)
    assert errors(batch) == []
    assert batch.records_created == 2
    first = HospitalSettlement.objects.get(setl_id="150000202603150000123")
    assert (first.origin, first.kind, first.hospital_level, first.total, first.policy_scope,
            first.basic_paid, first.critical_paid, first.assistance_paid, first.out_of_list) == (
        "platform", "inpatient", "tier3", Decimal("48000.00"), Decimal("40000.00"),
        Decimal("24000.00"), Decimal("3000.00"), Decimal("9100.00"), Decimal("4500.00"))  # fmt: skip
    assert (first.admitted_on.isoformat(), first.day.isoformat()) == ("2026-03-02", "2026-03-15")
    assert first.platform["psn_part_amt"] == "11900.00"
    assert first.mdtrt_id == "150000202603020000045"
    chronic = HospitalSettlement.objects.get(setl_id="150000202604010000456")
    assert (chronic.kind, chronic.hospital_level) == ("chronic_outpatient", "tier2")
    # maf_pay > 0: both entered the ledger as one-stop assistance, with what they moved
    entries = LedgerEntry.objects.filter(source="onestop").order_by("assistance")
    assert [e.assistance for e in entries] == [Decimal("440.00"), Decimal("9100.00")]
    assert entries[1].moves["assistance_used"] == "9100.00"
    again = run_platform(content, name="again.csv")
    assert (again.records_created, again.records_unchanged) == (0, 2)
    assert HospitalSettlement.objects.count() == 2
    assert LedgerEntry.objects.count() == 2


def test_the_interface_json_is_read_with_its_fund_lines(registered, run_platform):
    batch = run_platform((SAMPLES / "platform-sample.json").read_bytes(), name="2207.json")
    assert errors(batch) == []
    h = HospitalSettlement.objects.get()
    assert (h.setl_id, h.kind, h.hospital, h.admitted_on.isoformat(), h.day.isoformat()) == (
        "150000202605200000789",
        "inpatient",
        "土默特左旗医院",
        "2026-05-10",
        "2026-05-20",
    )
    assert h.platform["setldetail"] == [
        {"fund_pay_type": "390100", "inscp_scp_amt": "11200.00", "fund_payamt": "7200.00"}
    ]


def test_columns_in_another_order_with_fields_not_used(registered, run_platform):
    header = ["gend", "maf_pay", *reversed(HEADER), "naty", "clr_optins"]
    values = dict(zip(HEADER, rec(maf_pay="500.00"), strict=True))
    row = ["2", "500.00", *(values[h] for h in reversed(HEADER)), "01", "150121"]
    batch = run_platform(csv_bytes([row], header=header))
    assert errors(batch) == []
    assert HospitalSettlement.objects.get().assistance_paid == Decimal("500.00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"med_type": "77"}, "医疗类别（med_type）代码“77”不在代码表中"),
        ({"psn_cert_type": "08"}, "证件类型为“外国人护照”"),
        (
            {"fixmedins_code": "H15099900001"},
            "定点医药机构编号“H15099900001”（内蒙古医科大学附属医院）不在定点医药机构名录中",
        ),
        ({"fixmedins_code": "X1"}, "定点医药机构编号“X1”格式不对"),
        ({"inscp_scp_amt": "50000.00"}, "inscp_scp_amt 50000.00 大于 medfee_sumamt 48000.00"),
        ({"hifp_pay": "-1"}, "hifp_pay"),
        ({"enddate": "2026-02-30"}, "enddate“2026-02-30”不是有效日期"),
        ({"refd_setl_flag": "1"}, "须在 init_setl_id 写明被冲销的原结算ID"),
    ],
)
def test_every_bad_record_is_refused_with_the_row_and_the_code(
    registered, run_platform, change, message
):
    batch = run_platform(csv_bytes([rec(), rec(setl_id="S2", **change)], header=HEADER))
    found = errors(batch)
    assert [n for n, _ in found] == [3]
    assert any(message in m for _, m in found), found
    assert list(HospitalSettlement.objects.values_list("setl_id", flat=True)) == ["S1"]


def test_without_the_register_a_platform_record_is_refused(world, run_platform):
    PersonFactory(township=world.town_a1, name="乌兰其其格", id_number=WULAN)
    batch = run_platform(csv_bytes([rec()], header=HEADER))
    assert "定点医药机构名录尚未导入" in errors(batch)[0][1]
    assert not HospitalSettlement.objects.exists()


def test_a_reversal_before_payment_releases_the_ledger(registered, run_platform):
    run_platform(csv_bytes([rec(maf_pay="2000.00")], header=HEADER))
    ledger = YearLedger.objects.get(year=2026)
    assert ledger.assistance_used == Decimal("2000.00")
    reversal = rec(setl_id="S1R", refd_setl_flag="1", init_setl_id="S1", medfee_sumamt="-48000.00",
                   hifp_pay="-24000.00", maf_pay="-2000.00", inscp_scp_amt="-40000.00")  # fmt: skip
    batch = run_platform(csv_bytes([reversal], header=HEADER), name="r.csv")
    assert errors(batch) == []
    h = HospitalSettlement.all_records.get(setl_id="S1")
    assert (h.reversed_by, h.reversed_at is not None) == ("S1R", True)
    assert not HospitalSettlement.objects.exists()  # in force: none
    ledger.refresh_from_db()
    assert ledger.assistance_used == Decimal("0.00")
    entry = LedgerEntry.objects.get()
    assert entry.released_at is not None and "S1R" in entry.release_reason
    # the same reversal again changes nothing
    again = run_platform(csv_bytes([reversal], header=HEADER), name="r2.csv")
    assert again.records_unchanged == 1
    ledger.refresh_from_db()
    assert ledger.assistance_used == Decimal("0.00")


def test_a_reversal_of_a_record_not_imported_is_refused(registered, run_platform):
    reversal = rec(setl_id="S9R", refd_setl_flag="1", init_setl_id="S9")
    batch = run_platform(csv_bytes([reversal], header=HEADER))
    assert "原结算ID S9 尚未导入" in errors(batch)[0][1]


def test_the_json_of_many_answers_is_read(registered, run_platform):
    one = json.loads((SAMPLES / "platform-sample.json").read_text(encoding="utf-8"))
    two = json.loads(json.dumps(one))
    two["output"]["setlinfo"]["setl_id"] = "OTHER1"
    batch = run_platform(json.dumps([one, two]).encode(), name="many.json")
    assert batch.records_created == 2


def test_a_referral_to_a_code_outside_the_register_is_refused(world, registered, applicant):
    from beneficiaries.models import Referral
    from beneficiaries.referrals import referral_register
    from tests.beneficiaries.test_referrals import fields

    clerk = world.users["clerk"]
    # the register covers Inner Mongolia (H15…): a code of it that is not listed is refused
    with pytest.raises(
        ValidationError, match="转往定点医药机构编号“H15010299999”不在定点医药机构名录中"
    ):
        referral_register(person=applicant, fields=fields(to_code="H15010299999",
                          area_code="150100"), actor=clerk)  # fmt: skip
    # a listed one is taken; a Beijing hospital is not the city's register's to judge
    referral_register(person=applicant, fields=fields(to_code="H15010200012", area_code="150100",
                      number="YB1"), actor=clerk)  # fmt: skip
    referral_register(person=applicant, fields=fields(number="YB2"), actor=clerk)
    assert Referral.objects.count() == 2


def test_a_hospital_file_code_outside_the_register_is_flagged_and_levels_come_from_it(
    registered, run_import
):
    from tests.monitoring.test_hospital_import import HEADER as SIMPLE
    from tests.monitoring.test_hospital_import import row

    simple = [*SIMPLE, "医疗机构编码"]
    content = csv_bytes(
        [[*row(id=WULAN, number="JSA", level="二级"), "H15010200012"],
         [*row(id=WULAN, number="JSB"), "H15010299999"]],
        header=simple,
    )  # fmt: skip
    batch = run_import(content, "hospital.csv", department="医保", kind="hospital")
    assert batch.records_created == 2
    listed = HospitalSettlement.objects.get(settlement_number="JSA")
    assert (listed.hospital_level, listed.hospital_listed, listed.setl_id) == ("tier3", True, "JSA")
    unlisted = HospitalSettlement.objects.get(settlement_number="JSB")
    assert unlisted.hospital_listed is False
    warnings = list(
        batch.rows.filter(kind=ImportRow.Kind.WARNING).values_list("message", flat=True)
    )
    assert any("按定点医药机构名录记为“三级”" in w for w in warnings)
    assert any("“H15010299999”不在定点医药机构名录中，已标记待核实" in w for w in warnings)
    # the platform's record of the same settlement, by its setl_id, adds nothing
    again = run_import(csv_bytes([rec(setl_id="JSA")], header=HEADER), "p.csv", department="医保",
                       kind="platform")  # fmt: skip
    assert (again.records_created, again.records_unchanged) == (0, 1)


def test_a_settlement_made_again_under_a_new_setl_id_replaces_the_old(registered, run_platform):
    run_platform(csv_bytes([rec(maf_pay="2000.00")], header=HEADER))
    again = rec(setl_id="S1B", init_setl_id="S1", maf_pay="1500.00", medfee_sumamt="47000.00")
    batch = run_platform(csv_bytes([again], header=HEADER), name="again.csv")
    assert errors(batch) == [] and batch.records_created == 1
    old = HospitalSettlement.all_records.get(setl_id="S1")
    assert (old.reversed_by, old.reversal_reason) == ("S1B", "医保平台重新结算为 S1B")
    assert list(HospitalSettlement.objects.values_list("setl_id", flat=True)) == ["S1B"]
    assert YearLedger.objects.get(year=2026).assistance_used == Decimal("1500.00")
