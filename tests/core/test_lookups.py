"""``field__any_of``: the same rows as ``__in``; on PostgreSQL one array parameter (issue 21)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beneficiaries.models import HardshipIdentity, Person
from tests.factories import PersonFactory


@pytest.mark.django_db
def test_any_of_finds_what_in_finds_with_one_parameter_on_postgresql(world):
    people = [PersonFactory(township=world.town_a1) for _ in range(3)]
    wanted = [people[0].pk, people[2].pk, 999_999]
    with CaptureQueriesContext(connection) as seen:
        got = sorted(Person.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))
    assert got == sorted([people[0].pk, people[2].pk])
    assert got == sorted(Person.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    sql = seen.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert sql.count("%s") == 0 and " IN (SELECT unnest(" in sql  # one array, interpolated
        assert sql.count(",") < 10  # not a placeholder list
    else:
        assert " IN (" in sql
    assert list(Person.objects.filter(pk__any_of=[])) == []
    # through a relation too (relations keep lookups of their own)
    held = HardshipIdentity.objects.create(
        person=people[2], category="dibao", department="民政", certified_on=date(2024, 1, 1)
    )
    found = HardshipIdentity.objects.filter(person_id__any_of=[people[2].pk, 999_999])
    assert list(found.values_list("pk", flat=True)) == [held.pk]
    # the blind index: the registry's way in, found by number without decrypting
    numbers = [people[1].id_number, "150121196001019999"]
    assert Person.objects.keyed_by_id_number(numbers) == {people[1].id_number: (people[1].pk,)}


@pytest.mark.django_db
def test_any_of_texts_with_quotes_backslashes_commas_and_braces(world):
    """On PostgreSQL the texts travel as one array literal: every character must survive."""
    names = ['王"小"明', "李\\四", "张,三", "{赵}", "钱 孙", "NULL", ""]
    people = {name: PersonFactory(township=world.town_a1, name=name) for name in names}
    PersonFactory(township=world.town_a1, name="王小明")
    for name, person in people.items():
        found = Person.objects.filter(name__any_of=[name, "没有这个人"]).values_list(
            "pk", flat=True
        )
        assert list(found) == [person.pk], name
    everyone = Person.objects.filter(name__any_of=names).values_list("pk", flat=True)
    assert sorted(everyone) == sorted(p.pk for p in people.values())
