"""一事一议 (seed 001 §五(二)) entered into the yearly ledger, under its lock.

A decision is its own channel: a ``LedgerEntry`` of source ``special`` keyed by the decision's number
(``record_key``: the database enters it once), and ``special_used`` in the year's row. Where the
policy counts it in the yearly cap (``special.within_cap``), the amount is also reserved in
``assistance_used`` (and ``special_in_cap``), so later settlements see the cap already used and the
decision itself is refused when it would take the year past the cap.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from beneficiaries.models import Person
from core.formats import yuan

from ..models import LedgerEntry
from . import _ledger_rows_locked


def special_enter(
    *,
    person: Person,
    day: date,
    key: str,
    label: str,
    amount: Decimal,
    year_cap: Decimal | None,
) -> LedgerEntry:
    """Enter a decided 一事一议 ``amount``; ``year_cap`` is the person's yearly assistance cap when
    the policy counts 一事一议 in it, None when it stands outside the cap."""
    if amount <= 0:
        raise ValidationError("一事一议救助金额须大于 0。", code="amount")
    year = day.year
    row = _ledger_rows_locked([person.pk], [year])[(person.pk, year)]
    if year_cap is not None and row.assistance_used + amount > year_cap:
        left = max(Decimal("0.00"), year_cap - row.assistance_used)
        raise ValidationError(
            f"按政策一事一议计入年度救助限额：本年度限额 {yuan(year_cap)} 元，"
            f"已用 {yuan(row.assistance_used)} 元，最多还能议定 {yuan(left)} 元。",
            code="over_cap",
        )
    moves = {"special_used": str(amount)}
    row.special_used += amount
    if year_cap is not None:
        row.assistance_used += amount
        row.special_in_cap += amount
        moves |= {"assistance_used": str(amount), "special_in_cap": str(amount)}
    row.save(update_fields=["special_used", "assistance_used", "special_in_cap", "updated_at"])
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                person=person,
                year=year,
                day=day,
                source=LedgerEntry.Source.SPECIAL,
                record_key=key,
                hospital="",
                label=label,
                total=Decimal("0.00"),
                assistance=amount,
                moves=moves,
            )
    except IntegrityError:
        raise ValidationError("该一事一议已入账，不能重复入账。", code="twice") from None
