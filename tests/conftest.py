from dataclasses import dataclass
from datetime import date

import pytest

from accounts.models import Role
from beneficiaries.models import HardshipIdentity
from tests.beneficiaries.conftest import run_import  # noqa: F401 (fixtures for every test)
from tests.factories import (
    CityFactory,
    CountyFactory,
    PersonFactory,
    TownshipFactory,
    UserFactory,
    make_application,
)
from tests.monitoring.data import incomes, overview_data  # noqa: F401
from tests.relief.data import bodies, burdened  # noqa: F401

PASSWORD = "Correct-horse-9"
ROLES = ["anonymous", "clerk", "reviewer", "approver", "finance", "admin"]


@dataclass
class World:
    """Two counties: A (townships A1, A2) and B (township B1), staff in A1/A, and one in B."""

    county_a: object
    town_a1: object
    town_a2: object
    county_b: object
    town_b1: object
    users: dict
    clerk_a2: object
    reviewer_b: object
    clerk_b1: object


@pytest.fixture(autouse=True)
def broker_breaker_closed():
    """Each test starts with this process trusting the broker: a test that took the broker down
    trips the per-process breaker (core.queueing, BROKER_RETRY_AFTER), and the next test must not
    inherit it (pytest-django runs the transactional tests last, right after the broker-down ones)."""
    from core import queueing

    queueing._mark_broker_up()
    yield


@pytest.fixture
def world(db):
    city = CityFactory()
    county_a = CountyFactory(city=city, code="150121", name="土默特左旗")
    town_a1 = TownshipFactory(county=county_a, code="150121100", name="察素齐镇")
    town_a2 = TownshipFactory(county=county_a, code="150121101", name="毕克齐镇")
    county_b = CountyFactory(city=city, code="150122", name="托克托县")
    town_b1 = TownshipFactory(county=county_b, code="150122100", name="双河镇")
    users = {
        "clerk": UserFactory(username="t_clerk", role=Role.CLERK, township=town_a1),
        "reviewer": UserFactory(username="t_reviewer", role=Role.REVIEWER, county=county_a),
        "approver": UserFactory(username="t_approver", role=Role.APPROVER, county=county_a),
        "finance": UserFactory(username="t_finance", role=Role.FINANCE, county=county_a),
        "admin": UserFactory(username="t_admin", role=Role.ADMIN),
    }
    return World(
        county_a=county_a,
        town_a1=town_a1,
        town_a2=town_a2,
        county_b=county_b,
        town_b1=town_b1,
        users=users,
        clerk_a2=UserFactory(username="t_clerk_a2", role=Role.CLERK, township=town_a2),
        reviewer_b=UserFactory(username="t_reviewer_b", role=Role.REVIEWER, county=county_b),
        clerk_b1=UserFactory(username="t_clerk_b1", role=Role.CLERK, township=town_b1),
    )


@pytest.fixture
def person_a1(world):
    return PersonFactory(township=world.town_a1, name="乌兰其其格", id_number="150121196001010014")


@pytest.fixture
def applicant(world):
    person = PersonFactory(township=world.town_a1, name="乌兰", phone="13900001111")
    HardshipIdentity.objects.create(
        person=person,
        category="dibao",
        department="民政",
        certified_on=date(2023, 1, 1),
        source="user",
    )
    return person


@pytest.fixture
def draft(world, applicant):
    return make_application(applicant, world.users["clerk"])


@pytest.fixture
def accept(world):
    """Accept a draft with everything handed in except ``missing``."""
    from applications.services import application_accept

    def _accept(app, missing=(), forward=False):
        codes = set(app.materials.values_list("code", flat=True)) - set(missing)
        return application_accept(
            application=app,
            actor=world.users["clerk"],
            received=codes,
            promise_signed=bool(missing),
            forward=forward,
        )

    return _accept
