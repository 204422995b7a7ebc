"""The county's decision: recommendation and public notice, four-eyes, a second approver above the
county's amount, the settlement and ledger in the approval's transaction, the budget, rejection."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection  # noqa: F401 (read by the skipif conditions)

from accounts.models import Role
from applications.models import Application, ApplicationEvent, Status
from applications.services import (
    BudgetOverrun,
    application_approve,
    application_recommend,
    application_reject,
    application_transition,
)
from audit.models import AuditEvent
from beneficiaries.models import HardshipIdentity
from settlements.models import FundAllocation, FundSource, Settlement, YearLedger
from tests.factories import PersonFactory, UserFactory, approve_at_once, make_application


@pytest.fixture
def in_review(world, draft, accept):
    app = accept(draft, forward=True)
    return application_transition(
        application=app, action="start_review", actor=world.users["reviewer"]
    )


def recommend(world, app, recommendation="approve", note=""):
    return application_recommend(
        application=app, actor=world.users["reviewer"], recommendation=recommendation, note=note
    )


@pytest.fixture
def edge_case(world, accept):
    """A 低保边缘 applicant's case recommended for approval (the policy publishes it first)."""
    from settlements.services import policy_version_create

    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={"city_income": "50000.00"},
        source="测试",
        actor=world.users["admin"],
    )

    def _make(name="王秀兰"):
        person = PersonFactory(township=world.town_a1, name=name)
        HardshipIdentity.objects.create(
            person=person,
            category="dibao_edge",
            department="民政",
            certified_on=date(2024, 1, 1),
            source="user",
        )
        app = accept(
            make_application(person, world.users["clerk"], category="dibao_edge"), forward=True
        )
        app = application_transition(
            application=app, action="start_review", actor=world.users["reviewer"]
        )
        return recommend(world, app)

    return _make


def test_recommending_approval_of_a_direct_identity_goes_straight_to_the_approver(world, in_review):
    app = recommend(world, in_review)
    assert (app.status, app.recommendation, app.notice_ends_on) == (
        Status.RECOMMENDED,
        "approve",
        None,
    )


def test_recommending_rejection_needs_a_reason(world, in_review):
    with pytest.raises(ValidationError, match="建议不予救助时须写明理由"):
        recommend(world, in_review, "reject")
    app = recommend(world, in_review, "reject", "费用发生在认定之前")
    assert (app.status, app.recommendation_note) == (Status.RECOMMENDED, "费用发生在认定之前")


def test_on_application_identities_are_published_before_the_decision(
    world, edge_case, time_machine
):
    time_machine.move_to("2026-11-23 09:00 +0800")  # a Monday
    app = edge_case()
    # 5 working days: 24, 25, 26, 27, 30 November
    assert (app.status, str(app.notice_starts_on), str(app.notice_ends_on)) == (
        Status.NOTICE,
        "2026-11-23",
        "2026-11-30",
    )
    assert (
        ApplicationEvent.objects.get(application=app, action="recommend").label
        == "建议批准，公示至 2026-11-30"
    )
    time_machine.move_to("2026-11-30 17:00 +0800")
    with pytest.raises(ValidationError, match="公示期至 2026-11-30，期满后才能审批"):
        application_approve(application=app, actor=world.users["approver"])
    time_machine.move_to("2026-12-01 09:00 +0800")
    assert (
        application_approve(application=app, actor=world.users["approver"]).status
        == Status.APPROVED
    )


def test_approval_stores_the_settlement_moves_the_ledger_and_cannot_happen_twice(world, in_review):
    app = recommend(world, in_review)
    approver = world.users["approver"]
    app = application_approve(application=app, actor=approver)
    # 15,000 in-scope self-pay × 70% = 10,500; 4,500 left is under the tilted threshold
    settlement = Settlement.objects.get(key=f"application:{app.number}")
    assert (app.status, app.approved_amount, app.settlement, app.decided_by) == (
        Status.APPROVED,
        Decimal("10500.00"),
        settlement,
        approver,
    )
    assert (settlement.policy_code, settlement.policy_version, settlement.assistance) == (
        "hohhot-2023",
        1,
        Decimal("10500.00"),
    )
    assert YearLedger.objects.get(person=app.person, year=2026).assistance_used == Decimal(
        "10500.00"
    )
    assert (
        AuditEvent.objects.filter(event="settlement.approved", target_id=str(settlement.pk)).count()
        == 1
    )
    assert app.step_due_on is not None  # payment due in 10 working days
    with pytest.raises(ValidationError, match="当前为“已批准”"):
        application_approve(application=app, actor=world.users["approver"])
    assert Settlement.objects.count() == 1
    assert YearLedger.objects.get(person=app.person, year=2026).assistance_used == Decimal(
        "10500.00"
    )


