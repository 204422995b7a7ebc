"""The window picks a bill by its setl_id instead of retyping it; a hand bill (手工录入) is matched to
the platform's record when it arrives, differences shown; a reversal after approval or payment
proposes a recovery, before approval it stops the approval."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from applications.models import Application, MedicalExpense, Status
from applications.services import application_approve, application_transition
from payments.models import Recovery
from tests.applications.test_pages import intake_post, intake_url
from tests.beneficiaries.conftest import SAMPLES, csv_bytes
from tests.factories import make_application, make_expense, walk
from tests.monitoring.test_platform_import import HEADER, rec

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform(world, run_import, applicant):
    """The register, and a way to import platform records of the applicant."""
    run_import((SAMPLES / "medins-sample.csv").read_bytes(), "medins.csv", department="医保",
               kind="medins")  # fmt: skip

    def _import(*rows, name="setl.csv"):
        batch = run_import(csv_bytes(list(rows), header=HEADER), name, department="医保",
                           kind="platform")  # fmt: skip
        assert not batch.rows.filter(kind="error").exists(), list(batch.rows.values_list("message"))
        return batch

    return _import


def mine(applicant, **kw):
    values = {"psn_name": applicant.name, "certno": applicant.id_number, "begndate": "2026-11-02",
              "enddate": "2026-11-12", "setl_time": "2026-11-12 09:00:00",
              "fixmedins_code": "H15012100021", "fixmedins_name": "土默特左旗医院",
              "medfee_sumamt": "12000.50", "inscp_scp_amt": "10000.00", "hifp_pay": "6000.00",
              "hifmi_pay": "0", "fulamt_ownpay_amt": "300.00"}  # fmt: skip
    return rec(**{**values, **kw})


@pytest.fixture
def clerk_client(client, world):
    client.force_login(world.users["clerk"])
    return client


def test_a_window_bill_is_filled_from_its_setl_id(clerk_client, applicant, platform):
    platform(mine(applicant, setl_id="SW1"))
    url = intake_url(clerk_client, applicant.id_number)
    page = clerk_client.get(url).content.decode()
    assert "医保平台结算记录（尚未申请救助）" in page and "SW1" in page
    identity = applicant.identities.get()
    # the clerk picks the record from the list: the row fills in, read-only, with its source
    taken = clerk_client.post(
        url, {**intake_post(f"id:{identity.pk}", **{"e-0-hospital": "", "e-0-total": ""}),
              "take_setl": "SW1"},
    ).content.decode()  # fmt: skip
    assert 'value="SW1"' in taken and "由结算ID SW1 的平台记录带出" in taken
    assert 'data-testid="platform-records"' not in taken  # taken: no longer offered in the list
    assert 'value="12000.50"' in taken and "readonly" in taken
    # saved with figures typed over it: the record's figures count, not the typed ones
    data = intake_post(
        f"id:{identity.pk}", **{"e-0-setl_id": "SW1", "e-0-total": "99999.00", "e-0-hospital": "x"}
    )
    response = clerk_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    bill = MedicalExpense.objects.get()
    assert (bill.source, bill.setl_id, bill.settlement_number, bill.hospital, bill.total,
            bill.policy_scope, bill.basic_paid, bill.hospital_level, bill.invoice_number) == (
        "platform", "SW1", "SW1", "土默特左旗医院", Decimal("12000.50"), Decimal("10000.00"),
        Decimal("6000.00"), "tier2", "")  # fmt: skip
    # taken: no longer offered at the window
    assert 'data-testid="platform-records"' not in clerk_client.get(url).content.decode()
    assert Application.objects.count() == 1


def test_a_setl_id_not_the_persons_is_refused_and_nothing_saved(
    clerk_client, world, applicant, platform
):
    from tests.factories import PersonFactory

    other = PersonFactory(township=world.town_a1, name="张福来", id_number="150121194207080019")
    platform(mine(other, setl_id="SX1"))
    url = intake_url(clerk_client, applicant.id_number)
    identity = applicant.identities.get()
    page = clerk_client.post(url, intake_post(f"id:{identity.pk}", **{"e-0-setl_id": "SX1"}))
    assert "没有找到本人的结算ID“SX1”的医保平台结算记录" in page.content.decode()
    assert not Application.objects.exists()


def test_a_hand_code_outside_the_register_is_refused(clerk_client, applicant, platform):
    url = intake_url(clerk_client, applicant.id_number)
    identity = applicant.identities.get()
    page = clerk_client.post(url, intake_post(f"id:{identity.pk}")).content.decode()
    assert "医疗机构编码“H15012100003”不在定点医药机构名录中" in page
    assert not Application.objects.exists()


def test_a_hand_bill_is_matched_later_and_the_difference_shown(client, world, applicant, platform):
    bill = make_expense(hospital="土默特左旗医院", hospital_code="H15012100021", settlement_number="SH1",
                        total=Decimal("12000.00"), policy_scope=Decimal("10000.00"),
                        basic_paid=Decimal("6000.00"), critical_paid=Decimal("0.00"),
                        admitted_on=date(2026, 11, 2), discharged_on=date(2026, 11, 12))  # fmt: skip
    app = make_application(applicant, world.users["clerk"], expenses=[bill])
    stored = app.expenses.get()
    assert (stored.source, stored.verified) == ("hand", False)
    platform(mine(applicant, setl_id="SH1"))
    stored.refresh_from_db()
    assert stored.checked_setl_id == "SH1"
    assert stored.differences == [["医疗总费用", "12,000.00", "12,000.50"]]
    app = walk(world, app, Status.IN_REVIEW)
    client.force_login(world.users["reviewer"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert "手工录入 · 与平台记录不一致" in page
    assert "医疗总费用：录入 12,000.00，平台 12,000.50" in page
    assert "1 笔费用为手工录入、尚未与医保平台的结算记录核对一致" in page


def test_a_reversal_before_approval_stops_the_approval(world, applicant, platform):
    platform(mine(applicant, setl_id="SR1"))
    bill = make_expense(hospital="土默特左旗医院", hospital_code="H15012100021",
                        settlement_number="SR1", referred=False)  # fmt: skip
    app = walk(world, make_application(applicant, world.users["clerk"], expenses=[bill]),
               Status.RECOMMENDED)  # fmt: skip
    platform(rec(setl_id="SR1-R", refd_setl_flag="1", init_setl_id="SR1", psn_name=applicant.name,
                 certno=applicant.id_number), name="r.csv")  # fmt: skip
    assert "医保平台已冲销这笔结算" in app.expenses.get().reversed_note
    with pytest.raises(ValidationError, match="医保平台已冲销这笔结算"):
        application_approve(application=app, actor=world.users["approver"])
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED


def test_a_reversal_after_payment_proposes_the_recovery(world, applicant, platform):
    platform(mine(applicant, setl_id="SP1"))
    bill = make_expense(hospital="土默特左旗医院", hospital_code="H15012100021",
                        settlement_number="SP1", referred=False)  # fmt: skip
    app = walk(world, make_application(applicant, world.users["clerk"], expenses=[bill]),
               Status.APPROVED)  # fmt: skip
    app = application_transition(application=app, action="pay", actor=world.users["finance"])
    assert app.status == Status.PAID
    paid = app.settlement.paid_by_assistance
    assert paid > 0
    platform(rec(setl_id="SP1-R", refd_setl_flag="1", init_setl_id="SP1", psn_name=applicant.name,
                 certno=applicant.id_number), name="r.csv")  # fmt: skip
    recovery = Recovery.objects.get(application=app)
    assert (recovery.amount, recovery.state) == (paid, "proposed")
    assert "医保平台已冲销结算 SP1" in recovery.note
    assert app.expenses.get().reversed_note == ""  # the money is what is recovered
