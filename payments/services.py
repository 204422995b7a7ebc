"""Payment of approved assistance (发放): batches, the bank file, the bank's results.

Only approved cases whose materials are all in can be paid; a case with a promise still open is
*held*, with the reason. A case is never paid twice: a database constraint allows one pending or
paid line per case, and the case row is locked while a batch is built. A failed line can be paid
in a new batch once the account has been corrected.

The bank file (CSV, UTF-8 with BOM, or XLSX), one row per line:

    序号, 批次号, 申请编号, 收款人, 开户银行, 银行账号, 金额（元）, 用途

The bank's return file: the same columns plus 结果 (成功 / 失败), 失败原因 and 日期 (YYYY-MM-DD); only
申请编号, 金额（元）, 结果, 失败原因 and 日期 are read.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.access import role_of
from accounts.models import Role, User
from applications.models import Application, Status
from applications.services import application_transition
from applications.workflow import PROMISE_OPEN, in_area
from audit.events import Event
from audit.services import record
from beneficiaries.models import mask_account
from core.bank import account_number
from core.formats import yuan
from core.numbering import next_in
from core.rows import csv_refusal
from core.spreadsheet import table
from engine.money import AmountError, parse_yuan

from .models import (
    ACCOUNT_CHANGE_STATES,
    BATCH_STATES,
    PAYMENT_STATES,
    RECOVERY_STATES,
    AccountChange,
    Payment,
    PaymentBatch,
    Recovery,
)

HEADER = ["序号", "批次号", "申请编号", "收款人", "开户银行", "银行账号", "金额（元）", "用途"]
RETURN_COLUMNS = {"申请编号", "金额（元）", "结果"}
RETURN_TEMPLATE_HEADER = [
    "申请编号",
    "收款人",
    "金额（元）",
    "结果（成功/失败）",
    "失败原因",
    "日期",
]


def return_column(name: str) -> str:
    """A return file's header as the bank or a person writes it → the column we read:
    ``结果（成功/失败）`` or ``结果(成功/失败)`` → ``结果``; ``金额(元)`` or ``金额`` → ``金额（元）``."""
    text = name.strip().replace("(", "（").replace(")", "）").replace(" ", "")
    base = text.split("（", 1)[0]
    return "金额（元）" if base == "金额" else base


def return_template(batch: PaymentBatch) -> tuple[bytes, str, str]:
    """The return file to fill in: one row per line of the batch, 结果 left for the bank's answer
    (the layout the batch page lists; the same file, filled in, is read back as it is)."""
    rows = [
        [p.application.number, p.payee_name, f"{p.amount:.2f}", "", "", ""]
        for p in batch.payments.select_related("application").order_by("id")
    ]
    content, ctype = table(RETURN_TEMPLATE_HEADER, rows, fmt="csv", sheet=batch.number)
    return content, ctype, f"{batch.number}-回盘模板.csv"


def _live_payment() -> Exists:
    return Exists(
        Payment.objects.filter(
            application=OuterRef("pk"), state__in=[Payment.State.PENDING, Payment.State.PAID]
        )
    )


def _failed_unfixed() -> Q:
    """The case's last line failed and no second person has confirmed its account since."""
    last_failed = Payment.objects.filter(application=OuterRef("pk"), state=Payment.State.FAILED)
    return Exists(last_failed) & ~Exists(
        AccountChange.objects.filter(
            application=OuterRef("pk"),
            state=AccountChange.State.CONFIRMED,
            decided_at__gt=Subquery(
                Payment.objects.filter(
                    application=OuterRef(OuterRef("pk")), state=Payment.State.FAILED
                )
                .order_by("-recorded_at")
                .values("recorded_at")[:1]
            ),
        )
    )


def _open_change() -> Exists:
    return Exists(
        AccountChange.objects.filter(application=OuterRef("pk"), state=AccountChange.State.PROPOSED)
    )


def _approved(county: Any) -> QuerySet[Application]:
    return Application.objects.filter(county=county, status=Status.APPROVED).select_related(
        "person", "township"
    )


