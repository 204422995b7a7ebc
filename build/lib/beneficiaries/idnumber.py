"""Resident ID numbers (公民身份号码, GB 11643-1999).

Refused (with a Chinese reason): wrong length or characters, a wrong ISO 7064 MOD 11-2 check digit,
a birth date that does not exist or lies in the future, an unknown province code.
Accepted with a *warning*: a county code that did not exist in the holder's birth year, or that
the code list does not know. Older numbers keep the code of the place that issued them, so a
strict validator (python-stdnum's ``cn.ric.validate``) refuses real people such as
``440304196001010018``; we use python-stdnum only for the check digit and for its dated list of
county codes, and decide acceptance here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from stdnum import numdb
from stdnum.cn import ric

# GB/T 2260 province-level codes (and 71 Taiwan, 81 Hong Kong, 82 Macao, 83 for the residence
# permits of Taiwan residents).
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
    "83": "台湾居民居住证",
}  # fmt: skip

EARLIEST_BIRTH = date(1880, 1, 1)


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    sex: str  # "M" or "F": the 17th digit, odd for men
    province: str
    place: str  # province and county as the code list names them, "" if unknown
    warnings: tuple[str, ...] = field(default=())


def normalise(value: str) -> str:
    return value.strip().replace(" ", "").upper()


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits (python-stdnum computes it from
    a full 18-character number and ignores the last character, hence the placeholder)."""
    return ric.calc_check_digit(first17 + "?")


@lru_cache(maxsize=8192)
def _county_spans(code: str) -> tuple[str, tuple[tuple[str, int | None, int | None], ...]] | None:
    """(province, ((county, first year, last year), ...)) for a 6-digit code, from python-stdnum."""
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    if "county" not in info:
        return None
    spans: list[tuple[str, int | None, int | None]] = []
    for county in info["county"].split(","):
        if not county.startswith("["):
            spans.append((county, None, None))
            continue
        span, name = county[1:].split("]")
        start, end = span.split("-")
        spans.append((name, int(start) if start else None, int(end) if end else None))
    return info.get("province", ""), tuple(spans)


def _county_warning(number: str, birth: date) -> tuple[str, str | None]:
    """(place name, warning or None) from python-stdnum's dated county-code list."""
    code = number[:6]
    found = _county_spans(code)
    if found is None:
        return "", f"区划代码 {code} 不在行政区划代码表中，请核对（号码已接受）。"
    province, spans = found
    for name, start, end in spans:
        if (start is None or birth.year >= start) and (end is None or birth.year <= end):
            return f"{province}{name}", None
    names = "、".join(dict.fromkeys(name for name, _s, _e in spans))
    return (
        f"{province}{spans[-1][0]}",
        f"区划代码 {code}（{names}）在出生年份 {birth.year} 年尚未设立或已撤销；"
        "旧号码保留签发地代码，已接受，请留意核对。",
    )


def parse(value: str, *, today: date | None = None) -> IdNumber:
    """Validate an ID number; raise ValidationError with a Chinese reason, or return its parts."""
    number = normalise(value or "")
    if len(number) != 18:
        raise ValidationError(
            "身份证号码应为 18 位，当前为 %(n)s 位。", code="length", params={"n": len(number)}
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError("身份证号码前 17 位应为数字，最后一位为数字或 X。", code="format")
    if check_digit(number[:17]) != number[17]:
        raise ValidationError("身份证号码校验位不正确，请核对后重新输入。", code="checksum")
    province = PROVINCES.get(number[:2])
    if province is None:
        raise ValidationError(
            "身份证号码前两位 %(code)s 不是有效的省级行政区划代码。",
            code="province",
            params={"code": number[:2]},
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            "身份证号码中的出生日期 %(d)s 不存在。", code="birth_date", params={"d": number[6:14]}
        ) from None
    if birth > (today or date.today()):
        raise ValidationError(
            "身份证号码中的出生日期 %(d)s 晚于今天。", code="birth_future", params={"d": birth}
        )
    if birth < EARLIEST_BIRTH:
        raise ValidationError(
            "身份证号码中的出生日期 %(d)s 不合理。", code="birth_date", params={"d": birth}
        )
    place, warning = _county_warning(number, birth)
    return IdNumber(
        number=number,
        birth_date=birth,
        sex="M" if int(number[16]) % 2 else "F",
        province=province,
        place=place or province,
        warnings=(warning,) if warning else (),
    )


def validate_id_number(value: str) -> None:
    """Django field validator (warnings do not refuse)."""
    parse(value)


def mask(value: str) -> str:
    """``150102198001011234`` -> ``1501**********1234`` (for lists and printouts)."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
