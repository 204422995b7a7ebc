"""梯次减负's pages: the county's hand-offs (转介) and their answers, 一事一议 on a case, the hospitals'
early reports for the township, and the bodies' and hospitals' keys (JSON, ``api.py``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required, has_capability, scoped
from applications.models import Application
from applications.selectors import applications_for
from areas.models import Institution
from audit.events import Event
from audit.services import record, record_list_view, record_view
from core.forms import errors_text
from core.pdf import render_pdf
from core.rows import ImportFileError, read_rows
from settlements.models import FundSource

from . import early, selectors, services, special
from .forms import AnswerForm, EarlyUploadForm, HandoffForm, SpecialForm
from .models import Body, Deliberation, EarlyReport, Handoff


def _handoff(request: StaffRequest, pk: int) -> Handoff:
    return get_object_or_404(selectors.handoffs_for(request.user), pk=pk)


def _case(request: StaffRequest, number: str) -> Application:
    try:
        return (
            applications_for(request.user)
            .select_related("person__township__county")
            .get(number=number)
        )
    except Application.DoesNotExist:
        raise Http404("没有找到该申请，或不属于您的辖区。") from None


@capability_required(Capability.RELIEF)
def handoff_list(request: StaffRequest) -> HttpResponse:
    """The county's hand-offs: overdue first, then by due date; the answered ones on request."""
    today = timezone.localdate()
    rows = selectors.handoffs_for(request.user)
    show = request.GET.get("show", "open")
    if show == "overdue":
        rows = selectors.overdue(rows, today)
    elif show == "open":
        rows = rows.filter(state=Handoff.State.OPEN)
    else:
        show = "all"
    page = Paginator(rows.order_by("state", "due_on", "id"), 50).get_page(request.GET.get("page"))
    record_list_view(
        event=Event.HANDOFFS_LISTED, actor=request.user, what="转介名单", shown=len(page)
    )
    return render(
        request,
        "relief/handoff_list.html",
        {
            "page": page,
            "show": show,
            "today": today,
            "overdue": selectors.overdue(selectors.handoffs_for(request.user), today).count(),
            "can_agenda": has_capability(request.user, Capability.OVERVIEW),
            "can_relief": True,
        },
    )


@capability_required(Capability.RELIEF)
def handoff_detail(request: StaffRequest, pk: int) -> HttpResponse:
    handoff = _handoff(request, pk)
    record_view(
        event=Event.HANDOFF_VIEWED, actor=request.user, target=handoff.person,
        summary=f"查看转介 {handoff.number}",
    )  # fmt: skip
    return _render_detail(request, handoff, AnswerForm())


def _render_detail(
    request: StaffRequest, handoff: Handoff, form: AnswerForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "relief/handoff_detail.html",
        {
            "handoff": handoff,
            "help": getattr(handoff, "help", None) if handoff.state == "helped" else None,
            "form": form,
            "can_answer": has_capability(request.user, Capability.HANDOFF)
            and handoff.state == Handoff.State.OPEN,
            "late": handoff.state == "open" and handoff.due_on < timezone.localdate(),
        },
        status=status,
    )


@require_POST
@capability_required(Capability.HANDOFF)
def handoff_new(request: StaffRequest, number: str) -> HttpResponse:
    """From a case (seed 001 §七(三)): the family still cannot pay its share after the three layers."""
    app = _case(request, number)
    form = HandoffForm(request.POST, bodies=selectors.bodies_for(app.person))
    if not form.is_valid():
        messages.error(request, "未转介：" + errors_text(form))
        return redirect("applications:detail", app.number)
    body = Body.objects.get(pk=form.cleaned_data["body"])  # one of the city's (the form's choices)
    try:
        handoff = services.handoff_create(
            person=app.person, body=body, figures=services.case_figures(app),
            reason=form.cleaned_data["reason"], origin=Handoff.Origin.CASE, actor=request.user,
            application=app, asked=form.cleaned_data["asked"],
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, "未转介：" + "；".join(exc.messages))
        return redirect("applications:detail", app.number)
    messages.success(
        request, f"已转介{body.name}（{handoff.number}），请于 {handoff.due_on} 前跟进答复。"
    )
    return redirect("relief:handoff_detail", handoff.pk)


