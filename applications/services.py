"""Every write of the applications app: intake, materials and the promise, transitions, telling
the applicant, reminders and notifications. Each is atomic, checks who may do it, and writes the
audit row; tasks are queued after commit and never needed for correctness."""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.access import role_of
from accounts.models import Role
from audit.models import AuditEvent
from audit.services import record, record_by_system
from beneficiaries.models import HardshipIdentity, Person
from core.numbering import next_in
from core.queueing import enqueue
from settlements.engine.categories import CATEGORIES

from . import workflow
from .materials import MATERIALS, ExpenseFacts, required_materials
from .models import (
    Application,
    ApplicationEvent,
    Attachment,
    CalendarDay,
    InboxMessage,
    Material,
    MedicalExpense,
    Notification,
    PromiseStatus,
    Status,
)
from .notify import NotificationError, get_backend
from .workdays import WorkCalendar

logger = logging.getLogger(__name__)

SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}


def work_calendar() -> WorkCalendar:
    """China's working days with the administrator's corrections (one small query)."""
    return WorkCalendar(dict(CalendarDay.objects.values_list("day", "working")))


def _event(app: Application, action: str, label: str, actor: Any, **extra: Any) -> None:
    ApplicationEvent.objects.create(
        application=app,
        action=action,
        label=label,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        **extra,
    )


def _require_clerk_of(actor: Any, township_id: int) -> None:
    if role_of(actor) != Role.CLERK or actor.township_id != township_id:
        raise ValidationError("只有申请人所在乡镇（街道）的窗口经办人可以办理。", code="not_clerk")


def _next_number(county: Any, day: date) -> str:
    return f"{county.code}-{day:%Y%m%d}-{next_in(f'application:{county.code}:{day:%Y%m%d}'):04d}"


# --- intake ---------------------------------------------------------------------------------


@dataclass
class Intake:
    """What the clerk typed on the intake form (the person is already found or registered)."""

    category: str
    identity: HardshipIdentity | None
    contact_phone: str = ""
    agent_name: str = ""
    agent_id_number: str = ""
    agent_phone: str = ""
    agent_kind: str = ""
    bank_name: str = ""
    bank_account_holder: str = ""
    bank_account_number: str = ""


def _checklist(app: Application, expenses: Sequence[MedicalExpense]) -> list[str]:
    return required_materials(
        category=app.category,
        identity_in_registry=app.identity_id is not None,
        has_agent=app.has_agent,
        expenses=[ExpenseFacts(e.kind, e.in_region, e.referred) for e in expenses],
    )


@transaction.atomic
def application_save_draft(
    *,
    person: Person,
    intake: Intake,
    expenses: Sequence[MedicalExpense],
    actor: Any,
    application: Application | None = None,
) -> Application:
    """Create (or, for a draft, replace) an application with its expenses and its checklist."""
    _require_clerk_of(actor, person.township_id)
    if intake.category not in CATEGORIES:
        raise ValidationError("请选择救助身份。", code="category")
    if intake.identity is not None and (
        intake.identity.person_id != person.pk or intake.identity.category != intake.category
    ):
        raise ValidationError("所选身份不属于该申请人。", code="identity")
    if not expenses:
        raise ValidationError("至少录入一笔医疗费用。", code="no_expenses")
    if intake.agent_name and not intake.agent_id_number:
        raise ValidationError("有代办人时须填写代办人身份证号。", code="agent_id")
    creating = application is None
    if application is None:
        today = timezone.localdate()
        county = person.township.county
        application = Application(
            number=_next_number(county, today),
            person=person,
            township=person.township,
            county=county,
            created_by=actor,
        )
    else:
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status != Status.DRAFT:
            raise ValidationError("已受理的申请不能再修改受理信息。", code="not_draft")
    for name, value in vars(intake).items():
        setattr(application, name, value)
    application.claimed_total = sum((e.total for e in expenses), Decimal("0.00"))
    application.full_clean(exclude=["identity", "person", "township", "county", "created_by"])
    for expense in expenses:
        expense.full_clean(exclude=["application"])
    application.save()
    if not creating:
        application.expenses.all().delete()
    for expense in expenses:
        expense.application = application
    MedicalExpense.objects.bulk_create(expenses)
    needed = _checklist(application, expenses)
    application.materials.exclude(code__in=needed).delete()
    Material.objects.bulk_create(
        [Material(application=application, code=code) for code in needed], ignore_conflicts=True
    )
    _event(
        application, "create" if creating else "edit", "登记申请" if creating else "修改申请", actor
    )
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
        target=application,
        summary=f"{'登记' if creating else '修改'}救助申请 {application.number}，"
        f"{len(expenses)} 笔费用，合计 {application.claimed_total} 元",
    )
    return application


