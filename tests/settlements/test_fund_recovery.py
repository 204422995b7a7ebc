"""Fund integrity, continued: revoking and recovering (the ledger gives back, four eyes, the notice,
the refund) and no dead ends on the way to payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection  # noqa: F401 (read by the skipif conditions)

from accounts.models import Role
from applications.models import (
    InboxMessage,
    Letter,
    Notification,
    Status,
)
from applications.services import (
    NothingToPay,
    application_approve,
    application_reject,
    application_revoke,
    county_budget_left,
)
from audit.models import AuditEvent
from beneficiaries.models import HardshipIdentity
from payments.accounts import account_change_decide, account_change_propose
from payments.models import Recovery
from payments.recoveries import recovery_decide, recovery_propose, recovery_refund
from payments.selectors import account_waiting, payable
from payments.services import payment_batch_create, payment_record
from settlements.models import LedgerEntry, Settlement, YearLedger
from tests.applications.test_intake import png
from tests.factories import (
    UserFactory,
    make_expense,
)
from tests.settlements.test_fund_integrity import (
    YEAR,
    recommended,
    window_bill,
)

# --- 3. revoke and recover -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-11-27 10:00 +0800")


def test_an_approval_is_revoked_before_payment_and_everything_is_given_back(world, applicant):
    approver = world.users["approver"]
    app = application_approve(application=recommended(world, applicant), actor=approver)
    amount = app.approved_amount
    assert county_budget_left(world.county_a, YEAR)[1] == amount
    with pytest.raises(ValidationError, match="“撤销批准”须写明理由"):
        application_revoke(application=app, actor=approver, reason=" ")
    with pytest.raises(ValidationError, match="您的角色不能“撤销批准”"):
        application_revoke(application=app, actor=world.users["reviewer"], reason="x")
    app = application_revoke(application=app, actor=approver, reason="核实发现申请人在就医前已死亡")
    assert app.status == Status.REVOKED
    settlement = Settlement.objects.get(pk=app.settlement_id)
    assert settlement.revoked_at is not None and settlement.revoke_reason.startswith("核实发现")
    ledger = YearLedger.objects.get(person=applicant)
    assert (ledger.assistance_used, ledger.tilted_used) == (Decimal("0.00"), Decimal("0.00"))
    assert county_budget_left(world.county_a, YEAR)[1] == Decimal("0.00")
    assert not LedgerEntry.objects.filter(released_at__isnull=True).exists()
    assert Notification.objects.filter(application=app, kind="revoked").exists()
    assert (
        InboxMessage.objects.filter(application=app, kind="revoked").get().recipient
        == (world.users["clerk"])
    )
    assert AuditEvent.objects.filter(event="settlement.revoked").count() == 1
    from applications.documents import kinds_for, letter_render

    assert "revocation" in kinds_for(app)
    letter = letter_render(application=app, kind="revocation", actor=approver)
    assert letter.file.open("rb").read(5) == b"%PDF-"
    # a second click
    with pytest.raises(ValidationError, match="不能“撤销批准”"):
        application_revoke(application=app, actor=approver, reason="again")
    # the bill is free again: a new application for it can be approved
    again = recommended(
        world, applicant, make_expense(invoice_number=app.expenses.get().invoice_number)
    )
    assert application_approve(application=again, actor=approver).approved_amount == amount


def test_a_case_in_a_pending_batch_cannot_be_revoked(world, applicant):
    app = application_approve(
        application=recommended(world, applicant), actor=world.users["approver"]
    )
    payment_batch_create(
        county=world.county_a, application_ids=[app.pk], actor=world.users["finance"]
    )
    with pytest.raises(ValidationError, match="待银行结果的发放批次"):
        application_revoke(application=app, actor=world.users["approver"], reason="x")


def test_money_paid_is_recovered_with_four_eyes_a_notice_and_the_refund(world, applicant):
    approver, finance = world.users["approver"], world.users["finance"]
    second = UserFactory(role=Role.APPROVER, county=world.county_a)
    app = application_approve(application=recommended(world, applicant), actor=approver)
    paid = app.approved_amount
    with pytest.raises(ValidationError, match="只有已发放的申请可以追回"):
        recovery_propose(
            application=app, amount=Decimal("1"), reason="false", note="x", actor=approver
        )
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    payment_record(payment=batch.payments.get(), paid=True, actor=finance)
    with pytest.raises(ValidationError, match=f"不超过可追回的 {paid:,.2f} 元"):
        recovery_propose(application=app, amount=paid + 1, reason="false", note="x", actor=approver)
    item = recovery_propose(
        application=app,
        amount=Decimal("4000.00"),
        reason="false",
        note="住院发票系伪造",
        actor=approver,
    )
    with pytest.raises(ValidationError, match="须由提出人以外的另一人复核"):
        recovery_decide(recovery=item, actor=approver, accept=True)
    with pytest.raises(ValidationError, match="只有本县财务人员可以登记退回"):
        recovery_refund(
            recovery=item, actor=second, amount=Decimal("4000.00"), day=date(YEAR, 11, 27)
        )
    item = recovery_decide(recovery=item, actor=second, accept=True)
    assert item.state == "confirmed"
    notice = Letter.objects.get(application=app, kind="recovery")
    assert notice.file.open("rb").read(5) == b"%PDF-"
    ledger_before = YearLedger.objects.get(person=applicant).assistance_used
    with pytest.raises(ValidationError, match="退回日期不能晚于今天"):
        recovery_refund(
            recovery=item, actor=finance, amount=Decimal("4000.00"), day=date(YEAR, 12, 1)
        )
    item = recovery_refund(
        recovery=item, actor=finance, amount=Decimal("4000.00"), day=date(YEAR, 11, 27)
    )
    assert (item.state, item.refunded_amount) == ("refunded", Decimal("4000.00"))
    settlement = Settlement.objects.get(pk=app.settlement_id)
    assert settlement.recovered == Decimal("4000.00")
    assert YearLedger.objects.get(person=applicant).assistance_used == ledger_before - Decimal(
        "4000.00"
    )
    assert county_budget_left(world.county_a, YEAR)[1] == paid - Decimal("4000.00")
    assert (
        AuditEvent.objects.filter(
            event="recovery.refunded", summary__contains="4,000.00 元"
        ).count()
        == 1
    )


def test_a_recovery_is_told_to_the_applicant_and_the_window_and_shown_net(client, world, applicant):
    """Issue 36, point 8: after 4,000.00 of a paid case came back, nobody reads the whole amount as
    still received; the applicant had an SMS at the notice and at the refund, the clerk a line."""
    from applications.eligibility import picture
    from applications.models import InboxMessage, Notification
    from applications.public_status import timeline

    approver, finance = world.users["approver"], world.users["finance"]
    second = UserFactory(role=Role.APPROVER, county=world.county_a)
    app = application_approve(application=recommended(world, applicant), actor=approver)
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    payment_record(payment=batch.payments.get(), paid=True, actor=finance)
    paid = app.approved_amount
    item = recovery_propose(
        application=app, amount=Decimal("4000.00"), reason="false", note="伪造", actor=approver
    )
    recovery_decide(recovery=item, actor=second, accept=True)
    told = Notification.objects.get(application=app, kind="recovery")
    assert told.text.startswith(f"您的医疗救助（编号{app.number}）经复核需退回 4,000.00 元")
    recovery_refund(recovery=item, actor=finance, amount=Decimal("4000.00"), day=date(YEAR, 11, 27))
    refunded = Notification.objects.get(application=app, kind="recovery_refunded")
    assert "已收到您退回的医疗救助款 4,000.00 元" in refunded.text
    lines = InboxMessage.objects.filter(application=app, recipient=world.users["clerk"])
    assert sorted(lines.values_list("kind", flat=True)) == ["recovery", "recovery_refunded"]
    app.refresh_from_db()
    assert dict(picture(app, today=date(YEAR, 11, 27)).assisted) == {
        "窗口申请（已扣除追回 4,000.00 元）": paid - Decimal("4000.00"),
        "医院一站式结算": Decimal("0.00"),
        "一事一议": Decimal("0.00"),
    }
    steps = {s.title: s.detail for s in timeline(app, date(YEAR, 11, 27))}
    assert steps["资金追回"] == (
        f"已退回 4,000.00 元，实际获得医疗救助 {paid - Decimal('4000.00'):,.2f} 元。"
    )
    client.force_login(world.users["clerk"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert (
        f"已追回 <strong>4,000.00</strong> 元，实际救助 {paid - Decimal('4000.00'):,.2f} 元" in page
    )


# --- 4. no dead ends in payment ----------------------------------------------------------------


def test_an_approved_case_without_an_account_gets_one_with_a_second_person_and_is_paid(
    world, applicant
):
    clerk, finance = world.users["clerk"], world.users["finance"]
    app = recommended(world, applicant, bank_account_number="", bank_name="")
    app = application_approve(application=app, actor=world.users["approver"])
    assert app not in payable(world.county_a)
    assert next(why for a, why in account_waiting(world.county_a) if a == app).startswith(
        "缺少收款账号"
    )
    with pytest.raises(ValidationError, match="请上传银行卡"):
        account_change_propose(
            application=app, actor=clerk, reason="申请时未带银行卡", bank_name="内蒙古银行",
            holder="乌兰", account="6222 0000 1112 2222",
        )  # fmt: skip
    with pytest.raises(ValidationError, match="银行账号应为 12 到 30 位数字"):
        account_change_propose(
            application=app, actor=clerk, reason="r", bank_name="b", holder="h",
            account="+1+1", document=png("card.png"),
        )  # fmt: skip
    change = account_change_propose(
        application=app, actor=clerk, reason="申请时未带银行卡", bank_name="内蒙古银行",
        holder="乌兰", account="6222 0000 1112 2222", document=png("card.png"),
    )  # fmt: skip
    assert change.document.material == "bank_account"
    app.refresh_from_db()
    assert app.bank_account_number == ""  # not in force before the second person
    assert [why for a, why in account_waiting(world.county_a) if a == app] == [
        "账户变更待第二人确认"
    ]
    with pytest.raises(ValidationError, match="须由提出人以外的另一人确认"):
        account_change_decide(change=change, actor=clerk, accept=True)
    account_change_decide(change=change, actor=finance, accept=True)
    app.refresh_from_db()
    assert app.bank_account_number == "6222000011122222"
    assert list(payable(world.county_a)) == [app]
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    payment_record(payment=batch.payments.get(), paid=True, actor=finance)
    app.refresh_from_db()
    assert app.status == Status.PAID


def test_a_case_with_nothing_to_pay_cannot_be_approved_and_is_rejected_with_that_reason(
    world, applicant
):
    # the bill is from before the identity was certified: the engine gives 0.00
    HardshipIdentity.objects.filter(person=applicant).update(certified_on=date(YEAR, 11, 1))
    app = recommended(world, applicant)
    with pytest.raises(NothingToPay) as refused:
        application_approve(application=app, actor=world.users["approver"])
    assert refused.value.messages[0].startswith(
        "按政策计算，本案可救助金额为 0.00 元，不能批准。请选择“不予救助”，原因“无可救助金额”。"
    )
    assert "无有效困难身份" in refused.value.messages[0]
    app.refresh_from_db()
    assert (app.status, app.settlement_id) == (Status.RECOMMENDED, None)
    assert not YearLedger.objects.filter(person=applicant, assistance_used__gt=0).exists()
    app = application_reject(
        application=app, actor=world.users["approver"], reason="nothing_to_pay"
    )
    assert (app.status, app.get_rejection_reason_display()) == (Status.REJECTED, "无可救助金额")


def test_a_promise_still_open_after_approval_comes_back_to_the_county_extend_once_or_revoke(
    world, applicant, time_machine
):
    from applications.selectors import promises_to_decide
    from applications.services import promise_extend, reminders_sweep
    from tests.factories import case_at

    approver = world.users["approver"]
    app = case_at(world, applicant, Status.APPROVED, missing=["invoice"])
    assert app.promise_due_on == date(2026, 12, 4)
    time_machine.move_to("2026-12-04 10:00 +0800")
    assert promises_to_decide(world.county_a) == []  # still within the promise
    time_machine.move_to("2026-12-05 10:00 +0800")
    reminders_sweep()
    app.refresh_from_db()
    assert app.promise_status == "overdue"
    assert promises_to_decide(world.county_a) == [app]  # 5 working days after 11-27: 12-04
    with pytest.raises(ValidationError, match="只有本县审批人员可以决定延期"):
        promise_extend(application=app, actor=world.users["reviewer"], reason="x")
    with pytest.raises(ValidationError, match="延期须写明理由"):
        promise_extend(application=app, actor=approver, reason="")
    app = promise_extend(application=app, actor=approver, reason="医院补开发票需要时间")
    assert (app.promise_status, app.promise_due_on) == ("pending", date(2026, 12, 12))
    assert Notification.objects.filter(application=app, kind="promise_extended").exists()
    assert promises_to_decide(world.county_a) == []
    time_machine.move_to("2026-12-14 10:00 +0800")
    reminders_sweep()
    app.refresh_from_db()
    assert app.promise_status == "overdue" and promises_to_decide(world.county_a) == [app]
    with pytest.raises(ValidationError, match="承诺已延期过一次，不能再延期"):
        promise_extend(application=app, actor=approver, reason="再延")
    app = application_revoke(application=app, actor=approver, reason="承诺未兑现：发票逾期未补交")
    assert app.status == Status.REVOKED
    assert YearLedger.objects.get(person=applicant).assistance_used == Decimal("0.00")


def test_the_applicant_reads_the_revocation_and_the_window_tells_them_again(
    client, world, applicant
):
    from applications.selectors import township_dashboard

    approver, clerk = world.users["approver"], world.users["clerk"]
    app = application_approve(application=recommended(world, applicant), actor=approver)
    from applications.services import application_mark_told

    application_mark_told(application=app, actor=clerk)
    app = application_revoke(application=app, actor=approver, reason="就医前已死亡")
    assert app.told_at is None
    assert app in township_dashboard(world.town_a1.pk, date(2026, 11, 27))["to_tell"]["rows"]
    page = client.post(
        "/status/", {"number": app.number, "id_tail": applicant.id_number[-6:]}
    ).content.decode()
    assert "撤销批准" in page and "理由：就医前已死亡" in page
    assert "撤销救助决定书" in page


def test_the_backfill_puts_earlier_settlements_and_one_stop_records_into_the_ledger(world, tekun):
    from io import StringIO

    from django.core.management import call_command

    from tests.monitoring.data import hospital_record

    app = application_approve(
        application=recommended(world, tekun, window_bill()), actor=world.users["approver"]
    )
    LedgerEntry.objects.all().delete()  # as before the one ledger existed
    hospital_record(tekun, burden="100000.00", assistance="95000.00", day=date(YEAR, 3, 10))
    out = StringIO()
    call_command("ledger_backfill", "--check", stdout=out)
    assert out.getvalue().strip() == "待补记：旧窗口结算 1 笔，一站式结算记录 1 条"
    call_command("ledger_backfill", stdout=out)
    assert "已补记：旧窗口结算票据 1 张，一站式结算记录 1 条，追回建议 1 件" in out.getvalue()
    entries = LedgerEntry.objects.order_by("day")
    assert [(e.source, e.assistance) for e in entries] == [
        ("onestop", Decimal("95000.00")),
        ("window", Decimal("15000.00")),
    ]
    assert YearLedger.objects.get(person=tekun).assistance_used == Decimal("110000.00")
    assert Recovery.objects.get(application=app).amount == Decimal("10000.00")
    out = StringIO()
    call_command("ledger_backfill", stdout=out)  # a second run finds nothing
    assert "旧窗口结算票据 0 张，一站式结算记录 0 条，追回建议 0 件" in out.getvalue()
    assert LedgerEntry.objects.count() == 2


def test_the_case_page_revokes_through_its_own_form(client, world, applicant):
    from django.urls import reverse

    app = application_approve(
        application=recommended(world, applicant), actor=world.users["approver"]
    )
    client.force_login(world.users["approver"])
    page = client.get(app.get_absolute_url()).content.decode()
    url = reverse("applications:revoke", args=[app.number])
    assert f'action="{url}"' in page
    response = client.post(url, {"reason": "材料系伪造"}, follow=True)
    assert "已办理：已撤销批准。" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Status.REVOKED
    assert f"批准救助 <strong>{app.approved_amount:,.2f}</strong> 元" in response.content.decode()
    assert '<span class="text-danger">已撤销</span>' in response.content.decode()
    # the generic transition does not make this move (its side effects live in the service)
    again = client.post(
        reverse("applications:transition", args=[app.number, "revoke"]),
        {"reason": "x"},
        follow=True,
    )
    assert "不能“撤销批准”" in again.content.decode()
