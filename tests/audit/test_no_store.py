"""Pages with personal data are not kept by the browser or a proxy (Cache-Control: no-store):
every page a member of staff is shown, and the applicant's status and letter."""

from __future__ import annotations

import pytest

from tests.applications.test_status import case as case  # the fixture

pytestmark = pytest.mark.django_db


def stored(response) -> bool:
    return "no-store" not in response.get("Cache-Control", "")


def test_a_staff_page_is_not_stored(client, world, applicant):
    client.force_login(world.users["clerk"])
    for url in ("/", f"/people/{applicant.pk}/", "/applications/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_applicants_answer_is_not_stored_the_empty_form_may_be(client, case):
    assert stored(client.get("/status/"))
    response = client.post(
        "/status/", {"number": case.number, "id_tail": case.person.id_number[-6:]}
    )
    assert case.number in response.content.decode() and not stored(response)
