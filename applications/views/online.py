"""网上补交 at the window: the clerk opens what the applicant uploaded, then confirms the material
(received, the files become its scans) or refuses it with a reason the applicant reads by SMS."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required
from audit.events import Event
from audit.services import record
from core.forms import plain_text

from .. import services
from ..materials import MATERIALS
from ..models import OnlineUpload
from ..selectors import applications_for
from .base import _own_application
from .case import private_file


@capability_required(Capability.READ_CASES)
def online_file(request: StaffRequest, pk: int) -> FileResponse:
    """A file the applicant uploaded, only for staff who may see the case; every view is logged."""
    item = get_object_or_404(OnlineUpload.objects.select_related("application"), pk=pk)
    if not applications_for(request.user).filter(pk=item.application_id).exists():
        raise Http404("没有找到该文件，或不属于您的辖区。")
    record(
        actor=request.user,
        event=Event.ONLINE_VIEWED,
        target=item.application,
        summary=f"查看网上补交 {item.get_material_display()}：{item.original_name}",
    )
    return private_file(item, f"online-{item.pk}")


@require_POST
@capability_required(Capability.INTAKE)
def online_accept(request: StaffRequest, number: str, code: str) -> HttpResponse:
    app = _own_application(request, number)
    if code not in MATERIALS:
        raise Http404("没有这项材料。")
    try:
        app = services.online_accept(application=app, code=code, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        done = "，承诺的材料已全部补齐" if app.promise_status == "fulfilled" else ""
        messages.success(request, f"已确认收到网上补交的“{MATERIALS[code]}”{done}。")
    return redirect(app)


@require_POST
@capability_required(Capability.INTAKE)
def online_refuse(request: StaffRequest, number: str, code: str) -> HttpResponse:
    app = _own_application(request, number)
    if code not in MATERIALS:
        raise Http404("没有这项材料。")
    try:
        services.online_refuse(
            application=app,
            code=code,
            actor=request.user,
            reason=plain_text(request.POST.get("reason")),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已退回网上补交的“{MATERIALS[code]}”，短信已告诉申请人原因。")
    return redirect(app)
