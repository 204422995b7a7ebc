"""资助资金划转: a county's transfers of the participation subsidy, prepared and confirmed by two
people, the PDF list of each, and the subsidies paid after death to recover."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required, has_capability, scoped
from accounts.selectors import counties_for, county_chosen
from audit.events import Event
from audit.services import record, record_list_view
from core.params import row_id
from core.pdf import render_pdf
from engine.categories import CATEGORIES
from settlements.models import SubsidyRoster

from . import transfers
from .models import SubsidyTransfer


def _county(request: StaffRequest) -> Any:
    county = county_chosen(request.user, request.GET.get("county") or request.POST.get("county"))
    if county is None:
        raise Http404("没有可查看的旗县区。")
    return county


def _back(county: Any) -> HttpResponse:
    return redirect(f"{reverse('payments:transfers')}?county={county.pk}")


@capability_required(Capability.SETTLEMENTS)
def transfer_list(request: StaffRequest) -> HttpResponse:
    """The county's rosters with what is still to transfer, the transfers, and the recoveries."""
    county = _county(request)
    rosters = [
        (r, transfers.due(r).count()) for r in SubsidyRoster.objects.filter(county=county)[:5]
    ]
    after_death = list(transfers.paid_after_death(county)[:200])
    record_list_view(
        event=Event.TRANSFERS_LISTED,
        actor=request.user,
        what="资助资金划转",
        shown=len(after_death),
    )
    return render(
        request,
        "payments/transfers.html",
        {
            "county": county,
            "counties": counties if len(counties := list(counties_for(request.user))) > 1 else [],
            "rosters": rosters,
            "transfers": SubsidyTransfer.objects.filter(county=county).select_related(
                "roster", "prepared_by", "decided_by"
            )[:50],
            "after_death": after_death,
            "after_death_total": sum(line.amount for line in after_death),
            "can_pay": has_capability(request.user, Capability.PAY),
            "user_pk": request.user.pk,
        },
    )


@require_POST
@capability_required(Capability.PAY)
def transfer_prepare(request: StaffRequest) -> HttpResponse:
    county = _county(request)
    pk = row_id(request.POST.get("roster"))
    roster = SubsidyRoster.objects.filter(county=county, pk=pk).first() if pk else None
    if roster is None:
        messages.error(request, "请选择要划转的名单。")
        return _back(county)
    try:
        made = transfers.transfer_prepare(roster=roster, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            f"已制单 {made.number}：{made.people} 人，合计 {made.total:,.2f} 元，请另一位财务人员复核。",
        )
    return _back(county)


@require_POST
@capability_required(Capability.PAY)
def transfer_decide(request: StaffRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(scoped(request.user, SubsidyTransfer), pk=pk)
    county = item.county
    accept = request.POST.get("decision") == "confirm"
    try:
        transfers.transfer_decide(
            transfer=item, actor=request.user, accept=accept, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            f"已复核 {item.number}，资助资金记为已划转。" if accept else f"已撤回 {item.number}。",
        )
    return _back(county)


@capability_required(Capability.SETTLEMENTS)
def transfer_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    """The printed list of a transfer (full ID numbers, for the insurance fund: audited)."""
    item = get_object_or_404(
        scoped(
            request.user,
            SubsidyTransfer.objects.select_related("roster", "prepared_by", "decided_by", "county"),
        ),
        pk=pk,
    )
    county = item.county
    lines = list(transfers.transfer_lines(item))
    record(
        actor=request.user,
        event=Event.TRANSFER_PDF_EXPORTED,
        target=item,
        county=county,
        summary=f"打印资助资金划转明细 {item.number}（{len(lines)} 人）",
    )
    pdf = render_pdf(
        "documents/subsidy_transfer.html",
        {
            "transfer": item,
            "lines": [(line, CATEGORIES[line.entry.category][0]) for line in lines],
            "agency": county.agency_name or f"{county.name}医疗保障经办机构",
            "today": timezone.localdate(),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="transfer-{item.number}.pdf"'
    return response
