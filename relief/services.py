"""Every write of 梯次减负: hand-offs and their answers, 一事一议, the hospitals' early reports.

Each function is keyword-only, runs in one transaction, writes its audit row, and tells the floors
above through ``HELP_CHANGED`` (monitoring recomputes the burdens; connected in portal/wiring.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from applications.models import Application, Status
from applications.services import work_calendar
from audit.events import Event
from audit.services import record
from beneficiaries.models import Person
from core.extensions import Point
from core.formats import yuan
from core.forms import plain_text
from core.keys import digest_of, new_key
from core.numbering import next_in
from settlements.policies import load
from settlements.services import policy_for

from .models import HANDOFF_STATES, Body, Handoff, Help, StationKey

HELP_CHANGED: Point[Any] = Point(
    "relief_help_changed", "他方帮扶或一事一议变动后上层要做的事（如重算负担）"
)
MAX_AMOUNT = Decimal("9999999.99")


def _changed() -> None:
    for hook in HELP_CHANGED:
        transaction.on_commit(hook)


def param(person: Person, name: str, day: date) -> Any:
    """A policy parameter of the person's city on ``day`` (None where the policy lacks it)."""
    params = policy_for(person).at(day)
    return params[name] if params.has(name) else None


def helped_before(person: Person, year: int) -> Decimal:
    return Help.objects.filter(person=person, year=year).aggregate(s=Sum("amount"))["s"] or Decimal(
        "0.00"
    )


@dataclass(frozen=True)
class Figures:
    """The burden a hand-off rests on, and each line of it (label, amount)."""

    year: int
    burden: Decimal
    line: Decimal | None
    lines: list[tuple[str, str]]


def burden_line(person: Person, day: date) -> Decimal | None:
    """``handoff.burden_line``, or where unset the 因病返贫 monitoring line (seed 001 §五(一))."""
    return city_burden_line(person.township.county.city.policy_code, day)


def city_burden_line(policy_code: str, day: date) -> Decimal | None:
    params = load(policy_code).at(day)

    def get(name: str) -> Any:
        return params[name] if params.has(name) else None

    own = get("handoff.burden_line")
    if own is not None:
        return Decimal(own)
    income, share = get("rural_income"), get("monitoring.return_share")
    if income is None or share is None:
        return None
    return (Decimal(income) * Decimal(share)).quantize(Decimal("0.01"))


def case_figures(app: Application) -> Figures:
    """At discharge (seed 001 §七(三)): the case's bills after basic insurance, critical-illness
    insurance and medical assistance, less what other bodies already gave this year."""
    bills = list(app.expenses.all())
    day = max((b.day or app.created_at.date() for b in bills), default=timezone.localdate())
    total = sum((b.total for b in bills), Decimal("0.00"))
    basic = sum((b.basic_paid for b in bills), Decimal("0.00"))
    critical = sum((b.critical_paid for b in bills), Decimal("0.00"))
    approved = app.status in (Status.APPROVED, Status.PAID)
    assistance = (app.approved_amount or Decimal("0.00")) if approved else Decimal("0.00")
    others = helped_before(app.person, day.year)
    burden = max(Decimal("0.00"), total - basic - critical - assistance - others)
    lines = [
        ("医疗总费用", yuan(total)),
        ("基本医保支付", yuan(basic)),
        ("大病保险支付", yuan(critical)),
        ("医疗救助" + ("（已批准）" if approved else "（尚未批准，按 0 计）"), yuan(assistance)),
        ("本年度已获他方帮扶", yuan(others)),
        ("三重保障后个人仍需负担", yuan(burden)),
    ]
    return Figures(day.year, burden, burden_line(app.person, day), lines)


def _amount(value: Any, label: str, *, allow_zero: bool = False) -> Decimal:
    if not isinstance(value, Decimal):
        raise ValidationError(f"{label}格式不对，请填写金额（元，最多两位小数）。", code="amount")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValidationError(f"{label}须大于 0。", code="amount")
    if value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise ValidationError(f"{label}不对：最多 {yuan(MAX_AMOUNT)} 元，到分为止。", code="amount")
    return value


