from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from beneficiaries.models import HardshipIdentity, Household, Person, Relationship
from tests.beneficiaries.conftest import idn
from tests.factories import PersonFactory
from tests.searching import search


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
        return [p.name for p in search(client, url, {"q": q}).context["page"]]

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
    assert AuditEvent.objects.filter(event="person.viewed", target_id=str(person.pk)).count() == 1


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


def admin_person_form(person, township, **identity):
    """The admin's person form with one new identity row (the inline formset's fields)."""
    data = {
        "id_number": person.id_number,
        "name": person.name,
        "phone": "",
        "address": "",
        "township": township.pk,
        "hukou_place": "",
        "hukou_local": "on",
        "household": "",
        "relationship": "",
        "bank_name": "",
        "bank_account_holder": "",
        "bank_account_number": "",
        "identities-TOTAL_FORMS": "1",
        "identities-INITIAL_FORMS": "0",
        "identities-MIN_NUM_FORMS": "0",
        "identities-MAX_NUM_FORMS": "1000",
    }
    data.update({f"identities-0-{k}": v for k, v in identity.items()})
    return data


def test_identity_added_in_the_admin_is_the_users_and_audited(world, client):
    person = PersonFactory(township=world.town_a1)
    admin_user = world.users["admin"]
    client.force_login(admin_user)
    data = admin_person_form(
        person,
        world.town_a1,
        category="dibao",
        department="民政",
        certificate_number="Z9",
        certified_on="2024-01-01",
        ended_on="",
    )
    response = client.post(reverse("admin:beneficiaries_person_change", args=[person.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    ident = person.identities.get()
    assert (ident.category, ident.source, ident.source_user) == ("dibao", "user", admin_user)
    row = AuditEvent.objects.get(
        event="identity.created", target_type="beneficiaries.hardshipidentity"
    )
    assert row.township == world.town_a1 and row.changes["category"] == [None, "dibao"]


def test_identity_ending_before_it_starts_is_refused_in_the_admin(world, client):
    person = PersonFactory(township=world.town_a1)
    client.force_login(world.users["admin"])
    data = admin_person_form(
        person,
        world.town_a1,
        category="dibao",
        department="民政",
        certificate_number="",
        certified_on="2024-01-01",
        ended_on="2023-12-31",
    )
    response = client.post(reverse("admin:beneficiaries_person_change", args=[person.pk]), data)
    assert response.status_code == 200
    assert "终止日期不能早于认定日期。" in response.content.decode()
    assert person.identities.count() == 0


def test_person_saved_through_the_service_has_its_id_normalised_and_derived(world):
    from beneficiaries.services import person_save

    person = person_save(
        person=Person(id_number=" 11010519491231002x ", name="测试", township=world.town_a1),
        actor=world.users["admin"],
    )
    person.refresh_from_db()
    assert (person.id_number, person.sex, person.birth_date) == (
        "11010519491231002X",
        "F",
        date(1949, 12, 31),
    )
