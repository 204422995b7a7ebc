"""The referral register's pages (转诊备案): entered on a person's record, ended when entered in error,
and read from the medical-insurance platform's 转院备案 file (all rows checked, all or nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required
from core.forms import errors_text
from core.rows import ImportFileError

from .forms import ReferralFileForm, ReferralForm
from .models import Referral
from .referrals import Fields, referral_end, referral_register, referrals_import
from .selectors import people_for


@require_POST
@capability_required(Capability.VIEW_PEOPLE)
def referral_add(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(people_for(request.user).select_related("township__county"), pk=pk)
    form = ReferralForm(request.POST)
    if not form.is_valid():
        messages.error(request, "转诊备案未登记：" + errors_text(form))
        return redirect(person.get_absolute_url())
    data = form.cleaned_data
    fields = Fields(
        number=data["number"].strip(),
        to_hospital=data["to_hospital"].strip(),
        to_code=data["to_code"].strip(),
        area_code=data["area_code"].strip(),
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        from_hospital=data["from_hospital"].strip(),
        reason=data["reason"].strip(),
    )
    try:
        referral = referral_register(person=person, fields=fields, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "转诊备案未登记：" + "；".join(exc.messages))
    else:
        messages.success(request, f"已登记{referral}。")
    return redirect(person.get_absolute_url())


@require_POST
@capability_required(Capability.VIEW_PEOPLE)
def referral_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(
        Referral.objects.filter(person__in=people_for(request.user)).select_related("person"),
        pk=pk,
    )
    try:
        referral_end(referral=referral, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "未撤销：" + "；".join(exc.messages))
    else:
        messages.success(request, f"已撤销转诊备案 {referral.number}。")
    return redirect(referral.person.get_absolute_url())


@capability_required(Capability.IMPORT_IDENTITIES)
def referral_import(request: StaffRequest) -> HttpResponse:
    form = ReferralFileForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = referrals_import(
                raw=upload.file, filename=upload.name, size=upload.size, actor=request.user
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            if report.errors:
                messages.error(request, f"文件有 {len(report.errors)} 处问题，未导入任何记录。")
            else:
                messages.success(
                    request,
                    f"已导入转诊备案 {report.created} 条（已登记过的 {report.known} 条未重复导入）。",
                )
    return render(request, "beneficiaries/referral_import.html", {"form": form, "report": report})
