"""结算与发放: the payment desk (cases ready to pay, cases held for promised materials), the batches,
the bank file and its return, the printed list, and correcting a payee's account."""

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required, has_capability, scoped
from accounts.selectors import counties_for, county_chosen
from applications.selectors import applications_for, promises_to_decide
from audit.events import Event
from audit.services import record
from core.formats import yuan
from core.params import row_id
from core.pdf import check_printable, render_pdf
from engine.money import AmountError, parse_yuan

from . import accounts, recoveries, selectors, services
from .models import AccountChange, Payment, PaymentBatch, Recovery


def _county_of(request: StaffRequest) -> Any:
    return county_chosen(request.user, request.GET.get("county") or request.POST.get("county"))


@capability_required(Capability.SETTLEMENTS)
def index(request: StaffRequest) -> HttpResponse:
    """The payment desk: cases ready to pay, cases held for promised materials, the batches."""
    county = _county_of(request)
    if county is None:
        raise Http404("没有可查看的旗县区。")
    context = {
        "county": county,
        "payable": (payable := list(selectors.payable(county)[:500])),
        "specials": (specials := list(selectors.payable_specials(county)[:200])),
        "payable_total": sum(
            (a.approved_amount or Decimal("0.00") for a in payable), Decimal("0.00")
        )
        + sum((d.amount for d in specials), Decimal("0.00")),
        "payable_count": len(payable) + len(specials),
        "held": list(selectors.held(county)[:200]),
        "account_waiting": selectors.account_waiting(county),
        "promises_to_decide": promises_to_decide(county),
        "account_changes": list(selectors.account_changes_open(county)[:100]),
        "recoveries": list(selectors.recoveries_open(county)[:100]),
        "today": timezone.localdate(),
        "can_read_cases": has_capability(request.user, Capability.READ_CASES),
        "batches": PaymentBatch.objects.filter(county=county)[:30],
        "can_pay": has_capability(request.user, Capability.PAY),
        "counties": counties if len(counties := list(counties_for(request.user))) > 1 else [],
    }
    # the desk shows names and (masked) accounts of the county's payees: an access row
    record(
        actor=request.user,
        event=Event.PAYMENTS_LISTED,
        county=county,
        summary=f"查看结算与发放（{county.name}）：待发放 {len(context['payable'])} 件，"
        f"待补录账户 {len(context['account_waiting'])} 件",
    )
    return render(request, "payments/index.html", context)


def _batch_or_404(request: StaffRequest, pk: int) -> Any:
    return get_object_or_404(
        scoped(request.user, PaymentBatch.objects.select_related("county")),
        pk=pk,
    )


