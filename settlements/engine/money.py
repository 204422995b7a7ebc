"""Money: ``Decimal`` yuan, quantised to the fen with half-up rounding at every step."""

from __future__ import annotations

import re
from decimal import Decimal

from core.money import FEN, ZERO, fen, parse_yuan

__all__ = ["FEN", "ZERO", "fen", "parse_amount", "parse_rate", "percent", "yuan"]

HUNDRED = Decimal(100)


def yuan(value: Decimal) -> str:
    """``30,000.00``: an amount as people read it in a letter (never ``-0.00``)."""
    return f"{abs(value) if value.is_zero() else value:,.2f}"


def percent(rate: Decimal) -> str:
    """``70%`` or ``62.5%`` for a rate of 0.70 or 0.625."""
    return f"{rate:%}"


def parse_amount(value: object, what: str) -> Decimal:
    """An amount of yuan (``core.money.parse_yuan``: the one parser of the portal).

    Raises ``ValueError`` (``AmountError``) with a Chinese message naming ``what``.
    """
    return parse_yuan(value, what.strip())


_RATE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?", re.ASCII)


def parse_rate(value: object, what: str) -> Decimal:
    """A ratio from 0 to 1, given as ``0.7``, ``"0.70"`` or ``"70%"``."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what}必须是比例（如 0.70 或 70%），收到 {value!r}")
    text = str(value).strip()
    scale = Decimal(1)
    if text.endswith("%"):
        text, scale = text[:-1].strip(), HUNDRED
    if not _RATE.fullmatch(text):
        raise ValueError(f"{what}“{text[:40]}”不是比例（如 0.70 或 70%，半角数字，不带正负号）")
    rate = Decimal(text) / scale
    if rate > 1:
        raise ValueError(f"{what}必须在 0 到 1（0% 到 100%）之间：{value}")
    return rate
