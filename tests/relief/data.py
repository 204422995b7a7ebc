"""梯次减负 test data: a family whose burden after the three layers stays high, the bodies of the city."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

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


# Every URL of 梯次减负 × the roles allowed (merged into tests/test_url_permissions.py).
URL_ROWS: dict[str, tuple[set[str], str]] = {
    "relief:handoff_list": ({"clerk", "reviewer", "approver", "admin"}, "get"),
    "relief:handoff_detail": ({"clerk", "reviewer", "approver", "admin"}, "get"),
    "relief:handoff_letter": ({"clerk", "reviewer", "approver", "admin"}, "get"),
    "relief:handoff_answer": ({"reviewer", "approver"}, "post"),
    "relief:handoff_withdraw": ({"reviewer", "approver"}, "post"),
    "relief:handoff_new": ({"reviewer", "approver"}, "post"),
    "relief:special_new": ({"reviewer", "approver"}, "post"),
    "relief:special_decide": ({"approver"}, "post"),
    "relief:special_letter": ({"clerk", "reviewer", "approver", "finance", "admin"}, "get"),
    "relief:early_list": ({"clerk", "reviewer", "approver", "admin"}, "get"),
    "relief:early_contact": ({"clerk"}, "post"),
    "relief:early_upload": ({"reviewer", "admin"}, "post"),
    "monitoring:agenda_list": ({"reviewer", "approver", "finance", "admin"}, "get"),
    "monitoring:agenda_detail": ({"reviewer", "approver", "finance", "admin"}, "get"),
    "monitoring:agenda_pdf": ({"reviewer", "approver", "finance", "admin"}, "get"),
    "monitoring:agenda_build": ({"reviewer", "approver"}, "post"),
    "monitoring:agenda_outcome": ({"reviewer", "approver"}, "post"),
    "monitoring:warning_handoff": ({"reviewer", "approver"}, "post"),
    "api_handoffs": (set(), "get"),
    "api_handoff_answer": (set(), "post"),
    "api_early_reports": (set(), "post"),
}

# the record each of those URLs names (its <pk>), from relief_records or the case
URL_RECORDS = {
    "relief:handoff_detail": "handoff",
    "relief:handoff_letter": "handoff",
    "relief:handoff_answer": "handoff",
    "relief:handoff_withdraw": "handoff",
    "relief:special_decide": "special",
    "relief:special_letter": "special",
    "relief:early_contact": "early",
    "monitoring:agenda_detail": "agenda",
    "monitoring:agenda_pdf": "agenda",
    "monitoring:agenda_outcome": "agenda_item",
    "monitoring:warning_handoff": "warning",
}


def relief_records(world, person, app) -> dict:
    """A hand-off, a decided 一事一议, an early report and an agenda of the clerk's area."""
    from areas.models import Institution
    from monitoring.models import Agenda, AgendaItem
    from relief.models import Body, Deliberation, EarlyReport, Handoff
    from settlements.models import FundSource

    body = Body.objects.create(city=world.county_a.city, name="市慈善总会", kind="charity")
    handoff = Handoff.objects.create(
        number="H1", person=person, township=person.township, county=world.county_a, body=body,
        origin="case", year=2026, burden=1, reason="r", due_on=date(2026, 12, 31),
        created_by=world.users["reviewer"],
    )  # fmt: skip
    special = Deliberation.objects.create(
        number="S1", application=app, person=person, township=person.township,
        county=world.county_a, year=2026, facts="f", members="a、b、c", met_on=date(2026, 1, 5),
        amount=1, cap=2, fund=FundSource.objects.create(code="c", name="县级资金"),
        state="decided", proposed_by=world.users["reviewer"], decided_by=world.users["approver"],
        decided_at=timezone.now(),
    )  # fmt: skip
    institution = Institution.objects.create(
        code="H15010200001", name="医院", level="tier3", region=world.county_a.code
    )
    early = EarlyReport.objects.create(
        institution=institution, reference="ZY1", person=person, name=person.name,
        id_number=person.id_number, township=person.township, county=world.county_a,
        admitted_on=date(2026, 1, 5), expected_total=60000, diagnosis="d",
    )  # fmt: skip
    agenda = Agenda.objects.create(
        county=world.county_a, year=2026, month=1, burden_year=2026, built_at=timezone.now()
    )
    item = AgendaItem.objects.create(agenda=agenda, person=person, line=1, burden=2)
    return {"handoff": handoff, "special": special, "early": early, "agenda": agenda,
            "agenda_item": item}  # fmt: skip
