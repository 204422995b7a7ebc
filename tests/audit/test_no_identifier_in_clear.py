"""No full ID number in clear anywhere the portal writes, after every role searched for one.

On the demo data each role opens every page its menus lead to (and one level below, as the
no-dead-ends walk does) and types a full ID number into every search box it finds: the people
list, the review queue, the warnings, the audit search and each of the admin's lists. Then:

* no search form may be a GET form with a free-text field (the browser would put the number in
  the address);
* no address the browser was sent to, and no link of the page it got, carries the number;
* every text column of every table (the sessions decoded) holds no clear ID number: 18
  characters with a valid check digit and birth date.

Before, ``/people/?q=150121195208171080`` went into ``audit_auditevent.path`` for good.
"""

from __future__ import annotations

import json
import re
from datetime import date
from html import unescape

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection

from accounts.models import User
from beneficiaries.idnumber import check_digit
from beneficiaries.models import Person
from core.sealed_query import MARK
from tests.test_no_dead_ends import ATTR, FIELD, FORM, ROLES, _crawl, body
from tests.test_no_dead_ends import demo as demo  # the fixture

pytestmark = pytest.mark.django_db

CANDIDATE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
TEXT_TYPES = {"CharField", "TextField", "JSONField", "SlugField", "EmailField", "URLField"}
FREE_TEXT = {"text", "search", "number", "tel", ""}
HREF = re.compile(r'\s(?:href|action|src)="([^"]*)"')


def is_id_number(text: str) -> bool:
    """18 characters, the ISO 7064 check character right, a birth date that exists, not later
    than today."""
    text = text.upper()
    if check_digit(text[:17]) != text[17]:
        return False
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return date(1880, 1, 1) <= born <= date.today()


def clear_ids(text: str) -> list[str]:
    return [m for m in CANDIDATE.findall(text) if is_id_number(m)]


def database_clear_ids() -> list[tuple[str, str, str]]:
    """(table, column, the ID found) for every clear ID number in a text column of any table;
    the sessions' data decoded first."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                kind = connection.introspection.get_field_type(column.type_code, column)
                if kind not in TEXT_TYPES:
                    continue
                name = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT {name} FROM {connection.ops.quote_name(table)}"  # noqa: S608
                    f" WHERE {name} IS NOT NULL"
                )
                for (value,) in cursor.fetchall():
                    text = value if isinstance(value, str) else json.dumps(value)
                    found += [(table, column.name, m) for m in clear_ids(text)]
    for session in Session.objects.all():
        data = json.dumps(SessionStore().decode(session.session_data), ensure_ascii=False)
        found += [("django_session", "session_data (decoded)", m) for m in clear_ids(data)]
    return found


def free_text(tag: str, field: dict[str, str]) -> bool:
    """A field a person could type an ID number into (a number field whose ``max`` is a year is
    not: the browser does not submit a larger value)."""
    kind = field.get("type", "").lower()
    if tag == "textarea":
        return True
    if tag != "input" or kind not in FREE_TEXT:
        return False
    return not (kind == "number" and len(field.get("max", "9" * 15).lstrip("-")) < 15)


def search_forms(html: str) -> tuple[list[dict[str, str]], list[str]]:
    """The page's search forms as data to post (each free-text field given ``{id}``), and the
    GET forms that have a free-text field (each named by its fields)."""
    sealed, open_forms = [], []
    for attrs, inner in FORM.findall(html):
        method = dict(ATTR.findall(attrs)).get("method", "get").lower()
        fields = [(tag.lower(), dict(ATTR.findall(a))) for tag, a in FIELD.findall(inner)]
        texts = [f["name"] for tag, f in fields if f.get("name") and free_text(tag, f)]
        if method == "get" and texts:
            open_forms.append(",".join(texts))
        if method == "post" and any(f.get("name") == MARK for _, f in fields):
            data = {
                f["name"]: unescape(f.get("value", ""))
                for tag, f in fields
                if f.get("name") and tag == "input" and f.get("type", "").lower() == "hidden"
            }
            data.update({name: "{id}" for name in texts})
            sealed.append(data)
    return sealed, open_forms


def test_every_search_box_of_every_role_leaves_no_clear_id_number_anywhere(client, demo):
    person = Person.objects.filter(township__name="察素齐镇").order_by("pk").first()
    stranger = "150121195208171080"  # valid, in nobody's registry
    assert is_id_number(person.id_number) and is_id_number(stranger)
    assert database_clear_ids() == []  # the demo data itself holds none

    searched: dict[str, int] = {}
    open_forms: set[tuple[str, str]] = set()
    for username in ROLES:
        client.force_login(User.objects.get(username=username))
        pages = [p for p, code in _crawl(client, "/", limit=400).items() if code == 200]
        for path in pages:
            page = client.get(path)
            if not page.get("Content-Type", "").startswith("text/html"):
                continue
            forms, unsealed = search_forms(body(page))
            if not path.startswith("/help/"):
                # (the user guide's own search box runs in the browser, on a static Sphinx page;
                # a number typed there is sealed by the middleware like any address)
                open_forms |= {(path.split("?")[0], names) for names in unsealed}
            for form in forms:
                for id_number in (person.id_number, stranger):
                    data = {k: v.replace("{id}", id_number) for k, v in form.items()}
                    answer = client.post(path, data, follow=True)
                    assert answer.status_code == 200, (username, path, answer.status_code)
                    where = [url for url, _ in answer.redirect_chain]
                    assert where and not any(clear_ids(url) for url in where), (path, where)
                    links = HREF.findall(body(answer))
                    assert not [h for h in links if clear_ids(h)], (username, path)
                    searched[path.split("?")[0]] = searched.get(path.split("?")[0], 0) + 1
    assert open_forms == set(), f"GET forms with a free-text field: {sorted(open_forms)}"
    # every search box a role has was reached (the admin's lists among them)
    for box in ("/people/", "/applications/", "/monitoring/warnings/", "/audit/"):
        assert box in searched, sorted(searched)
    assert "/admin/beneficiaries/person/" in searched, sorted(searched)
    assert len(searched) >= 8, sorted(searched)
    print(f"searched {sum(searched.values())} times in {len(searched)} search boxes")

    # an address typed by hand, or an old bookmark, is sealed before any view sees it
    client.force_login(User.objects.get(username="clerk_a"))
    answer = client.get(f"/people/?q={person.id_number}", follow=True)
    assert answer.redirect_chain[0][0].startswith("/people/?q=~")
    assert [p.name for p in answer.context["page"]] == [person.name]

    assert database_clear_ids() == []