@transaction.atomic
def handoff_create(
    *,
    person: Person,
    body: Body,
    figures: Figures,
    reason: str,
    origin: str,
    actor: User,
    application: Application | None = None,
    asked: Decimal | None = None,
) -> Handoff:
    """Refer the family to ``body`` (转介), with the figures that justify it."""
    reason = plain_text(reason)
    county = person.township.county
    if not body.active or body.city_id != county.city_id:
        raise ValidationError("该帮扶单位不在本市名录中或已停用。", code="body")
    if not reason:
        raise ValidationError(
            "请写明转介理由（如：出院结算后个人自付部分仍无力缴纳）。", code="reason"
        )
    if len(reason) > 300:
        raise ValidationError(f"转介理由最多 300 字（现在 {len(reason)} 字）。", code="reason")
    if asked is not None:
        _amount(asked, "建议帮扶金额")
        if asked > figures.burden:
            raise ValidationError(
                f"建议帮扶金额 {yuan(asked)} 元超过个人负担 {yuan(figures.burden)} 元。",
                code="asked",
            )
    today = timezone.localdate()
    number = f"{county.code}-ZJ-{today:%Y}-{next_in(f'handoff:{county.code}:{today:%Y}'):05d}"
    try:
        with transaction.atomic():
            handoff = Handoff.objects.create(
                number=number, person=person, township=person.township, county=county,
                application=application, body=body, origin=origin, year=figures.year,
                burden=figures.burden, line=figures.line,
                figures=[list(line) for line in figures.lines], reason=reason, asked=asked,
                due_on=work_calendar().add(today, body.answer_days), created_by=actor,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(
            f"{person.name} {figures.year} 年度已转介给{body.name}，尚待答复，不能重复转介。",
            code="twice",
        ) from None
    record(
        actor=actor,
        event=Event.HANDOFF_CREATED,
        target=handoff,
        summary=f"{handoff.number} 转介{body.name}：{person.name}，三重保障后负担 "
        f"{yuan(figures.burden)} 元",
    )
    return handoff


@transaction.atomic
def handoff_answer(
    *,
    handoff: Handoff,
    helped: bool,
    actor: User | None,
    amount: Decimal | None = None,
    day: date | None = None,
    kind: str = "",
    reference: str = "",
    refusal: str = "",
    via_key: bool = False,
) -> Handoff:
    """The body's answer: help given (amount, day, kind) or refused (reason). Once."""
    item = Handoff.objects.select_for_update().select_related("person", "body").get(pk=handoff.pk)
    if item.state != Handoff.State.OPEN:
        raise ValidationError(
            f"{item.number} 已是“{item.get_state_display()}”，不能再登记答复。", code="final"
        )
    now = timezone.now()
    if helped:
        amount, kind, reference = _help_checked(item, amount, day, kind, reference)
        try:
            with transaction.atomic():
                Help.objects.create(
                    handoff=item, person=item.person, body=item.body, year=item.year,
                    amount=amount, day=day or timezone.localdate(), kind=kind,
                    reference=reference,
                    recorded_by=actor,
                )  # fmt: skip
        except IntegrityError:
            raise ValidationError(
                f"{item.body.name} 编号 {reference} 的帮扶已登记过（同一笔只计一次）。",
                code="twice",
            ) from None
        HANDOFF_STATES.step(item, Handoff.State.HELPED)
        summary = f"{item.number} {item.body.name}帮扶 {yuan(amount)} 元（{kind}，{day}）"
    else:
        refusal = plain_text(refusal)
        if not refusal or len(refusal) > 200:
            raise ValidationError("不予帮扶须写明原因，最多 200 字。", code="refusal")
        HANDOFF_STATES.step(item, Handoff.State.REFUSED)
        item.refusal = refusal
        summary = f"{item.number} {item.body.name}不予帮扶：{refusal}"
    item.answered_at, item.answered_by, item.answered_via_key = now, actor, via_key
    item.save(update_fields=["state", "refusal", "answered_at", "answered_by", "answered_via_key"])
    record(
        actor=actor,
        event=Event.HELP_PUSHED if via_key else Event.HANDOFF_ANSWERED,
        target=item,
        summary=summary,
    )
    _changed()
    return item


def _help_checked(
    item: Handoff, amount: Decimal | None, day: date | None, kind: str, reference: str
) -> tuple[Decimal, str, str]:
    amount = _amount(amount, "帮扶金额")
    kind, reference = plain_text(kind), plain_text(reference)
    if day is None or day > timezone.localdate():
        raise ValidationError("请填写帮扶日期（不能晚于今天）。", code="day")
    if day.year < item.year:
        raise ValidationError(f"帮扶日期早于医疗年度 {item.year} 年。", code="day")
    if not kind or len(kind) > 60:
        raise ValidationError(
            "请写明帮扶方式（如临时救助金、慈善救助金），最多 60 字。", code="kind"
        )
    if len(reference) > 60:
        raise ValidationError("单位业务编号最多 60 个字符。", code="reference")
    return amount, kind, reference


@transaction.atomic
def handoff_withdraw(*, handoff: Handoff, reason: str, actor: User) -> Handoff:
    item = Handoff.objects.select_for_update().get(pk=handoff.pk)
    reason = plain_text(reason)
    if item.state != Handoff.State.OPEN:
        raise ValidationError(f"{item.number} 已答复，不能撤回。", code="final")
    if not reason or len(reason) > 200:
        raise ValidationError("撤回须写明原因，最多 200 字。", code="reason")
    HANDOFF_STATES.step(item, Handoff.State.WITHDRAWN)
    item.answered_at, item.answered_by = timezone.now(), actor
    item.save(update_fields=["state", "refusal", "answered_at", "answered_by"])
    record(
        actor=actor, event=Event.HANDOFF_WITHDRAWN, target=item, summary=f"{item.number}：{reason}"
    )
    return item


@transaction.atomic
def body_key_create(*, body: Body, actor: User) -> str:
    """A new key for the body's system (the old one stops working). Returned once."""
    made = new_key()
    Body.objects.filter(pk=body.pk).update(key_prefix=made.prefix, key_hash=made.digest)
    record(
        actor=actor,
        event=Event.BODY_KEY_CREATED,
        target=body,
        summary=f"{body.name} {made.prefix}…",
    )
    return made.key


def body_for(key: str) -> Body | None:
    if not key:
        return None
    return Body.objects.filter(key_hash=digest_of(key), active=True).first()


@transaction.atomic
def station_key_create(*, institution: Any, label: str, actor: User) -> tuple[StationKey, str]:
    made = new_key()
    station = StationKey.objects.create(
        institution=institution, label=label, key_prefix=made.prefix, key_hash=made.digest
    )
    record(
        actor=actor,
        event=Event.STATION_KEY_CREATED,
        target=station,
        summary=f"{institution.name} · {label}（{made.prefix}…）",
    )
    return station, made.key


def station_for(key: str) -> StationKey | None:
    if not key:
        return None
    return (
        StationKey.objects.select_related("institution")
        .filter(key_hash=digest_of(key), active=True)
        .first()
    )
