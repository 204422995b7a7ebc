"""One way to write an amount and a date on every page, letter and export (issue 18).

- amounts: ``3,250.00`` (yuan to the fen, thousands grouped, never ``-0.00``); files a machine
  reads (bank files, CSV) keep the same digits without the grouping: ``3250.00``;
- dates: ``2026-11-15`` (GB/T 7408); a moment: ``2026-11-15 14:03`` in Asia/Shanghai.

Django's own date formats for zh-hans are set to the same in ``config/formats/zh_Hans``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from engine import money

DAY = "%Y-%m-%d"
MOMENT = "%Y-%m-%d %H:%M"


def yuan(value: object) -> str:
    """``3,250.00``; an empty value stays empty, something that is not a number is shown as is."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return money.yuan(money.fen(amount))  # the engine's own reading, rounded to the fen


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime(DAY)


def moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime(MOMENT)


def cell(value: object) -> str:
    """A table cell: amounts as ``yuan``, nothing as ``—``, anything else as it prints."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return yuan(value)
    return str(value)


END_MARKS = "。！？!?.；;…"


def sentence(text: object) -> str:
    """A reason someone typed, closed with 。 once: "缺少材料" and "缺少材料。" both read 缺少材料。"""
    words = str(text or "").strip()
    if not words:
        return ""
    return words if words[-1] in END_MARKS else f"{words}。"
