"""The identity of a medical bill (票据), the same for a window expense and a hospital record.

A bill is known by two numbers, either of which is enough to tell it again:

* the invoice (发票号 / 电子票据号) at the hospital that issued it: ``inv:<hospital code>:<number>``
  (a paper invoice number repeats across hospitals, so the issuer is part of the key);
* the insurance settlement number (结算单号) of the medical-insurance system: ``set:<number>``.

**One grammar at every door** (the window's intake and draft, the reviewer's correction, the
hospitals' files): a hospital code, invoice or settlement number is read as Unicode NFKC (full-width
letters and digits become plain ones), every dash and minus sign, every format character (zero-width
space, BOM, word joiner, soft hyphen) and every space (the ideographic one too) is removed, letters
are made upper case, and then only ``A–Z`` and ``0–9`` are accepted; anything else is refused with a
Chinese message naming the field (``number_checked``). So ``ＦＰ７００１``, ``FP－7001``,
``FP\u200b7001``, ``fp 7001`` and ``FP7001`` are one number, kept as ``FP7001``. Keys are made the same
way (``key_form``; a number stored before the grammar keeps only its letters and digits), so a bill
typed differently is still the same bill. A bill without either number has no key: it cannot be
told again, and the window requires the invoice number for every new bill.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError

# minus signs that are not dash punctuation (Unicode Pd): minus, heavy minus, hyphen bullet,
# modifier letter minus
_MINUSES = frozenset("\u2212\u2796\u2043\u02d7")
_REMOVED_CATEGORIES = frozenset({"Pd", "Cf", "Zs", "Zl", "Zp", "Cc"})
GRAMMAR = re.compile(r"[A-Z0-9]+")


def canonical(number: str) -> str:
    """NFKC; dashes, minus signs, format characters and spaces removed; upper case."""
    if GRAMMAR.fullmatch(number or ""):  # already so (every number a system's file gives)
        return number
    text = unicodedata.normalize("NFKC", number or "")
    return "".join(
        ch
        for ch in text
        if not (ch.isspace() or ch in _MINUSES or unicodedata.category(ch) in _REMOVED_CATEGORIES)
    ).upper()


def key_form(number: str) -> str:
    """What a key holds of a number: its canonical letters and digits (the same as
    ``canonical`` for every number the doors accept)."""
    text = canonical(number)
    return text if GRAMMAR.fullmatch(text) else "".join(ch for ch in text if ch.isalnum())


def number_checked(value: str, label: str) -> str:
    """The number as the portal keeps it (``canonical``), "" for a blank one, or a
    ``ValidationError`` naming the field and what it may not hold."""
    number = canonical(value)
    if not number or GRAMMAR.fullmatch(number):
        return number
    bad = "".join(dict.fromkeys(ch for ch in number if not ("A" <= ch <= "Z" or "0" <= ch <= "9")))
    raise ValidationError(
        f"{label}只能由英文字母和数字组成（空格和“-”会自动去掉），"
        f"“{value.strip()}”中的“{bad}”不能用，请按票据上的号码填写。",
        code="bill_number",
    )


def invoice_key(hospital_code: str, invoice_number: str) -> str:
    """``inv:<code>:<number>``, or "" when either is missing."""
    code, number = key_form(hospital_code), key_form(invoice_number)
    return f"inv:{code}:{number}"[:80] if code and number else ""


def settlement_key(settlement_number: str) -> str:
    """``set:<number>``, or "" when there is no settlement number."""
    number = key_form(settlement_number)
    return f"set:{number}"[:80] if number else ""


def bill_keys(hospital_code: str, invoice_number: str, settlement_number: str) -> list[str]:
    """The keys of one bill (zero, one or two)."""
    return [
        k
        for k in (invoice_key(hospital_code, invoice_number), settlement_key(settlement_number))
        if k
    ]


def bill_label(hospital: str, day: date | None, invoice_number: str, settlement_number: str) -> str:
    """The bill in words, the same for both channels: hospital, date, invoice and settlement
    numbers (``内蒙古医科大学附属医院 2026-10-20 发票号 FP0001 结算单号 JS0001``)."""
    parts = [hospital, f"{day:%Y-%m-%d}" if day else ""]
    if invoice_number:
        parts.append(f"发票号 {invoice_number}")
    if settlement_number:
        parts.append(f"结算单号 {settlement_number}")
    return " ".join(p for p in parts if p)
