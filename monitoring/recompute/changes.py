"""Whose data changed since the last run (hospital records, applications and their bills,
decisions, identities, townships, households, other bodies' help), with their households; why a run must be full."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q

from applications.models import Application
from beneficiaries.models import HardshipIdentity, Person
from relief.models import Help
from settlements.models import PolicyVersion, YearLedger

from ..models import (
    HospitalSettlement,
    MonitoringRun,
)

CHUNK = 10_000  # people per step of a full run (an id range)
IN_CHUNK = 2_000  # people per step of an incremental run (an IN list)


def _changed_people(since: datetime) -> set[int]:
    """People whose burden or warning may differ from what the last run computed."""
    ids: set[int] = set()
    sources: Iterable[Any] = (
        HospitalSettlement.all_records.filter(
            Q(recorded_at__gte=since) | Q(reversed_at__gte=since)
        ).values_list("person_id"),
        Application.objects.filter(updated_at__gte=since).values_list("person_id"),
        YearLedger.objects.filter(updated_at__gte=since).values_list("person_id"),
        HardshipIdentity.objects.filter(updated_at__gte=since).values_list("person_id"),
        Person.objects.filter(updated_at__gte=since).values_list("pk"),
        # other bodies' help (a 一事一议 moves the YearLedger above)
        Help.objects.filter(created_at__gte=since).values_list("person_id"),
    )
    for qs in sources:
        ids.update(pk for (pk,) in qs.distinct().iterator(chunk_size=5000))
    return _with_households(ids)


def _with_households(ids: set[int]) -> set[int]:
    """Add the other members of the households of ``ids`` (their household total changed too)."""
    households: set[int] = set()
    people = sorted(ids)
    for start in range(0, len(people), IN_CHUNK):
        households.update(
            h
            for (h,) in Person.objects.filter(
                pk__in=people[start : start + IN_CHUNK], household__isnull=False
            ).values_list("household_id")
        )
    hh = sorted(households)
    for start in range(0, len(hh), IN_CHUNK):
        ids.update(
            Person.objects.filter(household_id__in=hh[start : start + IN_CHUNK]).values_list(
                "pk", flat=True
            )
        )
    return ids


def _full_reason(last: MonitoringRun | None) -> str:
    if last is None:
        return "首次计算"
    changed = PolicyVersion.objects.filter(created_at__gte=last.started_at).first()
    if changed is not None:
        return f"政策 {changed.policy_code} 新增第 {changed.number} 版"
    return ""
