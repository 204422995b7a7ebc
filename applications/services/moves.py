"""Moving a case along the workflow (``applications.workflow``): ``_move`` is the one writer of
its state, with the case event and the audit row; ``application_transition`` makes the plain moves."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record

from .. import workflow
from ..models import (
    Application,
    Status,
)
from .base import _event, work_calendar

DEDICATED = {
    "accept": "受理请用受理表单（勾选材料、记录承诺）。",
    "recommend": "审核意见请用审核意见表单。",
    "approve": "批准请用审批表单。",
    "reject": "不予救助请用审批表单（选择原因）。",
    "revoke": "撤销批准请用撤销表单（写明理由）。",
    "open_tilted": "倾斜救助请在“倾斜救助主动发现”名单中立案。",
}
# The audit code of each move (workflow.TRANSITIONS' actions, and the first of two approvals).
MOVE_EVENTS: dict[str, Event] = {
    "accept": Event.APPLICATION_ACCEPTED,
    "open_tilted": Event.TILTED_CASE_OPENED,
    "forward": Event.APPLICATION_FORWARDED,
    "start_review": Event.APPLICATION_REVIEW_STARTED,
    "return": Event.APPLICATION_RETURNED,
    "resubmit": Event.APPLICATION_RESUBMITTED,
    "recommend": Event.APPLICATION_RECOMMENDED,
    "approve_first": Event.APPLICATION_FIRST_APPROVED,
    "approve": Event.APPLICATION_APPROVED,
    "reject": Event.APPLICATION_REJECTED,
    "pay": Event.APPLICATION_PAID,
    "revoke": Event.APPLICATION_REVOKED,
    "withdraw": Event.APPLICATION_WITHDRAWN,
    "terminate": Event.APPLICATION_TERMINATED,
}


def move_event(name: str, to: str) -> Event:
    if name == "recommend" and to == Status.NOTICE:
        return Event.APPLICATION_NOTICE_STARTED  # the recommendation goes to 公示 first
    return MOVE_EVENTS[name]


STEP_LIMITS = {
    Status.ACCEPTED: "TIME_LIMIT_TOWNSHIP_DAYS",
    Status.FORWARDED: "TIME_LIMIT_COUNTY_DAYS",
    Status.RETURNED: "TIME_LIMIT_TOWNSHIP_DAYS",
    Status.APPROVED: "TIME_LIMIT_PAYMENT_DAYS",
}


@transaction.atomic
def application_transition(
    *, application: Application, action: str, actor: User, reason: str = ""
) -> Application:
    """Move the application along the graph in ``workflow``; refused with a reason otherwise.

    The row is locked first, so a second click or a second tab finds the new state and is refused."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    blocked = workflow.refusal(app, action, actor, reason)
    if blocked:
        raise ValidationError(blocked, code="refused")
    if action in DEDICATED:
        raise ValidationError(DEDICATED[action], code="use_form")
    transition = workflow.TRANSITIONS[action]
    now = timezone.now()
    limit = STEP_LIMITS.get(transition.target)
    if limit is not None:
        app.step_due_on = work_calendar().add(timezone.localdate(), getattr(settings, limit))
    elif transition.target != Status.IN_REVIEW:  # review keeps the county's due date
        app.step_due_on = None
    if action == "forward" or action == "resubmit":
        app.forwarded_at = now
    elif action == "start_review":
        app.reviewer = actor
    elif action in ("approve", "reject"):
        app.decided_at = now
    elif action == "pay":
        app.paid_at = now
    _move(app, action, transition.target, transition.label, actor, reason.strip())
    return app


def _locked_for(
    application: Application, action: str, actor: User, reason: str = ""
) -> Application:
    app = (
        Application.objects.select_for_update()
        .select_related("county", "person")
        .get(pk=application.pk)
    )
    blocked = workflow.refusal(app, action, actor, reason)
    if blocked:
        raise ValidationError(blocked, code="refused")
    return app


def _move(
    app: Application,
    action: str,
    to: Status,
    label: str,
    actor: User,
    reason: str = "",
    *,
    event: str = "",
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> None:
    """The one writer of an application's state: ``to`` must be a target the workflow declares
    for ``action``; the row (locked by the caller) is saved with the case event and the audit row."""
    if to not in workflow.TRANSITIONS[action].targets:
        raise ValueError(f"{action} does not lead to {to}")
    before = workflow.STATUS_STATES.step(app, to)
    app.status_changed_at = timezone.now()
    app.save()
    _event(app, event or action, label, actor, from_status=before, to_status=to, reason=reason)
    record(
        actor=actor,
        event=move_event(event or action, to),
        target=app,
        summary=summary or f"{app.number} {label}" + (f"：{reason}" if reason else ""),
        changes={"status": [before, to], **(changes or {})},
    )
