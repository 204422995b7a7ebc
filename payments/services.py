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
from django.utils import timezone

from accounts.models import User
from applications.models import Application, Status
from applications.services import application_transition
from applications.services.notifications import applicant_told, window_of
from applications.workflow import PROMISE_OPEN
from audit.events import Event
from audit.services import record
from core.formats import sentence, yuan
from core.numbering import next_in
from core.rows import csv_refusal
from core.spreadsheet import table
from engine.money import AmountError, parse_yuan
from relief.models import Deliberation
from relief.special import deliberation_paid

from .models import (
    BATCH_STATES,
    PAYMENT_STATES,
    Payment,
    PaymentBatch,
)
from .selectors import failed_unfixed, open_change

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
        [p.reference, p.payee_name, f"{p.amount:.2f}", "", "", ""]
        for p in batch.payments.select_related("application", "deliberation").order_by("id")
    ]
    content, ctype = table(RETURN_TEMPLATE_HEADER, rows, fmt="csv", sheet=batch.number)
    return content, ctype, f"{batch.number}-回盘模板.csv"


def _batch_number(county: Any) -> str:
    today = timezone.localdate()
    return f"{county.code}-FF-{today:%Y%m%d}-{next_in(f'payment-batch:{county.code}:{today:%Y%m%d}'):02d}"


@transaction.atomic
def payment_batch_create(
    *,
    county: Any,
    application_ids: Iterable[int],
    actor: User,
    deliberation_ids: Iterable[int] = (),
) -> PaymentBatch:
    ids = sorted(set(application_ids))
    special_ids = sorted(set(deliberation_ids))
    if not ids and not special_ids:
        raise ValidationError("请至少选择一件待发放的申请。", code="empty")
    apps = list(
        Application.objects.select_for_update().filter(pk__in=ids, county=county).order_by("pk")
    )
    specials = list(
        Deliberation.objects.select_for_update(of=("self",))
        .select_related("application", "application__person")
        .filter(pk__in=special_ids, county=county)
        .order_by("pk")
    )
    if len(apps) != len(ids) or len(specials) != len(special_ids):
        raise ValidationError("所选申请不属于本县或不存在。", code="scope")
    problems = _case_problems(apps) + _special_problems(specials)
    blocked = set(
        Application.objects.filter(pk__in=[*ids, *(d.application_id for d in specials)])
        .filter(failed_unfixed() | open_change())
        .values_list("number", flat=True)
    )
    problems += [
        f"{n} 上次发放失败后账户尚未更正或确认，或有待确认的账户变更" for n in sorted(blocked)
    ]
    if problems:
        raise ValidationError("以下申请不能发放：" + "；".join(problems), code="not_payable")
    lines = [_line(app, app.approved_amount or Decimal("0")) for app in apps]  # checked above
    lines += [_line(d.application, d.amount, d) for d in specials]
    batch = PaymentBatch.objects.create(
        number=_batch_number(county), county=county, created_by=actor
    )
    try:
        with transaction.atomic():
            for line in lines:
                line.batch = batch
            Payment.objects.bulk_create(lines)
    except IntegrityError:
        raise ValidationError(
            "所选申请中有已在发放中或已发放的，不能重复发放。", code="twice"
        ) from None
    total = sum((line.amount for line in lines), Decimal("0.00"))
    record(
        actor=actor,
        event=Event.BATCH_CREATED,
        target=batch,
        county=county,
        summary=f"发放批次 {batch.number}：{len(lines)} 笔，合计 {yuan(total)} 元",
    )
    return batch


def _line(app: Application, amount: Decimal, special: Deliberation | None = None) -> Payment:
    return Payment(
        application=app,
        deliberation=special,
        amount=amount,
        payee_name=app.bank_account_holder or app.person.name,
        bank_name=app.bank_name,
        account_number=app.bank_account_number.replace(" ", ""),
    )


def _case_problems(apps: list[Application]) -> list[str]:
    """Why an approved case cannot be paid now."""
    problems = []
    for app in apps:
        if app.status != Status.APPROVED:
            problems.append(f"{app.number} 当前为“{app.get_status_display()}”")
        elif app.promise_status in PROMISE_OPEN:
            problems.append(f"{app.number} 承诺补交的材料尚未收齐")
        elif not (app.bank_account_number and app.approved_amount):
            problems.append(f"{app.number} 缺少收款账号或批准金额")
    return problems


