"""The applicant's status page (/status/, docs/contracts.md §3): no account, a phone, plain Chinese.

The applicant gives the application number and the last 6 characters of their ID number. A wrong
number and a wrong ID get the same answer; lookups are rate-limited per address and per application
number (django-ratelimit). The page shows where the case stands as a timeline, what happens next
and whom to call; nothing about the person beyond a masked name. After the same check, the approval
or rejection letter downloads from here. Every successful lookup is in the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from areas.models import County
from audit.events import Event
from audit.services import record
from core.formats import sentence, yuan

from . import workflow
from .documents import kinds_for, latest, letter_render
from .models import Application, Letter, PromiseStatus, Status
from .payment_facts import paid_line
from .selectors import mask_name

NOT_FOUND = "申请编号或身份证号后 6 位不正确，请核对后再试。"
# After a right answer the page lets the applicant download their decision letter: the number they
# proved goes into a signed cookie for half an hour (no session row to write and read per lookup).
PROVEN_COOKIE = "status_number"
PROVEN_SALT = "applications.public_status"
PROVEN_SECONDS = 30 * 60


def normalise_number(text: str) -> str:
    digits = re.sub(r"[^0-9]", "", text or "")
    if len(digits) == 18:  # typed without the dashes
        return f"{digits[:6]}-{digits[6:14]}-{digits[14:]}"
    return (text or "").strip()


def lookup(number: str, id_tail: str) -> Application | None:
    tail = (id_tail or "").strip().upper()
    if len(tail) != 6:
        return None
    app = lookup_proven(normalise_number(number))
    if app is None or not app.person.id_number.upper().endswith(tail):
        return None
    return app


def lookup_proven(number: str) -> Application | None:
    """The case of an application number, with its person and areas in one SELECT; never a draft
    (checked here: one condition fewer to compile on every lookup). The caller has the proof."""
    found = (
        Application.objects.select_related("person", "township", "county")
        .filter(number=number)
        .order_by()[:1]  # the number is unique: no ORDER BY to compile and run, as first() adds
    )
    app = next(iter(found), None)
    return None if app is None or app.status == Status.DRAFT else app


@dataclass
class Step:
    title: str
    state: str  # done, current, waiting, stopped
    when: date | None
    detail: str = ""


# the decisions an applicant may download here (after the same check as the lookup)
APPLICANT_LETTERS = (Letter.Kind.APPROVAL, Letter.Kind.REJECTION, Letter.Kind.REVOCATION)


def timeline(app: Application, today: date) -> list[Step]:
    """The case as the applicant reads it, step by step, from the workflow's states."""
    if app.origin == "tilted":  # opened by the county from one-stop bills: no window, no papers
        first = [
            Step(
                "主动发现立案",
                "done",
                app.accepted_on,
                f"{app.county.name}医疗保障部门根据医院“一站式”结算记录主动发现，为您办理住院倾斜救助，"
                f"无需到窗口申请，编号 {app.number}",
            )
        ]
    else:
        first = [
            Step(
                "已受理",
                "done",
                app.accepted_on,
                f"{app.township.name}社会救助服务窗口受理，编号 {app.number}",
            ),
            _materials_step(app, today),
        ]
    steps = [*first, _county_step(app)]
    if app.notice_ends_on:
        noticed = app.status != Status.NOTICE
        steps.append(
            Step(
                "公示",
                "done" if noticed else "current",
                app.notice_ends_on,
                f"公示期 {app.notice_starts_on:%Y-%m-%d} 至 {app.notice_ends_on:%Y-%m-%d}。",
            )
        )
    return steps + _decision_steps(app)


def _materials_step(app: Application, today: date) -> Step:
    town = app.township
    if app.promise_status in workflow.PROMISE_OPEN:
        missing = "、".join(m.get_code_display() for m in app.materials.all() if not m.received)
        due = app.promise_due_on
        left = (due - today).days if due else 0
        when_text = (
            f"还有 {left} 天"
            if left > 0
            else ("今天到期" if left == 0 else f"已超过期限 {-left} 天")
        )
        return Step(
            "补交材料",
            "current",
            due,
            f"还缺：{missing}。请于 {due:%Y-%m-%d}前交到{town.name}社会救助服务窗口（{when_text}）。材料收齐后才能发放救助金。",
        )
    if app.promise_status == PromiseStatus.FULFILLED:
        return Step(
            "材料已补齐",
            "done",
            timezone.localdate(app.promise_fulfilled_at) if app.promise_fulfilled_at else None,
            "您承诺补交的材料已全部收到。",
        )
    return Step("材料齐全", "done", app.accepted_on, "")


