"""The case page links only where its reader may go (the walk found finance sent to 无权访问)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications.models import Status
from tests.factories import case_at

pytestmark = pytest.mark.django_db


def test_finance_reads_the_case_without_a_link_it_may_not_follow(client, world, applicant):
    app = case_at(world, applicant, Status.APPROVED)
    person_url = reverse("beneficiaries:person_detail", args=[applicant.pk])
    client.force_login(world.users["finance"])
    assert person_url not in client.get(app.get_absolute_url()).content.decode()
    assert client.get(person_url).status_code == 403
    client.force_login(world.users["reviewer"])
    assert person_url in client.get(app.get_absolute_url()).content.decode()


def test_the_queue_summary_says_what_it_counts_and_offers_the_rest(client, world, applicant):
    case_at(world, applicant, Status.FORWARDED)
    client.force_login(world.users["reviewer"])
    page = client.get(reverse("applications:index")).content.decode()
    assert "未办结的申请" in page and "也查看已办结的" in page and "含已办结" not in page


def test_a_refused_forward_links_to_the_pre_check_it_needs(client, world, accept):
    from tests.factories import PersonFactory, make_application

    person = PersonFactory(township=world.town_a1, name="高娜仁")
    app = accept(make_application(person, world.users["clerk"], category="illness_poor"))
    client.force_login(world.users["clerk"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert reverse("applications:illness_check", args=[app.number]) in page
    assert 'data-testid="to-illness-check"' in page
