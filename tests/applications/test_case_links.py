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
