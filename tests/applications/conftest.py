from datetime import date

import pytest

from beneficiaries.models import HardshipIdentity
from tests.factories import PersonFactory, make_application


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
