"""The administrator manages areas and staff in the Django admin; every change is audited."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role, User
from areas.models import Township
from audit.models import AuditEvent


def test_admin_adds_a_township_and_the_change_is_audited(world, client):
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("admin:areas_township_add"),
        {
            "county": world.county_a.pk,
            "code": "150121102",
            "name": "善岱镇",
            "kind": "town",
            "window_phone": "0471-8111003",
            "window_address": "",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    town = Township.objects.get(code="150121102")
    row = AuditEvent.objects.get(event="township.created", target_type="areas.township")
    assert row.target_id == str(town.pk) and row.actor == world.users["admin"]
    assert row.changes["name"] == [None, "善岱镇"]
    assert town.history.count() == 1  # field-level history from django-simple-history


def test_admin_creates_a_clerk_bound_to_a_township(world, client):
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "clerk_new",
            "password1": "Township-window-2026",
            "password2": "Township-window-2026",
            "usable_password": "true",
            "first_name": "新人",
            "role": "clerk",
            "township": world.town_a2.pk,
            "county": "",
            "phone": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="clerk_new")
    assert (user.role, user.township, user.county) == (Role.CLERK, world.town_a2, world.county_a)
    assert AuditEvent.objects.filter(event="staff.created", target_id=str(user.pk)).exists()


def test_admin_refuses_a_clerk_without_township_in_chinese(world, client):
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("admin:accounts_user_change", args=[world.users["clerk"].pk]),
        {
            "username": "t_clerk",
            "first_name": "",
            "phone": "",
            "email": "",
            "role": "clerk",
            "county": "",
            "township": "",
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert "窗口经办人必须指定所属乡镇（街道）" in response.content.decode()
    world.users["clerk"].refresh_from_db()
    assert world.users["clerk"].township == world.town_a1


def test_areas_cannot_be_deleted(world, client):
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("admin:areas_township_delete", args=[world.town_a1.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Township.objects.filter(pk=world.town_a1.pk).exists()


def test_clerk_cannot_reach_the_admin(world, client):
    client.force_login(world.users["clerk"])
    response = client.get(reverse("admin:areas_township_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("value", ["1e5", "１２", "1,000", "-5"])
def test_an_amount_on_an_admin_page_goes_through_the_amount_parser(client, world, value):
    from settlements.models import FundAllocation, FundSource

    source = FundSource.objects.get(code="city")
    client.force_login(world.users["admin"])
    response = client.post(
        "/admin/settlements/fundallocation/add/",
        {"county": world.county_a.pk, "year": 2026, "amount": value, "source": source.pk},
    )
    assert response.status_code == 200
    assert "不是有效金额" in response.content.decode()
    assert not FundAllocation.objects.exists()
    client.post(
        "/admin/settlements/fundallocation/add/",
        {"county": world.county_a.pk, "year": 2026, "amount": "1500000", "source": source.pk},
    )
    assert FundAllocation.objects.get().amount == Decimal("1500000.00")
