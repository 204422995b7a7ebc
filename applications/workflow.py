"""The application's whole state graph, in one place.

Each transition names its sources, its target, the roles that may make it, whether a reason is
required, and a condition that returns *why* it is blocked (or None). ``refusal`` answers "may this
person do this now, and if not, why"; the services make the change, and the case page uses the same
answers to show the buttons and the reasons the others are missing.

The promise (承诺) has its own status beside the main state (``PromiseStatus``): payment waits for
every material (``pay`` is blocked while the promise is pending or overdue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.access import role_of
from accounts.models import Role, User
from core.states import Machine

from .models import FINAL_STATES, Application, IllnessCheck, PromiseStatus, Status
from .payment_facts import payment_pending

Condition = Callable[[Application, Any], str | None]


def _has_expenses(app: Application, actor: User) -> str | None:
    return None if app.expenses.exists() else "还没有录入医疗费用。"


# What a person does in a case's review (the case history's actions): whoever did any of them
# cannot decide the case (four eyes), whatever role they hold by then.
REVIEW_ACTIONS = ("start_review", "return", "recommend", "correct_expense")


def _took_part(app: Application, actor: User) -> bool:
    """Whether ``actor`` did any of the review's actions (from the history the case page read
    with the case, where it did)."""
    read = getattr(app, "_prefetched_objects_cache", {}).get("events")
    if read is not None:
        return any(e.actor_id == actor.pk and e.action in REVIEW_ACTIONS for e in read)
    return app.events.filter(actor=actor, action__in=REVIEW_ACTIONS).exists()


def _not_the_reviewer(app: Application, actor: User) -> str | None:
    if app.reviewer_id is not None and app.reviewer_id == actor.pk:
        return "审批人不能是本案的审核人（双人审核）。"
    if _took_part(app, actor):
        return "您参与了本案的审核（开始审核、退回、提出审核意见或更正费用），不能审批本案（双人审核）。"
    return None


def _notice_over(app: Application, actor: User) -> str | None:
    from django.utils import timezone

    if (
        app.status == Status.NOTICE
        and app.notice_ends_on
        and timezone.localdate() <= app.notice_ends_on
    ):
        return f"公示期至 {app.notice_ends_on:%Y-%m-%d}，期满后才能审批。"
    return None


def _second_approver(app: Application, actor: User) -> str | None:
    if app.status == Status.SECOND and app.first_approver_id == actor.pk:
        return "金额超过本县规定，须由另一位审批人再次批准。"
    return None


def _identity_verified(app: Application, actor: User) -> str | None:
    """A certificate recorded at the window waits for the county's verification (issue 19)."""
    claim = app.identity_claim if app.identity_claim_id else None
    if claim is not None and claim.pending:
        return (
            f"窗口登记的身份证明（{claim.get_category_display()}，证件 {claim.certificate_number}）"
            f"尚待县级审核人员核验，核验后才能审批。"
        )
    return None


def _decision(app: Application, actor: User) -> str | None:
    return _not_the_reviewer(app, actor) or _notice_over(app, actor) or _second_approver(app, actor)


def _bills_in_force(app: Application, actor: User) -> str | None:
    """A bill whose settlement the platform reversed (冲销/退费) is not approved as it stands."""
    for e in app.expenses.all():
        if e.reversed_note:
            return f"{e.bill_label}：{e.reversed_note}。请审核人员更正或删除这笔费用后再审批。"
    return None


def _approvable(app: Application, actor: User) -> str | None:
    """Approval also waits for the certificate's verification and for bills in force; a rejection
    does not."""
    return _decision(app, actor) or _identity_verified(app, actor) or _bills_in_force(app, actor)


def _illness_checked(app: Application, actor: User) -> str | None:
    """因病致贫重病患者 not certified yet: the window's pre-check goes to the county with the case."""
    if (
        app.category != "illness_poor"
        or app.person.identities.filter(category="illness_poor").exists()
    ):
        return None
    claim = app.identity_claim if app.identity_claim_id else None
    if claim is not None and claim.status != claim.Status.REFUSED:
        return None
    if not IllnessCheck.objects.filter(application_id=app.pk).exists():
        return "申请身份为因病致贫重病患者且尚未认定：须先完成“因病致贫预审”（家庭收入、医疗负担、户籍、财产），再转县级。"
    return None


def _tilted_origin(app: Application, actor: User) -> str | None:
    return None if app.origin == "tilted" else "只有县级主动发现的倾斜救助案件才能直接立案审核。"


def _forwardable(app: Application, actor: User) -> str | None:
    return _has_expenses(app, actor) or _illness_checked(app, actor)


# The promise is open while materials are still owed: payment waits for them.
PROMISE_OPEN = frozenset({PromiseStatus.PENDING, PromiseStatus.OVERDUE})


