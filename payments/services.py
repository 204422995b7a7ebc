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

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from applications.models import Application, Status
from applications.services import application_transition
from applications.workflow import PROMISE_OPEN
from audit.models import AuditEvent
from audit.services import record
from core.numbering import next_in
from settlements.engine.money import AmountError, parse_yuan

from .models import Payment, PaymentBatch

HEADER = ["序号", "批次号", "申请编号", "收款人", "开户银行", "银行账号", "金额（元）", "用途"]
RETURN_COLUMNS = {"申请编号", "金额（元）", "结果"}


def _live_payment() -> Exists:
    return Exists(
        Payment.objects.filter(
            application=OuterRef("pk"), state__in=[Payment.State.PENDING, Payment.State.PAID]
        )
    )


def payable(county: Any) -> QuerySet[Application]:
    """Approved cases of the county with every material in and no payment under way."""
    return (
        Application.objects.filter(county=county, status=Status.APPROVED)
        .exclude(promise_status__in=PROMISE_OPEN)
        .exclude(_live_payment())
        .select_related("person", "township")
        .order_by("decided_at", "id")
    )


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
        action=AuditEvent.Action.CREATE,
        target=batch,
        county=county,
        summary=f"发放批次 {batch.number}：{len(apps)} 笔，合计 {total} 元",
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
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(batch.number[:31])
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)  # the amount as text with two decimals, exactly as in the CSV
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(HEADER)
        writer.writerows(rows)
        content = ("\ufeff" + text.getvalue()).encode("utf-8")
        ctype = "text/csv; charset=utf-8"
    if batch.state == PaymentBatch.State.OPEN:
        batch.state = PaymentBatch.State.EXPORTED
        batch.exported_at = timezone.now()
        batch.save(update_fields=["state", "exported_at"])
    record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
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
    now = timezone.now()
    line.recorded_by = actor
    line.recorded_at = now
    if paid:
        line.state = Payment.State.PAID
        line.paid_on = paid_on or timezone.localdate()
        line.save()
        application_transition(application=line.application, action="pay", actor=actor)
    else:
        line.state = Payment.State.FAILED
        line.failure_reason = reason.strip()[:200]
        line.save()
    record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=line.application,
        summary=(
            f"{line.application.number} 已发放 {line.amount} 元（{line.paid_on}，批次 {line.batch.number}）"
            if paid
            else f"{line.application.number} 发放失败：{line.failure_reason}（批次 {line.batch.number}）"
        ),
    )
    if not line.batch.payments.filter(state=Payment.State.PENDING).exists():
        PaymentBatch.objects.filter(pk=line.batch_id).update(state=PaymentBatch.State.CLOSED)
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
        except Exception:
            raise ValidationError("文件不是有效的 XLSX 表格。", code="bad_file") from None
        rows = [
            ["" if v is None else str(v).strip() for v in r]
            for r in book.active.iter_rows(values_only=True)
        ]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]
    if not rows:
        raise ValidationError("文件是空的。", code="empty")
    header = rows[0]
    missing = RETURN_COLUMNS - set(header)
    if missing:
        raise ValidationError(f"回盘文件缺少列：{'、'.join(sorted(missing))}", code="columns")
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(r)]


def payment_return_import(
    *, batch: PaymentBatch, data: bytes, name: str, actor: User
) -> ReturnResult:
    """Apply the bank's return file: each line paid or failed; lines that match nothing reported."""
    result = ReturnResult()
    lines = {p.application.number: p for p in batch.payments.select_related("application")}
    for n, row in enumerate(_read_return(data, name), start=2):
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
        action=AuditEvent.Action.UPDATE,
        target=batch,
        county=batch.county,
        summary=f"导入银行回盘 {batch.number}：成功 {result.paid} 笔，失败 {result.failed} 笔，"
        f"未匹配 {len(result.problems)} 行",
    )
    return result


@transaction.atomic
def payee_correct(
    *, application: Application, bank_name: str, holder: str, account: str, reason: str, actor: User
) -> Application:
    """Correct the account of a case whose payment failed, so it can go into a new batch."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    if app.status != Status.APPROVED:
        raise ValidationError("只有已批准、尚未发放的申请可以更正收款账户。", code="state")
    if not reason.strip() or not account.strip():
        raise ValidationError("请填写新的银行账号和更正原因。", code="required")
    if app.payments.filter(state=Payment.State.PENDING).exists():
        raise ValidationError("该申请在待银行结果的批次中，待结果登记后再更正。", code="pending")
    before = app.bank_account_number
    app.bank_name, app.bank_account_holder = bank_name.strip(), holder.strip()
    app.bank_account_number = account.replace(" ", "")
    app.save(
        update_fields=["bank_name", "bank_account_holder", "bank_account_number", "updated_at"]
    )
    from beneficiaries.models import mask_account

    record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=app,
        summary=f"{app.number} 更正收款账户：{reason.strip()}",
        changes={
            "bank_account_number": [mask_account(before), mask_account(app.bank_account_number)]
        },
    )
    return app
