"""The county: the reviewer's recommendation (and the public notice), the approval with its
settlement, the budget and the second approver, rejection, expense corrections, telling the result."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from core.formats import sentence, yuan

from .. import case_actions, workflow
from ..models import (
    Application,
    ApplicationEvent,
    MedicalExpense,
    Origin,
    PromiseStatus,
    Status,
)
from .base import _event, work_calendar
from .moves import _locked_for, _move
from .notifications import _notify, _queue_letters, window_of


class BudgetOverrun(ValidationError):
    """Approving would overrun the county's yearly budget; nothing was changed."""


class NothingToPay(ValidationError):
    """The settlement comes to 0.00: a case is rejected (无可救助金额), never approved at nothing."""


class LikelyDuplicate(ValidationError):
    """A bill of the case looks like another bill of the same person under another number (the same
    hospital, dates and total): approval waits for the approver's 确认不是同一笔费用 with a reason."""


NOT_DUPLICATE = "确认不是同一笔费用"


def _duplicates_confirmed(app: Application, actor: User, reason: str) -> None:
    """Refuse the approval while a likely duplicate is not confirmed; a confirmation is kept in the
    case history and the audit trail with the bills it covers."""
    from ..selectors import likely_duplicates

    doubtful = likely_duplicates(app)
    if not doubtful:
        return
    pairs = "；".join(f"{e.bill_label} ↔ {where}" for e, where, _ in doubtful)
    reason = reason.strip()
    if not reason:
        raise LikelyDuplicate(
            f"疑似重复费用（票据号不同，医院、日期和金额相同）：{pairs}。"
            f"请核对票据；核实不是同一笔费用的，勾选“{NOT_DUPLICATE}”并写明理由后再批准。",
            code="likely_duplicate",
        )
    _event(app, "not_duplicate", NOT_DUPLICATE, actor, reason=f"{reason}（{pairs}）")
    record(
        actor=actor,
        event=Event.DUPLICATE_DENIED,
        target=app,
        summary=f"{app.number} {NOT_DUPLICATE}：{reason}（{pairs}）",
    )


@transaction.atomic
def application_recommend(
    *, application: Application, actor: User, recommendation: str, note: str = ""
) -> Application:
    """The reviewer's opinion. An approval recommended for an identity the policy publishes first
    (依申请对象) starts the public notice (公示) of the policy's number of working days."""
    from settlements.services import policy_for

    from ..models import Recommendation

    note = note.strip()
    if recommendation not in Recommendation.values:
        raise ValidationError("请选择审核意见：建议批准或建议不予救助。", code="recommendation")
    if recommendation == Recommendation.REJECT and not note:
        raise ValidationError("建议不予救助时须写明理由。", code="reason")
    app = _locked_for(application, "recommend", actor)
    today = timezone.localdate()
    params = policy_for(app.person).at(today)
    notice = (
        recommendation == Recommendation.APPROVE
        and params.has("notice.categories")
        and app.category in params["notice.categories"]
    )
    app.recommendation = recommendation
    app.recommendation_note = note
    label = Recommendation(recommendation).label
    if notice:
        app.notice_starts_on = today
        app.notice_ends_on = work_calendar().add(today, params["notice.days"])
        _move(
            app,
            "recommend",
            Status.NOTICE,
            f"{label}，公示至 {app.notice_ends_on:%Y-%m-%d}",
            actor,
            note,
        )
    else:
        _move(app, "recommend", Status.RECOMMENDED, label, actor, note)
    return app


def county_budget_left(county: Any, year: int) -> tuple[Decimal | None, Decimal]:
    """(the county's money for the year from every source, or None when none is set; what the
    year's outlays have used: window and one-stop assistance, subsidies, less recoveries). The
    fund's books (settlements.funds) are the one place both come from."""
    from settlements.funds import budget_and_used

    return budget_and_used(county, year)


