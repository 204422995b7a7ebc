"""core.sealed_query: a search goes by POST and comes back as an address with a token; the token
is put back for the view and taken out again from every link of the page."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from core.sealed_query import EXPIRED, SESSION_KEY, canonical, carries_identifier
from tests.factories import PersonFactory
from tests.searching import search

PEOPLE = reverse("beneficiaries:person_list")


@pytest.mark.parametrize(
    ("typed", "sealed"),
    [
        ("150121195208171080", True),
        ("15012119520817101x", True),
        ("1501 2119 5208 1710 80", True),  # read out in groups
        ("150121-19520817-1080", True),
        ("１５０１２１１９５２０８１７１０８０", True),  # full-width digits
        ("150121520817108", True),  # a 15-digit number of the first generation
        ("6228480012345678901", True),  # a bank account
        ("乌兰 150121195208171080", True),
        ("150121-20261128-0005", False),  # an application number as the portal prints it
        ("150121202611280005", True),  # typed without its dashes: the shape of an ID number
        ("0005", False),
        ("1080", False),
        ("乌兰其其格", False),
        ("13904710001", False),  # a phone number
    ],
)
def test_what_is_sealed(typed, sealed):
    assert carries_identifier(typed) is sealed


def test_a_number_with_gaps_is_read_whole():
    assert canonical(" 1501 2119－5208 1710 8x ") == "15012119520817108X"
    assert canonical("乌兰 1501") == "乌兰 1501"


def test_the_search_comes_back_as_a_token_and_finds_the_person(client, world):
    person = PersonFactory(township=world.town_a1, name="乌兰其其格")
    client.force_login(world.users["clerk"])
    answer = search(client, PEOPLE, {"q": person.id_number})
    ((url, status),) = answer.redirect_chain
    assert status == 303
    assert re.fullmatch(r"/people/\?q=~[A-Za-z0-9_-]{12}", url)
    assert [p.name for p in answer.context["page"]] == ["乌兰其其格"]
    # the token's number is kept encrypted in the session
    kept = client.session[SESSION_KEY]
    assert list(kept) == [url.split("=", 1)[1]]
    assert person.id_number not in str(kept)
    # what was typed is shown back in the box (on the page, not in its address)
    assert f'value="{person.id_number}"' in answer.content.decode()


def test_every_link_of_the_page_carries_the_token_not_the_number(client, world):
    for n in range(55):  # two pages of the people list
        PersonFactory(township=world.town_a1, name=f"乌兰{n}")
    client.force_login(world.users["admin"])
    # the admin's list: its pagination, sorting and each change link's preserved filters
    answer = search(client, reverse("admin:beneficiaries_person_changelist"), {"q": "15012119"})
    assert answer.status_code == 200
    person = PersonFactory(township=world.town_a1, name="巴特尔")
    answer = search(
        client, reverse("admin:beneficiaries_person_changelist"), {"q": person.id_number}
    )
    page = answer.content.decode()
    links = [unescape(h) for h in re.findall(r'href="([^"]*)"', page)]
    change = [h for h in links if f"/person/{person.pk}/change/" in h]
    assert change and "_changelist_filters=q%3D~" in change[0]
    assert not [h for h in links if person.id_number in h]
    # the change link's preserved filters are sealed too, and open
    opened = client.get(change[0])
    assert opened.status_code == 200
    assert person.id_number not in "".join(re.findall(r'href="([^"]*)"', opened.content.decode()))


def test_an_address_typed_with_the_number_is_sealed_before_any_view(client, world):
    person = PersonFactory(township=world.town_a1, name="乌兰其其格")
    client.force_login(world.users["clerk"])
    answer = client.get(PEOPLE, {"q": person.id_number, "page": "1"})
    assert answer.status_code == 302
    assert re.fullmatch(r"/people/\?q=~[A-Za-z0-9_-]{12}&page=1", answer["Location"])


def test_a_token_this_session_does_not_hold_is_dropped_with_a_message(client, world):
    client.force_login(world.users["clerk"])
    answer = client.get(PEOPLE, {"q": "~AAAAAAAAAAAA", "page": "2"}, follow=True)
    assert answer.redirect_chain == [("/people/?page=2", 302)]
    assert EXPIRED in answer.content.decode()


def test_a_signed_out_visitor_is_sent_to_sign_in_with_the_token_not_the_number(client, world):
    person = PersonFactory(township=world.town_a1)
    first = client.get(PEOPLE, {"q": person.id_number})
    second = client.get(first["Location"])
    assert second.status_code == 302 and second["Location"].startswith("/accounts/login/")
    assert person.id_number not in second["Location"]
