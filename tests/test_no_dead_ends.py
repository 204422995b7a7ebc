"""No dead ends (issue 18): for each role, every link on its landing page and menus, and every link
one level below, opens (no 403, no 404, no 500); every data-entry form, submitted with bad values,
answers in clear Chinese (no English, none of Django's own default wording). On the demo data, with
a payment batch, so that every kind of page has rows and links."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db

ROLES = ["clerk_a", "reviewer_a", "approver_a", "finance_a", "admin"]
LINK = re.compile(r'<a\b[^>]*\bhref="([^"#][^"]*)"', re.I)
SKIP = (
    "/accounts/logout",
    "/static/",
    "/media/",
    "/admin/logout",
    "/admin/jsi18n",
    "/admin/password_change",
    "mailto:",
    "tel:",
    "javascript:",
)


@pytest.fixture
def demo(db):
    """The demo (cases on their own days, reminders, hospital files) and one payment batch."""
    from applications.models import Application
    from payments.services import payment_batch_create

    call_command("seed_demo")
    finance = User.objects.get(username="finance_a")
    approved = Application.objects.filter(status="approved")
    payment_batch_create(
        county=finance.county, application_ids=list(approved.values_list("pk", flat=True)),
        actor=finance,
    )  # fmt: skip


def links(html: str, base: str) -> list[str]:
    found = []
    for href in LINK.findall(html):
        href = unescape(href)
        if href.startswith(("http://", "https://")) and not href.startswith("http://testserver"):
            continue
        url = urljoin(base, href)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith("/") or path.startswith(SKIP):
            continue
        found.append(path)
    return found


def body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", errors="replace")


def _crawl(client, start: str, *, limit: int) -> dict[str, int]:
    """Follow every link of the landing page (menus included), then every link on those pages."""
    seen: dict[str, int] = {}
    landing = client.get(start, follow=True)
    assert landing.status_code == 200
    level_one = links(body(landing), landing.request["PATH_INFO"])
    frontier = list(dict.fromkeys(level_one))
    for depth in (1, 2):
        following: list[str] = []
        for path in frontier:
            if path in seen or len(seen) >= limit:
                continue
            response = client.get(path, follow=True)
            seen[path] = response.status_code
            kind = response.get("Content-Type", "")
            own_guide = response.request["PATH_INFO"].startswith("/help/")  # the guide's own links
            if depth == 1 and response.status_code == 200 and kind.startswith("text/html"):
                following += (
                    [] if own_guide else links(body(response), response.request["PATH_INFO"])
                )
        frontier = list(dict.fromkeys(following))
    return seen


@pytest.mark.parametrize("username", ROLES)
def test_every_link_a_role_is_shown_opens(client, demo, username):
    client.force_login(User.objects.get(username=username))
    # the administrator's Django admin has hundreds of links of its own; its first level is enough
    seen = _crawl(client, "/", limit=600)
    dead = {path: code for path, code in seen.items() if code in (403, 404) or code >= 500}
    assert dead == {}, f"{username}: {dead}"
    assert len(seen) > 10, seen  # the crawl did reach the role's pages


# --- forms --------------------------------------------------------------------------------------

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
ERROR_BOX = re.compile(
    r'<(?:div|li|span|p|ul)\b[^>]*class="[^"]*(?:invalid-feedback|errorlist|text-danger|alert-danger|'
    r'alert-warning)[^"]*"[^>]*>(.*?)</(?:div|li|span|p|ul)>',
    re.S | re.I,
)
# Django's own zh-hans wording that the portal replaces (locale/zh_Hans) or must never show
DEFAULT_WORDING = [
    "这个字段是必填项", "确保该变量", "确认小数不超过", "确认总共不超过", "确认小数点前", "输入一个有效",
    "选择一个有效的选项", "确保该值", "输入整数", "不允许是用空字符串", "具有 ", "包含 ",
]  # fmt: skip
ALLOWED_LATIN = {"PDF", "CSV", "XLSX", "JPEG", "JPG", "PNG", "MB", "KB", "ID", "X", "UTF"}
BAD = {
    "date": "2026-02-30",
    "number": "-1",
    "email": "not-an-email",
    "file": None,
}


def _bad_value(name: str, kind: str) -> str:
    if kind == "date" or name.endswith(("_on", "_from", "_to", "date")):
        return "2026-02-30"
    if any(w in name for w in ("amount", "total", "paid", "scope", "income")):
        return "12.345abc"
    if "phone" in name:
        return "12345"
    if "id_number" in name or name in ("number", "id_tail"):
        return "15012119520817101X"
    return "x" * 400


def forms_of(html: str) -> list[tuple[str, dict[str, str]]]:
    found = []
    for attrs, body in FORM.findall(html):
        a = dict(ATTR.findall(attrs))
        if a.get("method", "get").lower() != "post":
            continue
        data: dict[str, str] = {}
        entry = False
        for tag, field_attrs in FIELD.findall(body):
            f = dict(ATTR.findall(field_attrs))
            name, kind = f.get("name", ""), f.get("type", "text").lower()
            if not name or name == "csrfmiddlewaretoken":
                continue
            if tag.lower() == "select":
                data[name] = "9999999"  # not one of the choices
                entry = True
            elif kind in ("hidden", "submit", "button"):
                data[name] = f.get("value", "")
            elif kind in ("checkbox", "radio", "file"):
                continue
            else:
                data[name] = _bad_value(name, kind)
                entry = True
        if entry:
            found.append((a.get("action", ""), data))
    return found


def messages_of(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", box))).strip()
        for box in ERROR_BOX.findall(html)
    ]


def not_chinese(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z]{2,}", text)
    return [w for w in words if w.upper() not in ALLOWED_LATIN]


@pytest.mark.parametrize("username", ROLES)
def test_every_form_answers_bad_values_in_clear_chinese(client, demo, username):
    client.force_login(User.objects.get(username=username))
    pages = [p for p, code in _crawl(client, "/", limit=200).items() if code == 200]
    pages = [p for p in pages if not p.startswith("/admin/")]  # Django's admin: its own wording
    submitted = 0
    problems = []
    for path in pages:
        response = client.get(path)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for action, data in forms_of(body(response)):
            target = urljoin(path, unescape(action)) if action else path
            if target.startswith(("/accounts/logout", "/admin/")):
                continue
            answer = client.post(target, data, follow=True)
            submitted += 1
            assert answer.status_code < 500, (target, answer.status_code)
            for text in messages_of(body(answer)):
                bad = [w for w in DEFAULT_WORDING if w in text]
                if bad or not_chinese(text):
                    problems.append((target, text[:160]))
    assert submitted >= 2, f"{username}: only {submitted} forms found"
    assert problems == [], problems
