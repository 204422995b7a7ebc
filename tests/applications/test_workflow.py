"""Every (state, action) pair by the role that may do it, plus refusals by role and by area."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from applications import case_actions, workflow
from applications.models import Application, ApplicationEvent, PromiseStatus, Status
from applications.services import (
    application_approve,
    application_recommend,
    application_reject,
    application_transition,
)
from audit.models import AuditEvent
from tests.factories import UserFactory


def do(app, action, actor, reason=""):
    """Make ``action`` through the service the case page uses for it."""
    if action == "recommend":
        return application_recommend(application=app, actor=actor, recommendation="approve")
    if action == "approve":
        return application_approve(application=app, actor=actor)
    if action == "reject":
        return application_reject(application=app, actor=actor, reason="not_eligible")
    return application_transition(application=app, action=action, actor=actor, reason=reason)


ALLOWED = {
    (Status.ACCEPTED, "forward"): Status.FORWARDED,
    (Status.FORWARDED, "start_review"): Status.IN_REVIEW,
    (Status.IN_REVIEW, "return"): Status.RETURNED,
    (Status.RETURNED, "resubmit"): Status.FORWARDED,
    (Status.IN_REVIEW, "recommend"): Status.RECOMMENDED,
    **{(s, "approve"): Status.APPROVED for s in workflow.AWAITING_DECISION},
    **{(s, "reject"): Status.REJECTED for s in workflow.AWAITING_DECISION},
    (Status.APPROVED, "pay"): Status.PAID,
    **{(s, "withdraw"): Status.WITHDRAWN for s in workflow.OPEN},
    **{(s, "terminate"): Status.TERMINATED for s in workflow.OPEN - {Status.DRAFT}},
}
ROLE_OF_ACTION = {
    "forward": "clerk",
    "resubmit": "clerk",
    "withdraw": "clerk",
    "start_review": "reviewer",
    "return": "reviewer",
    "terminate": "reviewer",
    "recommend": "reviewer",
    "approve": "approver",
    "reject": "approver",
    "pay": "finance",
}
PAIRS = [(s, a) for s in Status for a in ROLE_OF_ACTION]


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_state_and_action(world, draft, state, action):
    Application.objects.filter(pk=draft.pk).update(status=state, notice_ends_on=date(2026, 1, 1))
    draft.refresh_from_db()
    actor = world.users[ROLE_OF_ACTION[action]]
    reason = "申请人书面申请" if workflow.TRANSITIONS[action].needs_reason else ""
    target = ALLOWED.get((state, action))
    if target is None:
        with pytest.raises(ValidationError, match="不能"):
            do(draft, action, actor, reason)
        draft.refresh_from_db()
        assert draft.status == state
        assert not ApplicationEvent.objects.filter(application=draft, action=action).exists()
        return
    app = do(draft, action, actor, reason)
    assert app.status == target
    event = ApplicationEvent.objects.get(application=draft, action=action)
    expected_reason = {"reject": "不属于医疗救助对象"}.get(action, reason)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        state,
        target,
        actor,
        expected_reason,
    )
    audit = AuditEvent.objects.get(action="transition", target_id=str(draft.pk))
    assert audit.changes == {"status": [state, target]}
    assert audit.event == f"application.{action}"
    assert audit.headline == workflow.TRANSITIONS[action].label


@pytest.mark.parametrize("role", ["reviewer", "approver", "finance", "admin"])
def test_only_the_township_clerk_forwards(world, draft, accept, role):
    app = accept(draft)
    with pytest.raises(ValidationError, match="您的角色不能“转县级审核”"):
        application_transition(application=app, action="forward", actor=world.users[role])


def test_a_clerk_of_another_township_is_refused(world, draft, accept):
    app = accept(draft)
    with pytest.raises(ValidationError, match="不属于您的辖区"):
        application_transition(application=app, action="forward", actor=world.clerk_a2)
    app.refresh_from_db()
    assert app.status == Status.ACCEPTED


def test_county_staff_of_another_county_are_refused(world, draft, accept):
    app = accept(draft, forward=True)
    with pytest.raises(ValidationError, match="不属于您的辖区"):
        application_transition(application=app, action="start_review", actor=world.reviewer_b)


def test_reasons_are_required_where_the_graph_says(world, draft, accept):
    app = accept(draft)
    with pytest.raises(ValidationError, match="“申请人撤回”须写明理由"):
        application_transition(
            application=app, action="withdraw", actor=world.users["clerk"], reason="  "
        )


def test_the_reviewer_cannot_also_approve(world, draft, accept):
    app = accept(draft, forward=True)
    reviewer_and_approver = UserFactory(username="both", role=Role.APPROVER, county=world.county_a)
    app.reviewer = reviewer_and_approver
    app.status = Status.RECOMMENDED
    app.save()
    with pytest.raises(ValidationError, match="审批人不能是本案的审核人"):
        application_approve(application=app, actor=reviewer_and_approver)
    approved = application_approve(application=app, actor=world.users["approver"])
    assert approved.status == Status.APPROVED


def test_payment_waits_for_every_material(world, draft, accept):
    app = accept(draft, missing=["invoice"], forward=True)
    Application.objects.filter(pk=app.pk).update(status=Status.APPROVED)
    app.refresh_from_db()
    with pytest.raises(ValidationError, match="承诺补交的材料尚未收齐"):
        application_transition(application=app, action="pay", actor=world.users["finance"])
    blocked = dict((t.action, why) for t, why in workflow.actions_for(app, world.users["finance"]))
    assert blocked["pay"].startswith("承诺补交的材料尚未收齐")


def test_a_second_click_is_refused_by_the_new_state(world, draft, accept):
    app = accept(draft)
    stale = Application.objects.get(pk=app.pk)  # the page the clerk still has open in a tab
    application_transition(application=app, action="forward", actor=world.users["clerk"])
    with pytest.raises(ValidationError, match="当前为“已转县级”"):
        application_transition(application=stale, action="forward", actor=world.users["clerk"])
    assert ApplicationEvent.objects.filter(application=app, action="forward").count() == 1


def test_step_due_dates_follow_the_working_day_limits(world, draft, accept, time_machine):
    time_machine.move_to("2026-09-29 10:00 +0800")
    app = accept(draft)
    # township: 10 working days after Tuesday 29 September: 30 Sep, then 1–7 Oct are holidays,
    # 8, 9, 10 (a Saturday worked), 12–16, 19 October
    assert str(app.step_due_on) == "2026-10-19"
    time_machine.move_to("2026-10-21 10:00 +0800")
    app = application_transition(application=app, action="forward", actor=world.users["clerk"])
    assert str(app.step_due_on) == "2026-11-04"


ROLE_PAIRS = [
    (action, role)
    for action, t in workflow.TRANSITIONS.items()
    if action != "accept"
    for role in ("clerk", "reviewer", "approver", "finance", "admin")
    if Role(role) not in t.roles
]


@pytest.mark.parametrize(("action", "role"), ROLE_PAIRS, ids=[f"{a}-{r}" for a, r in ROLE_PAIRS])
def test_every_action_refuses_the_other_roles(world, draft, action, role):
    source = sorted(workflow.TRANSITIONS[action].sources)[0]
    Application.objects.filter(pk=draft.pk).update(status=source)
    draft.refresh_from_db()
    with pytest.raises(ValidationError, match="您的角色不能"):
        application_transition(
            application=draft, action=action, actor=world.users[role], reason="理由"
        )
    draft.refresh_from_db()
    assert draft.status == source


@pytest.mark.parametrize("to", list(workflow.PROMISE_MOVES))
@pytest.mark.parametrize("before", [s.value for s in PromiseStatus])
def test_the_promise_moves_only_along_its_declared_graph(draft, before, to):
    Application.objects.filter(pk=draft.pk).update(
        promise_status=before, promise_due_on=date(2026, 1, 8)
    )  # the case as the test needs it (the constraint wants a due date)
    app = Application.objects.get(pk=draft.pk)
    if before in workflow.PROMISE_MOVES[to]:
        assert workflow.promise_move(app, to) == before
        assert app.promise_status == to
    else:
        with pytest.raises(ValueError, match="is not a declared move"):
            workflow.promise_move(app, to)
        assert app.promise_status == before
    assert Application.objects.get(pk=draft.pk).promise_status == app.promise_status


def test_a_state_the_workflow_does_not_declare_for_an_action_is_never_written(world, draft):
    from applications.services import _move

    with pytest.raises(ValueError, match="reject does not lead to approved"):
        _move(draft, "reject", Status.APPROVED, "x", world.users["approver"])
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not ApplicationEvent.objects.filter(application=draft).exclude(action="create").exists()
    assert workflow.TRANSITIONS["recommend"].targets == {Status.RECOMMENDED, Status.NOTICE}
    assert workflow.TRANSITIONS["approve"].targets == {Status.APPROVED, Status.SECOND}


def test_case_actions_are_declared_and_the_page_and_the_service_give_the_same_answer(
    client, world, draft, accept
):
    from applications.services import application_mark_told, material_receive

    app = accept(draft, missing=["invoice"])
    assert case_actions.case_action_refusal(app, "mark_told", world.users["clerk"]) == (
        "还没有审批结果，无需告知。"
    )
    assert case_actions.case_action_refusal(app, "receive_material", world.users["reviewer"]) == (
        "只有申请人所在乡镇（街道）的窗口经办人可以办理。"
    )
    client.force_login(world.users["clerk"])
    receive_url = reverse("applications:receive", args=[app.number, "invoice"])
    assert receive_url in client.get(app.get_absolute_url()).content.decode()
    app = application_transition(
        application=app, action="withdraw", actor=world.users["clerk"], reason="申请人撤回"
    )
    refusal = case_actions.case_action_refusal(app, "receive_material", world.users["clerk"])
    assert refusal == "申请已“已撤回”，不再收材料。"
    assert receive_url not in client.get(app.get_absolute_url()).content.decode()
    with pytest.raises(ValidationError, match="不再收材料"):
        material_receive(application=app, code="invoice", actor=world.users["clerk"])
    with pytest.raises(ValidationError, match="还没有审批结果"):
        application_mark_told(application=app, actor=world.users["clerk"])
    assert set(case_actions.CASE_ACTIONS) == {
        "correct_expense",
        "receive_material",
        "mark_told",
        "extend_promise",
        "verify_identity",
        "record_certificate",
        "illness_check",
    }