def check_upload(upload: UploadedFile) -> tuple[str, bytes]:
    """The content type of a scan or photo, judged by its content; refuse anything else."""
    if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            f"文件“{upload.name}”太大（{filesizeformat(upload.size)}），"
            f"每个文件不能超过 {filesizeformat(settings.UPLOAD_MAX_BYTES)}，请压缩或分页扫描。",
            code="too_big",
        )
    data = upload.read()
    upload.seek(0)
    if not data:
        raise ValidationError(f"文件“{upload.name}”是空的。", code="empty")
    content_type = next((t for sig, t in SIGNATURES.items() if data.startswith(sig)), None)
    if content_type is None:
        raise ValidationError(
            f"文件“{upload.name}”不是 JPEG、PNG 图片或 PDF 文件（按文件内容判断，不看扩展名）。",
            code="bad_type",
        )
    if content_type.startswith("image/"):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ValidationError(
                f"图片“{upload.name}”已损坏或不完整，请重新拍照。", code="broken"
            ) from None
    elif b"%%EOF" not in data[-2048:]:
        raise ValidationError(f"PDF 文件“{upload.name}”不完整，请重新扫描。", code="broken")
    return content_type, data


def _attach(app: Application, code: str, upload: UploadedFile, actor: Any) -> Attachment:
    content_type, data = check_upload(upload)
    attachment = Attachment(
        application=app,
        material=code,
        original_name=(upload.name or "scan")[:200],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save("scan", ContentFile(data), save=False)
    attachment.save()
    return attachment


def _validate_uploads(files: Mapping[str, Iterable[UploadedFile]]) -> None:
    errors = []
    for uploads in files.values():
        for upload in uploads:
            try:
                check_upload(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)


def _queue_letters(app: Application) -> None:
    """Render the case's documents in a worker after commit (staff can also render on demand)."""
    from .tasks import render_letters

    enqueue(render_letters, app.pk)


def _missing_text(app: Application) -> str:
    missing = [m.get_code_display() for m in app.materials.all() if not m.received]
    return "、".join(missing)


def _notify(app: Application, kind: str, text: str, key: str) -> None:
    """Write the outbox row (once per key) and try to send it right after commit."""
    phones = {p for p in (app.contact_phone, app.agent_phone) if p}
    from .tasks import deliver_notifications

    for phone in sorted(phones):
        Notification.objects.bulk_create(
            [
                Notification(
                    application=app, kind=kind, phone=phone, text=text, dedupe_key=f"{key}:{phone}"
                )
            ],
            ignore_conflicts=True,
        )
    if phones:
        enqueue(deliver_notifications)


@transaction.atomic
def application_accept(
    *,
    application: Application,
    actor: Any,
    received: Iterable[str],
    promise_signed: bool,
    files: Mapping[str, Iterable[UploadedFile]] | None = None,
    forward: bool = False,
) -> Application:
    """Accept (受理): tick what was handed in; if anything is missing, record the applicant's
    promise to bring it within PROMISE_DAYS days. The application moves on at once."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    blocked = workflow.refusal(app, "accept", actor)
    if blocked:
        raise ValidationError(blocked, code="refused")
    files = files or {}
    _validate_uploads(files)
    now = timezone.now()
    today = timezone.localdate()
    received_codes = set(received)
    materials = list(app.materials.all())
    unknown = received_codes - {m.code for m in materials}
    if unknown:
        raise ValidationError("勾选了清单以外的材料。", code="unknown_material")
    missing = [m for m in materials if m.code not in received_codes]
    if missing and not promise_signed:
        names = "、".join(m.get_code_display() for m in missing)
        raise ValidationError(
            f"还缺 {len(missing)} 项材料（{names}）：须由申请人签署承诺书，"
            f"承诺 {settings.PROMISE_DAYS} 日内补齐，才能受理。",
            code="promise_required",
        )
    Material.objects.filter(application=app, code__in=received_codes).update(
        received_at=now, received_by=actor, late=False
    )
    for code, uploads in files.items():
        for upload in uploads:
            _attach(app, code, upload, actor)
    app.accepted_at = now
    app.accepted_on = today
    app.step_due_on = work_calendar().add(today, settings.TIME_LIMIT_TOWNSHIP_DAYS)
    if missing:
        workflow.promise_move(
            app,
            PromiseStatus.PENDING,
            promise_due_on=today + timedelta(days=settings.PROMISE_DAYS),
            promise_signed_at=now,
        )
    _move(
        app,
        "accept",
        Status.ACCEPTED,
        "受理",
        actor,
        summary=f"受理 {app.number}"
        + (
            f"；缺 {len(missing)} 项材料，承诺 {app.promise_due_on} 前补齐"
            if missing
            else "；材料齐全"
        ),
        changes={"promise_status": ["none", app.promise_status]},
    )
    town = app.township
    if missing:
        text = (
            f"您的医疗救助申请（编号{app.number}）已受理。尚缺：{_missing_text(app)}，"
            f"请于{app.promise_due_on:%-m月%-d日}前交到{town.name}社会救助窗口。电话{town.window_phone}"
        )
    else:
        text = f"您的医疗救助申请（编号{app.number}）已受理，材料齐全。可凭编号和身份证号查询进度。"
    _notify(app, "accepted", text, f"accepted:{app.pk}")
    _queue_letters(app)
    if forward:
        app = application_transition(application=app, action="forward", actor=actor)
    return app


@transaction.atomic
def material_receive(
    *, application: Application, code: str, actor: Any, files: Iterable[UploadedFile] = ()
) -> Application:
    """A missing material arrives (补交); the last one fulfils the promise."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    refused = workflow.case_action_refusal(app, "receive_material", actor)
    if refused:
        raise ValidationError(refused, code="refused")
    uploads = list(files)
    _validate_uploads({code: uploads})
    material = app.materials.filter(code=code).first()
    if material is None:
        raise ValidationError("这项材料不在本申请的清单上。", code="unknown_material")
    if material.received:
        raise ValidationError(
            f"“{material.get_code_display()}”已经收到，不必重复登记。", code="twice"
        )
    now = timezone.now()
    material.received_at = now
    material.received_by = actor
    material.late = app.status != Status.DRAFT
    material.save()
    for upload in uploads:
        _attach(app, code, upload, actor)
    _event(app, "material", f"收到补交材料：{material.get_code_display()}", actor)
    summary = f"{app.number} 收到材料：{material.get_code_display()}"
    fulfilled = (
        app.promise_status in workflow.PROMISE_OPEN
        and not app.materials.filter(received_at__isnull=True).exists()
    )
    if fulfilled:
        before = workflow.promise_move(app, PromiseStatus.FULFILLED, promise_fulfilled_at=now)
        app.save(update_fields=["updated_at"])
        _event(app, "promise_fulfilled", "承诺材料已全部补齐", actor)
        summary += "；承诺材料已全部补齐"
        _notify(
            app,
            "fulfilled",
            f"您的医疗救助申请（编号{app.number}）所缺材料已全部收齐，谢谢配合。",
            f"fulfilled:{app.pk}",
        )
        changes = {"promise_status": [before, PromiseStatus.FULFILLED]}
    else:
        changes = {}
    record(
        actor=actor, action=AuditEvent.Action.UPDATE, target=app, summary=summary, changes=changes
    )
    return app


@transaction.atomic
def attachment_add(
    *, application: Application, code: str, upload: UploadedFile, actor: Any
) -> Attachment:
    app = Application.objects.select_for_update().get(pk=application.pk)
    _require_clerk_of(actor, app.township_id)
    if code not in MATERIALS:
        raise ValidationError("未知材料。", code="unknown_material")
    attachment = _attach(app, code, upload, actor)
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=attachment,
        summary=f"{app.number} 上传扫描件：{MATERIALS[code]}",
        township=app.township,
    )
    return attachment