def _special_problems(specials: list[Deliberation]) -> list[str]:
    """Why a 一事一议 cannot be paid now: not decided, its case's papers or account not in order."""
    problems = []
    for d in specials:
        app = d.application
        if d.state != Deliberation.State.DECIDED:
            problems.append(f"{d.number} 当前为“{d.get_state_display()}”")
        elif app.promise_status in PROMISE_OPEN:
            problems.append(f"{d.number} 所涉申请承诺补交的材料尚未收齐")
        elif not app.bank_account_number:
            problems.append(f"{d.number} 所涉申请缺少收款账号")
    return problems


def bank_rows(batch: PaymentBatch) -> list[list[str]]:
    return [
        [
            str(n),
            batch.number,
            p.reference,
            p.payee_name,
            p.bank_name,
            p.account_number,
            f"{p.amount:.2f}",
            f"{'一事一议救助金' if p.deliberation_id else '医疗救助金'} {p.reference}",
        ]
        for n, p in enumerate(
            batch.payments.select_related("application", "deliberation").order_by("id"), start=1
        )
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
        Payment.objects.select_for_update(of=("self",))
        .select_related("application", "batch", "deliberation")
        .get(pk=payment.pk)
    )
    if line.state != Payment.State.PENDING:
        raise ValidationError(
            f"{line.reference} 已登记为“{line.get_state_display()}”，不能再改。",
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
        if line.deliberation is not None:
            deliberation_paid(deliberation=line.deliberation, paid_on=line.paid_on, actor=actor)
        else:
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
            f"{line.reference} 已发放 {yuan(line.amount)} 元（{line.paid_on}，批次 {line.batch.number}）"
            if paid
            else f"{line.reference} 发放失败：{line.failure_reason}（批次 {line.batch.number}）"
        ),
    )
    _tell_applicant(line, paid)
    if not line.batch.payments.filter(state=Payment.State.PENDING).exists():
        BATCH_STATES.move(line.batch, PaymentBatch.State.CLOSED)
    return line


def _tell_applicant(line: Payment, paid: bool) -> None:
    """The SMS of the bank's answer: paid (the day, the masked account) or what to do now."""
    app = line.application
    what = "一事一议救助金" if line.deliberation_id else "医疗救助金"
    if paid:
        sms = (
            f"您的{what}{yuan(line.amount)}元（编号{line.reference}）已于{line.paid_on:%Y-%m-%d}"
            f"打入您{line.bank_name}账户（{line.masked_account}），请注意查收。"
        )
    else:
        sms = (
            f"您的{what}（编号{line.reference}）发放未成功：{sentence(line.failure_reason)}"
            f"请带本人银行卡或一卡通到{window_of(app)}更正收款账户，更正后重新发放。"
        )
    applicant_told(
        application=app,
        kind="paid" if paid else "payment_failed",
        key=f"payment:{line.pk}:{line.state}",
        sms=sms,
    )


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
    lines = {p.reference: p for p in batch.payments.select_related("application", "deliberation")}
    rows = _read_return(data, name)
    _check_totals(batch, rows, lines)
    for n, row in enumerate(rows, start=2):
        try:
            line, outcome, day = _return_line(row, lines)
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


def _return_line(
    row: dict[str, str], lines: dict[str, Payment]
) -> tuple[Payment, str, date | None]:
    """One row of the bank's file read: its line in the batch, 成功 or 失败, the day paid."""
    number = row.get("申请编号", "")
    line = lines.get(number)
    if line is None:
        raise ValidationError(f"申请编号 {number or '（空）'} 不在本批次中")
    try:
        amount = parse_yuan(row.get("金额（元）", ""), "金额")
    except AmountError as exc:
        raise ValidationError(str(exc)) from None
    if amount != line.amount:
        raise ValidationError(f"{number} 金额 {amount} 与批次中的 {line.amount} 不符")
    outcome = row.get("结果", "")
    if outcome not in ("成功", "失败"):
        raise ValidationError(f"结果应为“成功”或“失败”，收到“{outcome}”")
    day = None
    if row.get("日期"):
        try:
            day = date.fromisoformat(row["日期"][:10])
        except ValueError:
            raise ValidationError(f"日期“{row['日期']}”无效") from None
        if day > timezone.localdate():
            raise ValidationError(f"日期 {day} 晚于今天")
    return line, outcome, day
