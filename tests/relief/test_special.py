"""一事一议: proposed on an approved case, decided by a second person within the policy's cap,
entered on the ledger as its own channel, paid through the usual batches, with its letter."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Role
from applications.models import Status
from audit.events import Event
from audit.models import AuditEvent
from payments.models import Payment
from payments.services import payment_batch_create, payment_record
from relief.models import Deliberation
from relief.special import deliberation_decide, deliberation_propose
from settlements.models import FundSource, LedgerEntry, YearLedger
from settlements.services import policy_version_create
from tests.factories import UserFactory, case_at

pytestmark = pytest.mark.django_db


def _propose(world, app, amount="5000", **kw):
    return deliberation_propose(
        application=app, facts=kw.get("facts", "患者白血病，三重保障后自付仍超 6 万元"),
        members=kw.get("members", "张三、李四、王五"), met_on=kw.get("met_on", date(2026, 11, 3)),
        amount=Decimal(amount), fund=FundSource.objects.get(code="county"),
        actor=kw.get("actor", world.users["reviewer"]),
    )  # fmt: skip


def test_a_decision_is_paid_through_a_batch_with_four_eyes(world, applicant):
    app = case_at(world, applicant, Status.APPROVED)
    item = _propose(world, app, actor=world.users["approver"])
    assert (item.state, item.cap, item.within_cap) == ("proposed", Decimal("20000.00"), False)
    with pytest.raises(ValidationError, match="双人复核"):
        deliberation_decide(deliberation=item, approve=True, actor=world.users["approver"])
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says the same
        Deliberation.objects.filter(pk=item.pk).update(decided_by=world.users["approver"])
    second = UserFactory(username="t_approver2", role=Role.APPROVER, county=world.county_a)
    deliberation_decide(deliberation=item, approve=True, actor=second)
    item.refresh_from_db()
    assert item.state == "decided"
    entry = LedgerEntry.objects.get(source="special")
    assert (entry.record_key, entry.assistance) == (f"special:{item.number}", Decimal("5000.00"))
    ledger = YearLedger.objects.get(person=applicant, year=2026)
    assert (ledger.special_used, ledger.special_in_cap) == (Decimal("5000.00"), Decimal("0.00"))
    finance = world.users["finance"]
    batch = payment_batch_create(
        county=world.county_a, application_ids=[app.pk], deliberation_ids=[item.pk], actor=finance
    )
    lines = {p.reference: p for p in batch.payments.select_related("application", "deliberation")}
    assert set(lines) == {app.number, item.number}
    assert lines[item.number].amount == Decimal("5000.00")
    with pytest.raises(ValidationError, match=r"不能发放|重复"):
        payment_batch_create(
            county=world.county_a, application_ids=[], deliberation_ids=[item.pk], actor=finance
        )
    payment_record(payment=lines[item.number], paid=True, actor=finance)
    item.refresh_from_db()
    app.refresh_from_db()
    assert item.state == "paid" and app.status == Status.APPROVED  # the case's own line is pending
    payment_record(payment=lines[app.number], paid=True, actor=finance)
    app.refresh_from_db()
    assert app.status == Status.PAID
    events = set(AuditEvent.objects.filter(target_id=str(item.pk)).values_list("event", flat=True))
    assert {Event.SPECIAL_PROPOSED, Event.SPECIAL_DECIDED, Event.SPECIAL_PAID} <= events
    assert Payment.objects.filter(deliberation=item, state="paid").count() == 1


def test_refused_proposals_change_nothing(world, applicant):
    draft = case_at(world, applicant, Status.IN_REVIEW)
    with pytest.raises(ValidationError, match="常规救助审批之后"):
        _propose(world, draft)
    app = case_at(world, applicant, Status.APPROVED)
    for kw, words in [
        ({"amount": "20000.01"}, "超过一事一议单次上限"),
        ({"amount": "0"}, "大于 0"),
        ({"members": "张三、李四"}, "至少 3 人"),
        ({"facts": "  "}, "基本情况"),
        ({"met_on": date(2099, 1, 1)}, "议定日期"),
    ]:
        with pytest.raises(ValidationError, match=words):
            _propose(world, app, **kw)
    assert not Deliberation.objects.exists()
    _propose(world, app)
    with pytest.raises(ValidationError, match="不能重复提议"):
        _propose(world, app)


def test_within_the_yearly_cap_when_the_policy_says_so(world, applicant):
    policy_version_create(
        policy_code="hohhot-2023", effective_from=date(2026, 1, 1),
        values={"special.within_cap": True, "special.cap": "200000.00"},
        source="测试：本地设定", actor=world.users["admin"],
    )  # fmt: skip
    app = case_at(world, applicant, Status.APPROVED)
    used = YearLedger.objects.get(person=applicant, year=2026).assistance_used
    cap = Decimal("100000.00")  # 低保对象's yearly cap (方案 四(三))
    over = _propose(world, app, amount=str(cap - used + Decimal("0.01")))
    with pytest.raises(ValidationError, match="最多还能议定"):
        deliberation_decide(deliberation=over, approve=True, actor=world.users["approver"])
    over.refresh_from_db()
    assert over.state == "proposed" and not LedgerEntry.objects.filter(source="special").exists()
    deliberation_decide(deliberation=over, approve=False, actor=world.users["approver"],
                        refusal="超出年度限额，改为转介慈善救助")  # fmt: skip
    fit = _propose(world, app, amount="3000")
    deliberation_decide(deliberation=fit, approve=True, actor=world.users["approver"])
    ledger = YearLedger.objects.get(person=applicant, year=2026)
    assert ledger.assistance_used == used + Decimal("3000.00")
    assert (ledger.special_used, ledger.special_in_cap) == (Decimal("3000.00"), Decimal("3000.00"))


def test_the_case_page_proposes_and_the_letter_tells_the_appeal(client, world, applicant, bodies):
    app = case_at(world, applicant, Status.APPROVED)
    client.force_login(world.users["reviewer"])
    page = client.get(reverse("applications:detail", args=[app.number])).content.decode()
    assert "提请一事一议" in page and "转介他方帮扶" in page
    client.post(reverse("relief:special_new", args=[app.number]), {
        "facts": "重病", "members": "张三、李四、王五", "met_on": "2026-11-03",
        "amount": "12,000", "fund": FundSource.objects.get(code="county").pk,
    })  # fmt: skip
    assert not Deliberation.objects.exists()  # "12,000" is not an amount
    client.post(reverse("relief:special_new", args=[app.number]), {
        "facts": "重病", "members": "张三、李四、王五", "met_on": "2026-11-03",
        "amount": "12000", "fund": FundSource.objects.get(code="county").pk,
    })  # fmt: skip
    item = Deliberation.objects.get()
    client.force_login(world.users["approver"])
    client.post(reverse("relief:special_decide", args=[item.pk]), {"decision": "approve"})
    item.refresh_from_db()
    assert item.state == "decided"
    letter = client.get(reverse("relief:special_letter", args=[item.pk]))
    assert letter.content[:4] == b"%PDF"
    client.force_login(world.users["finance"])
    desk = client.get(reverse("payments:index")).content.decode()
    assert item.number in desk and "一事一议" in desk
