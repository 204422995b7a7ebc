"""Warnings and their follow-up (township), and the city overview 一屏观救助 (county, city)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required, has_capability, scoped
from accounts.selectors import counties_for, townships_for
from applications.models import Kind
from applications.views import IntakeStart, intake
from audit.events import Event
from audit.services import record, record_list_view, record_view
from core import queueing
from core.params import number_in, row_id
from core.pdf import render_pdf
from core.spreadsheet import table
from relief.selectors import bodies_for

from . import monthly, selectors, services
from . import overview as ov
from .forms import CloseForm, ContactForm, WarningFilter
from .models import OPEN_STATUSES, BurdenWarning, MonitoringRun, MonthlyReport
from .scope import Percent, Scope, scope_for
from .tasks import recompute_monitoring


def _warning(request: StaffRequest, pk: int) -> BurdenWarning:
    try:
        return selectors.warning_page(request.user, pk)
    except BurdenWarning.DoesNotExist:
        raise Http404("没有找到该预警，或不属于您的辖区。") from None


@capability_required(Capability.WARNINGS)
def warning_list(request: StaffRequest) -> HttpResponse:
    """The township's list: people without an identity and the closely watched first."""
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = "todo"
    filtered = WarningFilter(
        data, queryset=selectors.warnings_for(request.user), townships=townships_for(request.user)
    )
    rows = Paginator(filtered.qs.order_by("priority", "-burden", "id"), 50).get_page(
        request.GET.get("page")
    )
    params = data.copy()
    params.pop("page", None)
    record_list_view(
        event=Event.WARNINGS_LISTED, actor=request.user, what="防贫预警列表", shown=len(rows)
    )
    return render(
        request,
        "monitoring/warning_list.html",
        {
            "filter": filtered,
            "page": rows,
            "params": params.urlencode(),
            "counts": selectors.warning_counts(selectors.warnings_for(request.user)),
            "last_run": MonitoringRun.objects.filter(finished_at__isnull=False).first(),
            "can_follow_up": has_capability(request.user, Capability.FOLLOW_UP),
        },
    )


@capability_required(Capability.WARNINGS)
def warning_detail(request: StaffRequest, pk: int) -> HttpResponse:
    """One warning: the person's year, expense by expense, and the follow-up so far. Logged."""
    warning = _warning(request, pk)
    record_view(
        event=Event.WARNING_VIEWED,
        actor=request.user,
        target=warning.person,
        summary="查看因病致贫返贫预警",
    )
    return _render_detail(request, warning)


def _render_detail(
    request: StaffRequest,
    warning: BurdenWarning,
    contact: ContactForm | None = None,
    close: CloseForm | None = None,
) -> HttpResponse:
    person = warning.person
    can = has_capability(request.user, Capability.FOLLOW_UP) and warning.is_open
    return render(
        request,
        "monitoring/warning_detail.html",
        {
            "warning": warning,
            "person": person,
            "identities": person.identities.all(),
            "burden": selectors.burden_of(person, warning.year),
            "expenses": selectors.year_expenses(person, warning.year),
            "follow_ups": warning.follow_ups.select_related("actor"),
            "can_follow_up": can,
            "contact": contact or ContactForm(),
            "close": close or CloseForm(),
            "apply_url": reverse("monitoring:warning_apply", args=[warning.pk]),
            "can_handoff": has_capability(request.user, Capability.HANDOFF),
            "bodies": bodies_for(person)
            if has_capability(request.user, Capability.HANDOFF)
            else [],
        },
        status=400 if (contact and contact.errors) or (close and close.errors) else 200,
    )


@capability_required(Capability.INTAKE)
def warning_apply(request: StaffRequest, pk: int) -> HttpResponse:
    """Start an application from an open warning: the window's intake page with the year's
    hospital bills that have no assistance yet filled in; the saved draft is linked to the warning
    (``warning_link_application``) in the same transaction."""
    warning = _warning(request, pk)
    if warning.status not in OPEN_STATUSES:
        messages.error(request, "该预警已处理完毕，不能再由它发起申请。")
        return redirect("monitoring:warning_detail", pk=warning.pk)
    start = IntakeStart(
        person_id=warning.person_id,
        banner=(
            f"由{warning.year} 年{warning.get_level_display()}预警发起：经基本医保、大病保险后"
            f"个人负担 {warning.burden} 元。医院结算中尚未获得救助的费用已预先填入，"
            "请对照结算单核对、删去不申请的笔数。"
        ),
        bills=[
            {
                "hospital": h.hospital,
                "hospital_code": h.hospital_code,
                "invoice_number": h.invoice_number,
                "settlement_number": h.settlement_number,
                "hospital_level": h.hospital_level,
                "kind": h.kind,
                "in_region": True,
                "referred": False,
                "admitted_on": h.admitted_on,
                "discharged_on": h.day if h.kind == Kind.INPATIENT else None,
                "visit_on": None if h.kind == Kind.INPATIENT else h.day,
                "total": h.total,
                "policy_scope": h.policy_scope,
                "basic_paid": h.basic_paid,
                "critical_paid": h.critical_paid,
            }
            for h in selectors.unassisted_hospital_bills(warning.person, warning.year)
        ],
        saved=lambda app, actor: services.warning_link_application(
            warning=warning, application=app, actor=actor
        ),
    )
    return intake(request, start)