# --- transitions ----------------------------------------------------------------------------

DEDICATED = {
    "accept": "受理请用受理表单（勾选材料、记录承诺）。",
    "recommend": "审核意见请用审核意见表单。",
    "approve": "批准请用审批表单。",
    "reject": "不予救助请用审批表单（选择原因）。",
}

STEP_LIMITS = {
    Status.ACCEPTED: "TIME_LIMIT_TOWNSHIP_DAYS",
    Status.FORWARDED: "TIME_LIMIT_COUNTY_DAYS",
    Status.RETURNED: "TIME_LIMIT_TOWNSHIP_DAYS",
    Status.APPROVED: "TIME_LIMIT_PAYMENT_DAYS",
}


@transaction.atomic
def application_transition(
    *, application: Application, action: str, actor: Any, reason: str = ""
) -> Application:
    """Move the application along the graph in ``workflow``; refused with a reason otherwise.

    The row is locked first, so a second click or a second tab finds the new state and is refused."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    blocked = workflow.refusal(app, action, actor, reason)
    if blocked:
        raise ValidationError(blocked, code="refused")
    if action in DEDICATED:
        raise ValidationError(DEDICATED[action], code="use_form")
    transition = workflow.TRANSITIONS[action]
    now = timezone.now()
    limit = STEP_LIMITS.get(transition.target)
    if limit is not None:
        app.step_due_on = work_calendar().add(timezone.localdate(), getattr(settings, limit))
    elif transition.target != Status.IN_REVIEW:  # review keeps the county's due date
        app.step_due_on = None
    if action == "forward" or action == "resubmit":
        app.forwarded_at = now
    elif action == "start_review":
        app.reviewer = actor
    elif action in ("approve", "reject"):
        app.decided_at = now
    elif action == "pay":
        app.paid_at = now
    _move(app, action, transition.target, transition.label, actor, reason.strip())
    return app


# --- the county: recommendation and decision ------------------------------------------------


class BudgetOverrun(ValidationError):
    """Approving would overrun the county's yearly budget; nothing was changed."""


