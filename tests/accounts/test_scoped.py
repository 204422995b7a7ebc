"""One way to scope rows by the user's area (accounts.access.scoped): every model a page lists names
its way to a township and a county, and no view filters by area by hand."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

from accounts.access import scoped
from payments.models import AccountChange, Payment, PaymentBatch
from tests.factories import PersonFactory

ROOT = Path(__file__).resolve().parents[2]
ROLES = ["clerk", "clerk_a2", "reviewer", "approver", "finance", "reviewer_b", "admin"]


def test_every_scoped_model_resolves_its_ways_for_every_role(world):
    models = [m for m in apps.get_models() if hasattr(m, "area_lookups")]
    assert len(models) >= 13
    for model in models:
        for role in ROLES:
            user = world.users.get(role) or getattr(world, role)
            list(scoped(user, model)[:1])  # a wrong lookup raises FieldError here


def test_a_change_is_seen_where_the_person_lives_and_where_it_would_move_them(world):
    from beneficiaries.models import Department, PersonChange

    person = PersonFactory(township=world.town_a1)
    change = PersonChange.objects.create(
        person=person,
        township=world.town_a1,
        new_township=world.town_b1,
        department=Department.CIVIL_AFFAIRS,
        changes={"township_id": [world.town_a1.pk, world.town_b1.pk]},
    )
    seen = {
        who: change in scoped(world.users.get(who) or getattr(world, who), PersonChange)
        for who in ("clerk", "clerk_a2", "reviewer_b", "admin")
    }
    assert seen == {"clerk": True, "clerk_a2": False, "reviewer_b": True, "admin": True}


@pytest.mark.parametrize(
    ("who", "sees"),
    [("finance", True), ("clerk", True), ("clerk_a2", False), ("reviewer_b", False)],
)
def test_a_payee_change_is_seen_in_the_cases_township_and_county_only(world, applicant, who, sees):
    from tests.factories import case_at

    app = case_at(world, applicant, "approved")
    assert app.township == world.town_a1
    change = AccountChange.objects.create(
        application=app,
        bank_name="农业银行",
        holder=app.person.name,
        account_number="6228480000000000001",
        reason="换卡",
        proposed_by=world.users["finance"],
    )
    user = world.users.get(who) or getattr(world, who)
    assert (change in scoped(user, AccountChange)) is sees
    assert scoped(user, PaymentBatch).model is PaymentBatch
    assert scoped(user, Payment).count() == 0


def test_no_view_or_selector_scopes_by_area_by_hand():
    by_hand = []
    for path in ROOT.rglob("*.py"):
        if {".venv", "tests", "migrations", "bench"} & set(path.parts):
            continue
        if path == ROOT / "accounts" / "access.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "scope_by_area":
                    by_hand.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                for k in node.keywords:
                    if (
                        (k.arg or "").endswith(("county__in", "township__in"))
                        and isinstance(k.value, ast.Call)
                        and getattr(k.value.func, "id", "") in {"counties_for", "townships_for"}
                    ):
                        by_hand.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert by_hand == []
