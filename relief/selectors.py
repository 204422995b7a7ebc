"""Reads of 梯次减负, scoped to the user's area."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum

from accounts.access import scoped
from beneficiaries.models import Person

from .models import Body, Deliberation, EarlyReport, Handoff


def handoffs_for(user: Any) -> QuerySet[Handoff]:
    return scoped(user, Handoff).select_related("person", "body", "township", "application")


def early_reports_for(user: Any) -> QuerySet[EarlyReport]:
    return scoped(user, EarlyReport).select_related("person", "institution", "township")


def bodies_for(person: Person) -> list[tuple[int, str]]:
    city_id = person.township.county.city_id
    return [
        (b.pk, f"{b.name}（{b.get_kind_display()}）")
        for b in Body.objects.filter(city_id=city_id, active=True)
    ]


def overdue(handoffs: QuerySet[Handoff], today: date) -> QuerySet[Handoff]:
    return handoffs.filter(state=Handoff.State.OPEN, due_on__lt=today)


def decided_between(county_ids: Any, first: date, last: date) -> QuerySet[Deliberation]:
    """一事一议 decided (and not refused) in the counties between ``first`` and ``last``, by the
    day of the decision: what the fund's books and the monthly report count."""
    return Deliberation.objects.filter(
        county_id__in=list(county_ids),
        state__in=[Deliberation.State.DECIDED, Deliberation.State.PAID],
        decided_at__date__range=(first, last),
    )


def special_outlays(county_ids: Any, first: date, last: date) -> dict[int, Any]:
    """The fund's books (settlements.funds): 一事一议 decided in the period, by county."""
    rows = (
        decided_between(county_ids, first, last)
        .values("county_id")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    return {r["county_id"]: r["s"] for r in rows if r["s"] is not None}