def _county_step(app: Application) -> Step:
    county_done = app.status in workflow.REVIEWED
    if app.status == Status.ACCEPTED:
        return Step("转县级审核", "waiting", None, "窗口核对后转县医保经办机构审核。")
    if app.status == Status.RETURNED:
        return Step("县级审核", "current", None, "县里请窗口补正材料，窗口会联系您。")
    return Step(
        "县级审核",
        "done" if county_done else "current",
        timezone.localdate(app.forwarded_at) if app.forwarded_at else None,
        "审核完成。" if county_done else f"{app.county.name}医疗保障经办机构正在审核。",
    )


def _decision_steps(app: Application) -> list[Step]:
    decided_on = timezone.localdate(app.decided_at) if app.decided_at else None
    if app.status == Status.REJECTED:
        note = f"：{app.rejection_note}" if app.rejection_note else ""
        return [
            Step(
                "不予救助",
                "stopped",
                decided_on,
                f"原因：{sentence(app.get_rejection_reason_display() + note)}"
                "如不服，可在收到告知书之日起 60 日内申请行政复议，或 6 个月内提起行政诉讼。",
            )
        ]
    if app.status == Status.REVOKED:
        reason = app.settlement.revoke_reason if app.settlement else ""
        return [
            Step("已批准", "done", decided_on, f"批准医疗救助 {yuan(app.approved_amount)} 元。"),
            Step(
                "撤销批准",
                "stopped",
                timezone.localdate(app.status_changed_at),
                f"经复核撤销批准，救助金不予发放。理由：{sentence(reason)}"
                "如不服，可在收到决定书之日起 60 日内申请行政复议，或 6 个月内提起行政诉讼。",
            ),
        ]
    if app.status in workflow.ENDED_EARLY:
        return [Step(app.get_status_display(), "stopped", None, "本申请已结束办理。")]
    if app.status not in (Status.APPROVED, Status.PAID):
        return [Step("审批", "waiting", None, "审核后由县医保经办机构审批。")]
    steps = [Step("已批准", "done", decided_on, f"批准医疗救助 {yuan(app.approved_amount)} 元。")]
    return steps + _payment_steps(app)


def _payment_steps(app: Application) -> list[Step]:
    """Paid (the date, the masked account) and what came back since; or payment still to come."""
    steps: list[Step] = []
    # the paid line is read only when the case says it was paid
    payment = paid_line(app) if app.status == Status.PAID else None
    if payment:
        steps.append(
            Step(
                "已发放",
                "done",
                payment.paid_on,
                f"{yuan(payment.amount)} 元已转入 {payment.bank_name} {payment.masked_account}。",
            )
        )
        if payment.recovered:
            steps.append(
                Step(
                    "资金追回",
                    "done",
                    None,
                    f"已退回 {yuan(payment.recovered)} 元，实际获得医疗救助 "
                    f"{yuan(payment.amount - payment.recovered)} 元。",
                )
            )
    else:
        held = app.promise_status in workflow.PROMISE_OPEN
        steps.append(
            Step(
                "发放",
                "waiting",
                None,
                "材料收齐后发放。" if held else "正在办理发放，请留意银行到账。",
            )
        )
    return steps


def next_step(app: Application) -> str:
    if app.promise_status in workflow.PROMISE_OPEN:
        return "请尽快把还缺的材料交到窗口。"
    if app.status == Status.PAID:
        return "救助金已发放，本申请办结。"
    if app.status == Status.APPROVED:
        return "等待银行到账。"
    if app.status == Status.REJECTED:
        return "可到窗口领取不予救助告知书，或在本页下载。"
    if app.status == Status.REVOKED:
        return "可到窗口领取撤销救助决定书，或在本页下载；有疑问请联系窗口。"
    return "请耐心等待审核结果，结果出来后窗口会告诉您。"


def _address_limited(request: HttpRequest) -> bool:
    """Every lookup counts against the address it comes from."""
    return is_ratelimited(
        request,
        group="status-address",
        key="ip",
        rate=settings.STATUS_RATE_PER_ADDRESS,
        method="POST",
        increment=True,
    )


def _wrong_answer_limited(request: HttpRequest, number: str) -> bool:
    """A wrong answer counts against the application number; only wrong answers do, so that
    strangers guessing cannot lock its owner out (the right answer always gets through)."""
    return is_ratelimited(
        request,
        group="status-number",
        key=lambda group, req: normalise_number(number) or "-",
        rate=settings.STATUS_RATE_PER_NUMBER,
        method="POST",
        increment=True,
    )


TOO_MANY = "查询次数太多，请 10 分钟后再试。"
TOO_MANY_WRONG = (
    "这个申请编号的查询次数太多（身份证号后 6 位多次不符），请 10 分钟后再试；"
    "本人输入正确时不受影响。"
)