@require_POST
@capability_required(Capability.HANDOFF)
def handoff_answer(request: StaffRequest, pk: int) -> HttpResponse:
    handoff = _handoff(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "未登记：" + errors_text(form))
        return _render_detail(request, handoff, form, status=400)
    data = form.cleaned_data
    try:
        services.handoff_answer(
            handoff=handoff, helped=data["outcome"] == "helped", actor=request.user,
            amount=data["amount"], day=data["day"], kind=data["kind"],
            reference=data["reference"], refusal=data["refusal"],
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, "未登记：" + "；".join(exc.messages))
        return _render_detail(request, handoff, form, status=400)
    messages.success(request, "已登记答复；个人和家庭负担将按帮扶金额重新计算。")
    return redirect("relief:handoff_detail", handoff.pk)


@require_POST
@capability_required(Capability.HANDOFF)
def handoff_withdraw(request: StaffRequest, pk: int) -> HttpResponse:
    handoff = _handoff(request, pk)
    try:
        services.handoff_withdraw(
            handoff=handoff, reason=request.POST.get("reason", ""), actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, "未撤回：" + "；".join(exc.messages))
    else:
        messages.success(request, f"已撤回转介 {handoff.number}。")
    return redirect("relief:handoff_detail", handoff.pk)


def _pdf(request: StaffRequest, template: str, context: dict[str, Any], name: str) -> HttpResponse:
    response = HttpResponse(render_pdf(template, context), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return response


def _agency(county: Any) -> str:
    return county.agency_name or f"{county.name}医疗保障经办机构"


@capability_required(Capability.RELIEF)
def handoff_letter(request: StaffRequest, pk: int) -> HttpResponse:
    """The referral letter (转介函) to the body, with the figures that justify it."""
    handoff = _handoff(request, pk)
    record(
        actor=request.user, event=Event.LETTER_VIEWED, target=handoff,
        summary=f"转介函 {handoff.number}",
    )  # fmt: skip
    return _pdf(
        request,
        "documents/handoff.html",
        {"handoff": handoff, "agency": _agency(handoff.county), "today": timezone.localdate()},
        f"转介函-{handoff.number}.pdf",
    )


@require_POST
@capability_required(Capability.HANDOFF)
def special_new(request: StaffRequest, number: str) -> HttpResponse:
    app = _case(request, number)
    form = SpecialForm(request.POST, funds=_funds())
    if not form.is_valid():
        messages.error(request, "未提议：" + errors_text(form))
        return redirect("applications:detail", app.number)
    data = form.cleaned_data
    try:
        item = special.deliberation_propose(
            application=app, facts=data["facts"], members=data["members"],
            met_on=data["met_on"], amount=data["amount"],
            fund=FundSource.objects.filter(pk=data["fund"]).first(), actor=request.user,
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, "未提议：" + "；".join(exc.messages))
    else:
        messages.success(request, f"已提议一事一议 {item.number}，待另一位审批人审定。")
    return redirect("applications:detail", app.number)


def _funds() -> list[tuple[int, str]]:
    return [(f.pk, f.name) for f in FundSource.objects.filter(active=True)]


@require_POST
@capability_required(Capability.DECIDE_SPECIAL)
def special_decide(request: StaffRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(scoped(request.user, Deliberation), pk=pk)
    decision = request.POST.get("decision")
    if decision not in {"approve", "refuse"}:
        messages.error(request, "请选择：同意或不予救助。")
        return redirect("applications:detail", item.application.number)
    try:
        special.deliberation_decide(
            deliberation=item, approve=decision == "approve", actor=request.user,
            refusal=request.POST.get("refusal", ""),
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, "未审定：" + "；".join(exc.messages))
    else:
        messages.success(
            request,
            f"{item.number} 已决定救助，待财务人员编入发放批次。"
            if decision == "approve"
            else f"{item.number} 不予救助。",
        )
    return redirect("applications:detail", item.application.number)


@capability_required(Capability.READ_CASES)
def special_letter(request: StaffRequest, pk: int) -> HttpResponse:
    """The decision letter, with the appeal rights."""
    item = get_object_or_404(
        scoped(request.user, Deliberation).select_related(
            "application", "person", "county", "fund"
        ),
        pk=pk,
        state__in=[Deliberation.State.DECIDED, Deliberation.State.PAID, Deliberation.State.REFUSED],
    )
    record(
        actor=request.user, event=Event.LETTER_VIEWED, target=item,
        summary=f"一事一议决定书 {item.number}",
    )  # fmt: skip
    county = item.county
    return _pdf(
        request,
        "documents/special.html",
        {
            "item": item,
            "agency": _agency(county),
            "reconsideration_body": county.reconsideration_body or f"{county.name}人民政府",
            "court": county.court or f"{county.name}人民法院",
        },
        f"一事一议决定书-{item.number}.pdf",
    )


@capability_required(Capability.RELIEF)
def early_list(request: StaffRequest) -> HttpResponse:
    """The hospitals' early reports of the user's area: what each family needs checked."""
    show = request.GET.get("show", "open")
    rows = selectors.early_reports_for(request.user)
    if show == "open":
        rows = rows.filter(state__in=[EarlyReport.State.OPEN, EarlyReport.State.CONTACTED])
    else:
        show = "all"
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    reports = list(page)
    early.early_reports_link(reports)
    record_list_view(
        event=Event.EARLY_LISTED, actor=request.user, what="大额费用预报", shown=len(reports)
    )
    return render(
        request,
        "relief/early_list.html",
        {
            "page": page,
            "reports": [(r, early.assessment(r)) for r in reports],
            "show": show,
            "can_follow": has_capability(request.user, Capability.EARLY_FOLLOW),
            "can_upload": has_capability(request.user, Capability.EARLY_UPLOAD),
            "upload": EarlyUploadForm(),
            "can_agenda": has_capability(request.user, Capability.OVERVIEW),
            "can_relief": True,
        },
    )


@require_POST
@capability_required(Capability.EARLY_FOLLOW)
def early_contact(request: StaffRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(selectors.early_reports_for(request.user), pk=pk)
    try:
        early.early_report_contact(
            report=report, note=request.POST.get("note", ""), actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, "未登记：" + "；".join(exc.messages))
    else:
        messages.success(request, f"已登记联系 {report.name} 家属。")
    return redirect("relief:early_list")


@require_POST
@capability_required(Capability.EARLY_UPLOAD)
def early_upload(request: StaffRequest) -> HttpResponse:
    """A hospital's file of early reports (its own codes or the Chinese headers)."""
    form = EarlyUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "未导入：" + errors_text(form))
        return redirect("relief:early_list")
    institution = Institution.objects.filter(
        code=form.cleaned_data["institution"].strip().upper(), active=True
    ).first()
    if institution is None:
        messages.error(request, "未导入：定点医药机构名录中没有这个编号。")
        return redirect("relief:early_list")
    upload = form.cleaned_data["file"]
    if upload.size > 2 * 1024 * 1024:
        messages.error(request, "未导入：文件超过 2 MB；每次最多 500 条。")
        return redirect("relief:early_list")
    try:
        rows = [row for _n, row in read_rows(upload, upload.name, early.LAYOUT)]
    except ImportFileError as exc:
        messages.error(request, f"未导入：{exc}")
        return redirect("relief:early_list")
    if len(rows) > early.MAX_ROWS:
        messages.error(request, f"未导入：每次最多 {early.MAX_ROWS} 条，文件有 {len(rows)} 条。")
        return redirect("relief:early_list")
    outcomes = early.early_reports_receive(
        institution=institution, rows=rows, actor=request.user, via_key=False
    )
    created = sum(1 for o in outcomes if o.status == "created")
    refused = [
        f"第 {o.row + 1} 行：{'；'.join(o.errors)}" for o in outcomes if o.status == "refused"
    ]
    messages.success(request, f"已接收 {created} 条预报，已报送过 "
                     f"{sum(1 for o in outcomes if o.status == 'unchanged')} 条。")  # fmt: skip
    if refused:
        messages.warning(request, "以下行未接收：" + "；".join(refused[:20]))
    return redirect("relief:early_list")