def _within_budget(
    app: Application, amount: Decimal, actor: User, confirm_overrun: bool, today: date
) -> None:
    """Refused when the county's money for the year would be exceeded, unless the approver
    confirms it (the confirmation is audited)."""
    budget, used = county_budget_left(app.county, today.year)
    if budget is not None and used + amount > budget:
        if not confirm_overrun:
            raise BudgetOverrun(
                f"本县 {today.year} 年救助资金 {yuan(budget)} 元，已列支 {yuan(used)} 元，尚余 {yuan(budget - used)} 元；"
                f"本案拟发放 {yuan(amount)} 元，将超出预算 {yuan(used + amount - budget)} 元。确需批准请勾选确认。",
                code="budget",
            )
        record(
            actor=actor,
            event=Event.OVERRUN_CONFIRMED,
            target=app,
            summary=f"{app.number} 超预算审批确认：救助资金 {yuan(budget)} 元，已列支 {yuan(used)} 元，本案 {yuan(amount)} 元",
        )


def _calculated(app: Application) -> Any:
    """The case's settlement, computed under the ledger's lock (``Calculated``): its bills through
    the engine, or, for a discovery case, the tilted assistance its one-stop bills are due
    (worked out, and reserved, as they entered)."""
    from settlements.ledger import settlement_calculate
    from settlements.ledger.tilted import tilted_claim_calculate

    from ..settling import engine_bills, engine_expenses

    key = f"application:{app.number}"
    if app.origin == Origin.TILTED:
        return tilted_claim_calculate(key=key, person=app.person, entry_ids=app.tilted_entries)
    return settlement_calculate(
        key=key, person=app.person, expenses=engine_expenses(app), bills=engine_bills(app)
    )


@transaction.atomic
def application_approve(
    *,
    application: Application,
    actor: User,
    confirm_overrun: bool = False,
    not_duplicate_reason: str = "",
) -> Application:
    """Approve: above the county's amount, the first approval waits for a second approver; then, in
    this one transaction, the settlement is stored with its snapshot and policy version, the yearly
    ledger moves (under its row lock), the budget is checked, and the audit row is written. A likely
    duplicate bill needs ``not_duplicate_reason`` (确认不是同一笔费用), from each approver."""
    from settlements.ledger import settlement_store
    from settlements.ledger.tilted import tilted_claim_link

    from ..settling import why_nothing

    app = _locked_for(application, "approve", actor)
    _duplicates_confirmed(app, actor, not_duplicate_reason)
    # The engine runs once, on the ledger locked for this transaction; the same figure decides
    # whether a second approver is needed and is what gets stored.
    calculated = _calculated(app)
    amount = calculated.result.to_pay
    if amount <= 0:
        raise NothingToPay(
            "按政策计算，本案可救助金额为 0.00 元，不能批准。请选择“不予救助”，原因“无可救助金额”。"
            f"计算说明：{why_nothing(calculated.result)}",
            code="nothing_to_pay",
        )
    if app.status != Status.SECOND and amount > app.county.second_approval_above:
        app.first_approver = actor
        _move(
            app,
            "approve",
            Status.SECOND,
            f"第一审批人同意（拟发放 {yuan(amount)} 元，超过 {yuan(app.county.second_approval_above)} 元），"
            "待第二审批人审批",
            actor,
            event="approve_first",
        )
        return app
    settlement = settlement_store(calculated=calculated, actor=actor)
    if app.origin == Origin.TILTED:
        tilted_claim_link(settlement, app.tilted_entries)
    today = timezone.localdate()
    _within_budget(app, amount, actor, confirm_overrun, today)
    app.settlement = settlement
    app.approved_amount = amount
    app.decided_at = timezone.now()
    app.decided_by = actor
    app.step_due_on = work_calendar().add(today, settings.TIME_LIMIT_PAYMENT_DAYS)
    _move(app, "approve", Status.APPROVED, f"批准救助 {yuan(amount)} 元", actor)
    _queue_letters(app)
    _notify(app, "approved", _approved_text(app, amount), f"approved:{app.pk}")
    return app


