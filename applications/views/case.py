"""The case page: the person, the expenses and the settlement preview, materials and scans, the
promise, the history, and the actions the workflow allows; its letters; telling the result."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import (
    Capability,
    StaffRequest,
    capability_required,
    has_capability,
    role_of,
)
from accounts.models import Role
from audit.events import Event
from audit.services import record, record_view
from core.forms import errors_text
from core.http import back_to

from .. import case_actions, services, workflow
from ..eligibility import picture
from ..forms import (
    CertificateForm,
    IdentityDecisionForm,
    ReasonForm,
    ReceiveForm,
)
from ..models import (
    Application,
    Attachment,
    Letter,
    Recommendation,
    RejectionReason,
    Status,
)
from ..payment_facts import panels_for
from ..selectors import applications_for, case_records, likely_duplicates
from ..settling import case_preview
from .base import _own_application


@capability_required(Capability.READ_CASES)
def detail(request: StaffRequest, number: str) -> HttpResponse:
    """The case: person, expenses, materials and scans, the promise, the history, the actions."""
    app = _own_application(request, number, whole=True)
    record_view(
        event=Event.APPLICATION_VIEWED,
        actor=request.user,
        target=app,
        summary=f"查看申请 {app.number}",
    )
    today = timezone.localdate()
    days_left = app.promise_days_left(today)
    preview = case_preview(app) if app.status != Status.DRAFT else None
    actions = workflow.actions_for(app, request.user)
    return render(
        request,
        "applications/detail.html",
        {
            "app": app,
            "today": today,
            "late_by": services.work_calendar().late_by(app.step_due_on, today),
            **case_records(app),
            **_may(app, request.user, today),
            "actions": actions,
            "letters": letters_for_page(app),
            "receive_form": ReceiveForm(),
            "reason_form": ReasonForm(),
            "preview": preview,
            "budget": _budget(app, actions, preview, today),
            "rejection_reasons": RejectionReason.choices,
            "recommendations": Recommendation.choices,
            "days_left": days_left,
            "days_overdue": -days_left if days_left is not None and days_left < 0 else 0,
            "promise_days": settings.PROMISE_DAYS,
            "identity": app.identity,
            "likely_duplicates": likely_duplicates(app)
            if app.status not in (Status.DRAFT,) and role_of(request.user) != Role.CLERK
            else [],
            "role": role_of(request.user),
            "panels": panels_for(app, request.user),
            # the person's page is for those who may see people (finance reads what it pays)
            "can_view_people": has_capability(request.user, Capability.VIEW_PEOPLE),
            "picture": picture(app, today=today),
            "verify_choices": IdentityDecisionForm.base_fields["decision"].choices,  # type: ignore[attr-defined]
        },
    )


def _may(app: Application, user: Any, today: Any) -> dict[str, Any]:
    """What this user may do on the case page (each as the workflow decides it)."""

    def may(action: str) -> bool:
        return case_actions.case_action_refusal(app, action, user) is None

    can_intake = has_capability(user, Capability.INTAKE) and workflow.in_area(app, user)
    return {
        "can_intake": can_intake,
        "can_correct": may("correct_expense"),
        "can_upload": can_intake and app.status != Status.DRAFT,
        "can_receive": app.status != Status.DRAFT and may("receive_material"),
        "can_tell": may("mark_told"),
        "can_extend_promise": app.status == Status.APPROVED and may("extend_promise"),
        "can_illness_check": may("illness_check"),
        "can_verify": has_capability(user, Capability.VERIFY_IDENTITIES) and may("verify_identity"),
        "certificate_form": CertificateForm(today=today, category=app.category)
        if may("record_certificate")
        else None,
    }


def _budget(app: Application, actions: Any, preview: Any, today: Any) -> dict[str, Any] | None:
    """The county's money left, for an approver about to decide (an aggregate over the year)."""
    if not any(t.action == "approve" and not blocked for t, blocked in actions):
        return None
    budget_total, budget_used = services.county_budget_left(app.county, today.year)
    left = budget_total - budget_used if budget_total is not None else None
    to_pay = preview.to_pay if preview is not None and preview.result else None
    return {
        "total": budget_total,
        "used": budget_used,
        "left": left,
        "after": left - to_pay if left is not None and to_pay is not None else None,
    }


