from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, capability_required, has_capability

from . import payments, services
from .engine import UnknownPolicy, sections
from .forms import PolicyVersionForm
from .models import PolicyVersion
from .policies import load, shipped_codes


def _county_of(request: HttpRequest) -> Any:
    from accounts.selectors import counties_for

    counties = counties_for(request.user)
    chosen = request.GET.get("county") or request.POST.get("county")
    county = counties.filter(pk=chosen).first() if chosen and chosen.isdigit() else None
    return county or counties.first()


@capability_required(Capability.SETTLEMENTS)
def index(request: HttpRequest) -> HttpResponse:
    """The payment desk: cases ready to pay, cases held for promised materials, the batches."""
    from .models import PaymentBatch

    county = _county_of(request)
    if county is None:
        raise Http404("没有可查看的旗县区。")
    context = {
        "county": county,
        "payable": list(payments.payable(county)[:500]),
        "held": list(payments.held(county)[:200]),
        "batches": PaymentBatch.objects.filter(county=county)[:30],
        "can_pay": has_capability(request.user, Capability.PAY),
    }
    return render(request, "settlements/index.html", context)


def _batch_or_404(request: HttpRequest, pk: int) -> Any:
    from accounts.selectors import counties_for

    from .models import PaymentBatch

    return get_object_or_404(
        PaymentBatch.objects.filter(county__in=counties_for(request.user)).select_related("county"),
        pk=pk,
    )


@require_POST
@capability_required(Capability.PAY)
def batch_create(request: HttpRequest) -> HttpResponse:
    county = _county_of(request)
    ids = [int(v) for v in request.POST.getlist("application") if v.isdigit()]
    try:
        batch = payments.payment_batch_create(
            county=county, application_ids=ids, actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("settlements:index")
    messages.success(request, f"已生成发放批次 {batch.number}，请导出银行文件。")
    return redirect("settlements:batch_detail", pk=batch.pk)


@capability_required(Capability.SETTLEMENTS)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    lines = list(batch.payments.select_related("application", "application__person"))
    return render(
        request,
        "settlements/batch_detail.html",
        {
            "batch": batch,
            "lines": lines,
            "total": sum((line.amount for line in lines), Decimal("0.00")),
            "can_pay": has_capability(request.user, Capability.PAY),
        },
    )


@capability_required(Capability.PAY)
def batch_export(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    fmt = "xlsx" if request.GET.get("fmt") == "xlsx" else "csv"
    content, ctype, name = payments.payment_batch_export(batch=batch, fmt=fmt, actor=request.user)
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@capability_required(Capability.PAY)
def batch_return(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    upload = request.FILES.get("file")
    if upload is None or not upload.size or upload.size > 10 * 1024 * 1024:
        messages.error(request, "请选择银行回盘文件（CSV 或 XLSX，不超过 10 MB）。")
        return redirect("settlements:batch_detail", pk=batch.pk)
    try:
        result = payments.payment_return_import(
            batch=batch, data=upload.read(), name=upload.name or "", actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"回盘已导入：成功 {result.paid} 笔，失败 {result.failed} 笔。")
        for problem in result.problems:
            messages.warning(request, problem)
    return redirect("settlements:batch_detail", pk=batch.pk)


@require_POST
@capability_required(Capability.PAY)
def payment_record(request: HttpRequest, pk: int) -> HttpResponse:
    from accounts.selectors import counties_for

    from .models import Payment

    line = get_object_or_404(
        Payment.objects.filter(batch__county__in=counties_for(request.user)), pk=pk
    )
    try:
        payments.payment_record(
            payment=line,
            paid=request.POST.get("result") == "paid",
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已登记银行结果。")
    return redirect("settlements:batch_detail", pk=line.batch_id)


@require_POST
@capability_required(Capability.PAY)
def payee_correct(request: HttpRequest, number: str) -> HttpResponse:
    from applications.selectors import application_page

    try:
        app = application_page(request.user, number)
    except Exception:
        raise Http404("没有找到该申请。") from None
    try:
        payments.payee_correct(
            application=app,
            bank_name=request.POST.get("bank_name", ""),
            holder=request.POST.get("holder", ""),
            account=request.POST.get("account", ""),
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "收款账户已更正，可编入新的发放批次。")
    return redirect("settlements:index")


@capability_required(Capability.VIEW_POLICIES)
def policy_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    policies = [load(code) for code in shipped_codes()]
    return render(request, "settlements/policy_list.html", {"policies": policies, "today": today})


def _policy_or_404(code: str):  # type: ignore[no-untyped-def]
    try:
        return load(code)
    except UnknownPolicy:
        raise Http404("没有这个政策。") from None


@capability_required(Capability.VIEW_POLICIES)
def policy_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A policy as people read it: every parameter, its value today, its history and sources."""
    policy = _policy_or_404(code)
    today = timezone.localdate()
    now = policy.at(max(today, policy.starts_on)).as_dict()
    groups = [
        (
            section,
            [
                {
                    "definition": d,
                    "now": d.display(now[d.name]) if d.name in now else "未设置",
                    "unset": d.name not in now,
                    "history": [
                        (v.start, d.display(v.value), v.source, v.version) for v in d.values
                    ],
                }
                for d in definitions
            ],
        )
        for section, definitions in sections(policy)
    ]
    context = {
        "policy": policy,
        "groups": groups,
        "today": today,
        "versions": PolicyVersion.objects.filter(policy_code=code).select_related("created_by"),
        "can_edit": has_capability(request.user, Capability.EDIT_POLICIES),
        "shipped_start": date.min,
    }
    return render(request, "settlements/policy_detail.html", context)


@capability_required(Capability.EDIT_POLICIES)
def policy_version_new(request: HttpRequest, code: str) -> HttpResponse:
    """Add a version: the values that change, from a date, with the document that says so."""
    policy = _policy_or_404(code)
    form = PolicyVersionForm(request.POST or None, policy=policy, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        changed = form.changed_values()
        if form.is_valid():  # changed_values adds an error per bad parameter
            try:
                version = services.policy_version_create(
                    policy_code=code,
                    effective_from=form.cleaned_data["effective_from"],
                    values=changed,
                    source=form.cleaned_data["source"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    f"已保存第 {version.number} 版，{version.effective_from:%Y年%-m月%-d日}起生效，"
                    f"改动 {len(changed)} 个参数。",
                )
                return redirect("settlements:policy_detail", code=code)
    return render(request, "settlements/policy_version_form.html", {"policy": policy, "form": form})


@capability_required(Capability.PAY)
def batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch as a printed list for signatures (发放清单), accounts masked."""
    from audit.models import AuditEvent
    from audit.services import record
    from core.pdf import check_printable, render_pdf

    batch = _batch_or_404(request, pk)
    lines = list(batch.payments.select_related("application"))
    try:
        check_printable({f"收款人 {line.application.number}": line.payee_name for line in lines})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("settlements:batch_detail", pk=batch.pk)
    pdf = render_pdf(
        "documents/batch_list.html",
        {
            "batch": batch,
            "lines": lines,
            "total": sum((line.amount for line in lines), Decimal("0.00")),
            "agency": batch.county.agency_name or f"{batch.county.name}医疗保障经办机构",
            "today": timezone.localdate(),
        },
    )
    record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        target=batch,
        county=batch.county,
        summary=f"导出发放清单 {batch.number}（PDF）",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{batch.number}.pdf"'
    return response
