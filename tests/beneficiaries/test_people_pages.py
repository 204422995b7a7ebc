from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from beneficiaries.models import HardshipIdentity, Household, Person, Relationship
from tests.beneficiaries.conftest import idn
from tests.factories import PersonFactory


def identity(person, category, start, end=None):
    return HardshipIdentity.objects.create(
        person=person,
        category=category,
        department="民政",
        certified_on=start,
        ended_on=end,
        source="user",
    )


def test_search_by_id_phone_and_name_prefix_within_scope(world, client):
    a = PersonFactory(township=world.town_a1, name="乌兰其其格", phone="13904710001")
    PersonFactory(township=world.town_a1, name="乌力吉")
    PersonFactory(township=world.town_b1, name="乌云", phone="13904710009")  # another county
    client.force_login(world.users["reviewer"])
    url = reverse("beneficiaries:person_list")

    def names(q):
        return [p.name for p in client.get(url, {"q": q}).context["page"]]

    assert names(a.id_number) == ["乌兰其其格"]
    assert names(a.id_number.lower()) == ["乌兰其其格"]
    assert names("13904710001") == ["乌兰其其格"]
    assert names("乌") == ["乌兰其其格", "乌力吉"]
    assert names("兰其") == []  # names match from the first character
    assert names("13904710009") == []  # out of scope


def test_person_page_shows_identities_household_and_masked_account(world, client):
    today = timezone.localdate()
    household = Household.objects.create(
        township=world.town_a1, size=3, income_per_head="8000.00", income_year=2025
    )
    person = PersonFactory(
        township=world.town_a1,
        name="乌兰其其格",
        household=household,
        relationship=Relationship.HEAD,
        phone="13904710001",
        bank_name="内蒙古农村信用社",
        bank_account_holder="乌兰其其格",
        bank_account_number="6229 1234 5678 9012",
    )
    spouse = PersonFactory(
        township=world.town_a1,
        name="巴特尔",
        household=household,
        relationship=Relationship.SPOUSE,
        phone="13904710001",
    )
    identity(person, "dibao_edge", today - timedelta(days=400), today - timedelta(days=30))
    identity(person, "dibao", today - timedelta(days=29))
    client.force_login(world.users["clerk"])
    response = client.get(reverse("beneficiaries:person_detail", args=[person.pk]))
    body = response.content.decode()
    assert response.context["current"].category == "dibao"
    assert "今日适用：低保对象" in body
    assert "6229 **** **** 9012" in body and "5678" not in body
    assert "巴特尔" in body and spouse.masked_id_number in body
    assert "联系电话 13904710001 还登记在另外 1 人名下" in body
    assert "已终止" in body and "有效" in body
    assert AuditEvent.objects.filter(action="view", target_id=str(person.pk)).count() == 1


def test_person_page_warns_about_an_old_county_code(world, client):
    person = Person(id_number="440304196001010018", name="陈秀英", township=world.town_a1)
    person.full_clean()
    person.save()
    assert (person.sex, person.birth_date) == ("M", date(1960, 1, 1))
    client.force_login(world.users["clerk"])
    body = client.get(reverse("beneficiaries:person_detail", args=[person.pk])).content.decode()
    assert "区划代码 440304" in body


def test_person_without_valid_identity_today(world, client):
    person = PersonFactory(township=world.town_a1, id_number=idn("15012119580312002"))
    identity(person, "dibao", date(2020, 1, 1), date(2020, 12, 31))
    client.force_login(world.users["clerk"])
    assert (
        "今日无有效困难身份"
        in client.get(reverse("beneficiaries:person_detail", args=[person.pk])).content.decode()
    )
