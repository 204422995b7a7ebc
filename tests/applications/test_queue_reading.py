"""The review queue as a reviewer with two hundred cases reads it (issue 18): how many cases, what
each would pay, what is still to do by default, a number found however it is typed, and a bad filter
value said in words instead of silently dropped."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from applications.models import Status
from applications.settling import case_preview
from core.formats import yuan
from tests.factories import PersonFactory, case_at, make_application, walk
from tests.searching import search

URL = reverse("applications:index")


def listed(page: str) -> list[str]:
    return re.findall(r'<a href="/applications/([0-9-]+)/">', page)


@pytest.fixture
def queue(world, applicant):
    other = PersonFactory(township=world.town_a1, name="巴特尔")
    other.identities.create(
        category="dibao", department="民政", certified_on="2023-01-01", source="user"
    )
    return {
        "waiting": case_at(world, applicant, Status.FORWARDED),
        "decided": walk(
            world,
            make_application(other, world.users["clerk"]),
            Status.REJECTED,
            reject="out_of_region",
            recommendation="reject",
            note="未办理转诊备案",
            reject_note="未办理转诊备案",
        ),
        "reviewing": case_at(world, other, Status.IN_REVIEW),
    }


def test_by_default_the_queue_shows_what_is_still_to_do_with_a_count_and_the_amount(
    client, world, queue
):
    client.force_login(world.users["reviewer"])
    page = client.get(URL).content.decode()
    assert sorted(listed(page)) == sorted([queue["waiting"].number, queue["reviewing"].number])
    assert "共 <strong>2 件</strong>未办结的申请" in page
    expected = case_preview(queue["waiting"]).result.to_pay
    assert expected > 0
    queue["waiting"].refresh_from_db()
    assert queue["waiting"].estimated_amount == expected
    assert f'{yuan(expected)}<div class="small text-body-secondary">测算</div>' in page
    everything = client.get(URL, {"state": "all"}).content.decode()
    assert len(listed(everything)) == 3 and "共 <strong>3 件</strong>申请" in everything
    done = client.get(URL, {"state": "done"}).content.decode()
    assert listed(done) == [queue["decided"].number]
    # a chosen state wins over the default scope
    assert listed(client.get(URL, {"status": "rejected"}).content.decode()) == [
        queue["decided"].number
    ]


def test_a_number_is_found_by_its_end_without_dashes_and_a_person_by_the_masked_digits(
    client, world, applicant, queue
):
    client.force_login(world.users["reviewer"])
    waiting = queue["waiting"].number
    tail = waiting.rsplit("-", 1)[1]  # "0001", as a clerk reads it out on the phone
    assert listed(search(client, URL, {"q": tail, "state": "all"}).content.decode()) == [waiting]
    assert listed(search(client, URL, {"q": tail.lstrip("0")}).content.decode()) == [waiting]
    assert listed(search(client, URL, {"q": waiting.replace("-", "")}).content.decode()) == [
        waiting
    ]
    assert listed(search(client, URL, {"q": f" {waiting} "}).content.decode()) == [waiting]
    # the four digits the masked ID number shows on the list
    shown = applicant.masked_id_number[-4:]
    assert listed(search(client, URL, {"q": shown}).content.decode()) == [waiting]
    assert listed(search(client, URL, {"q": "9999"}).content.decode()) == []


def test_a_bad_filter_value_is_said_and_the_list_is_shown_without_it(client, world, queue):
    client.force_login(world.users["reviewer"])
    page = client.get(URL, {"amount_min": "abc", "status": "no-such-state"}).content.decode()
    assert "以下筛选条件填写有误，未应用" in page
    assert "金额不低于：请填写数字（如 1200 或 1200.50）。" in page
    assert "办理状态：“no-such-state”不在可选范围内，请从列表中选择。" in page
    assert len(listed(page)) == 2  # the default scope still applies; nothing else was filtered


def test_the_queues_final_states_are_the_workflows():
    """The queue filters with the partial indexes' own list; it must be the workflow's end states."""
    from applications import workflow
    from applications.models import FINAL_STATES

    assert tuple(sorted(workflow.FINAL)) == FINAL_STATES