def payable(county: Any) -> QuerySet[Application]:
    """Approved cases of the county with every material in, an account to pay to (confirmed again
    after a failed line) and no payment under way."""
    return (
        _approved(county)
        .exclude(promise_status__in=PROMISE_OPEN)
        .exclude(_live_payment())
        .exclude(bank_account_number="")
        .exclude(_failed_unfixed())
        .exclude(_open_change())
        .order_by("decided_at", "id")
    )


def account_waiting(county: Any) -> list[tuple[Application, str]]:
    """Approved cases that cannot be paid for their account, each with what is needed (no dead
    end: each says who acts next)."""
    rows = (
        _approved(county)
        .exclude(_live_payment())
        .annotate(failed=_failed_unfixed(), changing=_open_change())
        .filter(Q(bank_account_number="") | Q(failed=True) | Q(changing=True))
        .order_by("decided_at", "id")
    )
    out: list[tuple[Application, str]] = []
    for app in rows[:200]:
        if app.changing:
            why = "账户变更待第二人确认"
        elif not app.bank_account_number:
            why = "缺少收款账号：由窗口或财务补录账户（附银行卡扫描件），经第二人确认后可发放"
        else:
            why = "上次发放失败：须更正账户，或由第二人确认账户无误后再发放"
        out.append((app, why))
    return out


def held(county: Any) -> QuerySet[Application]:
    """Approved cases waiting for materials the applicant promised (待收齐材料后发放)."""
    return (
        Application.objects.filter(
            county=county, status=Status.APPROVED, promise_status__in=PROMISE_OPEN
        )
        .select_related("person", "township")
        .order_by("promise_due_on", "id")
    )


def _batch_number(county: Any) -> str:
    today = timezone.localdate()
    return f"{county.code}-FF-{today:%Y%m%d}-{next_in(f'payment-batch:{county.code}:{today:%Y%m%d}'):02d}"


@transaction.atomic
def payment_batch_create(
    *, county: Any, application_ids: Iterable[int], actor: User
) -> PaymentBatch:
    ids = sorted(set(application_ids))
    if not ids:
        raise ValidationError("请至少选择一件待发放的申请。", code="empty")
    apps = list(
        Application.objects.select_for_update().filter(pk__in=ids, county=county).order_by("pk")
    )
    if len(apps) != len(ids):
        raise ValidationError("所选申请不属于本县或不存在。", code="scope")
    problems = []
    for app in apps:
        if app.status != Status.APPROVED:
            problems.append(f"{app.number} 当前为“{app.get_status_display()}”")
        elif app.promise_status in PROMISE_OPEN:
            problems.append(f"{app.number} 承诺补交的材料尚未收齐")
        elif not (app.bank_account_number and app.approved_amount):
            problems.append(f"{app.number} 缺少收款账号或批准金额")
    blocked = set(
        Application.objects.filter(pk__in=ids)
        .filter(_failed_unfixed() | _open_change())
        .values_list("number", flat=True)
    )
    problems += [
        f"{n} 上次发放失败后账户尚未更正或确认，或有待确认的账户变更" for n in sorted(blocked)
    ]
    if problems:
        raise ValidationError("以下申请不能发放：" + "；".join(problems), code="not_payable")
    batch = PaymentBatch.objects.create(
        number=_batch_number(county), county=county, created_by=actor
    )
    try:
        with transaction.atomic():
            Payment.objects.bulk_create(
                [
                    Payment(
                        batch=batch,
                        application=app,
                        amount=app.approved_amount or Decimal("0"),  # checked above
                        payee_name=app.bank_account_holder or app.person.name,
                        bank_name=app.bank_name,
                        account_number=app.bank_account_number.replace(" ", ""),
                    )
                    for app in apps
                ]
            )
    except IntegrityError:
        raise ValidationError(
            "所选申请中有已在发放中或已发放的，不能重复发放。", code="twice"
        ) from None
    total = sum((app.approved_amount or Decimal(0) for app in apps), Decimal("0.00"))
    record(
        actor=actor,
        event=Event.BATCH_CREATED,
        target=batch,
        county=county,
        summary=f"发放批次 {batch.number}：{len(apps)} 笔，合计 {yuan(total)} 元",
    )
    return batch


