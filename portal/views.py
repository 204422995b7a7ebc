from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Capability, capability_required, role_of
from accounts.models import Role
from audit.events import Event
from audit.services import record
from beneficiaries.models import IdentityImport
from beneficiaries.services import stalled_imports
from core import queueing

from . import health
from .models import WorkerHeartbeat

TASK_LABELS = {
    "applications.tasks.render_letters": "生成受理回执、通知书等文书",
    "applications.tasks.deliver_notifications": "发送短信通知",
    "applications.tasks.sweep_reminders": "承诺补交材料提醒",
    "beneficiaries.tasks.preview_identity_import": "检查导入文件",
    "beneficiaries.tasks.apply_identity_import": "导入数据文件",
    "monitoring.tasks.recompute_monitoring": "重算医疗负担与防贫预警",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own work: a clerk on their township, finance on 结算与发放, the other
    county roles on their county."""
    role = role_of(request.user)
    if role == Role.CLERK:
        return redirect("areas:township", pk=request.user.township_id)  # type: ignore[union-attr]
    if role == Role.ADMIN:
        return redirect("areas:overview")
    if role == Role.FINANCE:
        return redirect("payments:index")
    return redirect("areas:county", pk=request.user.county_id)  # type: ignore[union-attr]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body = health.report()
    return JsonResponse(body, status=503 if body["status"] == "error" else 200)


@capability_required(Capability.SYSTEM_JOBS)
def jobs(request: HttpRequest) -> HttpResponse:
    """后台任务: what waits for the broker, and imports that failed or whose worker stopped."""
    waiting = [
        {"row": row, "label": TASK_LABELS.get(row.task, row.task)}
        for row in queueing.pending()[:200]
    ]
    # taken by the broker, not finished by a worker for longer than a task normally takes
    late = timezone.now() - timedelta(seconds=settings.OUTBOX_RESEND_SECONDS)
    unfinished = [
        {"row": row, "label": TASK_LABELS.get(row.task, row.task)}
        for row in queueing.unfinished().filter(published_at__lte=late)[:200]
    ]
    troubled = list(
        IdentityImport.objects.filter(status=IdentityImport.Status.FAILED).order_by("-created_at")[
            :50
        ]
    )
    stuck = list(stalled_imports().order_by("created_at"))
    context = {
        "waiting": waiting,
        "waiting_count": queueing.pending().count(),
        "unfinished": unfinished,
        "resend_seconds": round(settings.OUTBOX_RESEND_SECONDS),
        "stuck": stuck,
        "failed": troubled,
        "health": health.report(),
        "last_seen": WorkerHeartbeat.objects.order_by("-seen_at").first(),
        "relay_seconds": round(settings.OUTBOX_RELAY_SECONDS),
    }
    return render(request, "portal/jobs.html", context)


@require_POST
@capability_required(Capability.SYSTEM_JOBS)
def jobs_relay(request: HttpRequest) -> HttpResponse:
    """“立即重发”: send what waits for the broker now instead of at the relay's next run; from
    the second list (``what=unfinished``), send again too what the broker took and no worker
    finished."""
    force = request.POST.get("what") == "unfinished"
    before = queueing.pending().count() + (queueing.unfinished().count() if force else 0)
    sent = queueing.relay(older_than_seconds=0, force=force)
    record(
        actor=request.user,
        event=Event.JOBS_RELAYED,
        target=None,
        summary=f"手动重发后台任务：{sent} / {before} 项已交给任务队列",
    )
    if sent == before:
        messages.success(request, f"已重发 {sent} 项任务。")
    else:
        messages.error(
            request,
            f"任务队列（Redis）仍无法连接：已重发 {sent} 项，其余 {before - sent} 项继续等待，"
            "恢复后会自动发送。",
        )
    return redirect("portal:jobs")