def test_above_the_county_amount_a_second_approver_is_needed(world, in_review):
    world.county_a.second_approval_above = Decimal("10000.00")
    world.county_a.save()
    first = world.users["approver"]
    app = application_approve(application=recommend(world, in_review), actor=first)
    assert (app.status, app.first_approver) == (Status.SECOND, first)
    assert not Settlement.objects.exists()
    with pytest.raises(ValidationError, match="须由另一位审批人再次批准"):
        application_approve(application=app, actor=first)
    second = UserFactory(username="approver2", role=Role.APPROVER, county=world.county_a)
    app = application_approve(application=app, actor=second)
    assert (app.status, app.decided_by, app.approved_amount) == (
        Status.APPROVED,
        second,
        Decimal("10500.00"),
    )


def test_rejection_needs_a_listed_reason_and_words_for_other(world, in_review):
    app = recommend(world, in_review, "reject", "身份已终止")
    approver = world.users["approver"]
    with pytest.raises(ValidationError, match="请从列表中选择"):
        application_reject(application=app, actor=approver, reason="because")
    with pytest.raises(ValidationError, match="须写明具体理由"):
        application_reject(application=app, actor=approver, reason="other")
    app = application_reject(
        application=app, actor=approver, reason="identity_not_valid", note="2026年9月起已终止低保"
    )
    assert (app.status, app.rejection_reason) == (Status.REJECTED, "identity_not_valid")
    event = ApplicationEvent.objects.get(application=app, action="reject")
    assert event.reason == "就医时困难身份尚未认定或已终止：2026年9月起已终止低保"
    assert not Settlement.objects.exists()


def test_an_approval_that_would_overrun_the_budget_needs_a_logged_confirmation(
    world, applicant, accept
):
    # the county's money split by source: the check uses their sum
    FundAllocation.objects.create(
        county=world.county_a, year=date.today().year, amount=Decimal("10000.00"),
        source=FundSource.objects.get(code="central"),
    )  # fmt: skip
    FundAllocation.objects.create(
        county=world.county_a, year=date.today().year, amount=Decimal("5000.00"),
        source=FundSource.objects.get(code="county"),
    )  # fmt: skip
    reviewer, approver = world.users["reviewer"], world.users["approver"]

    def ready():
        app = accept(make_application(applicant, world.users["clerk"]), forward=True)
        app = application_transition(application=app, action="start_review", actor=reviewer)
        return recommend(world, app)

    application_approve(application=ready(), actor=approver)  # 10,500 of 15,000
    # the second stay: 10,500 again, and 4,500 more self-pay crosses the 7,000 tilted threshold:
    # (4,500 − 2,500) × 80% = 1,600
    second = ready()
    with pytest.raises(
        BudgetOverrun,
        match=r"救助资金 15,000\.00 元，已列支 10,500\.00 元，尚余 4,500\.00 元；本案拟发放 12,100\.00 元，将超出预算 7,600\.00 元",
    ):
        application_approve(application=second, actor=approver)
    second.refresh_from_db()
    assert second.status == Status.RECOMMENDED
    assert Settlement.objects.count() == 1  # the overrun attempt left nothing behind
    assert YearLedger.objects.get(person=applicant).assistance_used == Decimal("10500.00")
    approved = application_approve(application=second, actor=approver, confirm_overrun=True)
    assert approved.status == Status.APPROVED
    assert AuditEvent.objects.filter(event="budget.overrun_confirmed").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
