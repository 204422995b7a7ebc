"""多部门会商 (seed 004 9): each month, a county's families whose medical burden of the year is still
above the line after basic insurance, critical-illness insurance, medical assistance, 一事一议 and
every other body's help (``BurdenYear.burden_after_help``, summed over the household); the joint
meeting's outcome per family is recorded and audited.

The line is the hand-off line (``handoff.burden_line``, or the 因病返贫 monitoring line where unset:
``relief.services.burden_line``). When in the month is a local setting (``agenda.workday``: the
month's n-th working day, China's calendar with the administrator's corrections).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from applications.services.base import work_calendar
from areas.models import County
from audit.events import Event
from audit.services import record
from beneficiaries.models import Person, Relationship
from core.formats import yuan
from core.forms import plain_text
from relief.models import Body, Handoff
from relief.services import Figures, city_burden_line, handoff_create
from settlements.policies import load

from .models import Agenda, AgendaItem, BurdenYear

ZERO = Decimal("0.00")


def families_above(county: County, year: int, today: date) -> list[dict[str, Any]]:
    """The county's families (a household, or a person without one) above the line in ``year``."""
    rows = BurdenYear.objects.filter(township__county=county, year=year).values_list(
        "person_id", "person__household_id", "person__relationship", "total", "burden_after_help"
    )
    families: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows.iterator(chunk_size=5000):
        families[("h", row[1]) if row[1] else ("p", row[0])].append(row)
    line = city_burden_line(county.city.policy_code, today)
    if line is None:
        return []
    above = {}
    for members in families.values():
        burden = sum((m[4] for m in members), ZERO)
        if burden > line:
            head = min(members, key=lambda r: (r[2] != Relationship.HEAD, r[0]))[0]
            above[head] = (members, burden)
    people = Person.objects.select_related("township").in_bulk(list(above))
    out: list[dict[str, Any]] = []
    for head_id, (members, burden) in above.items():
        total = sum((m[3] for m in members), ZERO)
        out.append({"person": people[head_id], "members": len(members), "total": total,
                    "relieved": total - burden, "burden": burden, "line": line})  # fmt: skip
    out.sort(key=lambda f: (-Decimal(f["burden"]), f["person"].pk))
    return out


@transaction.atomic
def agenda_build(
    *, county: County, year: int, month: int, actor: User | None, today: date | None = None
) -> Agenda:
    """The month's agenda of ``county`` (once: a second call returns the one made)."""
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            agenda = Agenda.objects.create(
                county=county, year=year, month=month, burden_year=year, built_at=timezone.now(),
                built_by=actor,
            )  # fmt: skip
    except IntegrityError:
        return Agenda.objects.get(county=county, year=year, month=month)
    families = families_above(county, year, today)
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                agenda=agenda,
                person=f["person"],
                members=f["members"],
                total=f["total"],
                relieved=f["relieved"],
                burden=f["burden"],
                line=f["line"],
            )
            for f in families
        ]
    )
    record(
        actor=actor,
        event=Event.AGENDA_BUILT,
        target=agenda,
        county=county,
        summary=f"{agenda}：{len(families)} 户家庭负担仍超过负担线",
    )
    return agenda


def agenda_day(county: County, year: int, month: int, calendar: Any) -> date:
    """The month's n-th working day (``agenda.workday``, local setting; 5 when unset)."""
    params = load(county.city.policy_code).at(date(year, month, 1))
    n = params["agenda.workday"] if params.has("agenda.workday") else 5
    day = date(year, month, 1)
    while not calendar.is_working_day(day):
        day = day.fromordinal(day.toordinal() + 1)
    return calendar.add(day, int(n) - 1) if n and int(n) > 1 else day


def agendas_due(today: date | None = None) -> int:
    """Beat, daily: on each county's agenda day, this month's agenda (idempotent)."""
    today = today or timezone.localdate()
    calendar = work_calendar()
    made = 0
    for county in County.objects.filter(active=True).select_related("city"):
        if agenda_day(county, today.year, today.month, calendar) != today:
            continue
        if not Agenda.objects.filter(county=county, year=today.year, month=today.month).exists():
            agenda_build(county=county, year=today.year, month=today.month, actor=None, today=today)
            made += 1
    return made


@transaction.atomic
def agenda_outcome(
    *, item: AgendaItem, outcome: str, note: str, actor: User, body: Body | None = None
) -> AgendaItem:
    """The meeting's outcome for one family; a hand-off is made at once (origin 会商)."""
    row = (
        AgendaItem.objects.select_for_update()
        .select_related("agenda", "person__township__county")
        .get(pk=item.pk)
    )
    note = plain_text(note)
    if outcome not in {o for o in AgendaItem.Outcome.values if o}:
        raise ValidationError("请选择会商结果。", code="outcome")
    if len(note) > 300:
        raise ValidationError(f"会商意见最多 300 字（现在 {len(note)} 字）。", code="note")
    if outcome == AgendaItem.Outcome.HANDOFF:
        if body is None:
            raise ValidationError("转介他方帮扶须选择帮扶单位。", code="body")
        handoff_create(
            person=row.person, body=body, origin=Handoff.Origin.MEETING, actor=actor,
            reason=note or f"{row.agenda}：家庭负担 {yuan(row.burden)} 元仍超过负担线",
            figures=Figures(row.agenda.burden_year, row.burden, row.line, [
                ("家庭医疗总费用", yuan(row.total)),
                ("三重制度、一事一议和他方帮扶合计", yuan(row.relieved)),
                ("家庭仍需负担", yuan(row.burden)),
            ]),
        )  # fmt: skip
    elif outcome == AgendaItem.Outcome.SPECIAL and not note:
        raise ValidationError("提请一事一议请写明所涉申请或理由。", code="note")
    row.outcome, row.note = outcome, note
    row.decided_by, row.decided_at = actor, timezone.now()
    row.save(update_fields=["outcome", "note", "decided_by", "decided_at"])
    record(
        actor=actor,
        event=Event.AGENDA_OUTCOME,
        target=row.person,
        summary=f"{row.agenda}：{row.person.name} {row.get_outcome_display()}"
        + (f"（{note}）" if note else ""),
    )
    return row
