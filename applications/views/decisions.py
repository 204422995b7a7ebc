"""The county's decisions: the recommendation, approval and rejection, the public-notice list,
the reviewer's expense corrections."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required
from audit.events import Event
from audit.services import record
from core.forms import errors_text

from .. import services
from ..models import (
    Application,
)
from ..settling import case_preview
from .base import _own_application


def _decision_done(
    request: StaffRequest, app: Application, fn: Any, done: str = "", **kwargs: Any
) -> HttpResponse:
    try:
        app = fn(application=app, actor=request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done or f"已办理：{app.get_status_display()}。")
    return redirect(app)


@require_POST
@capability_required(Capability.APPLICATIONS)
def recommend(request: StaffRequest, number: str) -> HttpResponse:
    """The reviewer's opinion (审核意见): approve, or reject with the reason."""
    return _decision_done(
        request,
        _own_application(request, number),
        services.application_recommend,
        recommendation=request.POST.get("recommendation", ""),
        note=request.POST.get("note", ""),
    )


@require_POST
@capability_required(Capability.APPLICATIONS)
def approve(request: StaffRequest, number: str) -> HttpResponse:
    return _decision_done(
        request,
        _own_application(request, number),
        services.application_approve,
        confirm_overrun=request.POST.get("confirm_overrun") == "on",
        not_duplicate_reason=request.POST.get("not_duplicate_reason", "")
        if request.POST.get("not_duplicate") == "on"
        else "",
    )


@require_POST
@capability_required(Capability.APPLICATIONS)
def reject(request: StaffRequest, number: str) -> HttpResponse:
    return _decision_done(
        request,
        _own_application(request, number),
        services.application_reject,
        reason=request.POST.get("reason", ""),
        note=request.POST.get("note", ""),
    )


@require_POST
@capability_required(Capability.APPLICATIONS)
def revoke(request: StaffRequest, number: str) -> HttpResponse:
    """撤销批准 before payment, with the reason (the ledger, budget and bills are released)."""
    return _decision_done(
        request,
        _own_application(request, number),
        services.application_revoke,
        reason=request.POST.get("reason", ""),
    )


@require_POST
@capability_required(Capability.APPLICATIONS)
def promise_extend(request: StaffRequest, number: str) -> HttpResponse:
    """The county extends an approved case's overdue promise once."""
    return _decision_done(
        request,
        _own_application(request, number),
        services.promise_extend,
        done="承诺已延期一次，已通知申请人。",
        reason=request.POST.get("reason", ""),
    )


@capability_required(Capability.COUNTY_WORKBENCH)
def notices(request: StaffRequest) -> HttpResponse:
    """The public-notice list (公示名单), printable: names and ID numbers masked."""
    from accounts.selectors import counties_for

    from ..selectors import mask_name, on_notice

    county = counties_for(request.user).filter(pk=request.GET.get("county") or 0).first() or (
        counties_for(request.user).first()
    )
    if county is None:
        raise Http404("没有可查看的旗县区。")
    rows = [
        {
            "app": app,
            "name": mask_name(app.person.name),
            "preview": case_preview(app).to_pay,
        }
        for app in on_notice(county.pk)
    ]
    context = {"county": county, "rows": rows, "today": timezone.localdate()}
    if request.GET.get("format") == "pdf":
        from core.pdf import render_pdf

        context["agency"] = county.agency_name or f"{county.name}医疗保障经办机构"
        pdf = render_pdf("documents/notice_list.html", context)
        record(
            actor=request.user,
            event=Event.NOTICES_EXPORTED,
            county=county,
            summary="导出公示名单（PDF）",
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="notice-list.pdf"'
        return response
    return render(request, "applications/notices.html", context)


@require_POST
@capability_required(Capability.APPLICATIONS)
def expense_correct(request: StaffRequest, number: str, pk: int) -> HttpResponse:
    """The reviewer corrects an expense against the slip, with the reason."""
    from ..forms import ExpenseCorrectionForm

    app = _own_application(request, number)
    expense = get_object_or_404(app.expenses.all(), pk=pk)
    form = ExpenseCorrectionForm(request.POST, prefix=f"x{pk}")
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return redirect(app)
    try:
        services.expense_correct(
            expense=expense,
            values=form.values(),
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "费用已更正，结算试算已按新数额重算。")
    return redirect(app)
