"""Tilted assistance over every channel (issue 36, point 4), and 倾斜救助主动发现.

Seed 001 §四(三): "对规范转诊且在自治区范围内就医的救助对象，经三重制度综合保障后政策范围内个人自付住院医疗费用超过
7000元以上的部分，按照80%比例给予倾斜救助，年度最高救助限额3万元" — the year's self-pay, whether the bill was
settled at the hospital (一站式) or at the window. The example of the issue: a 低保 person, referred and
in region, 9,000.00 left after one-stop settlement → (9,000 − 7,000) × 80% = 1,600.00.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from applications.documents import context_for
from applications.models import Application, Notification, Origin, Status
from applications.services import (
    application_approve,
    application_recommend,
    application_reject,
)
from applications.services.tilted import tilted_case_open, tilted_discoveries
from audit.models import AuditEvent
from engine import Expense, IdentityPeriod, settle
from monitoring import hospital_import
from payments.services import payment_batch_create, payment_record
from settlements.models import LedgerEntry, YearLedger
from settlements.policies import shipped
from tests.factories import make_expense, register_referral

D = Decimal
DIBAO = [IdentityPeriod("dibao", date(2026, 1, 1))]


def stay(eid: str, day: date, **overrides) -> Expense:
    """A stay: 50,000 in scope, 30,000 + 5,000 insured, so 15,000.00 of in-scope self-pay."""
    values = {
        "id": eid, "day": day, "kind": "inpatient", "total": D("60000.00"),
        "policy_scope": D("50000.00"), "basic_paid": D("30000.00"), "critical_paid": D("5000.00"),
        "referred": True,
    }  # fmt: skip
    values.update(overrides)
    return Expense(**values)


def test_one_stop_self_pay_counts_toward_the_threshold_and_earns_tilted_assistance():
    onestop = stay("h1", date(2026, 3, 10), assistance_paid=D("6000.00"), referral="转诊备案 ZZ1")
    result = settle(shipped("hohhot-2023"), DIBAO, [onestop])
    (row,) = result.expenses
    # the hospital paid 6,000.00 of assistance: 15,000 − 6,000 = 9,000.00 left, 2,000.00 over 7,000
    assert (row.assistance, row.tilted) == (D("6000.00"), D("1600.00"))
    assert "倾斜救助：超出部分 2,000.00 元 × 80% = 1,600.00 元；年度最高 30,000.00 元，" in "".join(
        row.lines
    )
    assert "规范转诊：转诊备案 ZZ1" in row.lines
    after = result.closing[2026]
    assert (after.tilted_threshold_used, after.tilted_used) == (D("7000.00"), D("1600.00"))


def test_a_window_bill_after_one_stop_bills_finds_the_threshold_already_met():
    onestop = stay("h1", date(2026, 3, 10), assistance_paid=D("6000.00"))
    window = stay("w1", date(2026, 6, 1))
    result = settle(shipped("hohhot-2023"), DIBAO, [onestop, window])
    # the window bill: 15,000 × 70% = 10,500.00; its 4,500.00 left is all over the threshold
    assert (result.expenses[1].assistance, result.expenses[1].tilted) == (
        D("10500.00"),
        D("3600.00"),
    )
    # before, one-stop bills counted nothing: the window bill alone, 4,500 under 7,000, got 0
    alone = settle(shipped("hohhot-2023"), DIBAO, [window]).expenses[0]
    assert alone.tilted == D("0.00")


def test_the_yearly_cap_holds_across_channels():
    # a one-stop bill 40,000.00 over the threshold: 32,000 wanted, the 30,000.00 cap given
    big = stay("h1", date(2026, 3, 10), total=D("100000.00"), policy_scope=D("90000.00"),
               assistance_paid=D("3000.00"))  # fmt: skip
    later = stay("w1", date(2026, 6, 1))
    result = settle(shipped("hohhot-2023"), DIBAO, [big, later])
    assert [r.tilted for r in result.expenses] == [D("30000.00"), D("0.00")]


def test_an_unreferred_one_stop_bill_earns_none_and_says_why():
    onestop = stay("h1", date(2026, 3, 10), assistance_paid=D("6000.00"), referred=False)
    (row,) = settle(shipped("hohhot-2023"), DIBAO, [onestop]).expenses
    assert row.tilted == D("0.00")
    assert any("未规范转诊（没有覆盖该医院和就医日期的转诊备案）" in line for line in row.lines)


# --- through the hospitals' file, the county's list and a case of its own ----------------------


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-11-27 10:00 +0800")


HOSPITAL = "内蒙古医科大学附属医院"


def hospital_record(person, *, number="JS2026031001", assistance="6000.00"):
    """The hospital's one-stop record of a stay (2026-03-01 to 03-10), through the import."""
    row = {
        "id_number": person.id_number, "name": person.name, "hospital": HOSPITAL,
        "hospital_code": "H15010200001", "hospital_level": "三级", "kind": "住院",
        "admitted_on": "2026-03-01", "discharged_on": "2026-03-10", "total": "60000.00",
        "policy_scope": "50000.00", "basic_paid": "30000.00", "critical_paid": "5000.00",
        "out_of_list": "0", "assistance_paid": assistance, "settlement_number": number,
        "category": "低保对象",
    }  # fmt: skip
    outcomes = list(
        hospital_import.process([(2, row)], batch=None, today=timezone.localdate(), dry_run=False)
    )
    assert [o.errors for o in outcomes] == [[]]
    return LedgerEntry.objects.get(settlement_key__contains=number.lower()[-6:])


