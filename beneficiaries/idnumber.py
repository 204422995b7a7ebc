"""Resident ID numbers (公民身份号码, GB 11643-1999): check digit and masking.

The full validation (birth date, province code, county-code warnings) comes with the registry
(issue 3); this module holds the pieces the foundation already needs.
"""

from django.core.exceptions import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalise(value: str) -> str:
    return value.strip().upper()


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    number = normalise(value)
    if len(number) != 18:
        raise ValidationError("身份证号码应为 18 位，当前为 %(n)s 位。", params={"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError("身份证号码前 17 位应为数字，最后一位为数字或 X。")
    if check_digit(number[:17]) != number[17]:
        raise ValidationError("身份证号码校验位不正确，请核对后重新输入。")


def mask(value: str) -> str:
    """``150102198001011234`` -> ``1501**********1234`` (for lists and printouts)."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