def _locked_for(application: Application, action: str, actor: Any, reason: str = "") -> Application:
    app = (
        Application.objects.select_for_update()
        .select_related("county", "person")
        .get(pk=application.pk)
    )
    blocked = workflow.refusal(app, action, actor, reason)
    if blocked:
        raise ValidationError(blocked, code="refused")
    return app


def _move(
    app: Application,
    action: str,
    to: Status,
    label: str,
    actor: Any,
    reason: str = "",
    *,
    event: str = "",
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> None:
    """The one writer of an application's state: ``to`` must be a target the workflow declares
    for ``action``; the row (locked by the caller) is saved with the case event and the audit row."""
    if to not in workflow.TRANSITIONS[action].targets:
        raise ValueError(f"{action} does not lead to {to}")
    before = app.status
    app.status = to
    app.status_changed_at = timezone.now()
    app.save()
    _event(app, event or action, label, actor, from_status=before, to_status=to, reason=reason)
    record(
        actor=actor,
        action=AuditEvent.Action.TRANSITION,
        target=app,
        summary=summary or f"{app.number} {label}" + (f"：{reason}" if reason else ""),
        changes={"status": [before, to], **(changes or {})},
    )


@transaction.atomic
def application_recommend(
    *, application: Application, actor: Any, recommendation: str, note: str = ""
) -> Application:
    """The reviewer's opinion. An approval recommended for an identity the policy publishes first
    (依申请对象) starts the public notice (公示) of the policy's number of working days."""
    from settlements.services import policy_for

    from .models import Recommendation

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
    """(the county's budget for the year or None when none is set, what approvals have used)."""
    from settlements.models import CountyBudget

    budget = CountyBudget.objects.filter(county=county, year=year).first()
    used = Application.objects.filter(
        county=county, decided_at__year=year, status__in=[Status.APPROVED, Status.PAID]
    ).aggregate(s=Sum("approved_amount"))["s"] or Decimal("0")
    return (budget.amount if budget else None), used.quantize(Decimal("0.01"))


@transaction.atomic
def application_approve(
    *, application: Application, actor: Any, confirm_overrun: bool = False
) -> Application:
    """Approve: above the county's amount, the first approval waits for a second approver; then, in
    this one transaction, the settlement is stored with its snapshot and policy version, the yearly
    ledger moves (under its row lock), the budget is checked, and the audit row is written."""
    from settlements.services import settlement_calculate, settlement_store

    from .settling import engine_expenses

    app = _locked_for(application, "approve", actor)
    # The engine runs once, on the ledger locked for this transaction; the same figure decides
    # whether a second approver is needed and is what gets stored.
    calculated = settlement_calculate(
        key=f"application:{app.number}", person=app.person, expenses=engine_expenses(app)
    )
    amount = calculated.result.to_pay
    if app.status != Status.SECOND and amount > app.county.second_approval_above:
        app.first_approver = actor
        _move(
            app,
            "approve",
            Status.SECOND,
            f"第一审批人同意（拟发放 {amount} 元，超过 {app.county.second_approval_above} 元），"
            "待第二审批人审批",
            actor,
            event="approve_first",
        )
        return app
    settlement = settlement_store(calculated=calculated, actor=actor)
    today = timezone.localdate()
    budget, used = county_budget_left(app.county, today.year)
    if budget is not None and used + amount > budget:
        if not confirm_overrun:
            raise BudgetOverrun(
                f"本县 {today.year} 年救助预算 {budget} 元，已批准 {used} 元，尚余 {budget - used} 元；"
                f"本案拟发放 {amount} 元，将超出预算 {used + amount - budget} 元。确需批准请勾选确认。",
                code="budget",
            )
        record(
            actor=actor,
            action=AuditEvent.Action.TRANSITION,
            target=app,
            summary=f"{app.number} 超预算审批确认：预算 {budget} 元，已批准 {used} 元，本案 {amount} 元",
        )
    app.settlement = settlement
    app.approved_amount = amount
    app.decided_at = timezone.now()
    app.decided_by = actor
    app.step_due_on = work_calendar().add(today, settings.TIME_LIMIT_PAYMENT_DAYS)
    _move(app, "approve", Status.APPROVED, f"批准救助 {amount} 元", actor)
    _queue_letters(app)
    return app


@transaction.atomic
def application_reject(
    *, application: Application, actor: Any, reason: str, note: str = ""
) -> Application:
    """不予救助: a reason from the list, plus words (required for 其他原因)."""
    from .models import RejectionReason

    note = note.strip()
    if reason not in RejectionReason.values:
        raise ValidationError("请从列表中选择不予救助的原因。", code="reason")
    if reason == RejectionReason.OTHER and not note:
        raise ValidationError("选择“其他原因”时须写明具体理由。", code="note")
    label = RejectionReason(reason).label
    app = _locked_for(application, "reject", actor, reason=label)
    app.rejection_reason = reason
    app.rejection_note = note
    app.decided_at = timezone.now()
    app.decided_by = actor
    app.step_due_on = None
    _move(app, "reject", Status.REJECTED, "不予救助", actor, label + (f"：{note}" if note else ""))
    _queue_letters(app)
    return app


CORRECTABLE = ("total", "policy_scope", "basic_paid", "critical_paid", "in_region", "referred")


@transaction.atomic
def expense_correct(
    *, expense: MedicalExpense, values: Mapping[str, Any], reason: str, actor: Any
) -> MedicalExpense:
    """The reviewer corrects an expense against the slip; the reason and the change go into the
    case history and the audit trail."""
    app = Application.objects.select_for_update().get(pk=expense.application_id)
    refused = workflow.case_action_refusal(app, "correct_expense", actor)
    if refused:
        raise ValidationError(refused, code="not_allowed")
    if not reason.strip():
        raise ValidationError("更正费用须写明理由。", code="reason")
    item = MedicalExpense.objects.get(pk=expense.pk, application=app)
    before = {name: getattr(item, name) for name in CORRECTABLE}
    for name in CORRECTABLE:
        if name in values:
            setattr(item, name, values[name])
    item.full_clean()
    changes = {
        name: [str(before[name]), str(getattr(item, name))]
        for name in CORRECTABLE
        if before[name] != getattr(item, name)
    }
    if not changes:
        raise ValidationError("没有改动任何数额。", code="unchanged")
    item.save()
    app.claimed_total = sum((e.total for e in app.expenses.all()), Decimal("0.00"))
    app.save(update_fields=["claimed_total", "updated_at"])
    labels = {
        name: str(getattr(MedicalExpense._meta.get_field(name), "verbose_name", name))
        for name in changes
    }
    described = "；".join(f"{labels[n]} {old} → {new}" for n, (old, new) in changes.items())
    _event(
        app,
        "correct_expense",
        f"更正费用：{item.hospital}（{described}）",
        actor,
        reason=reason.strip(),
    )
    record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=app,
        summary=f"{app.number} 更正费用 {item.hospital}：{reason.strip()}",
        changes=changes,
    )
    return item


