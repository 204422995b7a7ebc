"""The warnings that follow from the burdens: created, escalated, reopened or closed, each with
its follow-up row; the household list of the fund's caps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from beneficiaries.models import Person, Relationship
from core.rows import update_rows as _update_rows
from engine.categories import CATEGORIES
from engine.money import ZERO

from ..models import (
    LEVEL_RANK,
    OPEN_STATUSES,
    BurdenWarning,
    BurdenYear,
    CloseReason,
    FollowUp,
    WarningLevel,
    WarningList,
    WarningStatus,
)
from ..services import warning_closed_below, warning_reopened
from .changes import IN_CHUNK
from .thresholds import Lines, Thresholds, priority_of


@dataclass
class Tally:
    people: int = 0
    burden_rows: int = 0
    raised: int = 0
    escalated: int = 0
    closed: int = 0


@dataclass(frozen=True)
class Wanted:
    level: str
    burden: Decimal
    threshold: Decimal


def _income_level(burden: Decimal, lines: Lines) -> Wanted | None:
    if lines.poverty is not None and burden > lines.poverty:
        return Wanted(WarningLevel.POVERTY, burden, lines.poverty)
    if lines.return_ is not None and burden > lines.return_:
        return Wanted(WarningLevel.RETURN, burden, lines.return_)
    return None


def _settle_warnings(
    scope: Q,
    wanted: dict[tuple[int, int, str], Wanted],
    township_of: dict[int, int],
    categories: dict[tuple[int, int], str],
    now: datetime,
    warn_from: int,
    tally: Tally,
    *,
    lists: tuple[str, ...],
    cap_levels: tuple[str, ...] = (WarningLevel.PERSON_CAP,),
) -> None:
    """Make the warnings of the people in ``scope`` match ``wanted``: create, escalate, reopen,
    refresh or close; each change of level or state leaves a follow-up row."""
    existing = {
        (w.person_id, w.year, w.list): w
        for w in BurdenWarning.objects.filter(scope, year__gte=warn_from, list__in=lists)
    }
    create: list[BurdenWarning] = []
    update: list[BurdenWarning] = []
    follow: list[FollowUp] = []
    for key, want in wanted.items():
        person_id, year, lst = key
        category = categories.get((person_id, year), "")
        w = existing.pop(key, None)
        if w is None:
            create.append(
                BurdenWarning(
                    person_id=person_id, township_id=township_of[person_id], year=year, list=lst,
                    level=want.level, priority=priority_of(category), category=category,
                    burden=want.burden, threshold=want.threshold, raised_at=now,
                )
            )  # fmt: skip
        elif _refreshed(w, want, category, township_of[person_id], now, tally, follow):
            update.append(w)
    for w in existing.values():  # no longer above any line
        if w.list == WarningList.CAP and w.level not in cap_levels:
            continue  # the household step decides household warnings
        if w.status in OPEN_STATUSES:
            warning_closed_below(w)
            follow.append(FollowUp(warning=w, action=FollowUp.Action.CLOSED, note=CLOSED_BELOW))
            update.append(w)
            tally.closed += 1
    # ignore_conflicts: a warning another run created meanwhile stays the only one
    BurdenWarning.objects.bulk_create(create, batch_size=2000, ignore_conflicts=True)
    tally.raised += len(create)
    for w in update:
        w.updated_at = now
    _update_rows(
        BurdenWarning,
        update,
        ["level", "status", "close_reason", "burden", "threshold", "category", "priority",
         "township", "escalated_at", "updated_at"],
    )  # fmt: skip
    FollowUp.objects.bulk_create(follow, batch_size=2000)


CLOSED_BELOW = "重算后个人负担已不超过监测线，系统自动办结；如再超过会重新列入"


def _refreshed(
    w: BurdenWarning,
    want: Wanted,
    category: str,
    township_id: int,
    now: datetime,
    tally: Tally,
    follow: list[FollowUp],
) -> bool:
    """An existing warning brought to what is wanted now: escalated (and reopened), reopened when
    it was closed only for being below the line, its figures refreshed. True when it changed."""
    before = (w.level, w.status, w.burden, w.threshold, w.category, w.township_id)
    if LEVEL_RANK[WarningLevel(want.level)] > LEVEL_RANK[WarningLevel(w.level)]:
        follow.append(
            FollowUp(
                warning=w,
                action=FollowUp.Action.ESCALATED,
                note=f"{w.get_level_display()} → {WarningLevel(want.level).label}，"
                f"个人负担 {want.burden} 元，超过监测线 {want.threshold} 元",
            )
        )
        w.level, w.escalated_at = want.level, now
        tally.escalated += 1
        if w.status == WarningStatus.CLOSED:
            warning_reopened(w)
    elif w.status == WarningStatus.CLOSED and w.close_reason == CloseReason.BELOW:
        warning_reopened(w)
        follow.append(
            FollowUp(
                warning=w,
                action=FollowUp.Action.REOPENED,
                note=f"个人负担又升至 {want.burden} 元，超过监测线 {want.threshold} 元",
            )
        )
    if LEVEL_RANK[WarningLevel(want.level)] == LEVEL_RANK[WarningLevel(w.level)]:
        w.burden, w.threshold = want.burden, want.threshold
    w.category, w.priority = category, priority_of(category)
    w.township_id = township_id
    return (w.level, w.status, w.burden, w.threshold, w.category, w.township_id) != before


def _household_step(
    changed: list[int] | None,
    thresholds: Thresholds,
    now: datetime,
    warn_from: int,
    tally: Tally,
) -> int:
    """Seed 004's household cap, where switched on: the household's yearly burden after every
    layer, summed over members with a hardship identity's household, on the head's warning."""
    if not thresholds.any_household_cap((warn_from, warn_from + 1)):
        return 0
    columns = ("person_id", "person__household_id", "person__relationship", "year", "township_id",
               "category", "burden_after_help")  # fmt: skip
    rows = BurdenYear.objects.filter(year__gte=warn_from, person__household__isnull=False)
    if changed is not None:
        households: set[int] = set()
        for start in range(0, len(changed), IN_CHUNK):
            households.update(
                Person.objects.filter(
                    pk__in=changed[start : start + IN_CHUNK], household__isnull=False
                ).values_list("household_id", flat=True)
            )
        rows = rows.filter(person__household_id__in=sorted(households))
    per: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows.values_list(*columns).iterator(chunk_size=5000):
        per[(row[1], row[3])].append(row)
    wanted: dict[tuple[int, int, str], Wanted] = {}
    township_of: dict[int, int] = {}
    categories: dict[tuple[int, int], str] = {}
    heads: set[int] = set()
    for (_household, year), members in per.items():
        head = min(members, key=lambda r: (r[2] != Relationship.HEAD, r[0]))
        heads.add(head[0])
        township_of[head[0]] = head[4]
        lines = thresholds.for_township(head[4], year)
        if lines.household_cap is None or not any(m[5] for m in members):
            continue
        total = sum((m[6] for m in members), ZERO)
        if total > lines.household_cap:
            categories[(head[0], year)] = min(
                (m[5] for m in members if m[5]), key=lambda c: CATEGORIES[c][2]
            )
            wanted[(head[0], year, WarningList.CAP)] = Wanted(
                WarningLevel.HOUSEHOLD_CAP, total, lines.household_cap
            )
    if heads:
        with transaction.atomic():
            _settle_warnings(
                Q(person_id__in=sorted(heads)), wanted, township_of, categories, now, warn_from,
                tally, lists=(WarningList.CAP,), cap_levels=(WarningLevel.HOUSEHOLD_CAP,),
            )  # fmt: skip
    return len(per)
