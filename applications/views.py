"""The township window and the case page. Thin: permission, form, one service, message, redirect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.access import Capability, capability_required, has_capability
from accounts.selectors import townships_for
from audit.models import AuditEvent
from audit.services import record, record_view
from beneficiaries.models import Person
from beneficiaries.selectors import favourable_identity, people_for
from beneficiaries.services import person_save

from . import queue, services, workflow
from .filters import ApplicationFilter
from .forms import (
    INTAKE_FIELDS,
    MAX_EXPENSES,
    AcceptForm,
    ExpenseForm,
    ExpenseFormSet,
    IdLookupForm,
    IntakeForm,
    PersonRegisterForm,
    ReasonForm,
    ReceiveForm,
)
from .models import (
    Application,
    Attachment,
    InboxMessage,
    Letter,
    Recommendation,
    RejectionReason,
    Status,
)
from .selectors import application_page, applications_for, unread_inbox
from .settling import case_preview, policy_start


def _errors(form: Any, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


@capability_required(Capability.APPLICATIONS)
def index(request: HttpRequest) -> HttpResponse:
    """The application list of a township window, and the county's review queue: filters in the
    URL, sorting, keyset pagination (no COUNT, no OFFSET), due dates and lateness on every row."""
    calendar = services.work_calendar()
    filtered = ApplicationFilter(
        request.GET or None,
        queryset=applications_for(request.user),
        townships=townships_for(request.user),
        calendar=calendar,
    )
    order = request.GET.get("order") or "due"
    page = queue.page_of(filtered.qs, order, request.GET.get("after"))
    params = request.GET.copy()
    params.pop("after", None)
    today = timezone.localdate()
    rows = [(app, calendar.late_by(app.step_due_on, today)) for app in page.rows]
    return render(
        request,
        "applications/index.html",
        {
            "filter": filtered,
            "page": page,
            "rows": rows,
            "params": params.urlencode(),
            "today": today,
            "can_intake": has_capability(request.user, Capability.INTAKE),
        },
    )


def _intake_forms(
    request: HttpRequest,
    person: Person | None,
    data: Any,
    app: Application | None = None,
    bills: list[dict[str, Any]] | None = None,
) -> tuple[IntakeForm, Any]:
    today = timezone.localdate()
    identities = list(person.identities.all()) if person else []
    favourite = favourable_identity(person, today) if person else None
    initial: dict[str, Any] = {}
    if app is not None:
        initial = {
            "identity_choice": f"id:{app.identity_id}"
            if app.identity_id
            else f"cat:{app.category}",
            **{k: getattr(app, k) for k in INTAKE_FIELDS},
        }
    elif person is not None:
        initial = {
            "contact_phone": person.phone,
            "bank_name": person.bank_name,
            "bank_account_holder": person.bank_account_holder or person.name,
            "bank_account_number": person.bank_account_number,
        }
    form = IntakeForm(
        data, identities=identities, today=today, favourite=favourite, initial=initial
    )
    expense_initial = (
        [{f: getattr(e, f) for f in ExpenseForm.Meta.fields} for e in app.expenses.all()]
        if app is not None
        else (bills or None)
    )
    earliest = policy_start(person) if person is not None else None
    formset = ExpenseFormSet(
        data, prefix="e", initial=expense_initial, form_kwargs={"earliest": earliest}
    )
    return form, formset


def _more_rows(data: Any) -> Any:
    """The same POST with one more blank expense row (the “再加一笔” button; no JavaScript)."""
    data = data.copy()
    raw = str(data.get("e-TOTAL_FORMS", "1"))
    rows = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 1
    data["e-TOTAL_FORMS"] = str(min(rows + 1, MAX_EXPENSES))
    return data


@dataclass(frozen=True)
class IntakeStart:
    """An intake started elsewhere than at the window's lookup (a warning, by ``monitoring``, the
    floor above): whose case it is, the banner, the expense rows to start from, and what to do
    with the saved draft, inside the same transaction (``saved(application, actor)``)."""

    person_id: int
    banner: str
    bills: list[dict[str, Any]]
    saved: Callable[[Application, Any], object]


@capability_required(Capability.INTAKE)
def new(request: HttpRequest) -> HttpResponse:
    """Intake, step 1: find the person by ID number (or register them), the identity, an agent,
    the payee account and the expenses. Saved as a draft; step 2 is the materials."""
    return intake(request)


def intake(request: HttpRequest, start: IntakeStart | None = None) -> HttpResponse:
    """The intake page, from the window's lookup or from ``start`` (for its person only)."""
    lookup = IdLookupForm(request.GET if "id_number" in request.GET else None)
    if not lookup.is_bound or not lookup.is_valid():
        return render(request, "applications/lookup.html", {"lookup": lookup})
    id_number = lookup.cleaned_data["id_number"]
    person = people_for(request.user).filter(id_number=id_number).first()
    if person is None and Person.objects.filter(id_number=id_number).exists():
        lookup.add_error(
            "id_number",
            "此人登记在其他乡镇（街道），请到其居住地的社会救助窗口申请，或先办理居住地变更。",
        )
        return render(request, "applications/lookup.html", {"lookup": lookup})
    data = request.POST if request.method == "POST" else None
    if start is not None and (person is None or person.pk != start.person_id):
        start = None
    bills = start.bills if start is not None else []
    newcomer = Person(id_number=id_number, township=request.user.township)  # type: ignore[union-attr]
    register = PersonRegisterForm(data, prefix="p", instance=newcomer) if person is None else None
    if data is not None and "add_row" in data:
        data = _more_rows(data)
        register = (
            PersonRegisterForm(data, prefix="p", instance=newcomer) if person is None else None
        )
        form, formset = _intake_forms(request, person, data)
        return _render_intake(request, person, id_number, register, form, formset, start=start)
    form, formset = _intake_forms(request, person, data, bills=bills if data is None else None)
    if data is not None:
        forms_ok = form.is_valid() & formset.is_valid() & (register is None or register.is_valid())
        if forms_ok:
            try:
                with transaction.atomic():
                    if person is None:
                        assert register is not None  # noqa: S101 - set above when person is None
                        person = person_save(person=register.save(commit=False), actor=request.user)
                    app = services.application_save_draft(
                        person=person,
                        intake=form.intake(),
                        expenses=formset.expenses(),
                        actor=request.user,
                    )
                    if start is not None:
                        start.saved(app, request.user)
            except ValidationError as exc:
                _errors(form, exc)
            else:
                return redirect("applications:accept", number=app.number)
    return _render_intake(request, person, id_number, register, form, formset, start=start)