@require_POST
@capability_required(Capability.PAY)
def batch_create(request: StaffRequest) -> HttpResponse:
    county = _county_of(request)
    ids = [pk for v in request.POST.getlist("application") if (pk := row_id(v))]
    specials = [pk for v in request.POST.getlist("special") if (pk := row_id(v))]
    try:
        batch = services.payment_batch_create(
            county=county, application_ids=ids, actor=request.user, deliberation_ids=specials
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("payments:index")
    messages.success(request, f"已生成发放批次 {batch.number}，请导出银行文件。")
    return redirect("payments:batch_detail", pk=batch.pk)


@capability_required(Capability.SETTLEMENTS)
def batch_detail(request: StaffRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    lines = list(
        batch.payments.select_related("application", "application__person", "deliberation")
    )
    record(
        actor=request.user,
        event=Event.BATCH_VIEWED,
        target=batch,
        county=batch.county,
        summary=f"查看发放批次 {batch.number}（{len(lines)} 笔收款人与账户）",
    )
    return render(
        request,
        "payments/batch_detail.html",
        {
            "batch": batch,
            "lines": lines,
            "total": sum((line.amount for line in lines), Decimal("0.00")),
            "can_pay": has_capability(request.user, Capability.PAY),
        },
    )


@capability_required(Capability.PAY)
def batch_return_template(request: StaffRequest, pk: int) -> HttpResponse:
    """回盘模板: the batch's lines with an empty 结果 column, to fill in or to show the bank."""
    batch = _batch_or_404(request, pk)
    content, ctype, name = services.return_template(batch)
    record(
        actor=request.user,
        event=Event.BATCH_TEMPLATE_EXPORTED,
        target=batch,
        county=batch.county,
        summary=f"下载回盘模板 {batch.number}",
    )
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@capability_required(Capability.PAY)
def batch_export(request: StaffRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    fmt = "xlsx" if request.GET.get("fmt") == "xlsx" else "csv"
    content, ctype, name = services.payment_batch_export(batch=batch, fmt=fmt, actor=request.user)
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@capability_required(Capability.PAY)
def batch_return(request: StaffRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    upload = request.FILES.get("file")
    if upload is None or not upload.size or upload.size > 10 * 1024 * 1024:
        messages.error(request, "请选择银行回盘文件（CSV 或 XLSX，不超过 10 MB）。")
        return redirect("payments:batch_detail", pk=batch.pk)
    try:
        result = services.payment_return_import(
            batch=batch, data=upload.read(), name=upload.name or "", actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"回盘已导入：成功 {result.paid} 笔，失败 {result.failed} 笔。")
        for problem in result.problems:
            messages.warning(request, problem)
    return redirect("payments:batch_detail", pk=batch.pk)


@require_POST
@capability_required(Capability.PAY)
def payment_record(request: StaffRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(scoped(request.user, Payment), pk=pk)
    result = request.POST.get("result", "")
    if result not in ("paid", "failed"):  # never read a stray value as a failure
        messages.error(request, "请选择银行结果：成功或失败。未登记任何结果。")
        return redirect("payments:batch_detail", pk=line.batch_id)
    try:
        services.payment_record(
            payment=line,
            paid=result == "paid",
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已登记银行结果。")
    return redirect("payments:batch_detail", pk=line.batch_id)


def _case(request: StaffRequest, number: str) -> Any:
    """A case of the user's own area (``applications_for``), or 404."""
    return get_object_or_404(applications_for(request.user), number=number)


def _back(request: StaffRequest, app: Any) -> HttpResponse:
    """Back to where the form was: the case page for those who read cases, else the desk."""
    if request.POST.get("next") == "case" and has_capability(request.user, Capability.READ_CASES):
        return redirect(app)
    return redirect("payments:index")


@require_POST
@login_required
def account_change_propose(request: StaffRequest, number: str) -> HttpResponse:
    """Add or correct the account of an approved, unpaid case (the window or finance), or state a
    failed line's account is right; a second person confirms it on the payment desk."""
    if request.user.acting_role not in ("clerk", "finance"):
        raise PermissionDenied("只有窗口经办人或财务人员可以变更收款账户。")
    app = _case(request, number)
    try:
        accounts.account_change_propose(
            application=app,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            bank_name=request.POST.get("bank_name", ""),
            holder=request.POST.get("holder", ""),
            account=request.POST.get("account", ""),
            unchanged=request.POST.get("unchanged") == "1",
            document=request.FILES.get("document"),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已提交账户变更，待另一位工作人员确认后生效。")
    return _back(request, app)


@require_POST
@capability_required(Capability.SETTLEMENTS)
def account_change_decide(request: StaffRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(scoped(request.user, AccountChange), pk=pk)
    accept = request.POST.get("decision") == "confirm"
    try:
        accounts.account_change_decide(
            change=change, actor=request.user, accept=accept, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request, "账户变更已确认，可编入发放批次。" if accept else "账户变更已退回。"
        )
    return redirect("payments:index")


@require_POST
@capability_required(Capability.SETTLEMENTS)
def recovery_propose(request: StaffRequest, number: str) -> HttpResponse:
    app = _case(request, number)
    try:
        amount = parse_yuan(request.POST.get("amount", ""), "追回金额")
        recoveries.recovery_propose(
            application=app,
            amount=amount,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            actor=request.user,
        )
    except AmountError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已提出追回，待另一位审批或财务人员复核。")
    return _back(request, app)


def _recovery(request: StaffRequest, pk: int) -> Recovery:
    return get_object_or_404(scoped(request.user, Recovery), pk=pk)


@require_POST
@capability_required(Capability.SETTLEMENTS)
def recovery_decide(request: StaffRequest, pk: int) -> HttpResponse:
    item = _recovery(request, pk)
    accept = request.POST.get("decision") == "confirm"
    try:
        recoveries.recovery_decide(
            recovery=item, actor=request.user, accept=accept, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已复核，追回通知书已生成。" if accept else "已决定不予追回。")
    return _back(request, item.application)


@require_POST
@capability_required(Capability.PAY)
def recovery_refund(request: StaffRequest, pk: int) -> HttpResponse:
    item = _recovery(request, pk)
    try:
        amount = parse_yuan(request.POST.get("amount", ""), "退回金额")
        day = date.fromisoformat(request.POST.get("day", ""))
    except AmountError as exc:
        messages.error(request, str(exc))
        return redirect("payments:index")
    except ValueError:
        messages.error(request, "请填写有效的退回日期（年-月-日）。")
        return redirect("payments:index")
    try:
        recoveries.recovery_refund(
            recovery=item,
            actor=request.user,
            amount=amount,
            day=day,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已登记退回 {yuan(amount)} 元，本年度救助限额和预算已相应退回。")
    return redirect("payments:index")


@capability_required(Capability.PAY)
def batch_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    """The batch as a printed list for signatures (发放清单), accounts masked."""
    batch = _batch_or_404(request, pk)
    lines = list(batch.payments.select_related("application", "deliberation"))
    try:
        check_printable({f"收款人 {line.application.number}": line.payee_name for line in lines})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("payments:batch_detail", pk=batch.pk)
    pdf = render_pdf(
        "documents/batch_list.html",
        {
            "batch": batch,
            "lines": lines,
            "total": sum((line.amount for line in lines), Decimal("0.00")),
            "agency": batch.county.agency_name or f"{batch.county.name}医疗保障经办机构",
            "today": timezone.localdate(),
            "can_read_cases": has_capability(request.user, Capability.READ_CASES),
        },
    )
    record(
        actor=request.user,
        event=Event.BATCH_PDF_EXPORTED,
        target=batch,
        county=batch.county,
        summary=f"导出发放清单 {batch.number}（PDF）",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{batch.number}.pdf"'
    return response
