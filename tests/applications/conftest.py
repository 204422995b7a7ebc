"""Fixtures the eligibility tests share (``incomes`` here adds the county's 低保 standards the
因病致贫 pre-check compares with, over the suite-wide one)."""

from datetime import date

import pytest

from settlements.services import policy_version_create


@pytest.fixture
def incomes(world):
    """Last year's income (the 低保边缘 deductible is 10% of it) and the county's 低保 standards."""
    return policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={
            "city_income": "50000.00",
            "illness_poor.dibao_standard.urban": {"150121": "9000.00"},
            "illness_poor.dibao_standard.rural": {"150121": "7200.00"},
        },
        source="测试：统计公报与民政低保标准",
        actor=world.users["admin"],
    )
