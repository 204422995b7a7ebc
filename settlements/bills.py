"""The identity of a medical bill (票据), the same for a window expense and a hospital record.

A bill is known by two numbers, either of which is enough to tell it again:

* the invoice (发票号 / 电子票据号) at the hospital that issued it: ``inv:<hospital code>:<number>``
  (a paper invoice number repeats across hospitals, so the issuer is part of the key);
* the insurance settlement number (结算单号) of the medical-insurance system: ``set:<number>``.

Numbers are compared without spaces, dashes or case, so "JS-2026 0315" and "js20260315" are one
bill. A bill without either number has no key: it cannot be told again, and the window requires
the invoice number for every new bill.
"""

from __future__ import annotations

import re
from datetime import date

_NOISE = re.compile(r"[\s\-_/\\.·—–]+")


def normalise(number: str) -> str:
    return _NOISE.sub("", number or "").upper()


def invoice_key(hospital_code: str, invoice_number: str) -> str:
    """``inv:<code>:<number>``, or "" when either is missing."""
    code, number = normalise(hospital_code), normalise(invoice_number)
    return f"inv:{code}:{number}"[:80] if code and number else ""


def settlement_key(settlement_number: str) -> str:
    """``set:<number>``, or "" when there is no settlement number."""
    number = normalise(settlement_number)
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
