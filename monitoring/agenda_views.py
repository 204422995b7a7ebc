"""多部门会商's pages (county roles): the monthly agendas, each family's outcome, the PDF for the
meeting; and the hand-off of a monitored person from the warning page."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required, has_capability, scoped
from accounts.selectors import counties_for
from audit.events import Event
from audit.services import record, record_view
from core.formats import yuan
from core.params import row_id
from core.pdf import render_pdf
from relief.models import Body, Handoff
from relief.selectors import bodies_for
from relief.services import Figures, handoff_create

from . import agenda as service
from . import selectors
from .models import Agenda, AgendaItem, BurdenWarning


def _agendas(request: StaffRequest):  # type: ignore[no-untyped-def]
    return scoped(request.user, Agenda).distinct().select_related("county")


@capability_required(Capability.OVERVIEW)
def agenda_list(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "monitoring/agenda_list.html",
        {
            "agendas": _agendas(request)[:36],
            "counties": counties_for(request.user),
            "can_build": has_capability(request.user, Capability.HANDOFF),
            "tab": "agenda",
            "can_agenda": True,
            "can_relief": has_capability(request.user, Capability.RELIEF),
        },
    )


@require_POST
@capability_required(Capability.HANDOFF)
def agenda_build(request: StaffRequest) -> HttpResponse:
    """This month's agenda now (once a month; the beat makes it on the agenda day)."""
    county = counties_for(request.user).filter(pk=row_id(request.POST.get("county")) or 0).first()
    if county is None:
        county = counties_for(request.user).first()
    if county is None:
        raise Http404
    today = timezone.localdate()
    made = service.agenda_build(
        county=county, year=today.year, month=today.month, actor=request.user
    )
    messages.success(request, f"{made}：{made.items.count()} 户。")
    return redirect("monitoring:agenda_detail", made.pk)


@capability_required(Capability.OVERVIEW)
def agenda_detail(request: StaffRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_agendas(request), pk=pk)
    rows = list(item.items.select_related("person__township", "decided_by"))
    record(
        actor=request.user, event=Event.AGENDA_VIEWED, target=item, county=item.county,
        summary=f"查看{item}（{len(rows)} 户）",
    )  # fmt: skip
    city_bodies = (
        bodies_for(rows[0].person) if rows else []
    )  # one city per county: the first family's
    return render(
        request,
        "monitoring/agenda_detail.html",
        {
            "agenda": item,
            "rows": rows,
            "bodies": city_bodies,
            "outcomes": [c for c in AgendaItem.Outcome.choices if c[0]],
            "can_record": has_capability(request.user, Capability.HANDOFF),
        },
    )


@capability_required(Capability.OVERVIEW)
def agenda_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_agendas(request), pk=pk)
    rows = list(item.items.select_related("person__township"))
    record(
        actor=request.user, event=Event.AGENDA_VIEWED, target=item, county=item.county,
        summary=f"导出{item}（PDF，{len(rows)} 户）",
    )  # fmt: skip
    agency = item.county.agency_name or f"{item.county.name}医疗保障经办机构"
    response = HttpResponse(
        render_pdf("documents/agenda.html", {"agenda": item, "rows": rows, "agency": agency}),
        content_type="application/pdf",
    )
    name = f"多部门会商议程-{item.county.name}-{item.year}-{item.month:02d}.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@require_POST
@capability_required(Capability.HANDOFF)
def agenda_outcome(request: StaffRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(scoped(request.user, AgendaItem).select_related("agenda"), pk=pk)
    body_id = row_id(request.POST.get("body"))
    body = Body.objects.filter(pk=body_id, active=True).first() if body_id else None
    try:
        service.agenda_outcome(
            item=row, outcome=request.POST.get("outcome", ""), note=request.POST.get("note", ""),
            actor=request.user, body=body,
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, "未登记：" + "；".join(exc.messages))
    else:
        messages.success(request, f"已登记 {row.person.name} 的会商结果。")
    return redirect("monitoring:agenda_detail", row.agenda_id)


@require_POST
@capability_required(Capability.HANDOFF)
def warning_handoff(request: StaffRequest, pk: int) -> HttpResponse:
    """A monitored person referred to another body, from the year's burden after every layer."""
    try:
        warning = selectors.warning_page(request.user, pk)
    except BurdenWarning.DoesNotExist:
        raise Http404("没有找到该预警，或不属于您的辖区。") from None
    person = warning.person
    burden = selectors.burden_of(person, warning.year)
    body_id = row_id(request.POST.get("body"))
    body = Body.objects.filter(pk=body_id).first() if body_id else None
    if burden is None or body is None:
        messages.error(request, "未转介：请选择帮扶单位（该年度须有负担记录）。")
        return redirect("monitoring:warning_detail", pk)
    lines = [
        ("医疗总费用", yuan(burden.total)),
        ("基本医保和大病保险支付", yuan(burden.insurance_paid)),
        ("医疗救助", yuan(burden.assistance_paid)),
        ("一事一议", yuan(burden.special_paid)),
        ("已获他方帮扶", yuan(burden.other_help)),
        ("个人仍需负担", yuan(burden.burden_after_help)),
    ]
    try:
        handoff = handoff_create(
            person=person, body=body, origin=Handoff.Origin.WARNING, actor=request.user,
            reason=request.POST.get("reason", ""),
            figures=Figures(warning.year, burden.burden_after_help, warning.threshold, lines),
            asked=_asked(request.POST.get("asked", "")),
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, "未转介：" + "；".join(exc.messages))
        return redirect("monitoring:warning_detail", pk)
    record_view(event=Event.WARNING_VIEWED, actor=request.user, target=person, summary="由预警转介")
    messages.success(request, f"已转介{body.name}（{handoff.number}）。")
    return redirect("relief:handoff_detail", handoff.pk)


def _asked(text: str) -> Decimal | None:
    from engine.money import AmountError, parse_yuan

    text = text.strip()
    if not text:
        return None
    try:
        return parse_yuan(text, "建议帮扶金额")
    except AmountError:
        raise ValidationError(
            "建议帮扶金额格式不对：请填写元，最多两位小数，如 1200 或 1200.50。"
        ) from None