def test_approvers_at_once_never_approve_twice_and_the_cap_holds(world, applicant, accept):
    world.county_a.second_approval_above = Decimal("1000000.00")  # one approver decides here
    world.county_a.save()
    reviewer = world.users["reviewer"]
    approvers = [world.users["approver"]] + [
        UserFactory(username=f"approver{n}", role=Role.APPROVER, county=world.county_a)
        for n in range(5)
    ]
    apps = []
    for n in range(6):  # each case: 30,000 in-scope self-pay × 70% = 21,000; 6 × 21,000 > 100,000
        from datetime import timedelta

        from tests.factories import make_expense

        stay = make_expense(  # six stays of their own (not one bill typed six times)
            total=Decimal("75000.00"),
            policy_scope=Decimal("65000.00"),
            admitted_on=date(2026, 10, 8) - timedelta(days=20 * n),
            discharged_on=date(2026, 10, 20) - timedelta(days=20 * n),
        )
        app = accept(
            make_application(applicant, world.users["clerk"], expenses=[stay]), forward=True
        )
        app = application_transition(application=app, action="start_review", actor=reviewer)
        apps.append(recommend(world, app))
    # every case clicked by two approvers at the same moment
    outcomes = approve_at_once([(app, a) for app in apps for a in approvers[:2]])
    # five cases use up both caps; the sixth comes to 0.00, which is never approved (both clicks
    # on it are told so), and every other second click finds its case decided
    assert outcomes.count("approved") == 5
    nothing = [
        o for o in outcomes if o.startswith("按政策计算，本案可救助金额为 0.00 元，不能批准")
    ]
    assert len(nothing) == 2
    assert all("不能“批准救助”" in o for o in outcomes if o != "approved" and o not in nothing)
    assert Settlement.objects.count() == 5
    assistance = sum(Settlement.objects.values_list("assistance", flat=True), Decimal(0))
    tilted = sum(Settlement.objects.values_list("tilted", flat=True), Decimal(0))
    assert (assistance, tilted) == (Decimal("100000.00"), Decimal("30000.00"))  # both yearly caps
    paid = sum(
        Application.objects.filter(status=Status.APPROVED).values_list(
            "approved_amount", flat=True
        ),
        Decimal(0),
    )
    assert paid == assistance + tilted
    ledger = YearLedger.objects.get(person=applicant)
    assert (ledger.assistance_used, ledger.tilted_used) == (
        Decimal("100000.00"),
        Decimal("30000.00"),
    )


def test_the_public_notice_list_masks_names_and_id_numbers(client, world, edge_case):
    from django.urls import reverse

    app = edge_case("王秀兰")
    person = app.person
    client.force_login(world.users["approver"])
    page = client.get(reverse("applications:notices")).content.decode()
    assert "<td>王*兰</td>" in page and "王秀兰" not in page
    assert person.masked_id_number in page and person.id_number not in page
    assert app.number in page
    client.force_login(world.reviewer_b)
    assert app.number not in client.get(reverse("applications:notices")).content.decode()


def test_the_county_page_counts_cases_by_stage_and_lateness(client, world, in_review):
    import re

    from django.urls import reverse

    Application.objects.filter(pk=in_review.pk).update(step_due_on=date(2026, 1, 5))
    client.force_login(world.users["reviewer"])
    page = client.get(reverse("areas:county", args=[world.county_a.pk])).content.decode()
    boxes = re.findall(
        r'<div class="small">(\S+)</div><div class="fs-4">(\d+)</div>\s*(?:<div class="small late">超期 (\d+)</div>)?',
        page,
    )
    assert ("县级审核中", "1", "1") in boxes


def test_the_reviewer_corrects_an_expense_with_a_reason_kept_in_the_history(
    client, world, in_review
):
    from django.urls import reverse

    from applications.services import expense_correct

    expense = in_review.expenses.get()
    with pytest.raises(ValidationError, match="更正费用须写明理由"):
        expense_correct(
            expense=expense,
            values={"basic_paid": Decimal("32000.00")},
            reason="",
            actor=world.users["reviewer"],
        )
    with pytest.raises(ValidationError, match="只有本县审核人员可以更正费用"):
        expense_correct(
            expense=expense,
            values={"basic_paid": Decimal("32000.00")},
            reason="x",
            actor=world.users["approver"],
        )
    # another reviewer of the county: the page showed no button, and the service agrees now
    other = UserFactory(username="reviewer_2", role=Role.REVIEWER, county=world.county_a)
    with pytest.raises(ValidationError, match="只有本案的审核人可以更正费用"):
        expense_correct(
            expense=expense,
            values={"basic_paid": Decimal("32000.00")},
            reason="x",
            actor=other,
        )
    client.force_login(other)
    assert (
        f"x{expense.pk}-basic_paid" not in client.get(in_review.get_absolute_url()).content.decode()
    )
    client.force_login(world.users["reviewer"])
    prefix = f"x{expense.pk}"
    response = client.post(
        reverse("applications:expense_correct", args=[in_review.number, expense.pk]),
        {
            f"{prefix}-total": "60000.00",
            f"{prefix}-policy_scope": "50000.00",
            f"{prefix}-basic_paid": "32000.00",
            f"{prefix}-critical_paid": "5000.00",
            f"{prefix}-in_region": "on",
            f"{prefix}-referred": "on",
            f"{prefix}-reason": "结算单基本医保实付 32,000 元",
        },
    )
    assert response.status_code == 302
    expense.refresh_from_db()
    assert expense.basic_paid == Decimal("32000.00")
    event = ApplicationEvent.objects.get(application=in_review, action="correct_expense")
    assert event.label == "更正费用：内蒙古医科大学附属医院（基本医保支付 30000.00 → 32000.00）"
    assert event.reason == "结算单基本医保实付 32,000 元"
    audit = AuditEvent.objects.get(event="expense.corrected")
    assert audit.changes == {"basic_paid": ["30000.00", "32000.00"]}
    page = client.get(in_review.get_absolute_url()).content.decode()
    # (50,000 − 32,000 − 5,000) × 70% = 9,100
    assert "政策范围内自付 13,000.00 元 × 70% = 9,100.00 元" in page