def _revocable(app: Application, actor: User) -> str | None:
    if payment_pending(app):  # the payments floor says (applications.payment_facts)
        return "本案在待银行结果的发放批次中，待银行结果登记后再撤销（已发放的请办理追回）。"
    return None


def _materials_complete(app: Application, actor: User) -> str | None:
    if app.promise_status in PROMISE_OPEN:
        return f"承诺补交的材料尚未收齐（期限 {app.promise_due_on:%Y-%m-%d}），收齐后才能发放。"
    return None


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]
    needs_reason: bool = False
    condition: Condition | None = None
    style: str = "primary"
    also: frozenset[Status] = frozenset()  # other states the action may lead to (see the table)

    @property
    def targets(self) -> frozenset[Status]:
        """Every state this action may move a case to: services._move refuses any other."""
        return frozenset({self.target}) | self.also


OPEN = frozenset(
    {
        Status.DRAFT,
        Status.ACCEPTED,
        Status.FORWARDED,
        Status.IN_REVIEW,
        Status.RETURNED,
        Status.RECOMMENDED,
        Status.NOTICE,
        Status.SECOND,
    }
)
AWAITING_DECISION = frozenset({Status.RECOMMENDED, Status.NOTICE, Status.SECOND})
DECIDED = frozenset({Status.APPROVED, Status.REJECTED, Status.PAID, Status.REVOKED})
REVIEWED = AWAITING_DECISION | DECIDED  # the county's review is over
ENDED_EARLY = frozenset({Status.WITHDRAWN, Status.TERMINATED})
FINAL = frozenset(Status(s) for s in FINAL_STATES)  # paid, rejected, revoked and ENDED_EARLY

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition(
            "accept",
            "受理",
            frozenset({Status.DRAFT}),
            Status.ACCEPTED,
            frozenset({Role.CLERK}),
            condition=_has_expenses,
        ),
        # 倾斜救助主动发现: the county opens a case itself from one-stop bills (no window, no
        # materials): straight into its review (services.tilted.tilted_case_open)
        Transition(
            "open_tilted",
            "主动发现立案",
            frozenset({Status.DRAFT}),
            Status.IN_REVIEW,
            frozenset({Role.REVIEWER}),
            condition=_tilted_origin,
        ),
        Transition(
            "forward",
            "转县级审核",
            frozenset({Status.ACCEPTED}),
            Status.FORWARDED,
            frozenset({Role.CLERK}),
            condition=_forwardable,
        ),
        Transition(
            "start_review",
            "开始审核",
            frozenset({Status.FORWARDED}),
            Status.IN_REVIEW,
            frozenset({Role.REVIEWER}),
        ),
        Transition(
            "return",
            "退回补正",
            frozenset({Status.IN_REVIEW}),
            Status.RETURNED,
            frozenset({Role.REVIEWER}),
            needs_reason=True,
            style="warning",
        ),
        Transition(
            "resubmit",
            "补正后重新报送",
            frozenset({Status.RETURNED}),
            Status.FORWARDED,
            frozenset({Role.CLERK}),
            condition=_forwardable,
        ),
        # The reviewer's recommendation: to 待审批, or to 公示中 first where the policy requires a
        # public notice for the identity (the service decides which, from the policy).
        Transition(
            "recommend",
            "提出审核意见",
            frozenset({Status.IN_REVIEW}),
            Status.RECOMMENDED,
            frozenset({Role.REVIEWER}),
            also=frozenset({Status.NOTICE}),
        ),
        # Approval: above the county's amount a first approval moves the case to 待第二审批人审批
        # and a different approver approves it (the service decides, from the settlement amount).
        Transition(
            "approve",
            "批准救助",
            AWAITING_DECISION,
            Status.APPROVED,
            frozenset({Role.APPROVER}),
            condition=_approvable,
            style="success",
            also=frozenset({Status.SECOND}),
        ),
        Transition(
            "reject",
            "不予救助",
            AWAITING_DECISION,
            Status.REJECTED,
            frozenset({Role.APPROVER}),
            needs_reason=True,
            condition=_decision,
            style="danger",
        ),
        Transition(
            "pay",
            "登记已发放",
            frozenset({Status.APPROVED}),
            Status.PAID,
            frozenset({Role.FINANCE}),
            condition=_materials_complete,
            style="success",
        ),
        # An approval undone before payment (fraud found, the person died before the bills, the
        # promise never kept): the ledger and the budget are released (services.application_revoke).
        Transition(
            "revoke",
            "撤销批准",
            frozenset({Status.APPROVED}),
            Status.REVOKED,
            frozenset({Role.APPROVER}),
            needs_reason=True,
            condition=_revocable,
            style="outline-danger",
        ),
        Transition(
            "withdraw",
            "申请人撤回",
            OPEN,
            Status.WITHDRAWN,
            frozenset({Role.CLERK}),
            needs_reason=True,
            style="outline-secondary",
        ),
        Transition(
            "terminate",
            "终止办理",
            OPEN - {Status.DRAFT},
            Status.TERMINATED,
            frozenset({Role.REVIEWER, Role.APPROVER}),
            needs_reason=True,
            style="outline-danger",
        ),
    ]
}