def _approved_text(app: Application, amount: Decimal) -> str:
    """The SMS of an approval: how much, and when it is paid."""
    when = (
        "您承诺补交的材料收齐后发放"
        if app.promise_status in workflow.PROMISE_OPEN
        else "将打入您登记的银行账户，发放后另行短信告知"
    )
    return (
        f"您的医疗救助申请（编号{app.number}）已批准，救助金额{yuan(amount)}元，{when}。"
        f"咨询：{window_of(app)}"
    )


@transaction.atomic
def application_revoke(*, application: Application, actor: User, reason: str) -> Application:
    """撤销批准 before payment: the settlement leaves the ledger (its bills released, the year's
    cap given back) and the budget; the applicant and the township are told; a letter is made."""
    from settlements.ledger import settlement_revoke

    from .notifications import _tell_township

    reason = reason.strip()
    app = _locked_for(application, "revoke", actor, reason=reason)
    if app.settlement is not None:
        settlement_revoke(settlement=app.settlement, actor=actor, reason=reason)
    amount = app.approved_amount
    app.step_due_on = None
    app.told_at = None  # the window tells the applicant again (待告知审批结果)
    _move(app, "revoke", Status.REVOKED, f"撤销批准（原批准 {yuan(amount)} 元）", actor, reason)
    _notify(
        app,
        "revoked",
        f"您的医疗救助申请 {app.number} 原批准的 {yuan(amount)} 元已撤销：{sentence(reason)}"
        f"详情请联系{app.township.name}社会救助服务窗口。",
        f"revoked:{app.pk}",
    )
    _tell_township(app, "revoked", f"{app.number} {app.person.name} 的批准已撤销：{reason}")
    _queue_letters(app)
    return app


@transaction.atomic
def promise_extend(*, application: Application, actor: User, reason: str) -> Application:
    """The county extends an overdue promise of an approved case once (材料逾期未补齐，延期一次):
    a new due date ``PROMISE_DAYS`` from today; the applicant is told. Not kept again: revoke."""
    from datetime import timedelta

    from .notifications import _notify

    app = Application.objects.select_for_update().get(pk=application.pk)
    refused = case_actions.case_action_refusal(app, "extend_promise", actor)
    if refused:
        raise ValidationError(refused, code="refused")
    if not reason.strip():
        raise ValidationError("延期须写明理由（如：医院补开发票需要时间）。", code="reason")
    now = timezone.now()
    due = timezone.localdate() + timedelta(days=settings.PROMISE_DAYS)
    workflow.promise_move(app, PromiseStatus.PENDING, promise_due_on=due, promise_extended_at=now)
    _event(
        app, "extend_promise", f"承诺延期一次，新期限 {due:%Y-%m-%d}", actor, reason=reason.strip()
    )
    record(
        actor=actor,
        event=Event.PROMISE_EXTENDED,
        target=app,
        summary=f"{app.number} 承诺延期一次至 {due:%Y-%m-%d}：{reason.strip()}",
    )
    _notify(
        app,
        "promise_extended",
        f"您的医疗救助申请 {app.number} 承诺补交材料的期限延至 {due:%Y-%m-%d}，"
        f"请在此前交到{app.township.name}社会救助服务窗口，逾期将撤销批准。",
        f"promise_extended:{app.pk}",
    )
    return app


@transaction.atomic
def application_reject(
    *, application: Application, actor: User, reason: str, note: str = ""
) -> Application:
    """不予救助: a reason from the list, plus words (required for 其他原因)."""
    from ..models import RejectionReason

    note = note.strip()
    if reason not in RejectionReason.values:
        raise ValidationError("请从列表中选择不予救助的原因。", code="reason")
    if reason == RejectionReason.OTHER and not note:
        raise ValidationError("选择“其他原因”时须写明具体理由。", code="note")
    label = RejectionReason(reason).label
    app = _locked_for(application, "reject", actor, reason=label)
    if app.origin == Origin.TILTED:  # the dues are refused: their reservation leaves the ledger
        from settlements.ledger.tilted import tilted_release

        tilted_release(
            person=app.person,
            entry_ids=app.tilted_entries,
            actor=actor,
            reason=f"{app.number} 不予救助：{label}" + (f"：{note}" if note else ""),
        )
    app.rejection_reason = reason
    app.rejection_note = note
    app.decided_at = timezone.now()
    app.decided_by = actor
    app.step_due_on = None
    _move(app, "reject", Status.REJECTED, "不予救助", actor, label + (f"：{note}" if note else ""))
    _queue_letters(app)
    _notify(
        app,
        "rejected",
        f"您的医疗救助申请（编号{app.number}）经审核不予救助。原因：{sentence(label + (f'：{note}' if note else ''))}"
        "如不服，可自收到告知书之日起60日内申请行政复议，或6个月内提起行政诉讼。"
        f"咨询：{window_of(app)}",
        f"rejected:{app.pk}",
    )
    return app