def test_the_approver_sees_the_budget_left_and_the_reviewer_does_not(client, world, in_review):
    app = recommend(world, in_review)
    client.force_login(world.users["approver"])
    # no budget entered yet: the form says so instead of saying nothing
    assert "年救助资金尚未录入" in client.get(app.get_absolute_url()).content.decode()
    FundAllocation.objects.create(
        county=world.county_a, year=date.today().year, amount=Decimal("50000.00"),
        source=FundSource.objects.get(code="region"),
    )  # fmt: skip
    page = client.get(app.get_absolute_url()).content.decode()
    assert "已列支 0.00 元，尚余 50,000.00 元；批准本案后尚余 <strong" in page
    assert ">39,500.00</strong> 元" in page  # 50,000 − the 10,500 to pay
    client.force_login(world.users["reviewer"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert "尚余 50,000.00 元" not in page and 'data-testid="budget"' not in page


def test_each_approval_runs_the_engine_once_on_the_locked_ledger(world, in_review, monkeypatch):
    """The second-approver decision comes from the same run that is stored (no preview first)."""
    import settlements.ledger as ledger
    import settlements.services as settlement_services

    runs = []
    real = ledger.settle

    def counted(*args, **kwargs):
        runs.append(args[3] if len(args) > 3 else kwargs.get("opening"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "settle", counted)
    world.county_a.second_approval_above = Decimal("10000.00")
    world.county_a.save()
    app = recommend(world, in_review)
    runs.clear()
    app = application_approve(application=app, actor=world.users["approver"])
    assert app.status == Status.SECOND and len(runs) == 1
    second = UserFactory(username="approver2", role=Role.APPROVER, county=world.county_a)
    app = application_approve(application=app, actor=second)
    assert (app.status, app.approved_amount, len(runs)) == (
        Status.APPROVED,
        Decimal("10500.00"),
        2,
    )
    stored = Settlement.objects.get()
    assert stored.paid_by_assistance == Decimal("10500.00")
    assert stored.inputs["ledger"] == stored.ledger_before
    assert settlement_services.settlement_recompute(stored).to_pay == Decimal("10500.00")


def test_whoever_took_part_in_the_review_cannot_approve_even_as_an_approver_later(
    client, world, applicant, accept
):
    """A second reviewer recommends a case the first one started; given the approver role, the
    service and the case page refuse them alike (four eyes hold beyond ``app.reviewer``)."""
    from applications import workflow
    from tests.factories import walk

    other = UserFactory(username="t_reviewer2", role=Role.REVIEWER, county=world.county_a)
    app = walk(world, make_application(applicant, world.users["clerk"]), Status.IN_REVIEW)
    app = application_recommend(application=app, actor=other, recommendation="approve")
    assert app.reviewer == world.users["reviewer"]  # the one who started the review
    other.role = Role.APPROVER
    other.save()
    refusal = (
        "您参与了本案的审核（开始审核、退回、提出审核意见或更正费用），不能审批本案（双人审核）。"
    )
    assert workflow.refusal(app, "approve", other) == refusal
    with pytest.raises(ValidationError, match="您参与了本案的审核"):
        application_approve(application=app, actor=other)
    client.force_login(other)
    page = client.get(app.get_absolute_url()).content.decode()
    assert "确认批准" not in page and refusal in page
    assert application_approve(application=app, actor=world.users["approver"]).status == (
        Status.APPROVED
    )
