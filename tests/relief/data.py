"""梯次减负 test data: a family whose burden after the three layers stays high, the bodies of the city."""

from __future__ import annotations

from datetime import date

import pytest

from beneficiaries.models import HardshipIdentity
from monitoring.recompute import monitoring_recompute
from relief.models import Body
from tests.factories import PersonFactory
from tests.monitoring.data import YEAR, hospital_record


@pytest.fixture
def bodies(world):
    city = world.county_a.city
    return {
        "temporary": Body.objects.create(city=city, name="市民政局临时救助", kind="temporary",
                                         answer_days=5),
        "charity": Body.objects.create(city=city, name="市慈善总会", kind="charity"),
    }  # fmt: skip


@pytest.fixture
def burdened(world, incomes):
    """低保 person of 察素齐镇 with a hospital year leaving 25,000 after insurance (return line
    10,000, poverty line 20,000), recomputed."""
    person = PersonFactory(township=world.town_a1, name="巴特尔")
    HardshipIdentity.objects.create(
        person=person, category="dibao", department="民政", certified_on=date(YEAR - 1, 1, 1),
        source="user",
    )  # fmt: skip
    hospital_record(person, burden="25000.00", category="dibao")
    monitoring_recompute()
    return person