def help_line(number: str) -> str:
    """Whom to call, from the county code the application number starts with (``150121-…``):
    the same answer whether or not such an application exists, so it tells a stranger nothing."""
    code = normalise_number(number).split("-", 1)[0] if number else ""
    county = County.objects.filter(code=code).first() if code.isdigit() else None
    if county is not None and county.agency_phone:
        return f"如需帮助，请拨打{county.agency_name or county.name}电话 {county.agency_phone}。"
    return "如需帮助，请到受理申请的乡镇（街道）社会救助服务窗口，或拨打当地医疗保障经办机构电话。"


LARGE_COOKIE = "status_large"


def is_large(request: HttpRequest) -> bool:
    """长辈版 (large text): asked for by the link, then kept for the browser's session."""
    asked = request.GET.get("large") or request.POST.get("large")
    if asked in ("0", "1"):
        return asked == "1"
    return request.COOKIES.get(LARGE_COOKIE) == "1"


def keeps_large(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The choice of 长辈版 goes into a cookie that ends with the browser's session."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        asked = request.GET.get("large")
        if asked == "1":
            response.set_cookie(
                LARGE_COOKIE,
                "1",
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        elif asked == "0":
            response.delete_cookie(LARGE_COOKIE, samesite="Lax")
        return response

    return wrapped


@require_http_methods(["GET", "POST"])
@keeps_large
def status(request: HttpRequest) -> HttpResponse:
    large = is_large(request)
    number = request.POST.get("number") or request.GET.get("number", "")
    context: dict[str, Any] = {"number": number, "large": large}
    if request.method == "POST":
        if _address_limited(request):
            context["error"] = f"{TOO_MANY}{help_line(number)}"
            return render(request, "status/status.html", context, status=429)
        app = lookup(number, request.POST.get("id_tail", ""))
        if app is None:
            if _wrong_answer_limited(request, number):
                context["error"] = f"{TOO_MANY_WRONG}{help_line(number)}"
                return render(request, "status/status.html", context, status=429)
            context["error"] = NOT_FOUND
            return render(request, "status/status.html", context)
    else:
        # back from 网上补交 or the 长辈版 link: the number this browser proved a moment ago
        proven = request.get_signed_cookie(
            PROVEN_COOKIE, default=None, salt=PROVEN_SALT, max_age=PROVEN_SECONDS
        )
        app = lookup_proven(proven) if proven and proven == normalise_number(number) else None
        if app is None:
            return render(request, "status/status.html", context)
    return _shown(request, app, context)


def _shown(request: HttpRequest, app: Application, context: dict[str, Any]) -> HttpResponse:
    """The case as the applicant reads it; the proof kept for half an hour."""
    record(
        actor=None,
        event=Event.STATUS_LOOKED_UP,
        target=app,
        summary="申请人查询办理进度",
        username="申请人",
    )
    today = timezone.localdate()
    letters = [k for k in APPLICANT_LETTERS if k in kinds_for(app)]
    context.update(
        app=app,
        number=app.number,
        name=mask_name(app.person.name),
        steps=timeline(app, today),
        next_step=next_step(app),
        letters=[(k, Letter.Kind(k).label) for k in letters],
        online=app.promise_status in workflow.PROMISE_OPEN,
    )
    return proven(render(request, "status/status.html", context), PROVEN_COOKIE, PROVEN_SALT, app)


def proven(response: HttpResponse, cookie: str, salt: str, app: Application) -> HttpResponse:
    """What the browser proved (the number, signed), kept for half an hour."""
    response.set_signed_cookie(
        cookie,
        app.number,
        salt=salt,
        max_age=PROVEN_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def status_letter(request: HttpRequest, kind: str) -> FileResponse:
    """The applicant's own approval or rejection letter, after the same check as the status page."""
    number = request.get_signed_cookie(
        PROVEN_COOKIE, default=None, salt=PROVEN_SALT, max_age=PROVEN_SECONDS
    )
    if not number or kind not in APPLICANT_LETTERS:
        raise Http404("请先在查询页输入申请编号和身份证号后 6 位。")
    app = lookup_proven(number)
    if app is None or kind not in kinds_for(app):
        raise Http404("没有这份文书。")
    item = latest(app, kind) or letter_render(application=app, kind=kind)
    record(
        actor=None,
        event=Event.STATUS_LETTER_VIEWED,
        target=app,
        summary=f"申请人下载{item.get_kind_display()}",
        username="申请人",
    )
    response = FileResponse(item.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{app.number}-{kind}.pdf"'
    return response
