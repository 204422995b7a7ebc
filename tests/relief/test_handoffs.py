"""Hand-offs (转介): from a monitored person to a body, its answer pushed with the body's own key,
the help counted once in the burden, the rates and the overview; overdue ones on the worklist."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.events import Event
from audit.models import AuditEvent
from monitoring import overview as ov
from monitoring.models import BurdenWarning, BurdenYear
from monitoring.recompute import monitoring_recompute
from monitoring.scope import scope_for
from relief.models import Handoff, Help
from relief.services import body_key_create
from tests.monitoring.data import YEAR

pytestmark = pytest.mark.django_db


def _refer(client, world, person, body, **data):
    warning = BurdenWarning.objects.get(person=person, list="income")
    client.force_login(world.users["reviewer"])
    return client.post(
        reverse("monitoring:warning_handoff", args=[warning.pk]),
        {"body": body.pk, "reason": "负担过重，家中无力支付", **data},
    )


def _answer(client, key, number, **body):
    return client.post(
        reverse("api_handoff_answer", args=[number]),
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_help_pushed_by_the_body_is_counted_once_everywhere(client, world, burdened, bodies):
    response = _refer(client, world, burdened, bodies["temporary"], asked="8000")
    handoff = Handoff.objects.get()
    assert response.url == reverse("relief:handoff_detail", args=[handoff.pk])
    assert (handoff.burden, handoff.line, handoff.state) == (
        Decimal("25000.00"), Decimal("20000.00"), "open",
    )  # fmt: skip
    assert ["个人仍需负担", "25,000.00"] in handoff.figures
    key = body_key_create(body=bodies["temporary"], actor=world.users["admin"])
    other = body_key_create(body=bodies["charity"], actor=world.users["admin"])
    # another body's key sees nothing of it and cannot answer it
    assert client.get(
        reverse("api_handoffs"), headers={"Authorization": f"Bearer {other}"}
    ).json() == {"handoffs": []}
    refused = _answer(
        client, other, handoff.number, outcome="helped", amount="8000", day=str(date.today())
    )
    assert refused.status_code == 404
    listed = client.get(reverse("api_handoffs"), headers={"Authorization": f"Bearer {key}"}).json()
    assert [h["number"] for h in listed["handoffs"]] == [handoff.number]
    assert listed["handoffs"][0]["id_number"] != burdened.id_number  # masked
    ok = _answer(client, key, handoff.number, outcome="helped", amount="8000.00",
                 day=str(date.today()), kind="临时救助金", reference="MZ-2026-1")  # fmt: skip
    assert ok.status_code == 200, ok.content
    again = _answer(client, key, handoff.number, outcome="helped", amount="8000.00",
                    day=str(date.today()), kind="临时救助金", reference="MZ-2026-1")  # fmt: skip
    assert again.status_code == 409 and "已是" in again.json()["error"]
    assert Help.objects.get().amount == Decimal("8000.00")
    assert (
        AuditEvent.objects.filter(event=Event.HELP_PUSHED, target_id=str(handoff.pk)).count() == 1
    )
    monitoring_recompute()
    burden = BurdenYear.objects.get(person=burdened, year=YEAR)
    assert (burden.burden_after_assistance, burden.other_help, burden.burden_after_help) == (
        Decimal("25000.00"), Decimal("8000.00"), Decimal("17000.00"),
    )  # fmt: skip
    # the income list stays on the burden after insurance (seed 001 §五(一))
    assert BurdenWarning.objects.get(person=burdened, list="income").burden == Decimal("25000.00")
    scope = scope_for(world.users["reviewer"], year=YEAR, county_id=None)
    rates = ov.rates(scope)
    # total 35,000: insurance 10,000 + help 8,000 paid; 17,000 still borne
    assert rates.totals[2:5] == [Decimal("35000.00"), Decimal("18000.00"), Decimal("17000.00")]
    tiers = {row[0]: row[1] for row in ov.tiers(scope).rows}
    assert tiers["他方帮扶：市民政局临时救助"] == Decimal("8000.00")
    assert tiers["家庭仍需负担"] == Decimal("17000.00")
    assert sum(v for k, v in tiers.items() if k != "家庭仍需负担") + tiers[
        "家庭仍需负担"
    ] == Decimal("35000.00")


def test_bad_answers_change_nothing(client, world, burdened, bodies):
    _refer(client, world, burdened, bodies["charity"])
    handoff = Handoff.objects.get()
    url = reverse("relief:handoff_answer", args=[handoff.pk])
    future = str(timezone.localdate() + timedelta(days=3))
    for data, words in [
        ({"outcome": "helped", "amount": "-5", "day": str(date.today()), "kind": "慈善"}, "金额"),
        (
            {"outcome": "helped", "amount": "1.234", "day": str(date.today()), "kind": "慈善"},
            "金额",
        ),
        ({"outcome": "helped", "amount": "500", "day": future, "kind": "慈善"}, "晚于今天"),
        ({"outcome": "helped", "amount": "500", "day": "2026-02-30", "kind": "慈善"}, "日期"),
        ({"outcome": "helped", "amount": "500", "day": str(date.today())}, "帮扶方式"),
        ({"outcome": "refused"}, "原因"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert words in response.content.decode(), data
    handoff.refresh_from_db()
    assert handoff.state == "open" and not Help.objects.exists()
    # the county records the body's refusal
    client.post(url, {"outcome": "refused", "refusal": "不符合慈善救助项目条件"})
    handoff.refresh_from_db()
    assert (handoff.state, handoff.refusal) == ("refused", "不符合慈善救助项目条件")
    assert AuditEvent.objects.filter(
        event=Event.HANDOFF_ANSWERED, target_id=str(handoff.pk)
    ).exists()


def test_a_second_open_hand_off_to_the_same_body_is_refused(client, world, burdened, bodies):
    _refer(client, world, burdened, bodies["charity"])
    response = _refer(client, world, burdened, bodies["charity"])
    assert Handoff.objects.count() == 1
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("尚待答复" in m for m in messages)


def test_an_overdue_hand_off_is_on_the_countys_worklist(client, world, burdened, bodies):
    _refer(client, world, burdened, bodies["temporary"])
    handoff = Handoff.objects.get()
    assert handoff.due_on > timezone.localdate()  # 5 working days from today
    Handoff.objects.filter(pk=handoff.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    page = client.get(reverse("relief:handoff_list") + "?show=overdue").content.decode()
    assert handoff.number in page and "已超时限" in page and "已超答复时限（1）" in page
    desk = client.get(reverse("areas:county", args=[world.county_a.pk])).content.decode()
    assert 'data-testid="handoffs-overdue">1<' in desk  # on the county's workbench too
    # another county's reviewer does not see it
    client.force_login(world.reviewer_b)
    assert (
        handoff.number
        not in client.get(reverse("relief:handoff_list") + "?show=all").content.decode()
    )
    assert client.get(reverse("relief:handoff_detail", args=[handoff.pk])).status_code == 404
    # answered, it leaves the overdue list
    client.force_login(world.users["approver"])
    client.post(reverse("relief:handoff_answer", args=[handoff.pk]),
                {"outcome": "refused", "refusal": "已享受过临时救助"})  # fmt: skip
    page = client.get(reverse("relief:handoff_list") + "?show=overdue").content.decode()
    assert handoff.number not in page


def test_the_referral_letter_is_a_pdf(client, world, burdened, bodies):
    _refer(client, world, burdened, bodies["temporary"])
    handoff = Handoff.objects.get()
    response = client.get(reverse("relief:handoff_letter", args=[handoff.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content[:4] == b"%PDF"
    assert AuditEvent.objects.filter(event=Event.LETTER_VIEWED, target_id=str(handoff.pk)).exists()
