from typing import Any

from django.db.models import QuerySet

from accounts.access import scope_by_area

from .models import Person


def people_for(user: Any) -> QuerySet[Person]:
    """The people a staff member may see: their township (clerks) or county (county roles)."""
    return scope_by_area(user, Person.objects.select_related("township", "township__county"))
