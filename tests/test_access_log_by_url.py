"""The access log, enforced from the URL conf: every page that shows a person writes an access row
(the URL table of tests/test_url_permissions.py drives it)."""

from __future__ import annotations

import pytest

from beneficiaries.models import Household, IdentityImport
from tests.test_url_permissions import STAFF, _case, _reverse, all_urls, expected_for

# --- the access log, enforced from the URL conf ---------------------------------------------

# What a page may show of the test's person that makes it a view of personal data.
PERSONAL = ("乌兰其其格", "1501**********0014", "150121196001010014", "**** 0018")


SURELY_SHOWN = {
    "clerk": {"beneficiaries:person_detail", "beneficiaries:person_list", "applications:detail",
              "applications:edit", "applications:accept", "monitoring:warning_detail", "areas:township",
              "beneficiaries:change_list"},
    "reviewer": {"beneficiaries:person_detail", "beneficiaries:person_list", "monitoring:warning_list"},
    "approver": {"beneficiaries:person_detail", "audit:search", "monitoring:warning_detail"},
    "finance": {"payments:index"},
    "admin": {"beneficiaries:person_detail", "admin:beneficiaries_person_changelist",
              "admin:audit_auditevent_changelist", "audit:search"},
}  # fmt: skip


@pytest.mark.parametrize("role", sorted(STAFF))
def test_every_page_that_shows_a_person_writes_an_access_row(role, world, person_a1, client):
    """Every GET page of the URL conf, as every staff role allowed to open it: a page that shows the
    person's name, ID number or account must add an access row (查看个人信息) for that user. A new
    view that renders people without logging fails here without anyone listing it."""
    from audit.models import AuditEvent

    batch = IdentityImport.objects.create(
        department="民政", original_name="a.csv", status="applied"
    )
    Household.objects.create(township=world.town_a1)
    person_a1.bank_account_number = "6228480000000000018"
    person_a1.save()
    case = _case(world, person_a1)
    user = world.users[role]
    client.force_login(user)
    shown, unlogged = [], []
    for name, route in all_urls():
        row = expected_for(name)
        if row.method != "get" or role not in row.allowed or name.endswith("logout"):
            continue
        url = _reverse(name, route, world, person_a1, batch, case)
        before = AuditEvent.objects.filter(actor=user, action="view").count()
        response = client.get(url)
        if (
            response.status_code != 200
            or response.streaming  # a file (the user guide's pages), not a page that shows people
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            continue
        text = response.content.decode()
        if any(p in text for p in PERSONAL):
            shown.append(name)
            if AuditEvent.objects.filter(actor=user, action="view").count() == before:
                unlogged.append(f"{name} {url}")
    assert not unlogged, "pages showing a person without an access row:\n" + "\n".join(unlogged)
    # the walk does see the person where a role's work shows them (else it would prove nothing)
    assert SURELY_SHOWN[role] <= set(shown), SURELY_SHOWN[role] - set(shown)