@require_POST
@capability_required(Capability.FOLLOW_UP)
def warning_contact(request: StaffRequest, pk: int) -> HttpResponse:
    warning = _warning(request, pk)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, warning, contact=form)
    try:
        services.warning_contact(
            warning=warning,
            method=form.cleaned_data["method"],
            contacted_on=form.cleaned_data["contacted_on"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "联系情况已记录。")
    return redirect("monitoring:warning_detail", pk=pk)


@require_POST
@capability_required(Capability.FOLLOW_UP)
def warning_close(request: StaffRequest, pk: int) -> HttpResponse:
    warning = _warning(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, warning, close=form)
    try:
        services.warning_close(
            warning=warning,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("monitoring:warning_detail", pk=pk)
    messages.success(request, "预警已办结。负担再升到更高一级监测线时会重新列入。")
    return redirect(reverse("monitoring:warning_list"))


# --- the overview -----------------------------------------------------------------------


def _scope(request: StaffRequest) -> Scope:
    year_text = request.GET.get("year") or ""
    today = timezone.localdate()
    year = number_in(year_text, 2000, today.year)
    county = row_id(request.GET.get("county"))
    return scope_for(request.user, year=year, county_id=county)


@capability_required(Capability.OVERVIEW)
def overview(request: StaffRequest) -> HttpResponse:
    """一屏观救助: every chart with its table and downloads."""
    scope = _scope(request)
    charts = {key: ov.chart(scope, key) for key in ov.CHARTS}
    figures = ov.headline(scope, charts)
    query = f"year={scope.year}" + (f"&county={scope.county.pk}" if scope.county else "")
    return render(
        request,
        "monitoring/overview.html",
        {
            "scope": scope,
            "charts": list(charts.values()),
            "specs": {key: c.spec() for key, c in charts.items()},
            "figures": figures,
            "query": query,
            "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1)),
            "counties": counties_for(request.user)
            if has_capability(request.user, Capability.AREA_OVERVIEW)
            else None,
            "last_run": MonitoringRun.objects.filter(finished_at__isnull=False).first(),
            "running": _recompute_running(),
            "can_recompute": has_capability(request.user, Capability.SYSTEM_JOBS),
            "now": timezone.now(),
        },
    )


def _recompute_running() -> MonitoringRun | None:
    """A recompute started within the hour and not finished (one at a time is enough)."""
    return MonitoringRun.objects.filter(
        finished_at__isnull=True, started_at__gte=timezone.now() - timedelta(hours=1)
    ).first()


@require_POST
@capability_required(Capability.SYSTEM_JOBS)
def overview_recompute(request: StaffRequest) -> HttpResponse:
    """“立即重算”: the administrator brings burdens, rates and warnings up to date now instead of
    at the nightly run (queued like every task; the page says when its figures were computed)."""
    back = reverse("monitoring:overview") + (
        f"?{request.POST['query']}" if request.POST.get("query", "").startswith("year=") else ""
    )
    if (
        _recompute_running()
        or queueing.outstanding().filter(task=recompute_monitoring.name).exists()
    ):
        messages.info(request, "重算已在进行中，完成后刷新本页即可看到新数据。")
        return redirect(back)
    queueing.enqueue(recompute_monitoring, False)
    record(
        actor=request.user,
        event=Event.OVERVIEW_RECOMPUTED,
        summary="一屏观救助：立即重算医疗负担、保障率与防贫预警",
    )
    messages.success(request, "已开始重算（通常几分钟内完成），完成后刷新本页即可看到新数据。")
    return redirect(back)


def _cell(value: Any, *, xlsx: bool) -> Any:
    """A value of a chart's table as a cell (numbers stay numbers; ``core.spreadsheet`` writes)."""
    if isinstance(value, Percent):
        return float(value.value) if xlsx else value.value
    if value is None:
        return ""
    if xlsx and not isinstance(value, str | int):
        return float(value)
    return value


@capability_required(Capability.OVERVIEW)
def overview_download(request: StaffRequest, key: str, fmt: str) -> HttpResponse:
    """The table behind a chart, as CSV (UTF-8 with BOM, for Excel) or XLSX. Audited."""
    if key not in ov.CHARTS or fmt not in {"csv", "xlsx"}:
        raise Http404
    scope = _scope(request)
    chart = ov.chart(scope, key, full=True)
    rows = chart.rows + ([chart.totals] if chart.totals else [])
    name = f"{chart.title}-{scope.label}-{scope.year}.{fmt}"
    content, ctype = table(
        chart.columns, [[_cell(v, xlsx=fmt == "xlsx") for v in row] for row in rows], fmt=fmt,
        sheet=key,
    )  # fmt: skip
    response = HttpResponse(content, content_type=ctype)
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    record(
        actor=request.user,
        event=Event.OVERVIEW_EXPORTED,
        county=scope.county,
        summary=f"下载一屏观救助：{chart.title}（{scope.label} {scope.year} 年，{fmt.upper()}）",
    )
    return response


# --- 医疗救助统计月报 (issue 20) ----------------------------------------------------------------


def _reports_for(request: StaffRequest) -> Any:
    """The reports the user may read: their county's; the administrator's also the city's."""
    reports = MonthlyReport.objects.select_related("city", "county", "generated_by")
    if has_capability(request.user, Capability.AREA_OVERVIEW):
        return reports  # the city's reports too (no county)
    return scoped(request.user, reports)


def _month(request: StaffRequest) -> tuple[int, int]:
    today = timezone.localdate()
    before = today.replace(day=1) - timedelta(days=1)
    y, m = request.POST.get("year", ""), request.POST.get("month", "")
    year = number_in(y, 2000, today.year) or before.year
    month = number_in(m, 1, 12) or before.month
    return year, month


@capability_required(Capability.OVERVIEW)
def monthly_list(request: StaffRequest) -> HttpResponse:
    """The monthly reports kept, newest first; a month not made yet can be made now."""
    today = timezone.localdate()
    before = today.replace(day=1) - timedelta(days=1)
    return render(
        request,
        "monitoring/monthly_list.html",
        {
            "reports": _reports_for(request)[:60],
            "counties": counties_for(request.user),
            "city_wide": has_capability(request.user, Capability.AREA_OVERVIEW),
            "before": before,
            "years": list(range(today.year, today.year - 5, -1)),
            "months": list(range(1, 13)),
        },
    )


@require_POST
@capability_required(Capability.OVERVIEW)
def monthly_generate(request: StaffRequest) -> HttpResponse:
    """Make (or make again) a month's report for a county of the user's, or the city (admin)."""
    year, month = _month(request)
    today = timezone.localdate()
    if (year, month) >= (today.year, today.month):
        messages.error(request, "只能生成已结束月份的月报。")
        return redirect("monitoring:monthly_list")
    chosen = request.POST.get("county", "")
    pk = row_id(chosen)
    county = counties_for(request.user).filter(pk=pk).first() if pk else None
    if county is None and not has_capability(request.user, Capability.AREA_OVERVIEW):
        county = counties_for(request.user).first()
    city = county.city if county else counties_for(request.user).first().city  # type: ignore[union-attr]
    report = monthly.report_generate(
        city=city, county=county, year=year, month=month, actor=request.user
    )
    messages.success(request, f"已生成{report}。")
    return redirect("monitoring:monthly_detail", pk=report.pk)


@capability_required(Capability.OVERVIEW)
def monthly_detail(request: StaffRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(_reports_for(request), pk=pk)
    return render(
        request,
        "monitoring/monthly_detail.html",
        {"report": report, "rows": monthly.rows(report)},
    )


@capability_required(Capability.OVERVIEW)
def monthly_download(request: StaffRequest, pk: int, fmt: str) -> HttpResponse:
    """The report as PDF (to sign and send upward) or XLSX; the download is audited."""
    if fmt not in {"pdf", "xlsx"}:
        raise Http404
    report = get_object_or_404(_reports_for(request), pk=pk)
    rows = monthly.rows(report)
    name = f"医疗救助统计月报-{report.county or report.city}-{report.year}-{report.month:02d}.{fmt}"
    if fmt == "pdf":
        area = report.county or report.city
        content = render_pdf(
            "documents/monthly_report.html",
            {
                "report": report,
                "rows": rows,
                "agency": getattr(area, "agency_name", "") or f"{area.name}医疗保障局",
                "today": timezone.localdate(),
            },
        )
        ctype = "application/pdf"
    else:
        header = ["项目", "单位", "本月", "本年累计", "上年同月", "同比"]
        content, ctype = table(
            header,
            [
                [label, unit, now, ytd, before, pct]
                for _section, label, unit, now, ytd, before, pct in rows
            ],
            fmt="xlsx",
            sheet=f"{report.year}年{report.month}月",
        )
    from urllib.parse import quote

    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    record(
        actor=request.user,
        event=Event.REPORT_EXPORTED,
        target=report,
        county=report.county,
        summary=f"下载{report}（{fmt.upper()}）",
    )
    return response
