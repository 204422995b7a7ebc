"""The doors of the other systems, each with its own key scoped to its own rows:

- a body (临时救助, 慈善总会 …) reads its open hand-offs and answers them:
  ``GET /api/v1/handoffs``, ``POST /api/v1/handoffs/<number>/answer``;
- a hospital's service station (病贫共济服务站) pushes its early reports:
  ``POST /api/v1/early-reports`` with ``{"records": [{ipt_no, psn_name, certno, begntime,
  expt_sumfee, adm_diag_dscr, adm_dept_name, adm_bed}, …]}`` (at most 500).

Answers are JSON in Chinese; a refused record changes nothing.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from audit.events import Event
from audit.services import record
from core.formats import yuan
from engine.money import AmountError, parse_yuan

from . import early, services
from .models import Handoff

JSON = {"ensure_ascii": False}


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params=JSON)


def _key(request: HttpRequest) -> str:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme in {"Bearer", "Token"} else ""


def _refused(realm: str) -> JsonResponse:
    response = _error("缺少或无效的密钥（Authorization: Bearer <密钥>）。", 401)
    response["WWW-Authenticate"] = f'Bearer realm="{realm}"'
    return response


def _body_json(request: HttpRequest) -> Any:
    if request.content_type not in {"application/json", ""}:
        raise ValueError("请求体应为 JSON（Content-Type: application/json）。")
    try:
        return json.loads(request.body.decode("utf-8"))
    except RequestDataTooBig:
        raise ValueError("请求体过大，请分批推送。") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("请求体不是有效的 UTF-8 JSON。") from None


@require_GET
def handoffs(request: HttpRequest) -> JsonResponse:
    """The body's open hand-offs (its own only): who, why, the figures, the time limit."""
    body = services.body_for(_key(request))
    if body is None:
        return _refused("handoffs")
    rows = list(
        Handoff.objects.filter(body=body, state=Handoff.State.OPEN)
        .select_related("person", "township")
        .order_by("due_on", "id")[:500]
    )
    if rows:  # the body's system read names: an access row, as a page that lists people writes
        record(
            actor=None,
            event=Event.HANDOFFS_LISTED,
            summary=f"{body.name} 通过接口读取待答复的转介 {len(rows)} 件",
            county=rows[0].county,
        )
    return JsonResponse(
        {
            "handoffs": [
                {
                    "number": h.number,
                    "name": h.person.name,
                    "id_number": h.person.masked_id_number,
                    "township": h.township.name,
                    "year": h.year,
                    "burden": f"{h.burden:.2f}",
                    "reason": h.reason,
                    "figures": h.figures,
                    "due_on": h.due_on.isoformat(),
                }
                for h in rows
            ]
        },
        json_dumps_params=JSON,
    )


@csrf_exempt
@require_POST
def handoff_answer(request: HttpRequest, number: str) -> JsonResponse:
    """The body's answer: ``{"outcome": "helped", "amount": "3000.00", "day": "2026-12-01",
    "kind": "临时救助金", "reference": "…"}`` or ``{"outcome": "refused", "reason": "…"}``."""
    body = services.body_for(_key(request))
    if body is None:
        return _refused("handoffs")
    handoff = Handoff.objects.filter(body=body, number=number).first()
    if handoff is None:
        return _error("没有这件转介，或它不是转给本单位的。", 404)
    try:
        data = _body_json(request)
        if not isinstance(data, dict) or data.get("outcome") not in {"helped", "refused"}:
            raise ValueError('请求体应为 {"outcome": "helped" 或 "refused", …}。')
        helped = data["outcome"] == "helped"
        amount = parse_yuan(str(data.get("amount", "")), "帮扶金额") if helped else None
        day = date.fromisoformat(str(data.get("day", ""))) if helped else None
    except AmountError as exc:
        return _error(str(exc), 400)
    except ValueError as exc:
        message = str(exc)
        return _error(
            message if "请求体" in message else "帮扶日期应为 2026-12-01 这样的日期。", 400
        )
    try:
        item = services.handoff_answer(
            handoff=handoff, helped=helped, actor=None, amount=amount, day=day,
            kind=str(data.get("kind", "")), reference=str(data.get("reference", "")),
            refusal=str(data.get("reason", "")), via_key=True,
        )  # fmt: skip
    except ValidationError as exc:
        status = 409 if getattr(exc, "code", "") in {"final", "twice"} else 400
        return _error("；".join(exc.messages), status)
    answer = {"number": item.number, "state": item.state, "state_label": item.get_state_display()}
    if helped and amount is not None:
        answer["amount"] = yuan(amount)
    return JsonResponse(answer, json_dumps_params=JSON)


@csrf_exempt
@require_POST
def early_reports(request: HttpRequest) -> JsonResponse:
    station = services.station_for(_key(request))
    if station is None:
        return _refused("early-reports")
    try:
        data = _body_json(request)
    except ValueError as exc:
        return _error(str(exc), 400)
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, list) or not records:
        return _error('请求体应为 {"records": [...]}，且至少包含一条记录。', 400)
    if len(records) > early.MAX_ROWS:
        return _error(f"每次最多推送 {early.MAX_ROWS} 条记录。", 413)
    outcomes = early.early_reports_receive(
        institution=station.institution, rows=records, actor=None, via_key=True
    )
    return JsonResponse(
        {"results": [{"index": o.row, "status": o.status, "errors": list(o.errors)}
                     for o in outcomes]},
        json_dumps_params=JSON,
    )  # fmt: skip
