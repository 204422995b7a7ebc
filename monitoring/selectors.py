"""Reads for the warning list and a warning's page, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.access import scoped
from applications.models import MedicalExpense, Status
from beneficiaries.models import Person

from .models import OPEN_STATUSES, BurdenWarning, BurdenYear, HospitalSettlement, WarningStatus


def warnings_for(user: Any) -> QuerySet[BurdenWarning]:
    """The warnings of the user's township (clerk) or county (county roles); all for the city."""
    return scoped(user, BurdenWarning.objects.select_related("person", "township", "application"))


def warning_counts(warnings: QuerySet[BurdenWarning]) -> dict[str, int]:
    """Open, contacted and applied warnings among ``warnings``, for the list and dashboard cards."""
    counts = warnings.aggregate(
        open=Count("id", filter=Q(status=WarningStatus.OPEN)),
        contacted=Count("id", filter=Q(status=WarningStatus.CONTACTED)),
        applied=Count("id", filter=Q(status=WarningStatus.APPLIED)),
        urgent=Count("id", filter=Q(status__in=OPEN_STATUSES, priority=0)),
    )
    return {k: v or 0 for k, v in counts.items()}


def warning_page(user: Any, pk: int) -> BurdenWarning:
    """One warning, if it is in the user's area (DoesNotExist otherwise)."""
    return warnings_for(user).select_related("township__county").get(pk=pk)


def year_expenses(person: Person, year: int) -> list[dict[str, Any]]:
    """The person's expenses of the year from both sources, by date, as the page lists them."""
    rows: list[dict[str, Any]] = [
        {
            "source": "医院结算",
            "day": h.day,
            "hospital": h.hospital,
            "kind": h.get_kind_display(),
            "total": h.total,
            "insurance": h.basic_paid + h.critical_paid,
            "assistance": h.assistance_paid,
            "burden": h.personal_burden,
            "application": None,
        }
        for h in HospitalSettlement.objects.filter(person=person, day__year=year)
    ]
    bills = (
        MedicalExpense.objects.filter(application__person=person)
        .filter(Q(discharged_on__year=year) | Q(discharged_on__isnull=True, visit_on__year=year))
        .exclude(application__status__in=(Status.DRAFT, Status.WITHDRAWN))
        .select_related("application")
    )
    for e in bills:
        rows.append(
            {
                "source": "窗口申请",
                "day": e.day,
                "hospital": e.hospital,
                "kind": e.get_kind_display(),
                "total": e.total,
                "insurance": e.basic_paid + e.critical_paid,
                "assistance": None,
                "burden": e.total - e.basic_paid - e.critical_paid,
                "application": e.application,
            }
        )
    return sorted(rows, key=lambda r: r["day"])


def burden_of(person: Person, year: int) -> BurdenYear | None:
    return BurdenYear.objects.filter(person=person, year=year).first()


def unassisted_hospital_bills(person: Person, year: int) -> list[HospitalSettlement]:
    """The year's hospital records with no assistance paid: what an application may claim."""
    return list(
        HospitalSettlement.objects.filter(
            person=person, day__year=year, assistance_paid=0
        ).order_by("day", "id")
    )


def onestop_between(county_ids: Any, first: Any, last: Any) -> QuerySet[HospitalSettlement]:
    """Assistance paid at the hospital (一站式), from the hospitals' files, by settlement date and
    the person's county: what the fund's books and the monthly report both count."""
    return HospitalSettlement.objects.filter(
        person__township__county_id__in=county_ids, day__range=(first, last), assistance_paid__gt=0
    )


def onestop_outlays(county_ids: Any, first: Any, last: Any) -> dict[int, Any]:
    """The fund's books (settlements.funds): ``onestop_between``'s amounts by county."""
    from django.db.models import Sum

    rows = (
        onestop_between(county_ids, first, last)
        .values("person__township__county_id")
        .annotate(s=Sum("assistance_paid"))
    )
    return {r["person__township__county_id"]: r["s"] for r in rows if r["s"] is not None}