@pytest.fixture
def referred(applicant):
    """The applicant (低保) referred to the hospital for March 2026."""
    bill = make_expense(hospital=HOSPITAL, discharged_on=date(2026, 3, 10))
    register_referral(applicant, bill, number="YB2026030001")
    applicant.bank_name, applicant.bank_account_number = "内蒙古银行", "6222000000051234"
    applicant.save()
    return applicant


def test_the_hospital_record_of_a_referred_stay_carries_its_due(referred):
    entry = hospital_record(referred)
    assert (entry.assistance, entry.tilted_due) == (D("6000.00"), D("1600.00"))
    assert any("规范转诊：转诊备案 YB2026030001" in line for line in entry.tilted_lines)
    ledger = YearLedger.objects.get(person=referred, year=2026)
    # reserved in the ledger: the cap counts it; the threshold is met
    assert (ledger.tilted_threshold_used, ledger.tilted_used) == (D("7000.00"), D("1600.00"))


def test_without_a_covering_referral_no_due(applicant):
    entry = hospital_record(applicant)
    assert entry.tilted_due == D("0.00")
    assert YearLedger.objects.get(person=applicant, year=2026).tilted_used == D("0.00")


def test_the_county_finds_opens_approves_and_the_status_page_tells(world, referred, client):
    entry = hospital_record(referred)
    reviewer, approver = world.users["reviewer"], world.users["approver"]
    (found,) = tilted_discoveries(reviewer)
    assert (found.person, found.year, found.total) == (referred, 2026, D("1600.00"))
    assert tilted_discoveries(world.reviewer_b) == []  # another county sees nothing

    app = tilted_case_open(person=referred, year=2026, actor=reviewer)
    assert (app.origin, app.status, app.tilted_entries) == (
        Origin.TILTED,
        Status.IN_REVIEW,
        [entry.pk],
    )
    assert app.estimated_amount == D("1600.00")
    assert AuditEvent.objects.filter(
        event="application.open_tilted", target_id=str(app.pk)
    ).exists()
    sms = Notification.objects.get(application=app, kind="tilted_opened")
    assert "倾斜救助1,600.00元" in sms.text and "无需您到窗口申请" in sms.text
    assert tilted_discoveries(reviewer) == []  # on a case now
    with pytest.raises(ValidationError, match="没有待办理的倾斜救助"):
        tilted_case_open(person=referred, year=2026, actor=reviewer)  # a second click

    application_recommend(application=app, actor=reviewer, recommendation="approve", note="")
    with pytest.raises(
        ValidationError, match="您的角色不能“批准救助”"
    ):  # the opener never approves
        application_approve(application=app, actor=reviewer)
    before = YearLedger.objects.get(person=referred, year=2026)
    app = application_approve(application=Application.objects.get(pk=app.pk), actor=approver)
    assert (app.status, app.approved_amount) == (Status.APPROVED, D("1600.00"))
    settlement = app.settlement
    assert (settlement.assistance, settlement.tilted) == (D("0.00"), D("1600.00"))
    entry.refresh_from_db()
    assert entry.tilted_settlement == settlement
    after = YearLedger.objects.get(person=referred, year=2026)
    assert after.tilted_used == before.tilted_used == D("1600.00")  # reserved once, not twice
    # the window's entry of the settlement carries the yuan paid; the hospital's its own
    window = LedgerEntry.objects.get(settlement=settlement)
    assert (window.source, window.assistance) == ("window", D("1600.00"))
    # the case page shows the engine's lines of the due
    client.force_login(approver)
    page = client.get(f"/applications/{app.number}/").content.decode()
    assert "倾斜救助：超出部分 2,000.00 元 × 80% = 1,600.00 元" in page
    assert "倾斜救助主动发现" in page
    # the letter names the bill and the engine's lines; the money goes through a batch
    letter = context_for(app, "approval", "TEST")
    ((bill, row),) = letter["rows"]
    assert (bill.hospital, row["tilted"]) == (HOSPITAL, "1600.00")
    html = render_to_string("documents/approval.html", letter)
    assert "县医保部门主动发现" in html and "给予医疗救助 1,600.00 元" in html
    finance = world.users["finance"]
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    payment_record(payment=batch.payments.get(), paid=True, actor=finance)
    assert Application.objects.get(pk=app.pk).status == Status.PAID
    # the applicant follows it on the status page like any case
    status = client.post(
        "/status/", {"number": app.number, "id_tail": referred.id_number[-6:]}
    ).content.decode()
    assert "根据医院“一站式”结算记录主动发现，为您办理住院倾斜救助，无需到窗口申请" in status
    assert "批准医疗救助 1,600.00 元" in status and "救助金已发放，本申请办结" in status


