from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import Capability, StaffRequest, capability_required, has_capability

from . import services
from .engine import UnknownPolicy, sections
from .forms import PolicyVersionForm
from .models import PolicyVersion
from .policies import load, shipped_codes


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
                        (v.start, d.display(v.value), v.source, v.version) for v in d.values
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
