import re
from datetime import date
from typing import Any, cast

from django.db.models import Prefetch, QuerySet

from accounts.access import scoped
from engine import categories

from .models import HardshipIdentity, Person, PersonChange, PersonQuerySet

ID_NUMBER = re.compile(r"\d{17}[\dXx]")
PHONE = re.compile(r"[\d-]{7,20}")


def people_for(user: Any) -> PersonQuerySet:
    """The people a staff member may see: their township (clerks) or county (county roles)."""
    people = scoped(user, Person.objects.select_related("township", "township__county"))
    return cast(PersonQuerySet, people)


def search_people(user: Any, q: str) -> QuerySet[Person]:
    """Search by full ID number (exact), phone (exact) or the beginning of a name, within scope."""
    qs = people_for(user)
    q = q.strip()
    if not q:
        return qs
    if ID_NUMBER.fullmatch(q):
        return qs.with_id_number(q.upper())
    if PHONE.fullmatch(q):
        return qs.filter(phone=q)
    return qs.filter(name__startswith=q).order_by("name", "id")


def person_page(user: Any, pk: int) -> Person:
    """A person with identities (newest first) and household members, within the user's scope."""
    identities = HardshipIdentity.objects.select_related("source_import").order_by(
        "-certified_on", "-id"
    )
    return (
        people_for(user)
        .select_related("household")
        .prefetch_related(Prefetch("identities", queryset=identities), "household__members")
        .get(pk=pk)
    )


def favourable_identity(person: Person, on: date) -> HardshipIdentity | None:
    return categories.most_favourable(person.identities.all(), on)


def same_phone_count(person: Person) -> int:
    if not person.phone:
        return 0
    return Person.objects.filter(phone=person.phone).exclude(pk=person.pk).count()


def person_changes_for(user: Any) -> QuerySet[PersonChange]:
    """Change requests a staff member may see: of people in their area, or moving into it."""
    base = PersonChange.objects.select_related(
        "person", "township", "new_township", "decided_by", "source_import"
    )
    return scoped(user, base)