def bank_rows(batch: PaymentBatch) -> list[list[str]]:
    return [
        [
            str(n),
            batch.number,
            p.application.number,
            p.payee_name,
            p.bank_name,
            p.account_number,
            f"{p.amount:.2f}",
            f"医疗救助金 {p.application.number}",
        ]
        for n, p in enumerate(batch.payments.select_related("application").order_by("id"), start=1)
    ]


@transaction.atomic
def payment_batch_export(*, batch: PaymentBatch, fmt: str, actor: User) -> tuple[bytes, str, str]:
    """The bank file, as (content, content type, file name); the export is audited."""
    rows = bank_rows(batch)
    # amounts as text with two decimals, exactly as in the CSV; no cell can run (core.spreadsheet)
    content, ctype = table(HEADER, rows, fmt="xlsx" if fmt == "xlsx" else "csv", sheet=batch.number)
    BATCH_STATES.move(batch, PaymentBatch.State.EXPORTED, exported_at=timezone.now())  # once
    record(
        actor=actor,
        event=Event.BATCH_EXPORTED,
        target=batch,
        county=batch.county,
        summary=f"导出银行文件 {batch.number}（{fmt.upper()}，{len(rows)} 笔）",
    )
    return content, ctype, f"{batch.number}.{'xlsx' if fmt == 'xlsx' else 'csv'}"


@transaction.atomic
def payment_record(
    *, payment: Payment, paid: bool, actor: User, reason: str = "", paid_on: date | None = None
) -> Payment:
    """The bank's result for one line, from its return file or typed by hand."""
    line = (
        Payment.objects.select_for_update()
        .select_related("application", "batch")
        .get(pk=payment.pk)
    )
    if line.state != Payment.State.PENDING:
        raise ValidationError(
            f"{line.application.number} 已登记为“{line.get_state_display()}”，不能再改。",
            code="final",
        )
    if not paid and not reason.strip():
        raise ValidationError("发放失败须写明原因（如账号错误、户名不符）。", code="reason")
    if len(reason.strip()) > 200:
        raise ValidationError(
            f"失败原因最多 200 字（现在 {len(reason.strip())} 字），请精简。", code="reason_long"
        )
    now = timezone.now()
    line.recorded_by = actor
    line.recorded_at = now
    if paid:
        PAYMENT_STATES.step(line, Payment.State.PAID)
        line.paid_on = paid_on or timezone.localdate()
        line.save()
        application_transition(application=line.application, action="pay", actor=actor)
    else:
        PAYMENT_STATES.step(line, Payment.State.FAILED)
        line.failure_reason = reason.strip()[:200]
        line.save()
    record(
        actor=actor,
        event=Event.PAYMENT_PAID if paid else Event.PAYMENT_FAILED,
        target=line.application,
        summary=(
            f"{line.application.number} 已发放 {yuan(line.amount)} 元（{line.paid_on}，批次 {line.batch.number}）"
            if paid
            else f"{line.application.number} 发放失败：{line.failure_reason}（批次 {line.batch.number}）"
        ),
    )
    if not line.batch.payments.filter(state=Payment.State.PENDING).exists():
        BATCH_STATES.move(line.batch, PaymentBatch.State.CLOSED)
    return line


@dataclass
class ReturnResult:
    paid: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)


def _read_return(data: bytes, name: str) -> list[dict[str, str]]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = [
                ["" if v is None else str(v).strip() for v in r]
                for r in book.worksheets[0].iter_rows(values_only=True)
            ]
        except Exception:  # openpyxl on the bank's file: any failure means it cannot be read
            raise ValidationError(
                "文件不是有效的 XLSX 表格（可能已损坏）。", code="bad_file"
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        try:
            rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            raise ValidationError(csv_refusal(exc), code="bad_file") from None
    if not rows:
        raise ValidationError("文件是空的。", code="empty")
    header = [return_column(h) for h in rows[0]]
    missing = RETURN_COLUMNS - set(header)
    if missing:
        raise ValidationError(f"回盘文件缺少列：{'、'.join(sorted(missing))}", code="columns")
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(r)]


