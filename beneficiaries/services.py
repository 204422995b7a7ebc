from typing import Any

from django.db import transaction

from audit.services import save_audited

from .idnumber import normalise
from .models import Person


@transaction.atomic
def person_save(*, person: Person, actor: Any) -> Person:
    person.id_number = normalise(person.id_number)
    save_audited(instance=person, actor=actor)
    return person