def _render_intake(
    request: HttpRequest,
    person: Person | None,
    id_number: str,
    register: Any,
    form: Any,
    formset: Any,
    app: Application | None = None,
    start: IntakeStart | None = None,
) -> HttpResponse:
    return render(
        request,
        "applications/intake.html",
        {
            "person": person,
            "id_number": id_number,
            "register": register,
            "form": form,
            "formset": formset,
            "app": app,
            "start": start,
        },
    )


def _own_application(request: HttpRequest, number: str) -> Application:
    try:
        return application_page(request.user, number)
    except Application.DoesNotExist:
        raise Http404("没有找到该申请，或不属于您的辖区。") from None


@capability_required(Capability.INTAKE)
def edit(request: HttpRequest, number: str) -> HttpResponse:
    """Correct a draft before accepting it."""
    app = _own_application(request, number)
    if app.status != Status.DRAFT:
        messages.error(request, "已受理的申请不能再修改受理信息。")
        return redirect(app)
    person = app.person
    data = request.POST if request.method == "POST" else None
    if data is not None and "add_row" in data:
        form, formset = _intake_forms(request, person, _more_rows(data), app)
        return _render_intake(request, person, person.id_number, None, form, formset, app)
    form, formset = _intake_forms(request, person, data, app)
    if data is not None and form.is_valid() & formset.is_valid():
        try:
            services.application_save_draft(
                person=person,
                intake=form.intake(),
                expenses=formset.expenses(),
                actor=request.user,
                application=app,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("applications:accept", number=app.number)
    return _render_intake(request, person, person.id_number, None, form, formset, app)


@capability_required(Capability.INTAKE)
def accept(request: HttpRequest, number: str) -> HttpResponse:
    """Intake, step 2: tick the materials handed in, attach scans, record the promise, accept."""
    app = _own_application(request, number)
    if app.status != Status.DRAFT:
        return redirect(app)
    codes = list(app.materials.values_list("code", flat=True))
    form = AcceptForm(request.POST or None, request.FILES or None, codes=codes)
    if request.method == "POST" and form.is_valid():
        try:
            app = services.application_accept(
                application=app,
                actor=request.user,
                received=form.received(),
                promise_signed=form.cleaned_data["promise_signed"],
                files=form.files_by_material(),
                forward="accept_forward" in request.POST,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if app.promise_due_on:
                messages.success(
                    request,
                    f"已受理，编号 {app.number}。缺少的材料须在 {app.promise_due_on:%Y年%-m月%-d日}前补齐。",
                )
            else:
                messages.success(request, f"已受理，编号 {app.number}，材料齐全。")
            return redirect(app)
    return render(
        request,
        "applications/accept.html",
        {
            "app": app,
            "form": form,
            "promise_days": settings.PROMISE_DAYS,
            "expenses": list(app.expenses.all()),
        },
    )


@capability_required(Capability.APPLICATIONS)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """The case: person, expenses, materials and scans, the promise, the history, the actions."""
    app = _own_application(request, number)
    record_view(actor=request.user, target=app, summary=f"查看申请 {app.number}")
    today = timezone.localdate()
    calendar = services.work_calendar()
    materials = list(app.materials.select_related("received_by"))
    attachments = list(app.attachments.all())
    days_left = app.promise_days_left(today)
    preview = case_preview(app) if app.status != Status.DRAFT else None
    actions = workflow.actions_for(app, request.user)
    budget = None
    if any(t.action == "approve" and not blocked for t, blocked in actions):
        # only an approver about to decide needs the budget (an aggregate over the county's year)
        budget_total, budget_used = services.county_budget_left(app.county, today.year)
        if budget_total is not None:
            budget = {
                "total": budget_total,
                "used": budget_used,
                "left": budget_total - budget_used,
            }
    can_intake = has_capability(request.user, Capability.INTAKE) and workflow.in_area(
        app, request.user
    )
    return render(
        request,
        "applications/detail.html",
        {
            "app": app,
            "today": today,
            "late_by": calendar.late_by(app.step_due_on, today),
            "expenses": list(app.expenses.all()),
            "materials": [(m, [a for a in attachments if a.material == m.code]) for m in materials],
            "missing": [m for m in materials if not m.received],
            "events": list(app.events.select_related("actor")),
            "actions": actions,
            "can_intake": can_intake,
            "person_identities": list(app.person.identities.order_by("certified_on")),
            "letters": letters_for_page(app),
            "can_correct": workflow.case_action_refusal(app, "correct_expense", request.user)
            is None,
            "can_upload": can_intake and app.status != Status.DRAFT,
            "can_receive": app.status != Status.DRAFT
            and workflow.case_action_refusal(app, "receive_material", request.user) is None,
            "receive_form": ReceiveForm(),
            "reason_form": ReasonForm(),
            "preview": preview,
            "budget": budget,
            "rejection_reasons": RejectionReason.choices,
            "recommendations": Recommendation.choices,
            "days_left": days_left,
            "days_overdue": -days_left if days_left is not None and days_left < 0 else 0,
            "can_tell": workflow.case_action_refusal(app, "mark_told", request.user) is None,
            "identity": app.identity,
        },
    )


@require_POST
@capability_required(Capability.APPLICATIONS)
def transition(request: HttpRequest, number: str, action: str) -> HttpResponse:
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
def receive(request: HttpRequest, number: str, code: str) -> HttpResponse:
    """A missing material arrives at the window (补交)."""
    app = _own_application(request, number)
    form = ReceiveForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
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
def upload(request: HttpRequest, number: str, code: str) -> HttpResponse:
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


@capability_required(Capability.APPLICATIONS)
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A scan, only for staff who may see the case; every download is logged."""
    item = get_object_or_404(Attachment.objects.select_related("application"), pk=pk)
    if not applications_for(request.user).filter(pk=item.application_id).exists():
        raise Http404("没有找到该文件，或不属于您的辖区。")
    record(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        target=item.application,
        summary=f"查看扫描件 {item.get_material_display()}：{item.original_name}",
    )
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="scan-{item.pk}{item.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@capability_required(Capability.INTAKE)
def told(request: HttpRequest, number: str) -> HttpResponse:
    app = _own_application(request, number)
    try:
        services.application_mark_told(application=app, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已记录：审批结果已告知申请人。")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = app.get_absolute_url()
    return redirect(target)


@capability_required(Capability.INTAKE)
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        InboxMessage.objects.filter(recipient_id=request.user.pk).select_related("application"),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/inbox.html",
        {"page": page, "unread": unread_inbox(request.user).count()},
    )


@require_POST
@capability_required(Capability.INTAKE)
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(InboxMessage, pk=pk, recipient=request.user)
    services.inbox_mark_read(message=message, actor=request.user)
    return redirect(message.application)


def letters_for_page(app: Application) -> dict[str, Any]:
    from core.pdf import UnprintableText, check_printable

    from . import documents

    try:
        check_printable(documents.printable_fields(app))
        problem = ""
    except UnprintableText as exc:
        problem = exc.messages[0]
    return {
        "kinds": [(k, Letter.Kind(k).label) for k in documents.kinds_for(app)],
        "problem": problem,
    }


def _decision_done(request: HttpRequest, app: Application, fn: Any, **kwargs: Any) -> HttpResponse:
    try:
        app = fn(application=app, actor=request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已办理：{app.get_status_display()}。")
    return redirect(app)


@require_POST
@capability_required(Capability.APPLICATIONS)
def recommend(request: HttpRequest, number: str) -> HttpResponse:
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
def approve(request: HttpRequest, number: str) -> HttpResponse:
    return _decision_done(
        request,
        _own_application(request, number),
        services.application_approve,
        confirm_overrun=request.POST.get("confirm_overrun") == "on",
    )


@require_POST
@capability_required(Capability.APPLICATIONS)
def reject(request: HttpRequest, number: str) -> HttpResponse:
    return _decision_done(
        request,
        _own_application(request, number),
        services.application_reject,
        reason=request.POST.get("reason", ""),
        note=request.POST.get("note", ""),
    )


@capability_required(Capability.COUNTY_WORKBENCH)
def notices(request: HttpRequest) -> HttpResponse:
    """The public-notice list (公示名单), printable: names and ID numbers masked."""
    from accounts.selectors import counties_for

    from .selectors import mask_name, on_notice

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
            action=AuditEvent.Action.EXPORT,
            county=county,
            summary="导出公示名单（PDF）",
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="notice-list.pdf"'
        return response
    return render(request, "applications/notices.html", context)


@require_POST
@capability_required(Capability.APPLICATIONS)
def expense_correct(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """The reviewer corrects an expense against the slip, with the reason."""
    from .forms import ExpenseCorrectionForm

    app = _own_application(request, number)
    expense = get_object_or_404(app.expenses.all(), pk=pk)
    form = ExpenseCorrectionForm(request.POST, prefix=f"x{pk}")
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(app)
    values = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
    try:
        services.expense_correct(
            expense=expense, values=values, reason=form.cleaned_data["reason"], actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "费用已更正，结算试算已按新数额重算。")
    return redirect(app)


@capability_required(Capability.APPLICATIONS)
def letter(request: HttpRequest, number: str, kind: str) -> HttpResponse | FileResponse:
    """A document of the case as PDF: the stored one, or rendered now if there is none yet.
    Only staff who may see the case; every download is logged."""
    from . import documents
    from .models import Letter

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
        action=AuditEvent.Action.VIEW,
        target=app,
        summary=f"下载{item.get_kind_display()} {app.number}",
    )
    response = FileResponse(item.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{app.number}-{kind}.pdf"'
    return response
