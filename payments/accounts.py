"""The payee's account after acceptance (收款账户变更): proposed by one person, confirmed or sent
back by another (four eyes). The one writer of ``AccountChange.state``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.access import role_of
from accounts.models import Role, User
from applications.models import Application, Status
from applications.workflow import in_area
from audit.events import Event
from audit.services import record
from beneficiaries.models import mask_account
from core.bank import account_number

from .models import (
    ACCOUNT_CHANGE_STATES,
    AccountChange,
    Payment,
)


def _acts_for(actor: User, app: Application, roles: frozenset[Role]) -> bool:
    """``actor`` holds one of ``roles`` in the case's own area (the workflow's area rule)."""
    return role_of(actor) in roles and in_area(app, actor)


PROPOSE_ACCOUNT = frozenset({Role.CLERK, Role.FINANCE})


CONFIRM_ACCOUNT = frozenset({Role.CLERK, Role.FINANCE, Role.APPROVER})


COUNTY_MONEY = frozenset({Role.FINANCE, Role.APPROVER})


def _may_propose(app: Application, actor: User, reason: str) -> None:
    """Who may propose a change, on which case, and with what said."""
    if not _acts_for(actor, app, PROPOSE_ACCOUNT):
        raise ValidationError(
            "只有本乡镇（街道）窗口经办人或本县财务人员可以变更收款账户。", code="role"
        )
    if app.status != Status.APPROVED:
        raise ValidationError("只有已批准、尚未发放的申请可以变更收款账户。", code="state")
    if app.payments.filter(state=Payment.State.PENDING).exists():
        raise ValidationError(
            "该申请在待银行结果的批次中，待结果登记后再变更账户。", code="pending"
        )
    if not reason.strip():
        raise ValidationError("请写明变更理由（如：账号有误、申请时未带银行卡）。", code="reason")


@transaction.atomic
def account_change_propose(
    *,
    application: Application,
    actor: User,
    reason: str,
    bank_name: str = "",
    holder: str = "",
    account: str = "",
    unchanged: bool = False,
    document: Any = None,
) -> AccountChange:
    """The window or finance adds or corrects the account of an approved, unpaid case (with the
    bank card's scan), or states a failed line's account is right after all (``unchanged``). It
    takes effect when a second person confirms it (``account_change_decide``)."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    _may_propose(app, actor, reason)
    if unchanged:
        if not app.bank_account_number:
            raise ValidationError("本案还没有收款账号，请补录账户。", code="no_account")
        bank_name, holder, account = app.bank_name, app.bank_account_holder, app.bank_account_number
    else:
        account = account_number(account)
        if not bank_name.strip() or not holder.strip():
            raise ValidationError("请填写开户银行和账户户名。", code="required")
        if document is None:
            raise ValidationError("请上传银行卡或社会救助“一卡通”的扫描件或照片。", code="document")
    attachment = None
    if document is not None:
        from applications.services import account_document_attach

        attachment = account_document_attach(application=app, upload=document, actor=actor)
    try:
        with transaction.atomic():
            change = AccountChange.objects.create(
                application=app,
                unchanged=unchanged,
                bank_name=bank_name.strip()[:100],
                holder=holder.strip()[:50],
                account_number=account,
                old_account_number=app.bank_account_number,
                reason=reason.strip()[:300],
                document=attachment,
                proposed_by=actor,
            )
    except IntegrityError:
        raise ValidationError("该申请已有一项待确认的账户变更。", code="open") from None
    record(
        actor=actor,
        event=Event.ACCOUNT_CHANGE_PROPOSED,
        target=app,
        summary=f"{app.number} {'确认账户无误' if unchanged else '变更收款账户'}（待第二人确认）："
        f"{reason.strip()}",
        changes={
            "bank_account_number": [mask_account(app.bank_account_number), mask_account(account)]
        },
    )
    return change


@transaction.atomic
def account_change_decide(
    *, change: AccountChange, actor: User, accept: bool, note: str = ""
) -> AccountChange:
    """The second person: confirm (the account takes effect and the case is payable again) or send
    it back with a reason. The proposer cannot confirm their own change (also a constraint)."""
    item = AccountChange.objects.select_for_update().select_related("application").get(pk=change.pk)
    app = Application.objects.select_for_update().get(pk=item.application_id)
    if item.state != AccountChange.State.PROPOSED:
        raise ValidationError(f"这项变更已{item.get_state_display()}。", code="decided")
    if item.proposed_by_id == actor.pk:
        raise ValidationError("账户变更须由提出人以外的另一人确认。", code="four_eyes")
    if not _acts_for(actor, app, CONFIRM_ACCOUNT):
        raise ValidationError(
            "只有本县财务、审批人员或本乡镇窗口经办人可以确认账户变更。", code="role"
        )
    if not accept and not note.strip():
        raise ValidationError("退回须写明理由。", code="reason")
    ACCOUNT_CHANGE_STATES.step(
        item, AccountChange.State.CONFIRMED if accept else AccountChange.State.REFUSED
    )
    item.decided_by, item.decided_at, item.refuse_reason = actor, timezone.now(), note.strip()[:300]
    item.save()
    if accept and not item.unchanged:
        app.bank_name, app.bank_account_holder = item.bank_name, item.holder
        app.bank_account_number = item.account_number
        app.save(
            update_fields=["bank_name", "bank_account_holder", "bank_account_number", "updated_at"]
        )
    record(
        actor=actor,
        event=Event.ACCOUNT_CHANGE_CONFIRMED if accept else Event.ACCOUNT_CHANGE_REFUSED,
        target=app,
        summary=f"{app.number} 收款账户变更{'已确认' if accept else '已退回：' + note.strip()}",
        changes={
            "bank_account_number": [
                mask_account(item.old_account_number),
                mask_account(app.bank_account_number),
            ]
        },
    )
    return item
