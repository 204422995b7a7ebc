"""多部门会商: the month's agenda lists the families still above the line after every layer and
every body's help, on the agenda day of the working-day calendar; each outcome is recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.models import CalendarDay
from audit.events import Event
from audit.models import AuditEvent
from monitoring.agenda import agenda_build, agenda_day, agenda_outcome, agendas_due
from monitoring.models import Agenda, AgendaItem
from monitoring.recompute import monitoring_recompute
from relief.models import Handoff, Help
from tests.factories import PersonFactory
from tests.monitoring.data import YEAR, hospital_record

pytestmark = pytest.mark.django_db


def test_the_agenda_lists_families_above_the_line_after_all_help(client, world, burdened, bodies):
    light = PersonFactory(township=world.town_a1, name="阿拉坦")
    hospital_record(light, burden="4000.00")  # under the 因病返贫 line (10,000)
    far = PersonFactory(township=world.town_b1, name="其木格")  # another county
    hospital_record(far, burden="30000.00")
    monitoring_recompute()
    agenda = agenda_build(county=world.county_a, year=YEAR, month=12, actor=None)
    items = list(agenda.items.all())
    assert [(i.person, i.burden, i.line) for i in items] == [
        (burdened, Decimal("25000.00"), Decimal("10000.00"))
    ]
    assert agenda_build(county=world.county_a, year=YEAR, month=12, actor=None) == agenda  # once
    # help from another body brings the family under the line: next month it is not on the list
    Help.objects.create(person=burdened, body=bodies["charity"], year=YEAR,
                        amount=Decimal("16000.00"), day=date(YEAR, 3, 5), kind="慈善救助金")  # fmt: skip
    monitoring_recompute()
    later = agenda_build(county=world.county_a, year=YEAR + 1, month=1, actor=None)
    assert later.items.count() == 0  # the burden year is the agenda's own year
    after = agenda_build(county=world.county_a, year=YEAR, month=11, actor=None)
    assert after.items.count() == 0  # 25,000 - 16,000 = 9,000 ≤ 10,000
    # the meeting's outcome: a hand-off made at once, audited
    item = items[0]
    with pytest.raises(ValidationError, match="帮扶单位"):
        agenda_outcome(item=item, outcome="handoff", note="", actor=world.users["reviewer"])
    agenda_outcome(item=item, outcome="handoff", note="会商决定转介慈善总会",
                   actor=world.users["reviewer"], body=bodies["charity"])  # fmt: skip
    handoff = Handoff.objects.get()
    assert (handoff.origin, handoff.body, handoff.burden) == (
        "meeting", bodies["charity"], Decimal("25000.00"),
    )  # fmt: skip
    assert AuditEvent.objects.filter(event=Event.AGENDA_OUTCOME).count() == 1
    client.force_login(world.users["approver"])
    page = client.get(reverse("monitoring:agenda_detail", args=[agenda.pk])).content.decode()
    assert "巴特尔" in page and "转介他方帮扶" in page
    pdf = client.get(reverse("monitoring:agenda_pdf", args=[agenda.pk]))
    assert pdf.content[:4] == b"%PDF"
    client.force_login(world.reviewer_b)
    assert client.get(reverse("monitoring:agenda_detail", args=[agenda.pk])).status_code == 404


def test_beat_makes_the_agendas_on_the_fifth_working_day(world, burdened):
    from applications.services import work_calendar

    # March 2027: the 1st is a Monday; the administrator marks the 2nd a holiday
    CalendarDay.objects.create(day=date(2027, 3, 2), working=False)
    day = agenda_day(world.county_a, 2027, 3, work_calendar())
    assert day == date(2027, 3, 8)  # 1, 3, 4, 5, 8
    assert agendas_due(date(2027, 3, 5)) == 0
    assert agendas_due(day) == 2  # both counties
    assert agendas_due(day) == 0  # idempotent
    assert Agenda.objects.filter(year=2027, month=3).count() == 2
    assert AgendaItem.objects.filter(agenda__year=2027).count() == 0  # no 2027 burdens yet


def test_the_monthly_report_counts_help_and_decisions_by_their_days(world, burdened, bodies):
    from monitoring.monthly import report_figures

    Help.objects.create(person=burdened, body=bodies["charity"], year=YEAR,
                        amount=Decimal("1500.50"), day=date(YEAR, 3, 5), kind="慈善救助金")  # fmt: skip
    Help.objects.create(person=burdened, body=bodies["temporary"], year=YEAR,
                        amount=Decimal("2000.00"), day=date(YEAR, 4, 1), kind="临时救助金")  # fmt: skip
    march = report_figures([world.county_a.pk], YEAR, 3)
    assert (march["month"]["help_people"], march["month"]["help_amount"]) == (1, "1500.50")
    assert report_figures([world.county_a.pk], YEAR, 4)["ytd"]["help_amount"] == "3500.50"
    assert report_figures([world.county_b.pk], YEAR, 3)["month"]["help_amount"] == "0.00"
