"""Eligibility at the window and the county (issue 19): the reviewer's verification of a certificate
recorded at the window, the window's 因病致贫 pre-check, and the county's list (and PDF) of
pre-checks sent to 民政 for certification."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required
from audit.events import Event
from audit.services import record_list_view, record_view
from beneficiaries.services import household_member_add
from core.forms import errors_text
from core.pdf import render_pdf

from .. import case_actions, services
from ..eligibility import household_burden
from ..forms import CertificateForm, IdentityDecisionForm, IllnessCheckForm, MemberForm
from ..models import Application, IllnessCheck
from ..selectors import applications_for
from .base import _errors, _own_application


@require_POST
@capability_required(Capability.VERIFY_IDENTITIES)
def identity_decide(request: StaffRequest, number: str) -> HttpResponse:
    """核验身份证明: the reviewer accepts the certificate into the registry, or refuses it."""
    app = _own_application(request, number)
    form = IdentityDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择核验结果。")
        return redirect(app)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        claim = services.application_identity_decide(
            application=app, actor=request.user, accept=accept, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        if accept:
            messages.success(
                request, f"身份证明核验通过，{claim.get_category_display()}已登记入身份库。"
            )
        else:
            messages.warning(request, "已记录核验未通过，窗口经办人会在站内提醒中看到理由。")
    return redirect(app)


@require_POST
@capability_required(Capability.INTAKE)
def certificate_record(request: StaffRequest, number: str) -> HttpResponse:
    """登记身份证明 on the case page: the certificate the applicant brought after a refusal."""
    app = _own_application(request, number)
    form = CertificateForm(request.POST, today=timezone.localdate(), category=app.category)
    if not form.is_valid():
        messages.error(
            request,
            "身份证明未登记：" + errors_text(form),
        )
        return redirect(app)
    try:
        services.application_certificate_record(
            application=app, cert=form.certificate(), actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request, "已登记身份证明，等待县级审核人员核验。扫描件请在“申请材料”中补传。"
        )
    return redirect(app)


def illness_check(request: StaffRequest, number: str) -> HttpResponse:
    """因病致贫预审: the window records the household and sees the four tests; the county reads it."""
    app = _own_application(request, number)
    check = IllnessCheck.objects.filter(application=app).first()
    refused = case_actions.case_action_refusal(app, "illness_check", request.user)
    person = app.person
    household = person.household
    members = list(household.members.all()) if household is not None else [person]
    adding = "add_member" in request.POST
    checking = request.method == "POST" and not adding
    if (adding or checking) and refused is not None:
        messages.error(request, refused)
        return redirect(app)
    member_form = MemberForm(request.POST if adding else None)
    if adding and _member_added(request, app, member_form):
        return redirect("applications:illness_check", number=app.number)
    form = IllnessCheckForm(request.POST if checking else None, initial=_initial(app, members))
    if checking and form.is_valid():
        try:
            check = services.illness_check_save(
                application=app, household=form.household(), actor=request.user
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(
                request,
                "预审已保存：四项条件均符合，可转县级。"
                if check.passed
                else "预审已保存：有条件不符合，见下方说明。",
            )
            return redirect("applications:illness_check", number=app.number)
    year, lines = household_burden(app)
    record_view(
        event=Event.ILLNESS_VIEWED,
        actor=request.user,
        target=person,
        summary=f"因病致贫预审页查看申请 {app.number}",
    )
    return render(
        request,
        "applications/illness_check.html",
        {
            "app": app,
            "check": check,
            "form": form,
            "can_edit": refused is None,
            "members": members,
            "member_form": member_form,
            "burden_year": year,
            "burden_lines": lines,
            "burden_total": sum((line.burden for line in lines), 0),
        },
    )


CHECK_FIELDS = ("household_size", "household_income", "extra_members", "hukou_local", "rural",
                "assets_ok")  # fmt: skip


def _initial(app: Application, members: list[Any]) -> dict[str, Any]:
    """The form as last saved, or, the first time, what the registry knows of the household."""
    check = IllnessCheck.objects.filter(application=app).first()
    if check is not None:
        return {f: getattr(check, f) for f in CHECK_FIELDS}
    person = app.person
    household = person.household
    return {
        "household_size": max(household.size if household is not None else 1, len(members)),
        "household_income": (
            household.income_per_head * household.size
            if household is not None and household.income_per_head is not None
            else None
        ),
        "hukou_local": person.hukou_local,
    }


def _member_added(request: StaffRequest, app: Application, member_form: MemberForm) -> bool:
    """A household member registered from the pre-check page (its errors put on the form)."""
    if not member_form.is_valid():
        return False
    d = member_form.cleaned_data
    try:
        member = household_member_add(
            person=app.person,
            name=d["member_name"],
            id_number=d["member_id_number"],
            relationship=d["member_relationship"],
            actor=request.user,
        )
    except ValidationError as exc:
        fields = {
            "id_number": "member_id_number",
            "name": "member_name",
            "relationship": "member_relationship",
        }
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, messages_ in errors.items():
            for error in messages_:
                member_form.add_error(fields.get(str(field)), error)
        return False
    messages.success(request, f"已登记家庭成员 {member.name}。")
    return True


def _county_checks(request: StaffRequest):  # type: ignore[no-untyped-def]
    cases = applications_for(request.user)
    return (
        IllnessCheck.objects.filter(application__in=cases.values("pk"))
        .select_related(
            "application", "application__person", "application__township", "recorded_by"
        )
        .order_by("sent_at", "-recorded_at")
    )


@capability_required(Capability.VERIFY_IDENTITIES)
def illness_list(request: StaffRequest) -> HttpResponse:
    """The county's 因病致贫 pre-checks: those that pass, waiting to be sent to 民政, first."""
    checks = list(_county_checks(request)[:500])
    record_list_view(
        event=Event.ILLNESS_LISTED, actor=request.user, what="因病致贫预审名单", shown=len(checks)
    )
    return render(
        request,
        "applications/illness_list.html",
        {
            "to_send": [c for c in checks if c.passed and c.sent_at is None],
            "sent": [c for c in checks if c.sent_at is not None],
            "failed": [c for c in checks if not c.passed and c.sent_at is None],
        },
    )


@require_POST
@capability_required(Capability.VERIFY_IDENTITIES)
def illness_list_pdf(request: StaffRequest) -> HttpResponse:
    """The list sent to 民政 (PDF): the pre-checks that pass and were not sent yet (or all that pass,
    to print again); marked as sent, in the audit trail."""
    again = request.POST.get("again") == "1"
    checks = [c for c in _county_checks(request) if c.passed and (again or c.sent_at is None)]
    if not checks:
        messages.info(request, "没有待报送的预审。")
        return redirect("applications:illness_list")
    services.illness_list_sent(checks=checks, actor=request.user)
    pdf = render_pdf(
        "documents/illness_list.html",
        {
            "checks": checks,
            "county": request.user.county,
            "agency": request.user.county.agency_name  # type: ignore[union-attr]
            or f"{request.user.county.name}医疗保障经办机构",  # type: ignore[union-attr]
            "today": timezone.localdate(),
            "user": request.user,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="illness-precheck-{timezone.localdate():%Y%m%d}.pdf"'
    )
    return response
