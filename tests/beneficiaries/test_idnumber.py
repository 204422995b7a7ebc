from datetime import date

import pytest
from django.core.exceptions import ValidationError

from beneficiaries.idnumber import check_digit, mask, parse

TODAY = date(2026, 11, 22)


def with_check(first17: str) -> str:
    return first17 + check_digit(first17)


def test_valid_number_gives_birth_date_sex_and_place():
    info = parse("150121196001010014", today=TODAY)
    assert info.number == "150121196001010014"
    assert info.birth_date == date(1960, 1, 1)
    assert info.sex == "M"
    assert info.place == "内蒙古自治区土默特左旗"
    assert info.warnings == ()


def test_x_check_digit_upper_and_lower_case():
    assert parse("11010519491231002X", today=TODAY).number == "11010519491231002X"
    info = parse(" 11010519491231002x ", today=TODAY)
    assert info.number == "11010519491231002X"
    assert info.sex == "F"
    assert info.birth_date == date(1949, 12, 31)


def test_old_county_code_is_accepted_with_a_warning():
    info = parse("440304196001010018", today=TODAY)  # 福田区 did not exist in 1960
    assert info.number == "440304196001010018"
    assert len(info.warnings) == 1
    assert (
        "440304" in info.warnings[0] and "1960" in info.warnings[0] and "已接受" in info.warnings[0]
    )


def test_unknown_county_code_is_a_warning_not_a_refusal():
    info = parse(with_check("15019919600101001"), today=TODAY)
    assert "不在行政区划代码表中" in info.warnings[0]


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("150121196001010015", "checksum", "身份证号码校验位不正确，请核对后重新输入。"),
        ("11010519491231002Y", "format", "身份证号码前 17 位应为数字，最后一位为数字或 X。"),
        ("1501211960010100", "length", "身份证号码应为 18 位，当前为 16 位。"),
        (with_check("15012119600230001"), "birth_date", "身份证号码中的出生日期 19600230 不存在。"),
        (
            with_check("15012120301201001"),
            "birth_future",
            "身份证号码中的出生日期 2030-12-01 晚于今天。",
        ),
        (
            with_check("99012119600101001"),
            "province",
            "身份证号码前两位 99 不是有效的省级行政区划代码。",
        ),
        (
            with_check("15012118000101001"),
            "birth_date",
            "身份证号码中的出生日期 1800-01-01 不合理。",
        ),
    ],
)
def test_refused_numbers_say_why_in_chinese(number, code, message):
    with pytest.raises(ValidationError) as exc:
        parse(number, today=TODAY)
    assert exc.value.code == code
    assert exc.value.messages == [message]


def test_mask():
    assert mask("15012119600101123X") == "1501**********123X"
    assert mask("123") == "***"