def test_refusing_the_due_gives_the_reservation_back(world, referred):
    entry = hospital_record(referred)
    app = tilted_case_open(person=referred, year=2026, actor=world.users["reviewer"])
    application_recommend(
        application=app, actor=world.users["reviewer"], recommendation="reject", note="核实未住院"
    )
    application_reject(
        application=Application.objects.get(pk=app.pk), actor=world.users["approver"],
        reason="other", note="医院结算记录有误",
    )  # fmt: skip
    entry.refresh_from_db()
    assert entry.tilted_refused_at is not None and entry.tilted_settlement is None
    ledger = YearLedger.objects.get(person=referred, year=2026)
    assert ledger.tilted_used == D("0.00")
    assert AuditEvent.objects.filter(event="tilted.refused").count() == 1
    assert tilted_discoveries(world.users["reviewer"]) == []  # refused: not listed again


def test_a_revoked_approval_puts_the_due_back_on_the_list_still_reserved(world, referred):
    from applications.services import application_revoke

    entry = hospital_record(referred)
    app = tilted_case_open(person=referred, year=2026, actor=world.users["reviewer"])
    application_recommend(application=app, actor=world.users["reviewer"], recommendation="approve")
    app = application_approve(
        application=Application.objects.get(pk=app.pk), actor=world.users["approver"]
    )
    application_revoke(application=app, actor=world.users["approver"], reason="住院记录待核实")
    entry.refresh_from_db()
    assert entry.tilted_settlement is None and entry.tilted_refused_at is None
    (found,) = tilted_discoveries(world.users["reviewer"])
    assert found.total == D("1600.00")
    # the cap still counts it: a due is reserved until it is paid or refused
    assert YearLedger.objects.get(person=referred, year=2026).tilted_used == D("1600.00")