@transaction.atomic
def application_mark_told(*, application: Application, actor: Any) -> Application:
    """结果反馈: the window has told the applicant the decision."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    refused = workflow.case_action_refusal(app, "mark_told", actor)
    if refused:
        raise ValidationError(refused, code="refused")
    app.told_at = timezone.now()
    app.save(update_fields=["told_at", "updated_at"])
    _event(app, "told", "已告知申请人审批结果", actor)
    record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=app,
        summary=f"{app.number} 已告知申请人结果",
    )
    return app


@transaction.atomic
def inbox_mark_read(*, message: InboxMessage, actor: Any) -> None:
    if message.recipient_id != actor.pk:
        raise ValidationError("这不是您的提醒。", code="not_yours")
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])


# --- reminders and notifications ------------------------------------------------------------


@dataclass
class SweepResult:
    due_soon: int
    overdue: int
    inbox_created: int
    notifications_created: int
    marked_overdue: int
    sent: int
    failed: int


def _promises_overdue(late: list[tuple[int, str, date | None, int, int]]) -> None:
    """Each promise the sweep found overdue gets its case event and its audit row (in bulk)."""
    now = timezone.now()
    ApplicationEvent.objects.bulk_create(
        [
            ApplicationEvent(
                application_id=pk,
                action="promise_overdue",
                at=now,
                label=f"承诺补交材料逾期（期限 {due:%Y-%m-%d}）",
            )
            for pk, _, due, _, _ in late
        ],
        batch_size=1000,
    )
    record_by_system(
        action=AuditEvent.Action.UPDATE,
        model=Application,
        rows=(
            (pk, number, township_id, county_id,
             f"承诺补交材料逾期（期限 {due:%Y-%m-%d}），承诺状态改为“已逾期”")
            for pk, number, due, township_id, county_id in late
        ),
    )  # fmt: skip


def reminders_sweep(*, today: date | None = None, deliver: bool = True) -> SweepResult:
    """Find promises due within PROMISE_REMIND_DAYS days and promises overdue; remind each once
    per application, kind and day (the clerk's inbox and the applicant's phone); then send every
    notification still waiting. Derives everything from the database: safe to run twice, by two
    workers at once, or after a broker outage. A constant number of queries whatever the volume."""
    today = today or timezone.localdate()
    soon = today + timedelta(days=settings.PROMISE_REMIND_DAYS)
    open_promise = Q(promise_status__in=[PromiseStatus.PENDING, PromiseStatus.OVERDUE]) & ~Q(
        status__in=workflow.FINAL
    )
    with transaction.atomic():
        late = list(
            Application.objects.select_for_update()
            .filter(open_promise, promise_status=PromiseStatus.PENDING, promise_due_on__lt=today)
            .values_list("pk", "number", "promise_due_on", "township_id", "county_id")
        )
        marked = workflow.promises_overdue([r[0] for r in late])
        _promises_overdue(late)
        due_cases = Application.objects.filter(open_promise, promise_due_on__lte=soon)
        rows = list(
            due_cases.exclude(
                Exists(
                    InboxMessage.objects.filter(
                        application=OuterRef("pk"),
                        for_day=today,
                        kind__in=["due_soon", "overdue"],
                    )
                )
            ).values(
                "pk",
                "number",
                "promise_due_on",
                "created_by_id",
                "contact_phone",
                "agent_phone",
                "township__name",
                "township__window_phone",
            )
        )
        missing: dict[int, list[str]] = {}
        for app_id, code in Material.objects.filter(
            application__in=due_cases.values("pk"), received_at__isnull=True
        ).values_list("application_id", "code"):  # a subquery, not a list of ids: constant size
            missing.setdefault(app_id, []).append(MATERIALS[code])
        inbox, outbox = [], []
        counts = {"due_soon": 0, "overdue": 0}
        now = timezone.now()
        for r in rows:
            due = r["promise_due_on"]
            if due is None:  # excluded by the filter; for the type checker
                continue
            kind = "overdue" if due < today else "due_soon"
            counts[kind] += 1
            items = "、".join(missing.get(r["pk"], [])) or "（无）"
            key = f"{kind}:{r['pk']}:{today.isoformat()}"
            if kind == "overdue":
                clerk_text = f"{r['number']} 承诺补交材料已逾期 {(today - due).days} 天（期限 {due:%-m月%-d日}）：{items}"
                sms = (
                    f"您的医疗救助申请（编号{r['number']}）承诺补交的材料已过期限（{due:%-m月%-d日}）：{items}。"
                    f"请尽快交到{r['township__name']}社会救助窗口，电话{r['township__window_phone']}"
                )
            else:
                left = (due - today).days
                when = "今天" if left == 0 else f"{left} 天后"
                clerk_text = f"{r['number']} 承诺补交材料{when}到期（{due:%-m月%-d日}）：{items}"
                sms = (
                    f"提醒：您的医疗救助申请（编号{r['number']}）尚缺{items}，"
                    f"请于{due:%-m月%-d日}前交到{r['township__name']}社会救助窗口，电话{r['township__window_phone']}"
                )
            inbox.append(
                InboxMessage(
                    recipient_id=r["created_by_id"],
                    application_id=r["pk"],
                    kind=kind,
                    text=clerk_text[:300],
                    for_day=today,
                    dedupe_key=key,
                    created_at=now,
                )
            )
            for phone in sorted({p for p in (r["contact_phone"], r["agent_phone"]) if p}):
                outbox.append(
                    Notification(
                        application_id=r["pk"],
                        kind=kind,
                        phone=phone,
                        text=sms[:500],
                        dedupe_key=f"{key}:{phone}",
                        created_at=now,
                    )
                )
        # one INSERT per table on PostgreSQL whatever the volume (SQLite splits by its variable limit)
        InboxMessage.objects.bulk_create(inbox, ignore_conflicts=True)
        Notification.objects.bulk_create(outbox, ignore_conflicts=True)
    sent, failed = notifications_deliver_all() if deliver else (0, 0)
    return SweepResult(
        due_soon=counts["due_soon"],
        overdue=counts["overdue"],
        inbox_created=len(inbox),
        notifications_created=len(outbox),
        marked_overdue=marked,
        sent=sent,
        failed=failed,
    )


MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=5)  # a failed message waits this long before its next attempt
STALE_CLAIM = timedelta(minutes=10)


def notifications_deliver_all(*, batches: int = 100) -> tuple[int, int]:
    """Send everything waiting, 5,000 messages (three queries) at a time."""
    sent = failed = 0
    for _ in range(batches):
        done, broken = notifications_deliver()
        sent, failed = sent + done, failed + broken
        if not done and not broken:
            break
    return sent, failed


def notifications_deliver(*, limit: int = 5000) -> tuple[int, int]:
    """Send what is waiting in the outbox, each message by exactly one worker.

    A worker claims rows with one UPDATE (a token no other worker has), then sends them; a claim
    older than STALE_CLAIM (a worker that died) is taken over. Failed messages are tried again on
    a sweep at least RETRY_AFTER later, up to MAX_ATTEMPTS."""
    token = uuid.uuid4().hex
    now = timezone.now()
    ready = (
        Q(state=Notification.State.PENDING)
        | Q(
            state=Notification.State.FAILED,
            attempts__lt=MAX_ATTEMPTS,
            claimed_at__lt=now - RETRY_AFTER,
        )
        | Q(state=Notification.State.SENDING, claimed_at__lt=now - STALE_CLAIM)
    )
    waiting = list(
        Notification.objects.filter(ready).order_by("id").values_list("id", flat=True)[:limit]
    )
    # The same condition again in the UPDATE: a row another worker claimed meanwhile no longer
    # matches it, so each row is claimed by one worker only.
    claimed_count = Notification.objects.filter(ready, id__in=waiting).update(
        state=Notification.State.SENDING,
        claim=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed_count:
        return 0, 0
    claimed = list(Notification.objects.filter(claim=token, state=Notification.State.SENDING))
    try:
        backend = get_backend()
    except NotificationError as exc:
        Notification.objects.filter(claim=token).update(
            state=Notification.State.FAILED, last_error=str(exc)[:300]
        )
        return 0, len(claimed)
    sent_ids, failures = [], []
    for note in claimed:
        try:
            backend.send(note.phone, note.text)
        except NotificationError as exc:
            note.state = Notification.State.FAILED
            note.last_error = str(exc)[:300]
            failures.append(note)
        else:
            sent_ids.append(note.pk)
    if sent_ids:
        Notification.objects.filter(pk__in=sent_ids).update(
            state=Notification.State.SENT,
            sent_at=timezone.now(),
            backend=backend.name,
            last_error="",
        )
    if failures:
        Notification.objects.bulk_update(failures, ["state", "last_error"])
    return len(sent_ids), len(failures)
