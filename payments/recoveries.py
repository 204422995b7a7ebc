"""Recovery of money paid (追回): proposed (by a person, or by the ledger's check of the hospitals'
records), confirmed or cancelled by a second person, and the refund recorded by finance. The one
writer of ``Recovery.state``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from applications.models import Application, Status
from applications.services import applicant_and_window_told
from audit.events import Event
from audit.services import record
from core.formats import yuan

from .accounts import COUNTY_MONEY, _acts_for
from .models import (
    RECOVERY_STATES,
    Recovery,
)


def _recoverable(app: Application) -> Decimal:
    """What of the case's assistance is not recovered yet nor under an open recovery."""
    settlement = app.settlement
    if settlement is None:
        return Decimal("0.00")
    open_sum = app.recoveries.filter(
        state__in=[Recovery.State.PROPOSED, Recovery.State.CONFIRMED]
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
    return settlement.unrecovered - open_sum


@transaction.atomic
def recovery_propose(
    *, application: Application, amount: Decimal, reason: str, note: str, actor: User
) -> Recovery:
    """An approver proposes to recover money of a paid case; a second person confirms it."""
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("settlement")
        .get(pk=application.pk)
    )
    if not _acts_for(actor, app, frozenset({Role.APPROVER})):
        raise ValidationError("只有本县审批人员可以提出追回。", code="role")
    if app.status != Status.PAID:
        raise ValidationError("只有已发放的申请可以追回；尚未发放的请撤销批准。", code="state")
    if reason not in Recovery.Reason.values:
        raise ValidationError("请从列表中选择追回原因。", code="reason")
    if not note.strip():
        raise ValidationError("请写明追回的事实与依据。", code="note")
    left = _recoverable(app)
    if amount <= 0 or amount > left:
        raise ValidationError(f"追回金额须大于 0 且不超过可追回的 {yuan(left)} 元。", code="amount")
    try:
        with transaction.atomic():
            item = Recovery.objects.create(
                application=app, amount=amount, reason=reason, note=note.strip(), proposed_by=actor
            )
    except IntegrityError:
        raise ValidationError("该申请已有一项未办结的追回。", code="open") from None
    record(
        actor=actor,
        event=Event.RECOVERY_PROPOSED,
        target=app,
        summary=f"{app.number} 提出追回 {yuan(amount)} 元（{item.get_reason_display()}）：{note.strip()}",
    )
    return item


def recoveries_propose(found: Iterable[Any]) -> int:
    """The ledger's own findings (``settlements.services.Overpaid``): a proposal for each case
    that has none open, for an approver to look at. Returns how many were proposed."""
    made = 0
    for over in found:
        app = Application.objects.filter(settlement=over.settlement).first()
        if app is None or app.status not in (Status.APPROVED, Status.PAID):
            continue
        if app.recoveries.filter(
            state__in=[Recovery.State.PROPOSED, Recovery.State.CONFIRMED]
        ).exists():
            continue
        Recovery.objects.create(
            application=app,
            amount=over.amount,
            reason=Recovery.Reason.DUPLICATE if over.duplicate else Recovery.Reason.OVER_CAP,
            note=over.note,
        )
        record(
            actor=None,
            event=Event.RECOVERY_PROPOSED_BY_SYSTEM,
            target=app,
            summary=f"{app.number} 台账核对提出追回 {yuan(over.amount)} 元：{over.note}",
        )
        made += 1
    return made


