"""Bank account numbers as the portal takes them: digits only, a sensible length.

One rule for every place an account is typed (the window's intake, a correction after approval):
spaces and dashes are dropped; what is left must be 12 to 30 digits. Anything else (``+1+1``,
letters, a formula) is refused with one sentence in Chinese.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_SEPARATORS = re.compile(r"[\s\-]")
_DIGITS = re.compile(r"^\d{12,30}$")


def account_number(text: str) -> str:
    """The account as stored (digits only), or ValidationError."""
    value = _SEPARATORS.sub("", text or "")
    if not _DIGITS.match(value):
        raise ValidationError("银行账号应为 12 到 30 位数字（可带空格）。", code="account")
    return value
