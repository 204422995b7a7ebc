"""The areas a staff member may see (``accounts.access`` decides the scope)."""

from typing import Any

from django.db.models import QuerySet

from areas.models import County, Township
from core.params import row_id

from .access import scoped


def townships_for(user: Any) -> QuerySet[Township]:
    qs = Township.objects.select_related("county", "county__city")
    return scoped(user, qs)


def counties_for(user: Any) -> QuerySet[County]:
    qs = County.objects.select_related("city")
    return scoped(user, qs).distinct()


def county_chosen(user: Any, chosen: str | None) -> County | None:
    """The county a page was asked for (``?county=`` or the form's), if the user may see it; else
    the user's first. None when the user sees no county."""
    counties = counties_for(user)
    pk = row_id(chosen)
    county = counties.filter(pk=pk).first() if pk else None
    return county or counties.first()