@require_POST
@capability_required(Capability.APPLICATIONS)
def transition(request: StaffRequest, number: str, action: str) -> HttpResponse:
    app = _own_application(request, number)
    form = ReasonForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        app = services.application_transition(
            application=app, action=action, actor=request.user, reason=reason
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已{workflow.TRANSITIONS[action].label}。")
    return redirect(app)


@require_POST
@capability_required(Capability.INTAKE)
def receive(request: StaffRequest, number: str, code: str) -> HttpResponse:
    """A missing material arrives at the window (补交)."""
    app = _own_application(request, number)
    form = ReceiveForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return redirect(app)
    try:
        app = services.material_receive(
            application=app, code=code, actor=request.user, files=form.cleaned_data["files"]
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        done = "，承诺的材料已全部补齐" if app.promise_status == "fulfilled" else ""
        messages.success(request, f"已登记收到材料{done}。")
    return redirect(app)


@require_POST
@capability_required(Capability.INTAKE)
def upload(request: StaffRequest, number: str, code: str) -> HttpResponse:
    """Attach a scan to a material already received."""
    app = _own_application(request, number)
    form = ReceiveForm(request.POST, request.FILES)
    files = form.cleaned_data["files"] if form.is_valid() else []
    if not files:
        messages.error(request, "请选择要上传的文件。")
        return redirect(app)
    try:
        for upload_file in files:
            services.attachment_add(
                application=app, code=code, upload=upload_file, actor=request.user
            )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已上传 {len(files)} 个文件。")
    return redirect(app)


@capability_required(Capability.READ_CASES)
def attachment(request: StaffRequest, pk: int) -> FileResponse:
    """A scan, only for staff who may see the case; every download is logged."""
    item = get_object_or_404(Attachment.objects.select_related("application"), pk=pk)
    if not applications_for(request.user).filter(pk=item.application_id).exists():
        raise Http404("没有找到该文件，或不属于您的辖区。")
    record(
        actor=request.user,
        event=Event.ATTACHMENT_VIEWED,
        target=item.application,
        summary=f"查看扫描件 {item.get_material_display()}：{item.original_name}",
    )
    return private_file(item, f"scan-{item.pk}")


def private_file(item: Any, name: str) -> FileResponse:
    """A scan or photo as a download under a name of our own, never rendered in the portal's origin
    (issue 17)."""
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}{item.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@capability_required(Capability.INTAKE)
def told(request: StaffRequest, number: str) -> HttpResponse:
    app = _own_application(request, number)
    try:
        services.application_mark_told(application=app, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已记录：审批结果已告知申请人。")
    return back_to(request, request.POST.get("next"), app.get_absolute_url())


def letters_for_page(app: Application) -> dict[str, Any]:
    from core.pdf import UnprintableText, check_printable

    from .. import documents

    try:
        check_printable(documents.printable_fields(app))
        problem = ""
    except UnprintableText as exc:
        problem = exc.messages[0]
    return {
        "kinds": [(k, Letter.Kind(k).label) for k in documents.kinds_for(app)],
        "problem": problem,
    }


@capability_required(Capability.READ_CASES)
def letter(request: StaffRequest, number: str, kind: str) -> HttpResponse | FileResponse:
    """A document of the case as PDF: the stored one, or rendered now if there is none yet.
    Only staff who may see the case; every download is logged."""
    from .. import documents
    from ..models import Letter

    app = _own_application(request, number)
    if kind not in Letter.Kind.values:
        raise Http404("没有这种文书。")
    item = documents.latest(app, kind)
    if item is None:
        try:
            item = documents.letter_render(application=app, kind=kind, actor=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect(app)
    record(
        actor=request.user,
        event=Event.LETTER_VIEWED,
        target=app,
        summary=f"下载{item.get_kind_display()} {app.number}",
    )
    response = FileResponse(item.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{app.number}-{kind}.pdf"'
    return response
