"""The access policy: each role sees its own township or county, and nothing else."""

import pytest
from django.urls import reverse

from accounts.access import can_access_area, scope_by_area
from beneficiaries.models import Person
from tests.factories import PersonFactory


@pytest.fixture
def people(world):
    return {
        "a1": PersonFactory(township=world.town_a1, name="甲"),
        "a2": PersonFactory(township=world.town_a2, name="乙"),
        "b1": PersonFactory(township=world.town_b1, name="丙"),
    }


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("clerk", {"甲"}),
        ("clerk_a2", {"乙"}),
        ("reviewer", {"甲", "乙"}),
        ("approver", {"甲", "乙"}),
        ("reviewer_b", {"丙"}),
        ("admin", {"甲", "乙", "丙"}),
    ],
)
def test_scope_by_area(world, people, who, visible):
    user = world.users.get(who) or getattr(world, who)
    assert {p.name for p in scope_by_area(user, Person.objects.all())} == visible


def test_anonymous_and_inactive_see_nothing(world, people, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert scope_by_area(AnonymousUser(), Person.objects.all()).count() == 0
    clerk = world.users["clerk"]
    clerk.is_active = False
    assert scope_by_area(clerk, Person.objects.all()).count() == 0


def test_can_access_area(world):
    clerk, reviewer = world.users["clerk"], world.users["reviewer"]
    assert can_access_area(clerk, township=world.town_a1)
    assert not can_access_area(clerk, township=world.town_a2)
    assert not can_access_area(clerk, county=world.county_a)
    assert can_access_area(reviewer, township=world.town_a2)
    assert not can_access_area(reviewer, township=world.town_b1)
    assert can_access_area(reviewer, county=world.county_a)
    assert not can_access_area(reviewer, county=world.county_b)


@pytest.mark.parametrize(
    ("who", "url_name", "target", "status"),
    [
        ("clerk", "areas:township", "town_a2", 404),
        ("clerk_b1", "areas:township", "town_a1", 404),
        ("reviewer_b", "areas:township", "town_a1", 404),
        ("reviewer_b", "areas:county", "county_a", 404),
        ("reviewer", "areas:county", "county_b", 404),
        ("reviewer", "areas:township", "town_a2", 200),
    ],
)
def test_area_pages_of_other_areas_are_refused(world, client, who, url_name, target, status):
    client.force_login(world.users.get(who) or getattr(world, who))
    assert client.get(reverse(url_name, args=[getattr(world, target).pk])).status_code == status


def test_person_of_another_county_is_refused(world, people, client):
    client.force_login(world.reviewer_b)
    assert (
        client.get(reverse("beneficiaries:person_detail", args=[people["a1"].pk])).status_code
        == 404
    )
    body = client.get(reverse("beneficiaries:person_list")).content.decode()
    assert "丙" in body and "甲" not in body


def test_navigation_shows_each_role_its_own_work(world, client):
    client.force_login(world.users["clerk"])
    body = client.get(reverse("areas:township", args=[world.town_a1.pk])).content.decode()
    assert "本乡镇工作台" in body and "救助申请" in body
    assert "结算与发放" not in body and "审计日志" not in body and "系统管理" not in body
    client.force_login(world.users["finance"])
    body = client.get(reverse("areas:county", args=[world.county_a.pk])).content.decode()
    assert "结算与发放" in body and "救助对象" not in body and "审核队列" not in body


def test_capability_mixin_for_class_based_views(world, rf):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse
    from django.views import View

    from accounts.access import Capability, CapabilityRequiredMixin

    class AuditOnly(CapabilityRequiredMixin, View):
        capability = Capability.VIEW_AUDIT

        def get(self, request):
            return HttpResponse("ok")

    request = rf.get("/x/")
    request.user = world.users["approver"]
    assert AuditOnly.as_view()(request).status_code == 200
    request.user = world.users["clerk"]
    with pytest.raises(PermissionDenied):
        AuditOnly.as_view()(request)
    request.user = AnonymousUser()
    response = AuditOnly.as_view()(request)
    assert response.status_code == 302 and response["Location"].startswith(
        "/accounts/login/?next=/x/"
    )


def test_createsuperuser_makes_the_citys_administrator(db):
    """README's production set-up runs createsuperuser: it once failed on clerk_has_township."""
    from django.core.management import call_command

    from accounts.models import Role, User

    call_command("createsuperuser", "--noinput", username="root", email="root@example.gov.cn")
    user = User.objects.get(username="root")
    assert (user.role, user.is_superuser, user.township, user.county) == (
        Role.ADMIN,
        True,
        None,
        None,
    )
