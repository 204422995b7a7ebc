"""The password rule 等保 2.0 asks of real accounts: long enough and of several kinds of character.

Django's own validators (length 10, not common, not only digits, not like the user's name) stay;
this one adds: at least three of upper-case letters, lower-case letters, digits and symbols. So
``demo123456`` (two kinds) is refused for a real account. The demo accounts of ``seed_demo`` get
their password set directly and are exempt, in demo data only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

CLASSES = (
    ("大写字母", str.isupper),
    ("小写字母", str.islower),
    ("数字", str.isdigit),
    ("符号", lambda c: not c.isalnum()),
)


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        kinds = sum(1 for _label, test in CLASSES if any(test(c) for c in password))
        if kinds < self.min_classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字和符号中的至少 {self.min_classes} 类。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"密码须包含大写字母、小写字母、数字和符号中的至少 {self.min_classes} 类。"
