"""倾斜救助主动发现: the county's list of one-stop bills with tilted assistance due, and opening a
case for them (no window application)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import Capability, Role, StaffRequest, capability_required, role_of, scoped
from audit.events import Event
from audit.services import record_list_view
from beneficiaries.models import Person
from core.params import number_in

from ..services.tilted import tilted_case_open, tilted_discoveries


@capability_required(Capability.SETTLEMENTS)
def tilted_list(request: StaffRequest) -> HttpResponse:
    """People whose one-stop bills cross the tilted-assistance threshold, with the engine's lines."""
    found = tilted_discoveries(request.user)
    record_list_view(
        event=Event.TILTED_LISTED, actor=request.user, what="倾斜救助主动发现名单", shown=len(found)
    )
    return render(
        request,
        "applications/tilted_list.html",
        {"found": found, "can_open": role_of(request.user) == Role.REVIEWER},
    )


@require_POST
@capability_required(Capability.SETTLEMENTS)
def tilted_open(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(
        scoped(request.user, Person.objects.select_related("township")), pk=pk
    )
    year = number_in(request.POST.get("year"), 2000, 2100)
    if year is None:
        messages.error(request, "年度无效。")
        return redirect("applications:tilted_list")
    try:
        app = tilted_case_open(person=person, year=year, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("applications:tilted_list")
    messages.success(request, f"已立案 {app.number}，进入审核；已短信告知申请人。")
    if not app.bank_account_number:
        messages.warning(
            request, "救助对象没有登记收款账户：批准后请在案件页补录收款账户（第二人确认）再发放。"
        )
    return redirect("applications:detail", number=app.number)
