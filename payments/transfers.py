"""资助资金划转 (issue 20): the participation subsidy of a roster transferred to the residents'
insurance fund, four eyes like any payment; and the subsidies paid for people who had died before
the enrolment year, listed for recovery (死亡不减员 is what seed 003 三(一) forbids).

A roster entry is in at most one live transfer (``TransferLine``'s unique key): a second
preparation, at the same moment or later, takes only the people not yet transferred (a monthly
addition: people certified since).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from accounts.access import Capability, can_access_area, has_capability
from accounts.models import User
from audit.events import Event
from audit.services import record
from core.formats import yuan
from core.numbering import next_in
from settlements.models import Enrolment, SubsidyEntry, SubsidyRoster, dead_before_year

from .models import TRANSFER_STATES, Recovery, SubsidyTransfer, TransferLine


def _may_pay(actor: User, county: Any) -> None:
    if not has_capability(actor, Capability.PAY) or not can_access_area(actor, county=county):
        raise PermissionDenied("只有本县财务人员可以办理资助资金划转。")


def _transferred() -> Exists:
    return Exists(TransferLine.objects.filter(entry=OuterRef("pk"), live=True))


def due(roster: SubsidyRoster) -> QuerySet[SubsidyEntry]:
    """The roster's people whose subsidy is still to transfer: a subsidy owed, not in a live
    transfer, not reported as not enrolled, not dead before the year began."""
    return (
        SubsidyEntry.objects.filter(roster=roster, amount__gt=0)
        .exclude(_transferred())
        .exclude(enrolment=Enrolment.NOT_ENROLLED)
        .exclude(dead_before_year())
    )


@transaction.atomic
def transfer_prepare(*, roster: SubsidyRoster, actor: User, note: str = "") -> SubsidyTransfer:
    """A transfer of every subsidy of ``roster`` still due (the first of the year, or an addition
    for the people who joined since). Refused when nobody is due."""
    _may_pay(actor, roster.county)
    roster = SubsidyRoster.objects.select_for_update().get(pk=roster.pk)  # one at a time
    entries = list(due(roster).only("pk", "amount").order_by("pk"))
    if not entries:
        raise ValidationError("名单中没有待划转资助资金的人员。", code="empty")
    today = timezone.localdate()
    first = (
        not SubsidyTransfer.objects.filter(roster=roster)
        .exclude(state=SubsidyTransfer.State.CANCELLED)
        .exists()
    )
    total = sum((e.amount for e in entries), Decimal("0.00"))
    transfer = SubsidyTransfer.objects.create(
        number=f"{roster.county.code}-ZZ-{today:%Y%m%d}-"
        f"{next_in(f'subsidy-transfer:{roster.county.code}:{today:%Y%m%d}'):02d}",
        roster=roster,
        county=roster.county,
        people=len(entries),
        total=total,
        prepared_by=actor,
        note=(note or ("年度资助资金划转" if first else "新增人员资助资金划转"))[:300],
    )
    try:
        with transaction.atomic():
            TransferLine.objects.bulk_create(
                [TransferLine(transfer=transfer, entry_id=e.pk, amount=e.amount) for e in entries],
                batch_size=2000,
            )
    except IntegrityError:
        raise ValidationError(
            "名单中有人的资助已在另一张划转单中，请刷新后重试。", code="twice"
        ) from None
    record(
        actor=actor,
        event=Event.TRANSFER_PREPARED,
        target=transfer,
        county=roster.county,
        summary=f"资助资金划转单 {transfer.number}：{roster}，{len(entries)} 人，合计 {yuan(total)} 元",
    )
    return transfer


@transaction.atomic
def transfer_decide(
    *, transfer: SubsidyTransfer, actor: User, accept: bool, note: str = ""
) -> SubsidyTransfer:
    """The second person confirms the transfer (it counts as transferred that day, in the books)
    or withdraws it with the reason (its people are due again)."""
    _may_pay(actor, transfer.county)
    transfer = SubsidyTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.state != SubsidyTransfer.State.PREPARED:
        raise ValidationError(
            f"划转单 {transfer.number} 已{transfer.get_state_display()}，不能再次处理。",
            code="decided",
        )
    if transfer.prepared_by_id == actor.pk:
        raise ValidationError("资助资金划转须由制单人以外的另一人复核。", code="four_eyes")
    note = (note or "").strip()
    if not accept and not note:
        raise ValidationError("撤回须写明理由。", code="reason")
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    if accept:
        TRANSFER_STATES.step(transfer, SubsidyTransfer.State.CONFIRMED)
        transfer.transferred_on = timezone.localdate()
        summary = (
            f"复核划转单 {transfer.number}：{transfer.people} 人，{yuan(transfer.total)} 元，已划转"
        )
    else:
        TRANSFER_STATES.step(transfer, SubsidyTransfer.State.CANCELLED)
        transfer.note = f"{transfer.note}；撤回：{note}"[:300]
        transfer.lines.update(live=False)
        summary = f"撤回划转单 {transfer.number}：{note}"
    transfer.save()
    record(
        actor=actor,
        event=Event.TRANSFER_CONFIRMED if accept else Event.TRANSFER_CANCELLED,
        target=transfer,
        county=transfer.county,
        summary=summary,
    )
    return transfer


def transfer_lines(transfer: SubsidyTransfer) -> QuerySet[TransferLine]:
    """The people of a transfer, for its PDF list (only the columns the list prints)."""
    return (
        transfer.lines.select_related("entry", "entry__person", "entry__person__township")
        .only(
            "amount",
            "entry__category",
            "entry__joined_on",
            "entry__person__id_number",
            "entry__person__name",
            "entry__person__township__name",
        )
        .order_by("entry__person__township_id", "entry__person_id")
    )


def paid_after_death(county: Any) -> QuerySet[TransferLine]:
    """Subsidies transferred for people who had died before the enrolment year began (their
    entry ends, by death, before the day it starts): to recover from the insurance fund."""
    return (
        TransferLine.objects.filter(
            live=True,
            transfer__state=SubsidyTransfer.State.CONFIRMED,
            transfer__county=county,
        )
        .filter(dead_before_year("entry__"))
        .select_related("transfer", "entry", "entry__person", "entry__roster")
        .order_by("entry__roster__year", "entry__person_id")
    )


def confirmed_between(county_ids: Any, first: date, last: date) -> QuerySet[SubsidyTransfer]:
    """Transfers confirmed between ``first`` and ``last`` (transfer date): what the fund's books
    and the monthly report both count as subsidies."""
    return SubsidyTransfer.objects.filter(
        county_id__in=county_ids,
        state=SubsidyTransfer.State.CONFIRMED,
        transferred_on__range=(first, last),
    )


def refunds_between(county_ids: Any, first: date, last: date) -> QuerySet[Recovery]:
    """Recoveries refunded between ``first`` and ``last`` (refund date)."""
    return Recovery.objects.filter(
        application__county_id__in=county_ids,
        state=Recovery.State.REFUNDED,
        refunded_on__range=(first, last),
    )


def transferred_in(county_ids: Any, first: date, last: date) -> dict[int, Decimal]:
    """The fund's books: ``confirmed_between``'s totals by county."""
    rows = confirmed_between(county_ids, first, last).values("county_id").annotate(s=Sum("total"))
    return {r["county_id"]: r["s"] for r in rows}


def refunded_in(county_ids: Any, first: date, last: date) -> dict[int, Decimal]:
    """The fund's books: ``refunds_between``'s refunds by county, negative."""
    rows = (
        refunds_between(county_ids, first, last)
        .values("application__county_id")
        .annotate(s=Sum("refunded_amount"))
    )
    return {r["application__county_id"]: -r["s"] for r in rows if r["s"] is not None}
