"""The review queue: filters that stay in the URL, sorting, keyset pages without overlap or gaps,
and a constant number of queries per page."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, MedicalExpense
from tests.factories import PersonFactory
from tests.searching import search

URL = reverse("applications:index")


@pytest.fixture
def many(world):
    """65 forwarded cases in county A (two townships) and 3 in county B."""
    clerk = world.users["clerk"]
    today = timezone.localdate()
    people = [PersonFactory(township=world.town_a1 if n % 2 else world.town_a2) for n in range(5)]
    rows = []
    for n in range(65):
        person = people[n % 5]
        rows.append(
            Application(
                number=f"150121-20261101-{n:04d}",
                person=person,
                township=person.township,
                county=world.county_a,
                category="dibao" if n % 3 else "dibao_edge",
                created_by=clerk,
                status="forwarded" if n % 4 else "in_review",
                claimed_total=Decimal(1000 + n * 100),
                step_due_on=today + timedelta(days=(n % 20) - 5),
                accepted_on=date(2026, 11, 1 + n % 20),
                status_changed_at=timezone.now() - timedelta(days=n % 30),
            )
        )
    other = PersonFactory(township=world.town_b1)
    rows += [
        Application(
            number=f"150122-20261101-{n:04d}",
            person=other,
            township=world.town_b1,
            county=world.county_b,
            category="dibao",
            created_by=world.clerk_b1,
            status="forwarded",
            step_due_on=today,
        )
        for n in range(3)
    ]
    Application.objects.bulk_create(rows)
    first = Application.objects.get(number="150121-20261101-0007")
    MedicalExpense.objects.create(
        application=first,
        hospital="门诊部",
        hospital_level="tier1",
        kind="chronic_outpatient",
        visit_on=date(2026, 11, 1),
        total=100,
        policy_scope=100,
        basic_paid=50,
        critical_paid=0,
    )
    return rows


def numbers(page: str) -> list[str]:
    return re.findall(r'<a href="/applications/([0-9-]+)/">', page)


def walk(client, params: dict) -> list[list[str]]:
    """Every page of a search, as a reviewer clicks: the filters submitted, then 下一页."""
    pages = []
    page = search(client, URL, params).content.decode()
    for _ in range(10):
        pages.append(numbers(page))
        found = re.search(r'href="(\?[^"]+)" data-testid="next-page"', page)
        if not found:
            return pages
        page = client.get(URL + html.unescape(found.group(1))).content.decode()
    raise AssertionError("too many pages")


@pytest.mark.parametrize("order", ["due", "waited", "amount", "newest"])
def test_keyset_pages_cover_every_case_once_in_order(client, world, many, order):
    client.force_login(world.users["reviewer"])
    pages = walk(client, {"order": order})
    assert [len(p) for p in pages] == [30, 30, 5]
    seen = [n for p in pages for n in p]
    assert len(seen) == len(set(seen)) == 65
    assert all(n.startswith("150121-") for n in seen)  # county B's cases never appear
    field, reverse_ = {
        "due": ("step_due_on", False),
        "waited": ("status_changed_at", False),
        "amount": ("claimed_total", True),
        "newest": ("id", True),
    }[order]
    expected = list(
        Application.objects.filter(county=world.county_a)
        .order_by(("-" if reverse_ else "") + field, ("-" if reverse_ else "") + "id")
        .values_list("number", flat=True)
    )
    assert seen == expected


def test_a_page_costs_the_same_queries_whatever_its_size(
    client, world, many, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.users["reviewer"])
    client.get(URL)  # warm the session
    town = world.town_a2.pk
    with CaptureQueriesContext(connection) as full:
        response = client.get(URL, {"order": "amount", "township": town})
    assert len(numbers(response.content.decode())) == 30
    with CaptureQueriesContext(connection) as small:
        response = client.get(URL, {"order": "amount", "township": town, "amount_min": "6000"})
    assert len(numbers(response.content.decode())) == 9  # n ≥ 50 in A2
    assert len(full.captured_queries) == len(small.captured_queries) > 3
    counts = [q["sql"].upper() for q in full.captured_queries if "COUNT(" in q["sql"].upper()]
    # the result count is bounded (a LIMIT inside), never a scan of the whole table
    # the result count, bounded; and the reviewer's count of certificates waiting (issue 19),
    # bounded too
    assert len([c for c in counts if "LIMIT 1001" in c]) == 1
    assert all("LIMIT" in c for c in counts) and len(counts) <= 2
    assert not any(" OFFSET " in q["sql"].upper() for q in full.captured_queries)


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"township": "a2"}, 39),  # people 0, 2 and 4 live in A2: 3 cases in 5
        ({"category": "dibao_edge"}, 22),  # n % 3 == 0
        ({"status": "in_review"}, 17),  # n % 4 == 0
        ({"kind": "chronic_outpatient"}, 1),
        ({"amount_min": "6000", "amount_max": "7000"}, 11),  # n from 50 to 60
        ({"accepted_from": "2026-11-19", "accepted_to": "2026-11-20"}, 6),  # n % 20 in (18, 19)
        ({"q": "150121-20261101-006"}, 5),  # 0060–0064
        ({"late": "on"}, 20),  # due 5 to 1 days ago: n % 20 < 5, in each of 4 runs of 20
    ],
)
def test_filters(client, world, many, params, count):
    if params.get("township") == "a2":
        params = {"township": world.town_a2.pk}
    client.force_login(world.users["reviewer"])
    pages = walk(client, {**params, "order": "newest"})
    assert sum(len(p) for p in pages) == count


def test_search_by_name_and_id_number_and_a_damaged_cursor(client, world, many):
    client.force_login(world.users["reviewer"])
    person = Application.objects.get(number="150121-20261101-0003").person
    by_id = walk(client, {"q": person.id_number})
    assert sum(len(p) for p in by_id) == 13  # every fifth case
    assert (
        numbers(client.get(URL, {"after": "garbage~x"}).content.decode())[:1]
        == walk(client, {})[0][:1]
    )


def test_the_filters_stay_in_the_next_page_link(client, world, many):
    client.force_login(world.users["reviewer"])
    page = client.get(URL, {"status": "forwarded", "order": "amount"}).content.decode()
    link = re.search(r'href="\?([^"]+)" data-testid="next-page"', page).group(1)
    assert "status=forwarded" in link and "order=amount" in link and "after=" in link


def test_the_filter_widgets_keep_what_was_typed_escaped_and_selected(client, world):
    """The filter form is drawn by the Jinja2 form renderer (issue 21): what was typed comes back
    escaped, the chosen option stays selected, a bad value is still said in Chinese."""
    client.force_login(world.users["reviewer"])
    page = client.get(
        reverse("applications:index"),
        {"q": '"><script>alert(1)</script>', "category": "dibao", "amount_min": "abc"},
    ).content.decode()
    assert "<script>alert(1)" not in page
    assert re.search(
        r'name="q" value="(&#34;|&quot;)&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;"', page
    )
    assert re.search(r'<option value="dibao" selected>\s*低保\s*</option>', page)
    assert re.search(r'<option value="tekun">\s*特困\s*</option>', page)
    assert "金额不低于：请填写数字（如 1200 或 1200.50）。" in page


@pytest.mark.parametrize(
    ("order", "field", "sign"),
    [
        ("due", "step_due_on", ">"),
        ("waited", "status_changed_at", ">"),
        ("amount", "claimed_total", "<"),
    ],
)
def test_a_next_page_asks_for_the_rows_after_the_last_as_one_row_comparison(
    client, world, many, order, field, sign
):
    """(value, id) > (last value, last id): the order's index is walked from there and the page
    stops at its end, instead of every later row gathered and sorted (issue 21)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.users["reviewer"])
    first = client.get(reverse("applications:index"), {"order": order}).content.decode()
    after = re.search(r'after=([^"&]+)" data-testid="next-page"', first).group(1)
    from urllib.parse import unquote

    with CaptureQueriesContext(connection) as seen:
        page = client.get(reverse("applications:index"), {"order": order, "after": unquote(after)})
    assert page.status_code == 200
    table = '"applications_application"'
    wanted = f'({table}."{field}", {table}."id") {sign} ('
    assert any(wanted in q["sql"] for q in seen.captured_queries), wanted
