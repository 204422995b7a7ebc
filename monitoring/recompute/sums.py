"""The yearly sums per person (bills counted once, in bulk queries), the most favourable
category of each year, and bulk updates of the rows they produce."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear

from applications.models import MedicalExpense, Status
from beneficiaries.models import HardshipIdentity
from engine.categories import CATEGORIES
from engine.money import ZERO
from relief.models import Help
from settlements.models import LedgerEntry, YearLedger

from ..models import (
    HospitalSettlement,
)

COUNTED_OUT = (Status.DRAFT, Status.WITHDRAWN)  # bills of these applications are not counted


@dataclass
class Sums:
    expenses: int = 0
    total: Decimal = ZERO
    policy_scope: Decimal = ZERO
    insurance: Decimal = ZERO
    assistance: Decimal = ZERO
    special: Decimal = ZERO  # 一事一议 (relief.Deliberation), its own channel
    help: Decimal = ZERO  # other bodies' help (relief.Help), each row once


def _money_sum(expr: Any) -> Sum:
    return Sum(expr, output_field=DecimalField(max_digits=16, decimal_places=2))


def _sums(scope: Q, person_field: str) -> dict[tuple[int, int], Sums]:
    """Per (person, year): hospital records, the applications' bills, and window assistance."""
    sums: dict[tuple[int, int], Sums] = defaultdict(Sums)
    _add_hospital(sums, scope)
    _add_window_bills(sums, scope, person_field)
    # window assistance: what the yearly ledger holds less the hospitals' one-stop entries (the
    # hospitals' own column above has them already: counted once)
    onestop = {
        (row["person_id"], row["year"]): row["paid"]
        for row in LedgerEntry.objects.filter(
            scope, source=LedgerEntry.Source.ONESTOP, released_at__isnull=True
        )
        .values("person_id", "year")
        .annotate(paid=_money_sum("assistance"))
        .order_by()
    }
    ledgers = YearLedger.objects.filter(scope).values_list(
        "person_id", "year", "assistance_used", "tilted_used", "fund_used", "special_used",
        "special_in_cap",
    )  # fmt: skip
    for person_id, year, assistance, tilted, fund, special, in_cap in ledgers:
        # the part of 一事一议 reserved in the cap is in ``assistance_used`` too: counted once
        window = assistance - in_cap + tilted + fund - onestop.get((person_id, year), ZERO)
        if window > 0:
            sums[(person_id, year)].assistance += window
        if special > 0:
            sums[(person_id, year)].special += special
    helps = (
        Help.objects.filter(scope)
        .values("person_id", "year")
        .annotate(s=_money_sum("amount"))
        .order_by()
    )
    for row in helps:
        if (
            row["person_id"],
            row["year"],
        ) in sums:  # help without a bill of the year: nothing to relieve
            sums[(row["person_id"], row["year"])].help += row["s"]
    return sums


def _add_hospital(sums: dict[tuple[int, int], Sums], scope: Q) -> None:
    """The hospitals' one-stop records, by person and year."""
    hospital = (
        HospitalSettlement.objects.filter(scope)
        .annotate(y=ExtractYear("day"))
        .values("person_id", "y")
        .annotate(
            n=Count("id"),
            total_sum=_money_sum("total"),
            scope_sum=_money_sum("policy_scope"),
            insurance_sum=_money_sum(F("basic_paid") + F("critical_paid")),
            assistance_sum=_money_sum("assistance_paid"),
        )
        .order_by()
    )
    for row in hospital:
        s = sums[(row["person_id"], row["y"])]
        s.expenses += row["n"]
        s.total += row["total_sum"]
        s.policy_scope += row["scope_sum"]
        s.insurance += row["insurance_sum"]
        s.assistance += row["assistance_sum"]


def _add_window_bills(sums: dict[tuple[int, int], Sums], scope: Q, person_field: str) -> None:
    """The applications' bills, by person and year, each bill once."""
    # a bill the hospital's file holds too counts once: the same invoice or settlement number, or,
    # where either side has no number, the same hospital, kind, day and total
    also_at_hospital = Exists(
        HospitalSettlement.objects.filter(person_id=OuterRef("application__person_id")).filter(
            _same_bill() | _same_stay()
        )
    )
    # … and a bill claimed in two applications (one refused, say) counts at its first
    claimed_before = Exists(
        MedicalExpense.objects.filter(
            application__person_id=OuterRef("application__person_id"), id__lt=OuterRef("id")
        )
        .exclude(application__status__in=COUNTED_OUT)
        .filter(_same_bill())
    )
    bills = (
        MedicalExpense.objects.filter(_rename(scope, f"application__{person_field}"))
        .exclude(application__status__in=COUNTED_OUT)
        .annotate(bill_day=Coalesce("discharged_on", "visit_on"))
        .exclude(also_at_hospital)
        .exclude(claimed_before)
        .annotate(y=ExtractYear(Coalesce("discharged_on", "visit_on")))
        .values("application__person_id", "y")
        .annotate(
            n=Count("id"),
            total_sum=_money_sum("total"),
            scope_sum=_money_sum("policy_scope"),
            insurance_sum=_money_sum(F("basic_paid") + F("critical_paid")),
        )
        .order_by()
    )
    for bill in bills:
        s = sums[(bill["application__person_id"], bill["y"])]
        s.expenses += bill["n"]
        s.total += bill["total_sum"]
        s.policy_scope += bill["scope_sum"]
        s.insurance += bill["insurance_sum"]


def _same_bill() -> Q:
    """The row is the outer bill under another record: the same invoice or settlement key."""
    return Q(invoice_key=OuterRef("invoice_key"), invoice_key__gt="") | Q(
        settlement_key=OuterRef("settlement_key"), settlement_key__gt=""
    )


def _same_stay() -> Q:
    """A hospital record and a window bill without a number that can join them are one bill when
    the hospital (its code where both have one, else its name), the kind of care, the day
    (discharge, or the visit) and the total agree."""
    hospital = Q(hospital_code=OuterRef("hospital_code"), hospital_code__gt="") | Q(
        hospital=OuterRef("hospital")
    )
    return hospital & Q(kind=OuterRef("kind"), day=OuterRef("bill_day"), total=OuterRef("total"))


def _rename(scope: Q, field: str) -> Q:
    """The same person filter with the lookup moved onto another path (bills → application)."""
    children = [(k.replace("person_id", field), v) for k, v in scope.children]  # type: ignore[misc]
    return Q(*children)


def _best_categories(scope: Q, years: set[int]) -> dict[tuple[int, int], str]:
    """The most favourable identity valid at some point of each year, per (person, year)."""
    best: dict[tuple[int, int], str] = {}
    if not years:
        return best
    first, last = date(min(years), 1, 1), date(max(years), 12, 31)
    rows = (
        HardshipIdentity.objects.filter(scope, certified_on__lte=last)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .values_list("person_id", "category", "certified_on", "ended_on")
    )
    for person_id, category, start, end in rows:
        for year in range(max(start.year, first.year), min((end or last).year, last.year) + 1):
            key = (person_id, year)
            held = best.get(key)
            if held is None or CATEGORIES[category][2] < CATEGORIES[held][2]:
                best[key] = category
    return best
