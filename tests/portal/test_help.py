"""帮助: the user guide is built with Sphinx from docs/guide (warnings are errors), served by the
portal itself with nothing from outside, and every page's 帮助 link opens the user's own chapter at
a section that exists (issue 18)."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import Role
from portal import help
from tests.test_url_permissions import EXPECTED

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    return help.build(strict=True, out=tmp_path_factory.mktemp("guide") / "html")


def ids(path) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', path.read_text(encoding="utf-8")))


def test_every_chapter_has_the_sections_the_pages_open(guide):
    for chapter, sections in help.CHAPTER_SECTIONS.items():
        page = guide / f"{chapter}.html"
        assert page.exists(), chapter
        missing = {s for s in sections if f"{chapter}-{s}" not in ids(page)}
        assert missing == set(), f"{chapter}.html lacks {missing}"


def test_every_page_a_role_opens_has_a_section_in_that_roles_chapter():
    """A page of the permission table that a role may open, and that has a section, must have
    that section in the role's chapter: the 帮助 link lands where the user is, never at a top."""
    gaps = []
    for name, section in help.SECTIONS.items():
        row = EXPECTED.get(name)
        if row is None or name == "status":
            continue
        for role in row.allowed:
            if role == "anonymous":
                continue
            chapter = help.GUIDES[Role(role)]
            if section not in help.CHAPTER_SECTIONS[chapter]:
                gaps.append((role, name, section))
    assert gaps == []


def test_nothing_in_the_guide_comes_from_outside_and_no_inline_script(guide):
    for page in guide.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)="(https?:)?//', html), page.name
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name  # CSP: no inline
    assert (guide / "_images" / "case-page.png").exists()  # screenshots from the journeys


@pytest.mark.parametrize(
    ("user", "url", "expected"),
    [
        ("clerk", "applications:new", "/help/clerk.html#clerk-intake"),
        ("reviewer", "applications:index", "/help/county.html#county-queue"),
        ("finance", "payments:index", "/help/finance.html#finance-payments"),
        ("admin", "monitoring:overview", "/help/admin.html#admin-overview"),
    ],
)
def test_the_help_link_opens_the_users_chapter_at_the_page(client, world, user, url, expected):
    client.force_login(world.users[user])
    page = client.get(reverse(url)).content.decode()
    assert f'href="{expected}"' in page


def test_the_portal_serves_the_guide_to_anyone_and_nothing_outside_it(client, guide, settings):
    with override_settings(HELP_DIR=str(guide)):
        response = client.get("/help/clerk.html")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
        assert "窗口经办人" in b"".join(response.streaming_content).decode()
        assert client.get("/help/").status_code == 200
        assert client.get("/help/../../config/settings/base.py").status_code == 404
        assert client.get("/help/no-such-page.html").status_code == 404
    status = client.get(reverse("status")).content.decode()
    assert 'href="/help/applicant.html#applicant-status"' in status
