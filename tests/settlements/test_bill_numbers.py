"""One bill however it is typed (issue 34, 3): one grammar of hospital codes, invoice and
settlement numbers at every door, keys recomputed by a migration, and a likely duplicate under
another number confirmed by the approver in words.

Before: ``ＦＰ７００１``, ``FP－7004``, ``FP\\u200b7003`` and a full-width hospital code were each
approved beside the original (4 of 4, each with two live ledger entries)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from applications.forms import ExpenseCorrectionForm, ExpenseForm
from applications.models import ApplicationEvent, MedicalExpense, Status
from applications.services import LikelyDuplicate, application_approve, expense_correct
from audit.models import AuditEvent
from monitoring import hospital_import
from monitoring.models import HospitalSettlement
from payments.models import Recovery
from settlements.bills import canonical, invoice_key
from settlements.models import LedgerEntry
from settlements.services import BillAlreadyAssisted
from tests.factories import make_application, make_expense, walk

CODE = "H15010200001"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


FULL_CODE = full_width(CODE)  # Ｈ１５…
# the seven ways of typing FP7001 that were seen or are one keystroke away
SEVEN = {
    "full-width": "ＦＰ７００１",
    "full-width dash": "FP－7001",
    "zero-width space": "FP\u200b7001",
    "BOM and word joiner": "\ufeffFP\u20607001",
    "minus sign": "FP\u22127001",
    "ideographic space": "FP\u30007001",
    "lower case": "fp7001",
}


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-11-27 10:00 +0800")


ANOTHER_STAY = {"admitted_on": date(2026, 9, 1), "discharged_on": date(2026, 9, 12)}


def approved_with(world, person, **numbers):
    app = make_application(person, world.users["clerk"], expenses=[make_expense(**numbers)])
    return walk(world, app, Status.APPROVED)


@pytest.mark.parametrize("way", SEVEN)
def test_every_way_of_typing_the_number_is_one_number(way):
    assert canonical(SEVEN[way]) == "FP7001"
    assert invoice_key(FULL_CODE, SEVEN[way]) == f"inv:{CODE}:FP7001"


def expense_form(**numbers):
    data = {
        "hospital": "内蒙古医科大学附属医院", "hospital_code": CODE, "invoice_number": "FP7001",
        "settlement_number": "", "hospital_level": "tier3", "kind": "inpatient",
        "in_region": "on", "referred": "on", "admitted_on": "2026-10-08",
        "discharged_on": "2026-10-20", "total": "60000", "policy_scope": "50000",
        "basic_paid": "30000", "critical_paid": "5000", **numbers,
    }  # fmt: skip
    return ExpenseForm(data)


@pytest.mark.parametrize("way", SEVEN)
def test_the_window_keeps_the_number_in_its_one_form(world, way):
    form = expense_form(invoice_number=SEVEN[way], hospital_code=full_width(CODE.lower()))
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["invoice_number"], form.cleaned_data["hospital_code"]) == (
        "FP7001", CODE,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("invoice_number", "FP/7001", "发票号（电子票据号）只能由英文字母和数字组成（空格和“-”会自动去掉），“FP/7001”中的“/”不能用，请按票据上的号码填写。"),
        ("settlement_number", "JS2026.03#1", "医保结算单号只能由英文字母和数字组成（空格和“-”会自动去掉），“JS2026.03#1”中的“.#”不能用，请按票据上的号码填写。"),
        ("hospital_code", "H1501号", "医疗机构编码只能由英文字母和数字组成（空格和“-”会自动去掉），“H1501号”中的“号”不能用，请按票据上的号码填写。"),
    ],
)  # fmt: skip
def test_anything_but_letters_and_digits_is_refused_naming_the_field(world, field, typed, message):
    form = expense_form(**{field: typed})
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_the_same_bill_typed_seven_ways_is_refused_seven_times(world, applicant):
    first = approved_with(world, applicant, hospital_code=CODE, invoice_number="FP7001")
    for typed in SEVEN.values():
        with pytest.raises(ValidationError, match=f"同一费用不得重复救助：已在申请 {first.number}"):
            make_application(
                applicant, world.users["clerk"], expenses=[make_expense(invoice_number=typed)]
            )
        with pytest.raises(ValidationError, match="同一费用不得重复救助"):  # a full-width issuer
            make_application(
                applicant,
                world.users["clerk"],
                expenses=[make_expense(hospital_code=FULL_CODE, invoice_number=typed)],
            )
    assert LedgerEntry.objects.filter(released_at__isnull=True).count() == 1


def test_past_the_intake_check_the_ledger_refuses_it_whatever_the_typing(world, applicant):
    """A second case typed before the first was approved: the unique keys of the ledger hold."""
    second = walk(
        world,
        make_application(applicant, world.users["clerk"], expenses=[make_expense(**ANOTHER_STAY)]),
        Status.RECOMMENDED,
    )
    bill = second.expenses.get()
    first = approved_with(world, applicant, hospital_code=CODE, invoice_number="FP7001")
    bill.invoice_number = "ＦＰ－７００１"  # as the old window kept it
    bill.save()
    with pytest.raises(BillAlreadyAssisted):
        application_approve(application=second, actor=world.users["approver"])
    assert first.status == Status.APPROVED
    assert LedgerEntry.objects.filter(released_at__isnull=True).count() == 1


def hospital_row(person, **numbers):
    return {
        "id_number": person.id_number, "name": person.name, "hospital": "内蒙古医科大学附属医院",
        "hospital_level": "三级", "kind": "住院", "admitted_on": "2026-09-01",
        "discharged_on": "2026-09-10", "total": "20000", "policy_scope": "18000",
        "basic_paid": "9000", "critical_paid": "1000", "out_of_list": "500",
        "assistance_paid": "0", "category": "低保对象", **numbers,
    }  # fmt: skip


def test_the_hospitals_file_reads_numbers_by_the_same_grammar(world, applicant):
    rows = [
        (2, hospital_row(applicant, hospital_code=full_width("h1501") + " " + full_width("0200001"),
                         invoice_number="fp－9001", settlement_number="js\u200b2026 0910")),
        (3, hospital_row(applicant, hospital_code=CODE, invoice_number="FP#9002")),
    ]  # fmt: skip
    outcomes = list(
        hospital_import.process(rows, batch=None, today=timezone.localdate(), dry_run=False)
    )
    assert outcomes[0].errors == []
    assert outcomes[1].errors == [
        "发票号只能由英文字母和数字组成（空格和“-”会自动去掉），“FP#9002”中的“#”不能用，请按票据上的号码填写。"
    ]
    record = HospitalSettlement.objects.get()
    assert (record.hospital_code, record.invoice_number, record.settlement_number) == (
        CODE, "FP9001", "JS20260910",
    )  # fmt: skip
    assert (record.invoice_key, record.settlement_key) == (f"inv:{CODE}:FP9001", "set:JS20260910")


def test_the_reviewers_correction_reads_numbers_by_the_same_grammar(world, applicant):
    first = approved_with(world, applicant, hospital_code=CODE, invoice_number="FP7001")
    case = walk(world, make_application(applicant, world.users["clerk"]), Status.IN_REVIEW)
    bill = case.expenses.get()
    reviewer = world.users["reviewer"]

    def correct(**numbers):
        data = {f"x-{k}": v for k, v in {
            "total": bill.total, "policy_scope": bill.policy_scope, "basic_paid": bill.basic_paid,
            "critical_paid": bill.critical_paid, "in_region": "on", "reason": "按结算单更正",
            **numbers,
        }.items()}  # fmt: skip
        form = ExpenseCorrectionForm(data, prefix="x")
        if not form.is_valid():
            return form.errors
        return expense_correct(
            expense=bill, values=form.values(), reason="按结算单更正", actor=reviewer
        )

    assert correct(invoice_number="FP 7/2") == {
        "invoice_number": [
            "发票号（电子票据号）只能由英文字母和数字组成（空格和“-”会自动去掉），“FP 7/2”中的“/”不能用，请按票据上的号码填写。"
        ]
    }
    with pytest.raises(ValidationError, match=f"同一费用不得重复救助：已在申请 {first.number}"):
        correct(invoice_number="ｆｐ－７００１")
    bill.refresh_from_db()
    assert bill.invoice_number != "FP7001"
    corrected = correct(invoice_number="fp 8801", hospital_code=CODE)
    assert (corrected.invoice_number, corrected.invoice_key) == ("FP8801", f"inv:{CODE}:FP8801")
    with pytest.raises(ValidationError, match="发票号不能删去"):
        correct(invoice_number="")


def test_a_likely_duplicate_needs_the_approvers_confirmation_in_words(world, applicant):
    first = approved_with(world, applicant, invoice_number="FP7001")
    # same hospital, same stay, same total, another invoice number
    second = walk(
        world,
        make_application(
            applicant, world.users["clerk"], expenses=[make_expense(invoice_number="FP7002")]
        ),
        Status.RECOMMENDED,
    )
    approver = world.users["approver"]
    with pytest.raises(LikelyDuplicate) as refused:
        application_approve(application=second, actor=approver)
    assert refused.value.messages == [
        "疑似重复费用（票据号不同，医院、日期和金额相同）：内蒙古医科大学附属医院 2026-10-20 发票号 FP7002"
        f" ↔ 申请 {first.number}（已批准）：内蒙古医科大学附属医院 2026-10-20 发票号 FP7001。"
        "请核对票据；核实不是同一笔费用的，勾选“确认不是同一笔费用”并写明理由后再批准。"
    ]
    second.refresh_from_db()
    assert (second.status, second.settlement_id) == (Status.RECOMMENDED, None)
    assert LedgerEntry.objects.filter(released_at__isnull=True).count() == 1

    approved = application_approve(
        application=second, actor=approver, not_duplicate_reason="两次住院，费用清单日期不同"
    )
    assert approved.status == Status.APPROVED
    event = ApplicationEvent.objects.get(application=second, action="not_duplicate")
    assert event.reason.startswith("两次住院，费用清单日期不同（内蒙古医科大学附属医院")
    row = AuditEvent.objects.get(event="duplicate.denied")
    assert (row.actor_username, row.target_id) == (approver.username, str(second.pk))
    assert row.summary.startswith(
        f"{second.number} 确认不是同一笔费用：两次住院，费用清单日期不同（"
    )


def test_the_approve_form_asks_for_the_confirmation(client, world, applicant):
    approved_with(world, applicant, invoice_number="FP7001")
    second = walk(
        world,
        make_application(
            applicant, world.users["clerk"], expenses=[make_expense(invoice_number="FP7002")]
        ),
        Status.RECOMMENDED,
    )
    client.force_login(world.users["approver"])
    page = client.get(second.get_absolute_url()).content.decode()
    assert 'name="not_duplicate"' in page and 'name="not_duplicate_reason"' in page
    url = f"/applications/{second.number}/approve/"
    # ticked, no words: still refused, nothing changes
    answer = client.post(url, {"not_duplicate": "on", "not_duplicate_reason": " "}, follow=True)
    assert "疑似重复费用" in answer.content.decode()
    second.refresh_from_db()
    assert second.status == Status.RECOMMENDED
    client.post(url, {"not_duplicate": "on", "not_duplicate_reason": "门诊与住院分开结算"})
    second.refresh_from_db()
    assert second.status == Status.APPROVED


# --- the migration ----------------------------------------------------------------------------


def migrate(app_label, name):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([(app_label, name)])


@pytest.mark.django_db(transaction=True)
def test_the_migration_recomputes_every_key_and_proposes_recovering_a_bill_paid_twice(
    world, applicant
):
    first = approved_with(world, applicant, hospital_code=CODE, invoice_number="FP7001")
    second = approved_with(
        world, applicant, hospital_code=CODE, invoice_number="FP7009", **ANOTHER_STAY
    )
    # what the window kept before the grammar: the number as typed, a key of its own
    old_key = f"inv:{CODE}:ＦＰ７００１"
    MedicalExpense.objects.filter(application=second).update(
        invoice_number="ＦＰ７００１", invoice_key=old_key
    )
    LedgerEntry.objects.filter(settlement=second.settlement).update(invoice_key=old_key)
    assert LedgerEntry.objects.filter(released_at__isnull=True).count() == 2  # paid twice

    try:
        migrate("monitoring", "0003_monthly_reports")
        migrate("monitoring", "0004_bill_number_grammar")
    finally:  # the later migrations back, whatever happened: the next tests need today's tables
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert MedicalExpense.objects.get(application=second).invoice_key == f"inv:{CODE}:FP7001"
    held = LedgerEntry.objects.get(settlement=first.settlement)
    twin = LedgerEntry.objects.get(settlement=second.settlement)
    assert (held.invoice_key, twin.invoice_key, twin.duplicate_of_id) == (
        f"inv:{CODE}:FP7001", "", held.pk,
    )  # fmt: skip
    recovery = Recovery.objects.get()
    assert (recovery.application_id, recovery.reason, recovery.state) == (
        second.pk, "duplicate", "proposed",
    )  # fmt: skip
    assert recovery.amount == twin.assistance > Decimal("0")
    assert "票据号写法不同" in recovery.note
    note = AuditEvent.objects.filter(summary__startswith="数据迁移 monitoring.0004").get()
    assert "发现同一票据重复救助 1 笔，提出追回 1 件" in note.summary
    assert note.changes["duplicates"] == [[twin.pk, held.pk]]
