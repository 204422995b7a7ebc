"""Money: ``Decimal`` yuan, quantised to the fen with half-up rounding at every step."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def fen(value: Decimal) -> Decimal:
    """``value`` rounded to the fen, half up (四舍五入到分)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def yuan(value: Decimal) -> str:
    """``30,000.00``: an amount as people read it in a letter."""
    return f"{value:,.2f}"


def percent(rate: Decimal) -> str:
    """``70%`` or ``62.5%`` for a rate of 0.70 or 0.625."""
    return f"{rate:%}"


def parse_amount(value: object, what: str) -> Decimal:
    """An amount of yuan from JSON (a string or a number), at most two decimals, not negative.

    Raises ``ValueError`` with a Chinese message naming ``what``.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what}必须是金额（元，最多两位小数），收到 {value!r}")
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{what}「{value}」不是金额（元，最多两位小数）") from None
    else:
        raise ValueError(f"{what}必须是金额（元，最多两位小数），收到 {value!r}")
    if not amount.is_finite():
        raise ValueError(f"{what}「{value}」不是金额")
    if amount < 0:
        raise ValueError(f"{what}不能为负数：{value}")
    if amount != amount.quantize(FEN):
        raise ValueError(f"{what}最多两位小数（到分）：{value}")
    if amount >= Decimal("1e12"):
        raise ValueError(f"{what}过大：{value}")
    return amount.quantize(FEN)


def parse_rate(value: object, what: str) -> Decimal:
    """A ratio from 0 to 1, given as ``0.7``, ``"0.70"`` or ``"70%"``."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what}必须是比例（如 0.70 或 70%），收到 {value!r}")
    text = str(value).strip()
    scale = Decimal(1)
    if text.endswith("%"):
        text, scale = text[:-1].strip(), HUNDRED
    try:
        rate = Decimal(text) / scale
    except InvalidOperation:
        raise ValueError(f"{what}「{value}」不是比例（如 0.70 或 70%）") from None
    if not rate.is_finite() or rate < 0 or rate > 1:
        raise ValueError(f"{what}必须在 0 到 1（0% 到 100%）之间：{value}")
    return rate