CORRECTABLE = (
    "hospital_code",
    "invoice_number",
    "settlement_number",
    "total",
    "policy_scope",
    "basic_paid",
    "critical_paid",
    "in_region",
)
REQUIRED_NUMBERS = {"hospital_code": "医疗机构编码", "invoice_number": "发票号"}


@transaction.atomic
def expense_correct(
    *, expense: MedicalExpense, values: Mapping[str, Any], reason: str, actor: User
) -> MedicalExpense:
    """The reviewer corrects an expense against the slip; the reason and the change go into the
    case history and the audit trail."""
    app = Application.objects.select_for_update().get(pk=expense.application_id)
    refused = case_actions.case_action_refusal(app, "correct_expense", actor)
    if refused:
        raise ValidationError(refused, code="not_allowed")
    if not reason.strip():
        raise ValidationError("更正费用须写明理由。", code="reason")
    item = MedicalExpense.objects.get(pk=expense.pk, application=app)
    before = {name: getattr(item, name) for name in CORRECTABLE}
    keys_before = item.keys
    for name in CORRECTABLE:
        if name in values:
            setattr(item, name, values[name])
    for name, label in REQUIRED_NUMBERS.items():
        if name in values and before[name] and not getattr(item, name):
            raise ValidationError(f"{label}不能删去：按票据更正为正确的号码。", code="number")
    item.full_clean()
    if item.keys != keys_before:  # a corrected number must not be a bill assisted or claimed
        from .intake import bills_refused

        bills_refused([e if e.pk != item.pk else item for e in app.expenses.all()], app)
    changes = {
        name: [str(before[name]), str(getattr(item, name))]
        for name in CORRECTABLE
        if before[name] != getattr(item, name)
    }
    if not changes:
        raise ValidationError("没有改动任何号码、数额或选项。", code="unchanged")
    item.save()
    app.claimed_total = sum((e.total for e in app.expenses.all()), Decimal("0.00"))
    app.save(update_fields=["claimed_total", "updated_at"])
    labels = {
        name: str(getattr(MedicalExpense._meta.get_field(name), "verbose_name", name))
        for name in changes
    }
    described = "；".join(f"{labels[n]} {old} → {new}" for n, (old, new) in changes.items())
    label = f"更正费用：{item.hospital}（{described}）"
    why = reason.strip()
    if len(label) > ApplicationEvent._meta.get_field("label").max_length:  # type: ignore[operator]
        label, why = f"更正费用：{item.hospital}"[:60], f"{why}。更正内容：{described}"
    _event(app, "correct_expense", label, actor, reason=why)
    record(
        actor=actor,
        event=Event.EXPENSE_CORRECTED,
        target=app,
        summary=f"{app.number} 更正费用 {item.hospital}：{reason.strip()}",
        changes=changes,
    )
    return item


@transaction.atomic
def application_mark_told(*, application: Application, actor: User) -> Application:
    """结果反馈: the window has told the applicant the decision."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    refused = case_actions.case_action_refusal(app, "mark_told", actor)
    if refused:
        raise ValidationError(refused, code="refused")
    app.told_at = timezone.now()
    app.save(update_fields=["told_at", "updated_at"])
    _event(app, "told", "已告知申请人审批结果", actor)
    record(
        actor=actor,
        event=Event.APPLICANT_TOLD,
        target=app,
        summary=f"{app.number} 已告知申请人结果",
    )
    return app
