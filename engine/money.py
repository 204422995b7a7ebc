"""Money, the portal's one definition: ``Decimal`` yuan, rounded to the fen half up (``fen``), and the
one parser for every amount that enters the portal (forms, ``settle``, imports, the bank return
file, the policy form, the push API).

Pure Python, standard library only: it stands on the engine's floor, below ``core``, so the engine
and every app use the same parser and the same rounding. An amount is yuan written as digits,
an optional point and one or two decimals, at most 999,999,999.99. A sign (even ``-0``), an
exponent, thousands or digit separators, full-width digits, spaces inside, ``NaN``/``Infinity``,
booleans and anything that is not text or a number are refused with a message in Chinese.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_YUAN = Decimal("999999999.99")
# ASCII digits only (``\d`` would take full-width and other scripts' digits).
_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?", re.ASCII)
_SHOWN = 40  # characters of a bad value quoted back in a message


class AmountError(ValueError):
    """A value that is not an amount of yuan; ``str(exc)`` is one line of Chinese."""


class JsonNumber(str):
    """A JSON number kept as the text it was written in (``json.loads(parse_float=JsonNumber,
    parse_int=JsonNumber)``), so that ``1e5`` and ``-0`` can be told from ``100000`` and ``0``."""


def fen(value: Decimal) -> Decimal:
    """``value`` rounded to the fen, half up (四舍五入到分): the portal's one rounding."""
    return value.quantize(FEN, ROUND_HALF_UP)  # positional: half the cost of the keyword


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def parse_yuan(value: object, what: str = "金额", *, maximum: Decimal = MAX_YUAN) -> Decimal:
    """``value`` as ``Decimal`` yuan quantised to the fen, or ``AmountError`` naming ``what``.

    Accepts ``str`` (outer white space is ignored), ``int`` and ``Decimal`` (written out and
    checked as text), ``JsonNumber``; a ``float`` only where its shortest text is a plain amount
    (spreadsheet cells)."""
    if (
        isinstance(value, bool)
        or value is None
        or not isinstance(value, str | int | float | Decimal)
    ):
        raise AmountError(f"{what}应填写金额（元，最多两位小数），收到 {_shown(value)}。")
    if isinstance(value, float):
        text = repr(value)
        if text.endswith(".0"):
            text = text[:-2]
    elif isinstance(value, Decimal):
        text = format(value, "f") if value.is_finite() else str(value)
    else:
        text = str(value).strip()
    if not _AMOUNT.fullmatch(text):
        raise AmountError(f"{what}“{_shown(text)}”不是有效金额：{_why(text)}")
    amount = fen(Decimal(text))
    if amount > maximum:
        raise AmountError(f"{what}“{_shown(text)}”过大，不能超过 {maximum:,.2f} 元。")
    return amount


def _why(text: str) -> str:
    """The one reason a person can act on."""
    if text == "":
        return "未填写。"
    if text[0] in "-－":
        return "金额不能为负数（也不能写 -0）。"
    if text[0] in "+＋":
        return "金额前不能带正号。"
    if text.lower().startswith(("nan", "inf")):
        return "不是数字。"
    if any("０" <= c <= "９" or c in "．，" for c in text):
        return "请用半角数字（0-9）和半角小数点。"
    if any(c in ",_'’ \u3000\u00a0" for c in text):
        return "金额中不能有逗号、下划线或空格等分隔符（如 1200.50）。"
    if "e" in text.lower():
        return "不能用科学计数法（如 1e5），请写出全部数字。"
    if "." in text and len(text.split(".", 1)[1]) > 2:
        return "最多两位小数（到分）。"
    if re.fullmatch(r"[0-9.]+", text) and len(text.split(".", 1)[0]) > 12:
        return f"过大，不能超过 {MAX_YUAN:,.2f} 元。"
    return "应只含数字和一个小数点，最多两位小数（如 1200 或 1200.50）。"


def amount_text(value: Decimal) -> str:
    """``1200.50``: two decimals, never ``-0.00``."""
    value = fen(value)
    return f"{ZERO if value.is_zero() else value:.2f}"


# The engine's own readings: policy files, explanations.
HUNDRED = Decimal(100)


def yuan(value: Decimal) -> str:
    """``30,000.00``: an amount as people read it in a letter (never ``-0.00``)."""
    return f"{abs(value) if value.is_zero() else value:,.2f}"


def percent(rate: Decimal) -> str:
    """``70%`` or ``62.5%`` for a rate of 0.70 or 0.625."""
    return f"{rate:%}"


def parse_amount(value: object, what: str) -> Decimal:
    """An amount of yuan (``parse_yuan``: the one parser of the portal).

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
