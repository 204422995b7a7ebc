"""An SMS at every decision (issue 39, 2): approval with the amount, rejection with the reason and
the appeal rights, payment with the day and the masked account, a failed payment with what to do."""

from __future__ import annotations

from datetime import date

import pytest

from applications.models import Notification, RejectionReason, Status
from applications.services import application_reject
from payments.services import payment_batch_create, payment_record
from tests.factories import case_at

pytestmark = pytest.mark.django_db


def _sms(app, kind):
    return Notification.objects.get(application=app, kind=kind).text


def test_approval_and_payment_are_told(world, applicant):
    app = case_at(world, applicant, Status.APPROVED)
    approved = _sms(app, "approved")
    assert f"编号{app.number}）已批准，救助金额{app.approved_amount:,.2f}元" in approved
    assert "将打入您登记的银行账户" in approved
    finance = world.users["finance"]
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    line = batch.payments.get()
    payment_record(payment=line, paid=False, reason="户名不符", actor=finance)
    failed = _sms(app, "payment_failed")
    assert "发放未成功：户名不符。请带本人银行卡" in failed and "察素齐镇社会救助服务窗口" in failed
    assert len(failed) <= 300


def test_a_paid_line_tells_the_day_and_the_masked_account(world, applicant):
    app = case_at(world, applicant, Status.APPROVED)
    finance = world.users["finance"]
    batch = payment_batch_create(county=world.county_a, application_ids=[app.pk], actor=finance)
    payment_record(
        payment=batch.payments.get(), paid=True, actor=finance, paid_on=date(2026, 12, 1)
    )
    paid = _sms(app, "paid")
    assert "已于2026-12-01打入您内蒙古银行账户" in paid
    assert "6222000000051234" not in paid and "1234" in paid  # masked: the last four only


def test_a_rejection_tells_the_reason_and_the_appeal(world, applicant):
    app = case_at(world, applicant, Status.RECOMMENDED)
    application_reject(application=app, actor=world.users["approver"],
                       reason=RejectionReason.OTHER, note="重复申请。")  # fmt: skip
    text = _sms(app, "rejected")
    assert "不予救助。原因：其他原因：重复申请。如不服" in text and "。。" not in text
    assert "60日内申请行政复议" in text
