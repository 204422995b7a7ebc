from datetime import date

import pytest

from engine.categories import (
    IdentityPeriod,
    category_from_text,
    is_valid_on,
    most_favourable,
)

EDGE = IdentityPeriod("dibao_edge", date(2023, 3, 15), date(2024, 3, 14))
DIBAO = IdentityPeriod("dibao", date(2023, 6, 1), None)
TEKUN_SHORT = IdentityPeriod("tekun", date(2023, 7, 1), date(2023, 7, 31))


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2023, 3, 14), None),  # the day before certification
        (date(2023, 3, 15), EDGE),  # certification day counts
        (date(2023, 5, 31), EDGE),
        (date(2023, 6, 1), DIBAO),  # a more favourable identity starts: 就高不就低
        (date(2023, 7, 1), TEKUN_SHORT),
        (date(2023, 7, 31), TEKUN_SHORT),  # the end date is the last valid day
        (date(2023, 8, 1), DIBAO),
        (date(2024, 3, 15), DIBAO),
    ],
)
def test_most_favourable_on_dates_around_certification_and_end(on, expected):
    assert most_favourable([EDGE, DIBAO, TEKUN_SHORT], on) == expected


def test_nothing_valid_gives_none():
    assert most_favourable([], date(2023, 1, 1)) is None
    assert most_favourable([EDGE], date(2024, 3, 15)) is None


def test_same_category_twice_prefers_the_earlier_certification():
    a = IdentityPeriod("dibao", date(2022, 1, 1), None)
    b = IdentityPeriod("dibao", date(2023, 1, 1), None)
    assert most_favourable([b, a], date(2023, 6, 1)) is a


def test_order_follows_the_hohhot_plan():
    on = date(2023, 6, 1)
    codes = [
        "other",
        "illness_poor",
        "dibao_edge",
        "rural_at_risk",
        "returned_poor",
        "dibao",
        "orphan",
        "tekun",
    ]
    periods = [IdentityPeriod(c, date(2023, 1, 1)) for c in codes]
    order = []
    while periods:
        best = most_favourable(periods, on)
        order.append(best.category)
        periods.remove(best)
    assert order == list(reversed(codes))


def test_is_valid_on_open_ended():
    assert is_valid_on(DIBAO, date(2099, 1, 1))
    assert not is_valid_on(DIBAO, date(2023, 5, 31))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("低保对象", "dibao"),
        ("低保", "dibao"),
        ("DIBAO", "dibao"),
        ("特困人员", "tekun"),
        ("监测对象", "rural_at_risk"),
        ("低保边缘家庭成员", "dibao_edge"),
        (" 因病致贫 ", "illness_poor"),
        ("五保户", None),
    ],
)
def test_category_from_text(text, code):
    assert category_from_text(text) == code


def test_model_choices_match_the_category_table():
    from beneficiaries.models import Category
    from engine.categories import CATEGORIES

    assert {c.value: c.label for c in Category} == {
        code: label for code, (label, _s, _r) in CATEGORIES.items()
    }
