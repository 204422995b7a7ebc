"""倾斜救助主动发现: cases the county opens itself for tilted assistance due on one-stop bills.

A hospital's one-stop settlement (一站式结算) pays medical assistance but not the tilted part (seed
001 §四(三): the year's in-scope inpatient self-pay over 7,000 after the three layers, over every
channel). ``settlements.ledger.onestop`` works the due out as each bill enters; this module lists the
people with dues (the county's list), opens a case for them with no window application (straight
into review, no materials), and settles or refuses it through the usual steps: the reviewer's
recommendation, the approver's four eyes, the letter, the payment batch and the status page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.access import Role, role_of, scoped
from accounts.models import User
from beneficiaries.models import Person
from core.formats import yuan
from engine.categories import most_favourable
from settlements.ledger.tilted import open_dues
from settlements.models import LedgerEntry

from ..models import Application, Origin, Status
from .base import _next_number, work_calendar
from .moves import _move
from .notifications import _notify

ZERO = Decimal("0.00")
# a discovery case in these states no longer holds its dues: they are on the list again
LET_GO = (Status.WITHDRAWN, Status.TERMINATED, Status.REVOKED)


@dataclass
class Discovery:
    """One person's dues in one year, on the county's list."""

    person: Person
    year: int
    entries: list[LedgerEntry] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((e.tilted_due for e in self.entries), ZERO)


def claimed_entry_ids() -> set[int]:
    """The one-stop entries a discovery case holds (open, approved or paid)."""
    held = (
        Application.objects.filter(origin=Origin.TILTED)
        .exclude(status__in=LET_GO)
        .values_list("tilted_entries", flat=True)
    )
    return {int(pk) for ids in held for pk in ids}


def tilted_discoveries(user: User) -> list[Discovery]:
    """The people in the user's reach with tilted assistance due on one-stop bills and not yet in a
    case, most owed first."""
    people = scoped(user, Person.objects.all())
    entries = (
        open_dues()
        .filter(person__in=people)
        .exclude(pk__in=claimed_entry_ids())
        .select_related("person__township")
        .order_by("person_id", "year", "day", "id")
    )
    found: dict[tuple[int, int], Discovery] = {}
    for entry in entries:
        key = (entry.person_id, entry.year)
        if key not in found:
            found[key] = Discovery(entry.person, entry.year)
        found[key].entries.append(entry)
    return sorted(found.values(), key=lambda d: (-d.total, d.person.pk, d.year))


@transaction.atomic
def tilted_case_open(*, person: Person, year: int, actor: User) -> Application:
    """Open the county's case for the person's dues of ``year``: in review at once (the opener is
    its reviewer, so another approves), the applicant told by SMS. A second click, or a colleague
    opening the same dues, is refused."""
    if role_of(actor) != Role.REVIEWER or person.township.county_id != actor.county_id:
        raise ValidationError("只有本旗县区的审核人员可以主动发现立案。", code="refused")
    entries = list(
        open_dues()
        .select_for_update()
        .filter(person=person, year=year)
        .exclude(pk__in=claimed_entry_ids())
        .order_by("day", "id")
    )
    if not entries:
        raise ValidationError(
            f"{person.name} {year} 年没有待办理的倾斜救助（可能已由他人立案）。", code="none"
        )
    identity = most_favourable(person.identities.all(), entries[-1].day)
    if identity is None:
        raise ValidationError(f"{person.name} 在 {entries[-1].day} 没有有效的困难身份。")
    total = sum((e.tilted_due for e in entries), ZERO)
    now = timezone.now()
    app = Application(
        number=_next_number(person.township.county, timezone.localdate()),
        person=person,
        township=person.township,
        county=person.township.county,
        category=identity.category,
        identity=identity,
        origin=Origin.TILTED,
        tilted_entries=[e.pk for e in entries],
        contact_phone=person.phone,
        bank_name=person.bank_name,
        bank_account_holder=person.bank_account_holder or person.name,
        bank_account_number=person.bank_account_number,
        claimed_total=total,
        estimated_amount=total,
        accepted_at=now,
        accepted_on=timezone.localdate(),
        forwarded_at=now,
        reviewer=actor,
        step_due_on=work_calendar().add(timezone.localdate(), settings.TIME_LIMIT_COUNTY_DAYS),
        created_by=actor,
    )
    app.save()
    label = f"倾斜救助主动发现立案：{year} 年一站式结算票据 {len(entries)} 张，应予倾斜救助 {yuan(total)} 元"
    _move(app, "open_tilted", Status.IN_REVIEW, label, actor)
    _notify(
        app,
        "tilted_opened",
        f"您{year}年在医院“一站式”结算的住院费用，自付部分超过倾斜救助起付标准，经计算可再获倾斜救助"
        f"{yuan(total)}元。县医保部门已立案审核（编号{app.number}），无需您到窗口申请；"
        f"办理进度可在手机上查询。",
        f"tilted_opened:{app.pk}",
    )
    return app
