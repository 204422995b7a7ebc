from typing import Any

from django.db.models import QuerySet

from accounts.access import scope_by_area

from .models import AuditEvent


def events_for(user: Any) -> QuerySet[AuditEvent]:
    """Audit rows a user may search: the whole city for administrators, their county otherwise."""
    qs = AuditEvent.objects.select_related("actor", "township", "county")
    return scope_by_area(user, qs, township_id="township_id", county_id="county_id")
