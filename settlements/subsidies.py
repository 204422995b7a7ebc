"""The participation-subsidy roster (分类资助参保名单, issue 20): a county's people whose hardship
identity is valid in the enrolment year, each subsidised once under the category that gives most
(``engine.subsidy.subsidy_for``), built from the registry and built again to stay current.

People certified during the year join at once, from their certification date (不受缴费期限制，不设
待遇等待期, 呼和浩特实施方案 三(一)); people whose identity ended during the year keep their entry,
marked with the date. The county is that of the person's township in the registry.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import record
from beneficiaries.models import HardshipIdentity

from .engine.subsidy import subsidy_for
from .models import SubsidyEntry, SubsidyRoster
from .policies import load

BATCH = 2000


@transaction.atomic
def roster_build(*, county, year: int, actor: User | None) -> SubsidyRoster:  # type: ignore[no-untyped-def]
    """Build (or build again) ``county``'s roster for ``year`` from the registry. Returns the roster;
    its entries are created, updated or marked as ended, never deleted."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    policy = load(county.city.policy_code)
    params = policy.at(first)
    roster, _created = SubsidyRoster.objects.select_for_update().get_or_create(
        county=county,
        year=year,
        defaults={
            "policy_code": policy.code,
            "policy_version": policy.version,
            "built_at": timezone.now(),
        },
    )
    periods: dict[int, list[tuple[str, date, date | None]]] = defaultdict(list)
    rows = (
        HardshipIdentity.objects.filter(person__township__county=county, certified_on__lte=last)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .values_list("person_id", "category", "certified_on", "ended_on")
        .order_by("person_id")
    )
    for person_id, category, start, end in rows.iterator(chunk_size=BATCH):
        periods[person_id].append((category, start, end))
    held = {e.person_id: e for e in SubsidyEntry.objects.filter(roster=roster)}
    new, changed = [], []
    for person_id, items in periods.items():
        result = subsidy_for({c for c, _s, _e in items}, params, sources=params.sources)
        if result.category is None:
            continue
        mine = [(s, e) for c, s, e in items if c == result.category]
        joined = max(first, min(s for _c, s, _e in items))  # on the roster from the first identity
        ends = [e for _s, e in mine]
        ended = None if None in ends else max(e for e in ends if e is not None)
        ended = ended if ended is not None and ended <= last else None
        values = {
            "category": result.category,
            "contribution": result.contribution,
            "amount": result.amount,
            "joined_on": joined,
            "ended_on": ended,
            "lines": list(result.lines),
        }
        entry = held.get(person_id)
        if entry is None:
            new.append(SubsidyEntry(roster=roster, person_id=person_id, **values))
        elif any(getattr(entry, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(entry, k, v)
            changed.append(entry)
    SubsidyEntry.objects.bulk_create(new, batch_size=BATCH)
    SubsidyEntry.objects.bulk_update(
        changed, ["category", "contribution", "amount", "joined_on", "ended_on", "lines"], BATCH
    )
    roster.policy_version = policy.version
    roster.built_at = timezone.now()
    roster.built_by = actor
    roster.save()
    record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=roster,
        county=county,
        summary=f"生成{county.name} {year} 年资助参保名单：新增 {len(new)} 人，变化 {len(changed)} 人",
    )
    return roster
