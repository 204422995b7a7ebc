import io
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import (
    Capability,
    StaffRequest,
    capability_required,
    has_capability,
    role_of,
)
from accounts.selectors import counties_for, county_chosen
from audit.events import Event
from audit.services import record, record_list_view
from beneficiaries.selectors import people_for
from core.params import number_in
from core.pdf import render_pdf
from core.spreadsheet import table
from engine import UnknownPolicy, sections
from engine.categories import CATEGORIES
from engine.money import amount_text

from . import funds, services, subsidies
from .forms import PolicyVersionForm
from .models import Enrolment, PolicyVersion, SubsidyEntry, SubsidyRoster
from .policies import load, shipped_codes
from .readiness import readiness, shipped_defaults


@capability_required(Capability.VIEW_POLICIES)
def policy_list(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    policies = [load(code) for code in shipped_codes()]
    return render(request, "settlements/policy_list.html", {"policies": policies, "today": today})


def _policy_or_404(code: str):  # type: ignore[no-untyped-def]
    try:
        return load(code)
    except UnknownPolicy:
        raise Http404("没有这个政策。") from None


@capability_required(Capability.VIEW_POLICIES)
def policy_detail(request: StaffRequest, code: str) -> HttpResponse:
    """A policy as people read it: every parameter, its value today, its history and sources."""
    policy = _policy_or_404(code)
    today = timezone.localdate()
    now = policy.at(max(today, policy.starts_on)).as_dict()
    groups = [
        (
            section,
            [
                {
                    "definition": d,
                    "now": d.display(now[d.name]) if d.name in now else "未设置",
                    "unset": d.name not in now,
                    "history": [
                        (v.start, d.display(v.value), v.source, v.version, v.basis, v.by)
                        for v in d.values
                    ],
                }
                for d in definitions
            ],
        )
        for section, definitions in sections(policy)
    ]
    context = {
        "policy": policy,
        "groups": groups,
        "today": today,
        "versions": PolicyVersion.objects.filter(policy_code=code).select_related("created_by"),
        "can_edit": has_capability(request.user, Capability.EDIT_POLICIES),
        "shipped_start": date.min,
    }
    return render(request, "settlements/policy_detail.html", context)


@capability_required(Capability.VIEW_POLICIES)
def policy_readiness(request: StaffRequest, code: str) -> HttpResponse:
    """启用前检查: what the rules need for a year that is unset, missing for a county, or demo."""
    policy = _policy_or_404(code)
    year = number_in(request.GET.get("year"), 2000, 2100) or timezone.localdate().year
    counties = counties_for(request.user).filter(city__policy_code=code).order_by("code")
    gaps = readiness(policy, year, [(c.code, c.name) for c in counties])
    defaults = shipped_defaults(policy, year)
    return render(
        request,
        "settlements/policy_readiness.html",
        {
            "policy": policy,
            "year": year,
            "gaps": gaps,
            "defaults": defaults,
            "counties": counties,
            "can_edit": has_capability(request.user, Capability.EDIT_POLICIES),
        },
    )


@capability_required(Capability.EDIT_POLICIES)
def policy_version_new(request: StaffRequest, code: str) -> HttpResponse:
    """Add a version: the values that change, from a date, with the document that says so."""
    policy = _policy_or_404(code)
    form = PolicyVersionForm(request.POST or None, policy=policy, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        changed = form.changed_values()
        if form.is_valid():  # changed_values adds an error per bad parameter
            try:
                version = services.policy_version_create(
                    policy_code=code,
                    effective_from=form.cleaned_data["effective_from"],
                    values=changed,
                    source=form.cleaned_data["source"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    basis=form.cleaned_data["basis"],
                    decided_by=form.cleaned_data["decided_by"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    f"已保存第 {version.number} 版，{version.effective_from:%Y-%m-%d}起生效，"
                    f"改动 {len(changed)} 个参数。",
                )
                return redirect("settlements:policy_detail", code=code)
    return render(request, "settlements/policy_version_form.html", {"policy": policy, "form": form})


# --- the participation-subsidy roster (issue 20) --------------------------------------------

# the documented layout of the export; the same file with 参保结果 (已参保 / 未参保) and 未参保原因
# filled in is the result file read back (subsidies.RESULT_LAYOUT)
ROSTER_HEADER = [
    "序号", "公民身份号码", "姓名", "乡镇（街道）", "资助身份", "个人缴费标准（元）",
    "资助金额（元）", "纳入日期", "身份终止日期", "终止原因", "参保结果", "未参保原因",
]  # fmt: skip


RESULT_MAX_BYTES = 20 * 1024 * 1024


def _county_and_year(request: StaffRequest) -> tuple[Any, int]:
    county = county_chosen(request.user, request.GET.get("county") or request.POST.get("county"))
    if county is None:
        raise Http404("没有可查看的旗县区。")
    raw = request.GET.get("year") or request.POST.get("year") or ""
    today = timezone.localdate()
    year = number_in(raw, 2000, today.year + 1) or today.year
    return county, year


@capability_required(Capability.SETTLEMENTS)
def roster(request: StaffRequest) -> HttpResponse:
    """资助参保名单: a county's roster for a year, its totals by category, the people (masked)."""
    county, year = _county_and_year(request)
    found = SubsidyRoster.objects.filter(county=county, year=year).first()
    entries = (
        SubsidyEntry.objects.filter(roster=found).select_related("person", "person__township")
        if found
        else SubsidyEntry.objects.none()
    )
    # one pass over the roster: each category's people and money, and the answers so far
    totals = list(
        entries.order_by()
        .values("category")
        .annotate(
            n=Count("id"),
            s=Sum("amount"),
            not_enrolled=Count("id", filter=Q(enrolment=Enrolment.NOT_ENROLLED)),
            answered=Count("id", filter=~Q(enrolment="")),
        )
    )
    page = Paginator(entries.order_by("person__township_id", "person_id"), 100).get_page(
        request.GET.get("page")
    )
    record_list_view(
        event=Event.ROSTER_VIEWED,
        actor=request.user,
        what="资助参保名单",
        shown=len(page.object_list),
    )
    return render(
        request,
        "settlements/roster.html",
        {
            "county": county,
            "counties": counties_for(request.user) if role_of(request.user) == "admin" else [],
            "year": year,
            "roster": found,
            "page": page,
            "totals": [(CATEGORIES[t["category"]][0], t["n"], t["s"]) for t in totals],
            "total_people": sum(t["n"] for t in totals),
            "total_amount": sum((t["s"] for t in totals), Decimal("0.00")),
            "can_build": has_capability(request.user, Capability.PAY),
            "not_enrolled": sum(t["not_enrolled"] for t in totals),
            "answered": sum(t["answered"] for t in totals),
        },
    )


@require_POST
@capability_required(Capability.PAY)
def roster_build(request: StaffRequest) -> HttpResponse:
    county, year = _county_and_year(request)
    try:
        subsidies.roster_build(county=county, year=year, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已生成 {county.name} {year} 年资助参保名单。")
    return redirect(f"{reverse('settlements:roster')}?county={county.pk}&year={year}")


@capability_required(Capability.PAY)
def roster_export(request: StaffRequest) -> HttpResponse:
    """The roster as XLSX or CSV for the tax office or the insurance agency (full ID numbers:
    audited). Text cells never run as formulas (core.spreadsheet)."""
    county, year = _county_and_year(request)
    fmt = "xlsx" if request.GET.get("fmt") == "xlsx" else "csv"
    found = SubsidyRoster.objects.filter(county=county, year=year).first()
    if found is None:
        messages.error(request, "还没有生成这一年的名单。")
        return redirect(f"{reverse('settlements:roster')}?county={county.pk}&year={year}")
    # only the columns the file has (a whole person row would decrypt the bank account too), read
    # in chunks
    rows = (
        SubsidyEntry.objects.filter(roster=found)
        .select_related("person", "person__township")
        .only(
            "category",
            "contribution",
            "amount",
            "joined_on",
            "ended_on",
            "ended_by_death",
            "enrolment",
            "enrolment_reason",
            "person__id_number",
            "person__name",
            "person__township__name",
        )
        .order_by("person__township_id", "person_id")
    )
    count = 0

    def lines():  # type: ignore[no-untyped-def]
        nonlocal count
        for n, e in enumerate(rows.iterator(chunk_size=2000), start=1):
            count = n
            yield [
                n, e.person.id_number, e.person.name, e.person.township.name,
                CATEGORIES[e.category][0], amount_text(e.contribution), amount_text(e.amount),
                f"{e.joined_on:%Y-%m-%d}", f"{e.ended_on:%Y-%m-%d}" if e.ended_on else "",
                ("死亡" if e.ended_by_death else "身份终止") if e.ended_on else "",
                e.get_enrolment_display() if e.enrolment else "", e.enrolment_reason,
            ]  # fmt: skip

    content, content_type = table(ROSTER_HEADER, lines(), fmt=fmt, sheet="资助参保名单")
    record(
        actor=request.user,
        event=Event.ROSTER_EXPORTED,
        target=found,
        county=county,
        summary=f"导出{county.name} {year} 年资助参保名单 {count} 人（{fmt.upper()}）",
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="subsidy-{county.code}-{year}.{fmt}"'
    return response


@require_POST
@capability_required(Capability.PAY)
def roster_result(request: StaffRequest) -> HttpResponse:
    """The tax office's result file: enrolled, or not enrolled with the reason."""
    county, year = _county_and_year(request)
    back = f"{reverse('settlements:roster')}?county={county.pk}&year={year}"
    found = SubsidyRoster.objects.filter(county=county, year=year).first()
    upload = request.FILES.get("file")
    if found is None or upload is None:
        messages.error(request, "请先生成名单，再选择结果文件（CSV 或 XLSX）。")
        return redirect(back)
    if (upload.size or 0) > RESULT_MAX_BYTES:
        messages.error(request, "结果文件超过 20 MB，请分开上传。")
        return redirect(back)
    try:
        n = subsidies.roster_result_import(
            roster=found,
            raw=io.BytesIO(upload.read()),
            filename=upload.name or "",
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已登记 {n} 人的参保结果。")
    return redirect(back)


@capability_required(Capability.VIEW_PEOPLE)
def roster_followup(request: StaffRequest) -> HttpResponse:
    """未参保人员: the people of the user's area a roster reports not enrolled, to follow up."""
    rows = list(subsidies.not_enrolled_for(people_for(request.user))[:500])
    record_list_view(
        event=Event.ROSTER_FOLLOWUP_LISTED,
        actor=request.user,
        what="资助参保未参保人员",
        shown=len(rows),
    )
    return render(request, "settlements/roster_followup.html", {"rows": rows})


# --- the fund's books (issue 20) ------------------------------------------------------------


@capability_required(Capability.SETTLEMENTS)
def books(request: StaffRequest) -> HttpResponse:
    """救助资金台账与年度清算: the county's money for a year by source, the outlays booked against
    it by kind, and the balance of each source, to the fen."""
    county, year = _county_and_year(request)
    found = funds.statement(county, year)
    return render(
        request,
        "settlements/books.html",
        {
            "county": county,
            "counties": counties_for(request.user) if role_of(request.user) == "admin" else [],
            "year": year,
            "statement": found,
            "drawn_total": sum((line.outlays for line in found.lines), Decimal("0.00")),
        },
    )


@capability_required(Capability.SETTLEMENTS)
def books_pdf(request: StaffRequest) -> HttpResponse:
    """年度清算表 (PDF) to sign and file: the same statement as the page."""
    county, year = _county_and_year(request)
    found = funds.statement(county, year)
    pdf = render_pdf(
        "documents/fund_statement.html",
        {
            "statement": found,
            "agency": county.agency_name or f"{county.name}医疗保障经办机构",
            "today": timezone.localdate(),
        },
    )
    record(
        actor=request.user,
        event=Event.BOOKS_EXPORTED,
        county=county,
        summary=f"打印{county.name} {year} 年救助资金年度清算表",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="fund-{county.code}-{year}.pdf"'
    return response
