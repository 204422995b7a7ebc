"""Fixtures the fund-integrity tests share."""

from datetime import date

import pytest

from beneficiaries.models import HardshipIdentity
from tests.factories import PersonFactory


@pytest.fixture
def tekun(world):
    """A 特困 person: medical assistance 100% of the in-scope self-pay, 100,000.00 a year."""
    person = PersonFactory(township=world.town_a1, name="巴特尔", phone="13900002222")
    HardshipIdentity.objects.create(
        person=person, category="tekun", department="民政", certified_on=date(2023, 1, 1),
        source="user",
    )  # fmt: skip
    return person
