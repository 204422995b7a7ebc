import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required, has_capability
from audit.events import Event
from audit.services import record_list_view
from core.forms import errors_text
from core.http import back_to

from . import services
from .forms import DeathForm, ImportUploadForm
from .idnumber import mask
from .models import Department, IdentityImport, ImportRow, PersonChange
from .selectors import people_for, person_changes_for, search_people


@capability_required(Capability.VIEW_PEOPLE)
def person_list(request: StaffRequest) -> HttpResponse:
    """People of the user's area: search by ID number, phone or name. ID numbers are masked."""
    q = request.GET.get("q", "").strip()
    page = Paginator(search_people(request.user, q), 50).get_page(request.GET.get("page"))
    params = urlencode({"q": q}) if q else ""
    pending = person_changes_for(request.user).filter(status=PersonChange.Status.PENDING).count()
    record_list_view(
        event=Event.PEOPLE_LISTED, actor=request.user, what="救助对象列表", shown=len(page)
    )
    return render(
        request,
        "beneficiaries/person_list.html",
        {"page": page, "q": q, "params": params, "pending_changes": pending},
    )


# --- change requests (变更申请) ---------------------------------------------------------------

CHANGE_FILTERS = {"pending": "待确认", "decided": "已处理", "all": "全部"}


@capability_required(Capability.VIEW_PEOPLE)
def change_list(request: StaffRequest) -> HttpResponse:
    """Changes the departments proposed to people of the user's area (both sides of a move): old
    and new side by side, confirmed or refused by the township. Shows names and phones: logged."""
    shown = request.GET.get("status", "pending")
    if shown not in CHANGE_FILTERS:
        shown = "pending"
    changes = person_changes_for(request.user)
    if shown == "pending":
        changes = changes.filter(status=PersonChange.Status.PENDING)
    elif shown == "decided":
        changes = changes.exclude(status=PersonChange.Status.PENDING)
    page = Paginator(changes.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    record_list_view(
        event=Event.CHANGES_LISTED,
        actor=request.user,
        what=f"信息变更申请（{CHANGE_FILTERS[shown]}）",
        shown=len(page),
    )
    return render(
        request,
        "beneficiaries/change_list.html",
        {
            "page": page,
            "shown": shown,
            "filters": CHANGE_FILTERS,
            "params": urlencode({"status": shown}),
            "can_decide": has_capability(request.user, Capability.CONFIRM_CHANGES),
            "decide_town": request.user.township_id,  # None for the administrator: any township
        },
    )


@capability_required(Capability.CONFIRM_CHANGES)
@require_POST
def change_decide(request: StaffRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(person_changes_for(request.user), pk=pk)
    accept = request.POST.get("decision") == "accept"
    try:
        services.person_change_decide(
            change=change, actor=request.user, accept=accept, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            f"已确认 {change.person.name} 的信息变更，登记信息已更新。"
            if accept
            else f"已退回 {change.person.name} 的信息变更申请。",
        )
    return back_to(request, request.POST.get("next"), reverse("beneficiaries:change_list"))


@capability_required(Capability.CONFIRM_CHANGES)
@require_POST
def person_death(request: StaffRequest, pk: int) -> HttpResponse:
    """死亡减员: the date and its source; the person's identities end that day."""
    person = get_object_or_404(people_for(request.user), pk=pk)
    form = DeathForm(request.POST)
    if not form.is_valid():
        messages.error(request, "死亡未登记：" + errors_text(form))
    else:
        try:
            services.person_death_record(
                person=person,
                died_on=form.cleaned_data["died_on"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, "死亡未登记：" + "；".join(exc.messages))
        else:
            messages.success(
                request,
                f"已登记{person.name}死亡，困难身份于当日终止；下次生成资助参保名单时标明。",
            )
    return redirect(person.get_absolute_url())


# --- imports --------------------------------------------------------------------------------


@capability_required(Capability.IMPORT_IDENTITIES)
def import_list(request: StaffRequest) -> HttpResponse:
    """Upload a department's file; every earlier import with its results."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.identity_import_create(
                upload=form.cleaned_data["file"],
                department=form.cleaned_data["department"],
                content=form.cleaned_data["content"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, "文件已上传，正在逐行检查。检查完成后请核对结果再确认导入。")
            return redirect("beneficiaries:import_detail", pk=batch.pk)
    imports = Paginator(IdentityImport.objects.select_related("uploaded_by", "token"), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request, "beneficiaries/import_list.html", {"form": form, "page": imports, "params": ""}
    )


@capability_required(Capability.IMPORT_IDENTITIES)
def import_detail(request: StaffRequest, pk: int) -> HttpResponse:
    """An import's check (preview), progress and results, with every refused row and its reason."""
    batch = get_object_or_404(IdentityImport, pk=pk)
    kind = request.GET.get("kind", ImportRow.Kind.ERROR)
    if kind not in ImportRow.Kind.values:
        kind = ImportRow.Kind.ERROR
    rows = Paginator(batch.rows.filter(kind=kind), 100).get_page(request.GET.get("page"))
    context = {
        "batch": batch,
        "rows": rows,
        "kind": kind,
        "kinds": ImportRow.Kind.choices,
        "params": f"kind={kind}",
        "page": rows,
        "running": batch.status
        in {
            IdentityImport.Status.UPLOADED,
            IdentityImport.Status.PREVIEWING,
            IdentityImport.Status.APPLYING,
        },
        "earlier": services.earlier_same_file(batch) if batch.sha256 else None,
        "stalled": services.stalled_imports().filter(pk=batch.pk).exists(),
    }
    return render(request, "beneficiaries/import_detail.html", context)


SAMPLES = Path(__file__).resolve().parent / "samples"


@capability_required(Capability.IMPORT_IDENTITIES)
def import_sample(request: StaffRequest, fmt: str) -> FileResponse:
    """The sample file of the documented column layout, to fill in or to test with."""
    content = request.GET.get("content") or IdentityImport.Content.IDENTITIES
    name = SAMPLE_NAMES.get((content, fmt))
    if name is None:
        raise Http404
    stem, label = name
    return FileResponse(
        (SAMPLES / f"{stem}-sample.{fmt}").open("rb"),
        as_attachment=True,
        filename=f"{label}导入样例.{fmt}",
    )


# (content, format) -> (the sample's file stem, its name for the download)
SAMPLE_NAMES = {
    ("identities", "csv"): ("identities", "困难身份"),
    ("identities", "xlsx"): ("identities", "困难身份"),
    ("hospital", "csv"): ("hospital", "医院结算"),
    ("hospital", "xlsx"): ("hospital", "医院结算"),
    ("platform", "csv"): ("platform", "医保平台结算"),
    ("platform", "json"): ("platform", "医保平台结算"),
    ("medins", "csv"): ("medins", "定点医药机构名录"),
}


@capability_required(Capability.IMPORT_IDENTITIES)
def import_progress(request: StaffRequest, pk: int) -> JsonResponse:
    batch = get_object_or_404(IdentityImport, pk=pk)
    return JsonResponse(
        {
            "status": batch.status,
            "status_label": batch.get_status_display(),
            "processed": batch.processed_rows,
            "total": batch.total_rows,
            "percent": batch.progress_percent,
        }
    )


def _import_action(request: StaffRequest, pk: int, service: Any, done: str) -> HttpResponse:
    """A button on an import's page: call the service, say what happened, back to the page."""
    batch = get_object_or_404(IdentityImport, pk=pk)
    try:
        service(batch=batch, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, done)
    return redirect("beneficiaries:import_detail", pk=pk)


@require_POST
@capability_required(Capability.IMPORT_IDENTITIES)
def import_apply(request: StaffRequest, pk: int) -> HttpResponse:
    return _import_action(
        request, pk, services.identity_import_apply,
        "已开始导入。页面会显示进度，完成后列出新增和变更的内容。",
    )  # fmt: skip


@require_POST
@capability_required(Capability.IMPORT_IDENTITIES)
def import_retry(request: StaffRequest, pk: int) -> HttpResponse:
    """“重试”: a failed or stalled import goes on from its last committed thousand rows."""
    return _import_action(
        request, pk, services.identity_import_retry,
        "已重新开始处理，将从中断处继续，已处理的行不会重复计入。",
    )  # fmt: skip


# --- the push endpoint for departments' systems ----------------------------------------------


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _pushing_token(request: HttpRequest) -> Any:
    """The department's key the request carries (``Authorization: Bearer <key>``), or None."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return services.department_token_for(key.strip()) if scheme in {"Bearer", "Token"} else None


def _refused(message: str, realm: str) -> JsonResponse:
    response = _json_error(message, 401)
    response["WWW-Authenticate"] = f'Bearer realm="{realm}"'
    return response


@csrf_exempt
@require_POST
def identity_push(request: HttpRequest) -> JsonResponse:
    """POST /api/v1/identities — a department's system pushes identity records (token, not session).

    Body: {"records": [{...the import columns by key...}, ...]} (at most 1,000 records).
    Answer: per record its index, status (created / updated / unchanged / refused), errors, warnings.
    """
    token = _pushing_token(request)
    if token is None:
        return _refused("缺少或无效的推送密钥（Authorization: Bearer <密钥>）。", "identities")
    if request.content_type not in {"application/json", ""}:
        return _json_error("请求体应为 JSON（Content-Type: application/json）。", 415)
    try:
        raw = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1048576
        return _json_error(
            f"请求体过大（超过 {limit} MB）。每次最多推送 {services.MAX_PUSH} 条记录。", 413
        )
    try:
        body: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _json_error("请求体不是有效的 UTF-8 JSON。", 400)
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list) or not records:
        return _json_error('请求体应为 {"records": [...]}，且至少包含一条记录。', 400)
    if len(records) > services.MAX_PUSH:
        return _json_error(
            f"每次最多推送 {services.MAX_PUSH} 条记录，本次为 {len(records)} 条。", 413
        )
    batch, outcomes = services.identity_push(token=token, records=records)
    results = [
        {
            "index": o.row_number - 1,
            "id_number": mask(o.id_number) if o.id_number else "",
            "status": o.status,
            "errors": o.errors,
            "warnings": o.warnings,
            "changes": o.changes,
        }
        for o in outcomes
    ]
    summary = {
        s: sum(1 for r in results if r["status"] == s)
        for s in ("created", "updated", "unchanged", "refused")
    }
    return JsonResponse(
        {"import": batch.pk, "summary": summary, "results": results},
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
@require_POST
def platform_push(request: HttpRequest) -> JsonResponse:
    """POST /api/v1/platform/settlements — the medical-insurance system pushes settlement records
    in the platform's own JSON (``{"output": {"setlinfo": …, "setldetail": […]}}``, a list of
    them, or ``{"setlinfo": [...]}``), with a key of the 医疗保障部门 (a department's key: only
    that department's). Kept as an import, checked and imported by a worker: the answer (202) says
    where to follow it; the request never waits for the work."""
    token = _pushing_token(request)
    if token is None or token.department != Department.MEDICAL_INSURANCE:
        return _refused("缺少或无效的推送密钥：须为医疗保障部门的密钥。", "platform")
    if request.content_type not in {"application/json", ""}:
        return _json_error("请求体应为 JSON（Content-Type: application/json）。", 415)
    try:
        raw = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1048576
        return _json_error(f"请求体过大（超过 {limit} MB），请分批推送。", 413)
    name = f"{token.label[:40]}-{timezone.localtime():%Y%m%d%H%M%S}.json"
    batch = services.system_import_create(
        name=name, content=raw, kind=IdentityImport.Kind.API, token=token
    )
    if batch.status == IdentityImport.Status.FAILED:
        return _json_error(batch.message, 400)
    return JsonResponse(
        {"import": batch.pk, "status": batch.status, "status_label": batch.get_status_display()},
        status=202,
        json_dumps_params={"ensure_ascii": False},
    )


def platform_push_status(request: HttpRequest, pk: int) -> JsonResponse:
    """GET /api/v1/platform/settlements/<id> — the pushing system follows its own import."""
    token = _pushing_token(request)
    batch = IdentityImport.objects.filter(pk=pk, token=token).first() if token else None
    if batch is None:
        return _json_error("没有这项推送，或密钥不是推送它的密钥。", 404)
    return JsonResponse(
        {"import": batch.pk, "status": batch.status, "status_label": batch.get_status_display(),
         "rows": batch.total_rows, "created": batch.records_created,
         "unchanged": batch.records_unchanged, "refused": batch.bad_rows, "message": batch.message},
        json_dumps_params={"ensure_ascii": False},
    )  # fmt: skip
