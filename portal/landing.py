"""The landing pages of each role (the shell's): a township window's page, a county agency's page,
the administrator's view of the city. They show work from every app, so they live in the shell
(``portal``), above all of them; their URLs keep the ``areas:`` names (``portal/landing_urls.py``)."""

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.access import Capability, capability_required, has_capability, role_of
from accounts.models import Role
from accounts.selectors import counties_for, townships_for
from applications.selectors import (
    calendar_warning,
    county_overview,
    township_dashboard,
    unread_inbox,
)
from audit.events import Event
from audit.services import record
from beneficiaries.selectors import people_for
from monitoring.models import BurdenWarning
from monitoring.selectors import warning_counts
from relief.models import EarlyReport, Handoff


@capability_required(Capability.TOWNSHIP_WORKBENCH)
def township(request: HttpRequest, pk: int) -> HttpResponse:
    """A township window's page: its contacts and the work waiting there."""
    town = get_object_or_404(townships_for(request.user), pk=pk)
    people = people_for(request.user).filter(township=town)
    today = timezone.localdate()
    context = {
        "township": town,
        "people_count": people.count(),
        "today": today,
        "dashboard": township_dashboard(town.pk, today),
        "unread": unread_inbox(request.user).count(),
        "can_intake": has_capability(request.user, Capability.INTAKE),
        # a link is shown only to those it opens for (finance reads the page, not the people)
        "can_view_people": has_capability(request.user, Capability.VIEW_PEOPLE),
        "can_see_warnings": has_capability(request.user, Capability.WARNINGS),
        "can_see_early": has_capability(request.user, Capability.RELIEF),
        "calendar_warning": _calendar_warning(request, today),
        "warnings": warning_counts(BurdenWarning.objects.filter(township=town)),
        "early_open": EarlyReport.objects.filter(
            township=town, state__in=[EarlyReport.State.OPEN, EarlyReport.State.CONTACTED]
        ).count(),
    }
    # the work waiting there names applicants
    record(
        actor=request.user,
        event=Event.TOWNSHIP_VIEWED,
        township=town,
        summary=f"查看{town.name}工作台",
    )
    return render(request, "areas/township.html", context)


@capability_required(Capability.COUNTY_WORKBENCH)
def county(request: HttpRequest, pk: int) -> HttpResponse:
    """A county agency's page: its townships and the work waiting at the county."""
    obj = get_object_or_404(counties_for(request.user), pk=pk)
    towns = townships_for(request.user).filter(county=obj)
    today = timezone.localdate()
    stages = county_overview(obj.pk, today)
    return render(
        request,
        "areas/county.html",
        {
            "can_see_warnings": has_capability(request.user, Capability.WARNINGS),
            "county": obj,
            "townships": towns,
            "stages": stages,
            "today": today,
            "calendar_warning": _calendar_warning(request, today),
            **_handoff_counts(request, obj, today),
        },
    )


def _handoff_counts(request: HttpRequest, county: Any, today: date) -> dict[str, Any]:
    """The county's hand-offs waiting for an answer, and those past their time limit."""
    if not has_capability(request.user, Capability.RELIEF):
        return {"handoffs_overdue": None}
    waiting = Handoff.objects.filter(county=county, state=Handoff.State.OPEN)
    return {
        "handoffs_open": waiting.count(),
        "handoffs_overdue": waiting.filter(due_on__lt=today).count(),
    }


@capability_required(Capability.AREA_OVERVIEW)
def overview(request: HttpRequest) -> HttpResponse:
    """The administrator's view of the city: every county and township, with links to edit."""
    counties = counties_for(request.user).prefetch_related("townships")
    return render(
        request,
        "areas/overview.html",
        {
            "counties": counties,
            "calendar_warning": calendar_warning(timezone.localdate()),
        },
    )


def _calendar_warning(request: HttpRequest, today: date) -> str:
    """Only the administrator can enter a year's holidays: only they are told it is missing (a
    clerk cannot act on it, and a banner on every page teaches people to ignore banners)."""
    if role_of(request.user) != Role.ADMIN:
        return ""
    return calendar_warning(today)
