"""The other case actions: they change the case but not its state (correct an expense, receive a
material, extend or decide a promise, verify or record an identity, the 因病致贫 pre-check, tell
the result). Each is declared once with who may take it and when; ``case_action_refusal`` says why
not, in Chinese, or None."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from accounts.access import role_of
from accounts.models import Role, User

from .models import Application, PromiseStatus, Status
from .workflow import DECIDED, FINAL, Condition, in_area


def _correctable(app: Application, actor: User) -> str | None:
    if app.status != Status.IN_REVIEW:
        return "只有审核中的申请可以更正费用。"
    if app.reviewer_id != actor.pk:
        return "只有本案的审核人可以更正费用。"
    return None


def _still_open(app: Application, actor: User) -> str | None:
    if app.status in FINAL:
        return f"申请已“{app.get_status_display()}”，不再收材料。"
    return None


def _decided_not_told(app: Application, actor: User) -> str | None:
    from django.utils import timezone

    if app.status not in DECIDED:
        return "还没有审批结果，无需告知。"
    if app.told_at is not None:
        return f"已于 {timezone.localtime(app.told_at):%Y-%m-%d %H:%M} 告知。"
    return None


def promise_decision_due(app: Application) -> date | None:
    """The working day from which an approved case whose promise is still open comes back to the
    county to decide (the policy's ``promise.decide_after_days`` after the approval)."""
    from django.utils import timezone

    from settlements.services import policy_for

    from .services.base import work_calendar

    if app.decided_at is None:
        return None
    params = policy_for(app.person).at(timezone.localdate())
    days = params["promise.decide_after_days"] if params.has("promise.decide_after_days") else 5
    return work_calendar().add(timezone.localdate(app.decided_at), days)


def _promise_to_decide(app: Application, actor: User) -> str | None:
    from django.utils import timezone

    if app.status != Status.APPROVED or app.promise_status != PromiseStatus.OVERDUE:
        return "只有已批准、承诺补交材料已逾期的申请才需要决定延期或终止。"
    if app.promise_extended_at is not None:
        return "承诺已延期过一次，不能再延期；仍未补齐的请撤销批准（承诺未兑现）。"
    due = promise_decision_due(app)
    if due is not None and timezone.localdate() < due:
        return f"批准后 {due:%Y-%m-%d} 起仍未补齐的，才由县级决定延期或终止。"
    return None


def _claim_waiting(app: Application, actor: User) -> str | None:
    claim = app.identity_claim if app.identity_claim_id else None
    if claim is None:
        return "本案没有窗口登记的身份证明。"
    if not claim.pending:
        return f"这份身份证明已处理（{claim.get_status_display()}）。"
    if app.status in FINAL or app.status == Status.DRAFT:
        return f"申请为“{app.get_status_display()}”，不需要核验。"
    return None


def _certificate_recordable(app: Application, actor: User) -> str | None:
    """After a refusal (or when none was recorded), the window records the certificate the
    applicant brings, until the county decides."""
    if app.status == Status.DRAFT:
        return "暂存的申请请在“修改受理信息”中登记身份证明。"
    if app.status in FINAL or app.decided_at is not None:
        return f"申请已“{app.get_status_display()}”，不能再登记身份证明。"
    claim = app.identity_claim if app.identity_claim_id else None
    if claim is not None and claim.status != claim.Status.REFUSED:
        return f"已登记的身份证明{claim.get_status_display()}。"
    if any(i.category == app.category for i in app.person.identities.all()):
        return "身份库已有此身份，不需要登记身份证明。"
    return None


def _illness_checkable(app: Application, actor: User) -> str | None:
    if app.category != "illness_poor":
        return "只有申请身份为因病致贫重病患者的申请需要预审。"
    if app.decided_at is not None or app.status in FINAL:
        return f"申请已“{app.get_status_display()}”，不能再修改预审。"
    return None


@dataclass(frozen=True)
class CaseAction:
    """An action on a case that leaves its state where it is: who may do it (in their own area:
    the township's window, the county's staff) and when (``condition`` says why not)."""

    action: str
    label: str
    roles: frozenset[Role]
    refused_role: str
    condition: Condition


CASE_ACTIONS: dict[str, CaseAction] = {
    a.action: a
    for a in [
        CaseAction(
            "correct_expense",
            "更正费用",
            frozenset({Role.REVIEWER}),
            "只有本县审核人员可以更正费用。",
            _correctable,
        ),
        CaseAction(
            "receive_material",
            "登记补交材料",
            frozenset({Role.CLERK}),
            "只有申请人所在乡镇（街道）的窗口经办人可以办理。",
            _still_open,
        ),
        CaseAction(
            "extend_promise",
            "承诺延期一次",
            frozenset({Role.APPROVER}),
            "只有本县审批人员可以决定延期。",
            _promise_to_decide,
        ),
        CaseAction(
            "verify_identity",
            "核验身份证明",
            frozenset({Role.REVIEWER}),
            "只有本县审核人员可以核验身份证明。",
            _claim_waiting,
        ),
        CaseAction(
            "record_certificate",
            "登记身份证明",
            frozenset({Role.CLERK}),
            "只有申请人所在乡镇（街道）的窗口经办人可以登记身份证明。",
            _certificate_recordable,
        ),
        CaseAction(
            "illness_check",
            "因病致贫预审",
            frozenset({Role.CLERK}),
            "只有申请人所在乡镇（街道）的窗口经办人可以办理预审。",
            _illness_checkable,
        ),
        CaseAction(
            "mark_told",
            "已告知申请人",
            frozenset({Role.CLERK}),
            "只有申请人所在乡镇（街道）的窗口经办人可以办理。",
            _decided_not_told,
        ),
    ]
}


def case_action_refusal(app: Application, action: str, actor: User) -> str | None:
    """Why ``actor`` may not do the case action now (None when they may). The case page shows a
    button only where this is None, and the service refuses with the same words."""
    declared = CASE_ACTIONS[action]
    if role_of(actor) not in declared.roles or not in_area(app, actor):
        return declared.refused_role
    return declared.condition(app, actor)
