"""网上补交 for the applicant (/status/online/): after the status page's check (number and ID tail,
kept in a signed cookie), a code by SMS to the phone on record, then the missing materials, each
with its upload. The page shows nothing the status page does not: the masked name, the number and
what is missing. Codes are rate-limited per application and per address; a wrong code and an
unknown phone look the same."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from . import services
from .materials import MATERIALS
from .models import Application, OnlineUpload
from .public_status import (
    PROVEN_COOKIE,
    PROVEN_SALT,
    PROVEN_SECONDS,
    help_line,
    is_large,
    keeps_large,
    lookup_proven,
    proven,
)
from .selectors import mask_name

ONLINE_COOKIE = "status_online"
ONLINE_SALT = "applications.public_online"
SENT = (
    "验证码已发到申请时登记的手机号，{minutes} 分钟内有效。没有收到？请稍等一会儿再点“重新发送”，"
    "或联系窗口。"
)
WRONG_CODE = "验证码不正确或已过期，请核对短信，或点“重新发送”。"
TOO_MANY_CODES = "获取验证码的次数太多，请过一段时间（15 分钟到 1 小时）再试，或打电话给窗口。"
EXPIRED = "验证已超过 30 分钟，文件没有上传。请重新获取验证码后再上传。"


def _proven(request: HttpRequest, cookie: str, salt: str) -> Application | None:
    number = request.get_signed_cookie(cookie, default=None, salt=salt, max_age=PROVEN_SECONDS)
    return lookup_proven(number) if number else None


def _codes_limited(request: HttpRequest, app: Application) -> bool:
    """Codes count against the application and against the address asking."""
    per_app = is_ratelimited(
        request,
        group="online-code-app",
        key=lambda group, req: app.number,
        rate=settings.ONLINE_CODE_RATE_PER_APPLICATION,
        method="POST",
        increment=True,
    )
    per_address = is_ratelimited(
        request,
        group="online-code-address",
        key="ip",
        rate=settings.ONLINE_CODE_RATE_PER_ADDRESS,
        method="POST",
        increment=True,
    )
    return per_app or per_address


def _materials(app: Application, missing: list[str]) -> list[dict[str, Any]]:
    """Each missing material with what the applicant already sent for it."""
    sent: dict[str, list[OnlineUpload]] = {}
    for row in app.online_uploads.order_by("-id"):
        sent.setdefault(row.material, []).append(row)
    return [
        {"code": code, "label": MATERIALS[code], "sent": sent.get(code, [])} for code in missing
    ]


@require_http_methods(["GET", "POST"])
@keeps_large
def online(request: HttpRequest) -> HttpResponse:
    app = _proven(request, PROVEN_COOKIE, PROVEN_SALT)
    context: dict[str, Any] = {"large": is_large(request)}
    if app is None:
        context["error"] = "请先在查询页输入申请编号和身份证号后 6 位，再网上补交材料。"
        return render(request, "status/online.html", context, status=403)
    verified = request.get_signed_cookie(
        ONLINE_COOKIE, default=None, salt=ONLINE_SALT, max_age=PROVEN_SECONDS
    )
    signed_in = verified == app.number
    context.update(app=app, name=mask_name(app.person.name), help=help_line(app.number))
    action = request.POST.get("action", "")
    status = 200
    missing = services.missing_codes(app)  # read once (an upload checks it again under the lock)
    if not missing:
        context["done"] = True
    elif action == "send":
        if _codes_limited(request, app):
            context["error"], status = TOO_MANY_CODES, 429
        else:
            services.online_code_send(application=app)
            context["notice"] = SENT.format(minutes=settings.ONLINE_CODE_MINUTES)
            context["code_sent"] = True
    elif action == "code":
        if services.online_code_check(application=app, code=request.POST.get("code", "")):
            return proven(redirect("status_online"), ONLINE_COOKIE, ONLINE_SALT, app)
        context["error"], context["code_sent"] = WRONG_CODE, True
    elif action == "upload" and signed_in:
        files = {code: request.FILES.getlist(f"m-{code}") for code in MATERIALS}
        try:
            rows = services.online_submit(application=app, files=files)
        except ValidationError as exc:
            context["errors"], status = exc.messages, 400
        else:
            context["notice"] = (
                f"已上传 {len(rows)} 个文件。窗口核对后会用短信告诉您；核对通过就不用再跑窗口了。"
            )
    elif action == "upload":
        context["error"], status = EXPIRED, 403
    context.update(signed_in=signed_in, materials=_materials(app, missing) if signed_in else [])
    if not signed_in and missing:
        context["missing"] = [MATERIALS[c] for c in missing]
    return render(request, "status/online.html", context, status=status)