def _check_totals(batch: PaymentBatch, rows: list[dict[str, str]], lines: dict[str, Any]) -> None:
    """The return file must answer the whole batch: as many rows as lines, the same sum."""
    total = sum((p.amount for p in lines.values()), Decimal("0.00"))
    got = Decimal("0.00")
    for row in rows:
        with contextlib.suppress(AmountError):  # the row's own check names it
            got += parse_yuan(row.get("金额（元）", ""), "金额")
    if len(rows) != len(lines) or got != total:
        raise ValidationError(
            f"回盘文件与批次 {batch.number} 不符：批次 {len(lines)} 笔、合计 {yuan(total)} 元，"
            f"回盘 {len(rows)} 行、合计 {yuan(got)} 元。请向银行索取完整的回盘文件；未登记任何结果。",
            code="totals",
        )


def payment_return_import(
    *, batch: PaymentBatch, data: bytes, name: str, actor: User
) -> ReturnResult:
    """Apply the bank's return file: each line paid or failed; lines that match nothing reported."""
    result = ReturnResult()
    lines = {p.application.number: p for p in batch.payments.select_related("application")}
    rows = _read_return(data, name)
    _check_totals(batch, rows, lines)
    for n, row in enumerate(rows, start=2):
        number = row.get("申请编号", "")
        line = lines.get(number)
        if line is None:
            result.problems.append(f"第 {n} 行：申请编号 {number or '（空）'} 不在本批次中")
            continue
        try:
            amount = parse_yuan(row.get("金额（元）", ""), "金额")
        except AmountError as exc:
            result.problems.append(f"第 {n} 行：{exc}")
            continue
        if amount != line.amount:
            result.problems.append(
                f"第 {n} 行：{number} 金额 {amount} 与批次中的 {line.amount} 不符"
            )
            continue
        outcome = row.get("结果", "")
        if outcome not in ("成功", "失败"):
            result.problems.append(f"第 {n} 行：结果应为“成功”或“失败”，收到“{outcome}”")
            continue
        day = None
        if row.get("日期"):
            try:
                day = date.fromisoformat(row["日期"][:10])
            except ValueError:
                result.problems.append(f"第 {n} 行：日期“{row['日期']}”无效")
                continue
            if day > timezone.localdate():
                result.problems.append(f"第 {n} 行：日期 {day} 晚于今天")
                continue
        try:
            payment_record(
                payment=line,
                paid=outcome == "成功",
                actor=actor,
                reason=row.get("失败原因", "") or "银行未说明原因",
                paid_on=day,
            )
        except ValidationError as exc:
            result.problems.append(f"第 {n} 行：{'；'.join(exc.messages)}")
            continue
        if outcome == "成功":
            result.paid += 1
        else:
            result.failed += 1
    record(
        actor=actor,
        event=Event.RETURNS_IMPORTED,
        target=batch,
        county=batch.county,
        summary=f"导入银行回盘 {batch.number}：成功 {result.paid} 笔，失败 {result.failed} 笔，"
        f"未匹配 {len(result.problems)} 行",
    )
    return result


# --- the payee's account after acceptance (four eyes) ---------------------------------------


def _acts_for(actor: User, app: Application, roles: frozenset[Role]) -> bool:
    """``actor`` holds one of ``roles`` in the case's own area (the workflow's area rule)."""
    return role_of(actor) in roles and in_area(app, actor)


PROPOSE_ACCOUNT = frozenset({Role.CLERK, Role.FINANCE})
CONFIRM_ACCOUNT = frozenset({Role.CLERK, Role.FINANCE, Role.APPROVER})
COUNTY_MONEY = frozenset({Role.FINANCE, Role.APPROVER})


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


def account_changes_open(county: Any) -> QuerySet[AccountChange]:
    return AccountChange.objects.filter(
        application__county=county, state=AccountChange.State.PROPOSED
    ).select_related("application", "application__person", "proposed_by", "document")


# --- recovery of money paid (追回) -------------------------------------------------------------


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
    from settlements.services import settlement_recover

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
    record(
        actor=actor,
        event=Event.RECOVERY_REFUNDED,
        target=app,
        summary=f"{app.number} 追回款已退回 {yuan(amount)} 元（{day}）",
    )
    return item


def recoveries_open(county: Any) -> QuerySet[Recovery]:
    return Recovery.objects.filter(
        application__county=county, state__in=[Recovery.State.PROPOSED, Recovery.State.CONFIRMED]
    ).select_related("application", "application__person", "proposed_by")
