"""Fund integrity (issue 16): a bill is assisted once across the window and the hospitals' one-stop
settlements, every yuan counts against the yearly cap, approvals can be revoked and money paid can
be recovered, and no case is stuck on its way to payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection  # noqa: F401 (read by the skipif conditions)
from django.utils import timezone

from accounts.models import Role
from applications.models import (
    Application,
    MedicalExpense,
    Status,
)
from applications.services import (
    application_approve,
    application_reject,
    application_transition,
)
from beneficiaries.models import HardshipIdentity
from monitoring import hospital_import
from monitoring.models import HospitalSettlement
from payments.models import Recovery
from settlements.models import LedgerEntry, Settlement, YearLedger
from tests.factories import (
    PersonFactory,
    UserFactory,
    approve_at_once,
    make_application,
    make_expense,
    walk,
)

YEAR = 2026


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-11-27 10:00 +0800")


def window_bill(**overrides):
    """60,000 total, 50,000 in scope, 30,000 + 5,000 insured: 15,000.00 self-pay, not referred (no
    tilted assistance), discharged 2026-10-20."""
    return make_expense(referred=False, **overrides)


def recommended(world, person, *bills, **intake):
    app = make_application(person, world.users["clerk"], expenses=list(bills) or None, **intake)
    return walk(world, app, Status.RECOMMENDED)


def onestop(person, *, day, assistance, number, invoice="", total="200000.00"):
    """A hospital record paid at the hospital with ``assistance`` (一站式), through the import."""
    row = {
        "id_number": person.id_number, "name": person.name, "hospital": "内蒙古自治区人民医院",
        "hospital_code": "H15010200011", "hospital_level": "三级", "kind": "住院",
        "admitted_on": day.replace(day=1).isoformat(), "discharged_on": day.isoformat(),
        "total": total, "policy_scope": "180000.00", "basic_paid": "90000.00",
        "critical_paid": "10000.00", "out_of_list": "5000.00", "assistance_paid": assistance,
        "settlement_number": number, "invoice_number": invoice, "category": "特困人员",
    }  # fmt: skip
    outcomes = list(
        hospital_import.process([(2, row)], batch=None, today=timezone.localdate(), dry_run=False)
    )
    assert [o.errors for o in outcomes] == [[]]


# --- 1. a bill is assisted once ----------------------------------------------------------------


def test_the_same_bill_in_a_second_application_is_refused_at_intake_naming_the_first(
    world, applicant
):
    first = make_application(
        applicant, world.users["clerk"],
        expenses=[make_expense(invoice_number="FP-0001 23", settlement_number="JS20261020001")],
    )  # fmt: skip
    for same in (
        {"invoice_number": "fp000123"},  # the same invoice, typed differently
        {"invoice_number": "FP999", "settlement_number": "js 20261020001"},  # same settlement
    ):
        with pytest.raises(ValidationError) as refused:
            make_application(applicant, world.users["clerk"], expenses=[make_expense(**same)])
        assert refused.value.messages == [
            f"同一费用不得重复救助：已在申请 {first.number}（暂存（未受理））中申请"
            "（内蒙古医科大学附属医院 2026-10-20 发票号 FP-0001 23 结算单号 JS20261020001）。"
            "请核对票据，删去重复的笔数。"
        ]
    assert Application.objects.count() == 1  # nothing of the refused drafts was kept
    # the same bill twice in one application
    with pytest.raises(ValidationError, match="第 2 笔与第 1 笔是同一张票据"):
        make_application(
            applicant, world.users["clerk"],
            expenses=[make_expense(invoice_number="A1"), make_expense(invoice_number="A1")],
        )  # fmt: skip
    # once the first case is withdrawn its bills are free again
    application_transition(
        application=first, action="withdraw", actor=world.users["clerk"], reason="申请人撤回"
    )
    again = make_application(
        applicant, world.users["clerk"], expenses=[make_expense(invoice_number="FP000123")]
    )
    assert again.status == Status.DRAFT


def _twin(app, of):
    """Give ``app`` a copy of ``of``'s bill, as two intakes at the same moment would (around the
    intake check)."""
    bill = of.expenses.get()
    MedicalExpense.objects.filter(application=app).update(
        invoice_number=bill.invoice_number, invoice_key=bill.invoice_key
    )


def test_approval_is_refused_while_the_bill_is_assisted_and_nothing_moves(world, applicant):
    first = recommended(world, applicant)
    second = recommended(world, applicant)
    _twin(second, first)
    first = application_approve(application=first, actor=world.users["approver"])
    ledger = YearLedger.objects.get(person=applicant)
    before = ledger.assistance_used
    with pytest.raises(ValidationError) as refused:
        application_approve(application=second, actor=world.users["approver"])
    assert refused.value.messages == [
        f"同一费用不得重复救助：已在申请 {first.number} 中获救助"
        f"（{first.expenses.get().bill_label}）"
    ]
    second.refresh_from_db()
    assert (second.status, second.settlement_id) == (Status.RECOMMENDED, None)
    ledger.refresh_from_db()
    assert ledger.assistance_used == before
    assert Settlement.objects.count() == 1
    assert LedgerEntry.objects.filter(released_at__isnull=True).count() == 1
    # the reviewer's way out: reject it as a duplicate
    application_reject(application=second, actor=world.users["approver"], reason="duplicate")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"
)
def test_two_approvals_of_the_same_bill_at_once_pay_it_once(world, applicant):
    """Two people (a clerk's typo put one bill on both): no ledger lock is shared, so the unique
    index on the live bill keys is what refuses the second."""
    other = PersonFactory(township=world.town_a1)
    HardshipIdentity.objects.create(
        person=other, category="dibao", department="民政", certified_on=date(2023, 1, 1)
    )
    one, two = recommended(world, applicant), recommended(world, other)
    _twin(two, one)
    approvers = [world.users["approver"], UserFactory(role=Role.APPROVER, county=world.county_a)]
    outcomes = approve_at_once(list(zip((one, two), approvers, strict=True)))
    assert sorted(outcomes)[0] == "approved"
    assert sorted(outcomes)[1].startswith("同一费用不得重复救助：已在申请 ")
    assert Settlement.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert Application.objects.filter(status=Status.APPROVED).count() == 1


def test_a_likely_duplicate_under_other_numbers_is_shown_to_the_reviewer(client, world, applicant):
    first = recommended(world, applicant)
    # same hospital, dates and total, another invoice
    second = recommended(world, applicant, make_expense())
    client.force_login(world.users["reviewer"])
    page = client.get(second.get_absolute_url()).content.decode()
    assert 'data-testid="likely-duplicates"' in page
    assert f'href="{first.get_absolute_url()}"' in page


# --- 2. one ledger for all assistance ---------------------------------------------------------


def test_one_stop_assistance_counts_and_the_window_hits_the_cap_exactly(world, tekun):
    onestop(tekun, day=date(YEAR, 3, 10), assistance="95000.00", number="JS20260310001")
    ledger = YearLedger.objects.get(person=tekun, year=YEAR)
    assert ledger.assistance_used == Decimal("95000.00")
    entry = LedgerEntry.objects.get(person=tekun)
    assert (entry.source, entry.assistance, entry.settlement_key) == (
        "onestop", Decimal("95000.00"), "set:JS20260310001",
    )  # fmt: skip
    app = recommended(world, tekun, window_bill())  # 15,000.00 self-pay at 100%
    app = application_approve(application=app, actor=world.users["approver"])
    assert app.approved_amount == Decimal("5000.00")  # what the 100,000.00 cap left
    ledger.refresh_from_db()
    assert ledger.assistance_used == Decimal("100000.00")
    lines = app.settlement.result["expenses"][0]["lines"]
    assert any(
        "本年已救助 95,000.00 元，尚余 5,000.00 元，本次按剩余限额救助 5,000.00 元" in x
        for x in lines
    )


def test_the_case_page_shows_one_stop_lines_before_and_the_stored_decision_after(
    client, world, tekun
):
    onestop(tekun, day=date(YEAR, 3, 10), assistance="95000.00", number="JS20260310001")
    app = recommended(world, tekun, window_bill())
    client.force_login(world.users["approver"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert 'data-testid="earlier-lines"' in page and "医院一站式结算" in page
    assert (
        "JS20260310001" in page and '拟发放：<strong data-testid="to-pay">5,000.00</strong>' in page
    )
    app = application_approve(application=app, actor=world.users["approver"])
    # another approval moves the ledger on: the page still shows this decision
    onestop(tekun, day=date(YEAR, 11, 1), assistance="100.00", number="JS20261101001")
    page = client.get(app.get_absolute_url()).content.decode()
    assert '批准金额：<strong data-testid="to-pay">5,000.00</strong>' in page
    assert "拟发放" not in page.split('data-testid="settlement-preview"')[1]


def test_a_hospital_record_arriving_after_an_approval_becomes_a_recovery_proposal(world, tekun):
    app = application_approve(
        application=recommended(world, tekun, window_bill()), actor=world.users["approver"]
    )
    assert app.approved_amount == Decimal("15000.00")
    onestop(tekun, day=date(YEAR, 3, 10), assistance="95000.00", number="JS20260310001")
    app.refresh_from_db()
    assert app.status == Status.APPROVED  # the approval stands
    proposal = Recovery.objects.get(application=app)
    # in date order the hospital's 95,000.00 came first: the window could pay 5,000.00, not 15,000.00
    assert (proposal.amount, proposal.reason, proposal.state, proposal.proposed_by) == (
        Decimal("10000.00"), "over_cap", "proposed", None,
    )  # fmt: skip
    assert "多付 10,000.00 元" in proposal.note
    assert YearLedger.objects.get(person=tekun).assistance_used == Decimal("110000.00")
    # importing the same file again adds nothing
    onestop(tekun, day=date(YEAR, 3, 10), assistance="95000.00", number="JS20260310001")
    assert Recovery.objects.count() == 1
    assert YearLedger.objects.get(person=tekun).assistance_used == Decimal("110000.00")


def test_a_bill_the_hospital_also_assisted_is_proposed_for_recovery_as_a_duplicate(world, tekun):
    app = application_approve(
        application=recommended(world, tekun, window_bill(settlement_number="JS20261020009")),
        actor=world.users["approver"],
    )
    onestop(tekun, day=date(YEAR, 10, 20), assistance="3000.00", number="JS20261020009")
    proposal = Recovery.objects.get(application=app)
    assert (proposal.amount, proposal.reason) == (Decimal("15000.00"), "duplicate")
    hospital_entry = LedgerEntry.objects.get(source="onestop")
    assert hospital_entry.duplicate_of.settlement_id == app.settlement_id
    assert hospital_entry.settlement_key == ""  # the window's entry keeps the key


def test_monitoring_counts_a_bill_in_both_channels_once(world, applicant, incomes):
    from monitoring.models import BurdenYear
    from monitoring.recompute import monitoring_recompute
    from settlements.bills import settlement_key
    from tests.monitoring.data import hospital_record

    record = hospital_record(applicant, burden="25000.00", day=date(YEAR, 10, 20))
    record.settlement_key = settlement_key(record.settlement_number)
    record.save()
    app = make_application(
        applicant, world.users["clerk"],
        expenses=[make_expense(
            settlement_number=record.settlement_number, total=record.total,
            policy_scope=record.policy_scope, basic_paid=record.basic_paid,
            critical_paid=record.critical_paid,
        )],
    )  # fmt: skip
    walk(world, app, Status.ACCEPTED)
    monitoring_recompute(full=True)
    year = BurdenYear.objects.get(person=applicant, year=YEAR)
    assert (year.expenses, year.total) == (1, record.total)


def test_monitoring_counts_a_bill_once_when_neither_side_has_its_numbers(world, applicant, incomes):
    """A hospital's record without invoice or settlement numbers and the same stay typed at the
    window (same hospital, kind, discharge day and total): one bill, 25,000.00 of burden, not 50,000."""
    from monitoring.models import BurdenYear
    from monitoring.recompute import monitoring_recompute
    from tests.monitoring.data import hospital_record

    record = hospital_record(
        applicant, burden="25000.00", day=date(YEAR, 10, 20), hospital="土默特左旗医院"
    )
    HospitalSettlement.objects.filter(pk=record.pk).update(settlement_number="", settlement_key="")
    same = make_expense(
        hospital="土默特左旗医院", invoice_number="", settlement_number="",
        admitted_on=record.admitted_on, discharged_on=record.day, total=record.total,
        policy_scope=record.policy_scope, basic_paid=record.basic_paid,
        critical_paid=record.critical_paid,
    )  # fmt: skip
    other_day = make_expense(
        hospital="土默特左旗医院", invoice_number="", settlement_number="",
        admitted_on=date(YEAR, 9, 1), discharged_on=date(YEAR, 9, 10), total=record.total,
        policy_scope=record.policy_scope, basic_paid=record.basic_paid,
        critical_paid=record.critical_paid,
    )  # fmt: skip
    app = make_application(applicant, world.users["clerk"], expenses=[same])
    walk(world, app, Status.ACCEPTED)
    monitoring_recompute(full=True)
    year = BurdenYear.objects.get(person=applicant, year=YEAR)
    assert (year.expenses, year.total, year.burden_after_insurance) == (
        1, record.total, Decimal("25000.00"),
    )  # fmt: skip
    second = make_application(applicant, world.users["clerk"], expenses=[other_day])
    walk(world, second, Status.ACCEPTED)
    monitoring_recompute(full=True)
    year.refresh_from_db()
    assert (year.expenses, year.burden_after_insurance) == (2, Decimal("50000.00"))  # another stay
