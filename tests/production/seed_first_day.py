"""The production stage's first-day data, run with `manage.py shell` on production settings:
the areas, one window clerk and one person with a hardship identity (what an administrator enters
on the admin pages and an identity import brings). Not demo data: the password comes from the
environment and is random per run."""

import os
from datetime import date

from accounts.models import Role, User
from areas.models import City, County, Township
from beneficiaries.models import HardshipIdentity, Person

city, _ = City.objects.get_or_create(code="150100", defaults={"name": "呼和浩特市"})
county, _ = County.objects.get_or_create(
    code="150121", defaults={"name": "土默特左旗", "city": city}
)
town, _ = Township.objects.get_or_create(
    code="150121100",
    defaults={"name": "察素齐镇", "county": county, "window_phone": "0471-8000000"},
)
clerk, _ = User.objects.get_or_create(
    username=os.environ["PRODUCTION_CLERK"],
    defaults={"role": Role.CLERK, "township": town, "county": county},
)
clerk.set_password(os.environ["PRODUCTION_PASSWORD"])
clerk.save()
# the ID number is stored encrypted: found through its blind index
person = Person.objects.with_id_number(os.environ["PRODUCTION_PERSON_ID"]).first()
if person is None:
    person = Person.objects.create(
        id_number=os.environ["PRODUCTION_PERSON_ID"],
        name="其其格",
        phone="13904711234",
        township=town,
        bank_name="内蒙古农村信用社",
        bank_account_holder="其其格",
        bank_account_number="6228480000000000125",
    )
HardshipIdentity.objects.get_or_create(
    person=person,
    category="dibao",
    certified_on=date(2024, 3, 1),
    defaults={"department": "民政", "source": "import"},
)
print(
    f"first-day data ready: {town.name}, clerk {clerk.username}, person {person.masked_id_number}"
)