@transaction.atomic
def recovery_decide(*, recovery: Recovery, actor: User, accept: bool, note: str = "") -> Recovery:
    """The second person: confirm (the notice is written, PDF) or decide not to recover."""
    from applications.documents import letter_render_with

    item = Recovery.objects.select_for_update().select_related("application").get(pk=recovery.pk)
    app = item.application
    if item.state != Recovery.State.PROPOSED:
        raise ValidationError(f"这项追回已{item.get_state_display()}。", code="decided")
    if item.proposed_by_id == actor.pk:
        raise ValidationError("追回须由提出人以外的另一人复核。", code="four_eyes")
    if not _acts_for(actor, app, COUNTY_MONEY):
        raise ValidationError("只有本县审批或财务人员可以复核追回。", code="role")
    if accept and app.status != Status.PAID:
        raise ValidationError("本案尚未发放：请撤销批准，而不是追回。", code="state")
    if not accept and not note.strip():
        raise ValidationError("不予追回须写明理由。", code="reason")
    item.confirmed_by, item.confirmed_at = actor, timezone.now()
    RECOVERY_STATES.step(item, Recovery.State.CONFIRMED if accept else Recovery.State.CANCELLED)
    item.closed_note = "" if accept else note.strip()[:300]
    item.save()
    if accept:
        letter_render_with(application=app, kind="recovery", extra={"recovery": item}, actor=actor)
        town = app.township
        applicant_and_window_told(
            application=app,
            kind="recovery",
            key=f"recovery:{item.pk}",
            sms=f"您的医疗救助（编号{app.number}）经复核需退回 {yuan(item.amount)} 元"
            f"（{item.get_reason_display()}）。请按追回通知书办理，咨询{town.name}社会救助窗口"
            f"{('，电话' + town.window_phone) if town.window_phone else ''}。",
            inbox=f"{app.number} {app.person.name}：追回 {yuan(item.amount)} 元已复核，"
            "追回通知书已生成，请告知申请人。",
        )
    record(
        actor=actor,
        event=Event.RECOVERY_CONFIRMED if accept else Event.RECOVERY_CANCELLED,
        target=app,
        summary=f"{app.number} 追回 {yuan(item.amount)} 元"
        + ("已复核，发出追回通知书" if accept else f"不予追回：{note.strip()}"),
    )
    return item


@transaction.atomic
def recovery_refund(
    *, recovery: Recovery, actor: User, amount: Decimal, day: date, note: str = ""
) -> Recovery:
    """Finance records the refund that arrived: the settlement's recovered sum, the yearly
    ledger (the amount goes back to the year's cap) and the budget follow."""
    from settlements.ledger import settlement_recover

    item = (
        Recovery.objects.select_for_update(of=("self",))
        .select_related("application__settlement")
        .get(pk=recovery.pk)
    )
    app = item.application
    if not _acts_for(actor, app, frozenset({Role.FINANCE})):
        raise ValidationError("只有本县财务人员可以登记退回。", code="role")
    if item.state != Recovery.State.CONFIRMED:
        raise ValidationError(
            f"这项追回当前为“{item.get_state_display()}”，不能登记退回。", code="state"
        )
    if amount <= 0 or amount > item.amount:
        raise ValidationError(
            f"退回金额须大于 0 且不超过追回金额 {yuan(item.amount)} 元。", code="amount"
        )
    if day > timezone.localdate():
        raise ValidationError("退回日期不能晚于今天。", code="day")
    if app.settlement is None:
        raise ValidationError("本案没有结算记录。", code="no_settlement")
    settlement_recover(settlement=app.settlement, amount=amount, actor=actor, note=f"{app.number}")
    RECOVERY_STATES.step(item, Recovery.State.REFUNDED)
    item.refunded_amount, item.refunded_on, item.refund_recorded_by = amount, day, actor
    item.closed_note = note.strip()[:300]
    item.save()
    applicant_and_window_told(
        application=app,
        kind="recovery_refunded",
        key=f"recovery_refunded:{item.pk}",
        sms=f"已收到您退回的医疗救助款 {yuan(amount)} 元（编号{app.number}，{day:%Y-%m-%d}），"
        "本年救助限额相应恢复。",
        inbox=f"{app.number} {app.person.name}：追回款已退回 {yuan(amount)} 元（{day:%Y-%m-%d}）。",
    )
    record(
        actor=actor,
        event=Event.RECOVERY_REFUNDED,
        target=app,
        summary=f"{app.number} 追回款已退回 {yuan(amount)} 元（{day}）",
    )
    return item
