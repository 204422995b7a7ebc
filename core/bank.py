"""Bank account numbers as the portal takes them: digits only, a sensible length.

One rule for every place an account is typed (the window's intake, a correction after approval):
spaces and dashes are dropped; what is left must be 12 to 30 digits. Anything else (``+1+1``,
letters, a formula) is refused with one sentence in Chinese. A UnionPay card number (银联卡: 16 to
19 digits beginning with 62) must also pass its check digit (the Luhn check, python-stdnum's), so a
mistyped digit is caught at the window rather than by the bank's return file. Passbook and
social-security (一卡通) accounts have no check digit and are taken as typed.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum import luhn

_SEPARATORS = re.compile(r"[\s\-]")
_DIGITS = re.compile(r"^\d{12,30}$")
_UNIONPAY_CARD = re.compile(r"^62\d{14,17}$")


def account_number(text: str) -> str:
    """The account as stored (digits only), or ValidationError."""
    value = _SEPARATORS.sub("", text or "")
    if not _DIGITS.match(value):
        raise ValidationError("银行账号应为 12 到 30 位数字（可带空格）。", code="account")
    if _UNIONPAY_CARD.match(value) and not luhn.is_valid(value):
        raise ValidationError(
            "银行卡号校验位不正确（62 开头的银联卡号），请对照银行卡逐位核对。", code="account_luhn"
        )
    return value
