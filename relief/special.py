"""一事一议 (seed 001 §五(二): 各旗县区可根据救助对象实际情况，采取“一事一议”方式): the county's
deliberation on an exceptional case, four eyes, entered on the ledger as its own channel, paid through
the usual batches (``payments`` pays it and calls ``deliberation_paid``).

The seeds give no number: the cap of one decision (``special.cap``), the members needed
(``special.quorum``) and whether it counts in the yearly cap (``special.within_cap``) are local
settings (本地设定) of the policy, shown with their source on the policy page.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from applications.models import Application, Status
from audit.events import Event
from audit.services import record
from core.formats import yuan
from core.forms import plain_text
from core.numbering import next_in
from engine.categories import most_favourable
from settlements.ledger.special import special_enter
from settlements.models import FundSource
from settlements.services import identities_of

from .models import DELIBERATION_STATES, Deliberation
from .services import _amount, _changed, param

DECIDED_CASES = (Status.APPROVED, Status.PAID)


def members_of(text: str) -> list[str]:
    return [m for m in re.split(r"[、，,;；\s]+", plain_text(text)) if m]


@transaction.atomic
def deliberation_propose(
    *,
    application: Application,
    facts: str,
    members: str,
    met_on: date | None,
    amount: Decimal | None,
    fund: FundSource | None,
    actor: User,
) -> Deliberation:
    app = (
        Application.objects.select_for_update()
        .select_related("person__township__county")
        .get(pk=application.pk)
    )
    if app.status not in DECIDED_CASES:
        raise ValidationError(
            f"一事一议须在该申请的常规救助审批之后提出（当前为“{app.get_status_display()}”）。",
            code="not_decided",
        )
    facts, names, amount, cap = _checked(app, facts, members, met_on, amount, fund)
    if met_on is None or fund is None:  # _checked refused both already; for the type checker
        raise ValidationError("请填写议定日期并选择列支资金。")
    county = app.county
    number = f"{county.code}-YS-{met_on:%Y}-{next_in(f'special:{county.code}:{met_on:%Y}'):04d}"
    try:
        with transaction.atomic():
            item = Deliberation.objects.create(
                number=number, application=app, person=app.person, township=app.township,
                county=county, year=met_on.year, facts=facts, members="、".join(names),
                met_on=met_on, amount=amount, cap=cap,
                within_cap=bool(param(app.person, "special.within_cap", met_on)), fund=fund,
                proposed_by=actor,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(
            f"{app.number} 已有一事一议（未被否决），不能重复提议。", code="twice"
        ) from None
    record(
        actor=actor,
        event=Event.SPECIAL_PROPOSED,
        target=item,
        summary=f"{item.number}（{app.number}）议定 {yuan(amount)} 元，列支{fund.name}",
    )
    return item


def _checked(
    app: Application,
    facts: str,
    members: str,
    met_on: date | None,
    amount: Decimal | None,
    fund: FundSource | None,
) -> tuple[str, list[str], Decimal, Decimal]:
    """A proposal's facts, members, day, amount within the cap and fund, or why not."""
    facts = plain_text(facts)
    if not facts or len(facts) > 2000:
        raise ValidationError("请写明基本情况与理由（最多 2000 字）。", code="facts")
    names = members_of(members)
    quorum = param(app.person, "special.quorum", timezone.localdate()) or 3
    if len(names) < quorum:
        raise ValidationError(
            f"参会人员至少 {quorum} 人（现在 {len(names)} 人），姓名之间用顿号分开。",
            code="members",
        )
    if met_on is None or met_on > timezone.localdate():
        raise ValidationError("请填写议定日期（不能晚于今天）。", code="met_on")
    amount = _amount(amount, "议定救助金额")
    cap = param(app.person, "special.cap", met_on)
    if cap is None:
        raise ValidationError(
            "政策未设一事一议单次上限（special.cap），请管理员先设置。", code="cap"
        )
    if amount > Decimal(cap):
        raise ValidationError(
            f"议定金额 {yuan(amount)} 元超过一事一议单次上限 {yuan(Decimal(cap))} 元。", code="cap"
        )
    if fund is None or not fund.active:
        raise ValidationError("请选择列支资金。", code="fund")
    return facts, names, amount, Decimal(cap)


def _year_cap(item: Deliberation) -> Decimal | None:
    """The person's yearly assistance cap on the day, where the policy counts 一事一议 in it."""
    if not item.within_cap:
        return None
    best = most_favourable(identities_of(item.person), item.met_on)
    if best is None:
        raise ValidationError(
            "按政策一事一议计入年度救助限额，但该对象议定之日没有有效的困难身份，无法确定限额。",
            code="no_identity",
        )
    cap = param(item.person, f"assistance.cap.{best.category}", item.met_on)
    return None if cap is None else Decimal(cap)


@transaction.atomic
def deliberation_decide(
    *, deliberation: Deliberation, approve: bool, actor: User, refusal: str = ""
) -> Deliberation:
    """The second person's decision (双人复核): entered on the ledger and payable, or refused."""
    item = (
        Deliberation.objects.select_for_update()
        .select_related("person__township__county__city", "application")
        .get(pk=deliberation.pk)
    )
    if item.state != Deliberation.State.PROPOSED:
        raise ValidationError(
            f"{item.number} 已是“{item.get_state_display()}”，不能再审定。", code="final"
        )
    if item.proposed_by_id == actor.pk:
        raise ValidationError("一事一议须由提议人以外的人审定（双人复核）。", code="four_eyes")
    now = timezone.now()
    if approve:
        special_enter(
            person=item.person,
            day=item.met_on,
            key=f"special:{item.number}",
            label=f"一事一议 {item.number}",
            amount=item.amount,
            year_cap=_year_cap(item),
        )
        DELIBERATION_STATES.step(item, Deliberation.State.DECIDED)
        summary = f"{item.number} 决定救助 {yuan(item.amount)} 元，待发放"
        event = Event.SPECIAL_DECIDED
    else:
        refusal = plain_text(refusal)
        if not refusal or len(refusal) > 200:
            raise ValidationError("不予救助须写明理由，最多 200 字。", code="refusal")
        DELIBERATION_STATES.step(item, Deliberation.State.REFUSED)
        item.refusal = refusal
        summary = f"{item.number} 不予救助：{refusal}"
        event = Event.SPECIAL_REFUSED
    item.decided_by, item.decided_at = actor, now
    item.save(update_fields=["state", "refusal", "decided_by", "decided_at"])
    record(actor=actor, event=event, target=item, summary=summary)
    if approve:
        _changed()
    return item


@transaction.atomic
def deliberation_paid(*, deliberation: Deliberation, paid_on: date, actor: User | None) -> None:
    """The bank paid the decision's line (called by ``payments``)."""
    item = Deliberation.objects.select_for_update().get(pk=deliberation.pk)
    if item.state != Deliberation.State.DECIDED:
        raise ValidationError(f"{item.number} 当前为“{item.get_state_display()}”，不能登记发放。")
    DELIBERATION_STATES.step(item, Deliberation.State.PAID)
    item.paid_on = paid_on
    item.save(update_fields=["state", "paid_on"])
    record(
        actor=actor,
        event=Event.SPECIAL_PAID,
        target=item,
        summary=f"{item.number} 已发放 {yuan(item.amount)} 元（{paid_on}）",
    )