def _status_moves() -> dict[str, frozenset[str]]:
    moves: dict[str, set[str]] = {}
    for t in TRANSITIONS.values():
        for target in t.targets:
            moves.setdefault(target, set()).update(t.sources)
    return {target: frozenset(sources) for target, sources in moves.items()}


# A case's state moves only along TRANSITIONS (target <- every source of an action that may lead
# there); applications.services.moves._move is its one writer, the row locked by its caller.
STATUS_STATES = Machine(
    Application,
    "status",
    _status_moves(),
    writer="applications.services.moves",
    label="申请",
)


def in_area(app: Application, actor: User) -> bool:
    role = role_of(actor)
    if role == Role.CLERK:
        return bool(actor.township_id == app.township_id)
    if role in (Role.REVIEWER, Role.APPROVER, Role.FINANCE):
        return bool(actor.county_id == app.county_id)
    return False


REASON_LONGEST = 300  # characters of a transition's reason (it is told to the applicant by SMS)


def refusal(app: Application, action: str, actor: User, reason: str = "") -> str | None:
    """Why ``actor`` may not do ``action`` on ``app`` now, in Chinese; None when they may."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return f"未知操作：{action}"
    role = role_of(actor)
    if role not in transition.roles:
        return f"您的角色不能“{transition.label}”。"
    if not in_area(app, actor):
        return "这件申请不属于您的辖区。"
    if app.status not in transition.sources:
        return f"申请当前为“{app.get_status_display()}”，不能“{transition.label}”。"
    if transition.needs_reason and not reason.strip():
        return f"“{transition.label}”须写明理由。"
    if len(reason.strip()) > REASON_LONGEST:
        return f"“{transition.label}”的理由请写在 {REASON_LONGEST} 字以内（现为 {len(reason.strip())} 字）。"
    if transition.condition is not None:
        return transition.condition(app, actor)
    return None


def actions_for(app: Application, actor: User) -> list[tuple[Transition, str | None]]:
    """The transitions this actor's role could make from the current state, each with the reason
    it is blocked (None when it is available). A missing reason is not a block here."""
    role = role_of(actor)
    result = []
    for transition in TRANSITIONS.values():
        if role not in transition.roles or app.status not in transition.sources:
            continue
        if transition.action == "open_tilted":  # started from 倾斜救助主动发现, never a button
            continue
        if not in_area(app, actor):
            continue
        blocked = transition.condition(app, actor) if transition.condition else None
        result.append((transition, blocked))
    return result


# The promise (承诺) is its own small graph beside the main state (target: the states it may come
# from). promises_move (and promise_move, promises_overdue through it) is its only writer.
PROMISE_STATES = Machine(
    Application,
    "promise_status",
    {
        # accepted with materials missing; or, once, an overdue promise extended by the county
        PromiseStatus.PENDING: frozenset({PromiseStatus.NONE, PromiseStatus.OVERDUE}),
        PromiseStatus.OVERDUE: frozenset({PromiseStatus.PENDING}),  # the due date passed (sweep)
        # the last missing material arrived, in time or late
        PromiseStatus.FULFILLED: frozenset({PromiseStatus.PENDING, PromiseStatus.OVERDUE}),
    },
    writer="applications.workflow",
    label="材料承诺",
)
PROMISE_MOVES = PROMISE_STATES.moves


def promises_move(ids: list[int], to: str, **also: Any) -> int:
    """The one writer of ``Application.promise_status``: moves the promise of these cases to ``to``
    where the graph allows it from their current state (with ``also``: other fields written in the
    same UPDATE); returns how many moved. The caller holds the rows' lock or accepts that a case
    moved meanwhile is left alone."""
    return PROMISE_STATES.move_many(Application.objects.filter(pk__in=ids), to, **also)


def promise_move(app: Application, to: str, **also: Any) -> str:
    """Move one case's promise (its row locked by the caller) and ``also`` fields; returns the old
    state. A move the graph does not declare is a programming error."""
    before = app.promise_status
    if not promises_move([app.pk], to, **also):
        raise ValueError(f"promise {before} -> {to} is not a declared move")
    app.refresh_from_db(fields=["promise_status", *also])
    return before


def promises_overdue(ids: list[int]) -> int:
    """The sweep's bulk move of these cases' promises to overdue; returns how many moved."""
    return promises_move(ids, PromiseStatus.OVERDUE)
