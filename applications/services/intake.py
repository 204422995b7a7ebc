"""The township window's intake: a draft with the person, the identity, the payee and the
expenses; then acceptance with the materials handed in and, for the missing ones, the promise."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from beneficiaries.claims import Certificate, identity_claim_record
from beneficiaries.models import HardshipIdentity, Person
from engine.categories import CATEGORIES
from settlements.services import policy_for

from .. import workflow
from ..eligibility import (
    filing_problems,
    onestop_categories,
    onestop_source,
    open_cases_of,
    second_case_text,
)
from ..materials import ExpenseFacts, required_materials
from ..models import (
    Application,
    Material,
    MedicalExpense,
    OnestopReason,
    PromiseStatus,
    Status,
)
from ..settling import referral_of, referrals_of
from .base import _event, _next_number, _require_clerk_of, work_calendar
from .moves import _move, application_transition
from .notifications import _missing_text, _notify, _queue_letters
from .uploads import _attach, _validate_uploads

# The intake fields copied as typed onto the application (and back into the form to edit a draft).
INTAKE_FIELDS = (
    "contact_phone",
    "agent_name",
    "agent_id_number",
    "agent_phone",
    "agent_kind",
    "bank_name",
    "bank_account_holder",
    "bank_account_number",
)
# every field of the application the intake writes as it is (the certificate becomes a claim, the
# acknowledgement an event)
APPLICATION_FIELDS = ("category", "identity", *INTAKE_FIELDS, "onestop_reason", "onestop_note")


@dataclass
class Intake:
    """What the clerk typed on the intake form (the person is already found or registered)."""

    category: str
    identity: HardshipIdentity | None
    contact_phone: str = ""
    agent_name: str = ""
    agent_id_number: str = ""
    agent_phone: str = ""
    agent_kind: str = ""
    bank_name: str = ""
    bank_account_holder: str = ""
    bank_account_number: str = ""
    onestop_reason: str = ""
    onestop_note: str = ""
    # the certificate the applicant brought for an identity the registry lacks (待县级核验)
    certificate: Certificate | None = None
    # the clerk has seen the person's other open cases and opens this one anyway
    second_case_ack: bool = False


def _checklist(app: Application, expenses: Sequence[MedicalExpense]) -> list[str]:
    referrals = referrals_of(app.person)
    return required_materials(
        category=app.category,
        identity_in_registry=app.identity_id is not None,
        has_agent=app.has_agent,
        expenses=[
            ExpenseFacts(e.kind, e.in_region, referral_of(e, referrals)[0]) for e in expenses
        ],
    )


# A case in these states no longer holds its bills: they may be claimed again.
RELEASED = (Status.REJECTED, Status.WITHDRAWN, Status.TERMINATED, Status.REVOKED)


def bills_refused(expenses: Sequence[MedicalExpense], application: Application | None) -> None:
    """Refuse bills that are assisted already (a live ledger entry: a window approval or the
    hospital's one-stop assistance), claimed by another open case, or typed twice, naming where."""
    from settlements.services import holder_text, holders_of

    problems: dict[str, None] = {}  # in order, each said once
    seen: dict[str, int] = {}
    for n, e in enumerate(expenses, start=1):
        for key in e.keys:
            first = seen.setdefault(key, n)
            if first != n:
                problems[f"第 {n} 笔与第 {first} 笔是同一张票据"] = None
    keys = list(seen)
    problems.update((holder_text(entry), None) for entry in holders_of(keys))
    # open cases only: a decided case's bills are on the ledger (above), a released one's are free
    others = (
        MedicalExpense.objects.filter(Q(invoice_key__in=keys) | Q(settlement_key__in=keys))
        .exclude(application__status__in=(*RELEASED, Status.APPROVED, Status.PAID))
        .select_related("application")
    )
    if application is not None:
        others = others.exclude(application=application)
    for other in others.order_by("application_id"):
        case = other.application
        problems[
            f"已在申请 {case.number}（{case.get_status_display()}）中申请（{other.bill_label}）"
        ] = None
    if problems:
        raise ValidationError(
            "同一费用不得重复救助：" + "；".join(problems) + "。请核对票据，删去重复的笔数。",
            code="duplicate_bill",
        )


def _eligibility_refused(
    person: Person,
    intake: Intake,
    expenses: Sequence[MedicalExpense],
    application: Application | None,
) -> None:
    """The window's eligibility rules (issue 19), each refusal naming its limit and clause: bills
    older than the filing limit or before the policy; a one-stop identity without the reason the
    hospital did not settle the bill; another open case not acknowledged."""
    today = timezone.localdate()
    policy = policy_for(person)
    problems = filing_problems(expenses, policy=policy, today=today)
    if problems:
        raise ValidationError("；".join(problems) + "。", code="filing_limit")
    if intake.category in onestop_categories(policy, today):
        if not intake.onestop_reason:
            raise ValidationError(
                f"{CATEGORIES[intake.category][0]}的医疗费用在定点医疗机构“一站式”结算"
                f"（{onestop_source(policy, today)}）；在窗口申请的，须选择未在医院直接结算的原因。",
                code="onestop_reason",
            )
        if intake.onestop_reason == OnestopReason.OTHER and not intake.onestop_note.strip():
            raise ValidationError("未直接结算的原因选“其他”时，请写明原因。", code="onestop_note")
    others = open_cases_of(person, exclude=application)
    if others and not intake.second_case_ack:
        raise ValidationError(
            second_case_text(others, today)
            + "。请向申请人核实：同一费用不得重复申请；确需另行受理的，勾选“已核实，仍予受理”。",
            code="second_case",
        )


def _draft(person: Person, actor: User, application: Application | None) -> Application:
    """A new application with its number, or the draft being edited (locked; only a draft)."""
    if application is None:
        county = person.township.county
        return Application(
            number=_next_number(county, timezone.localdate()),
            person=person,
            township=person.township,
            county=county,
            created_by=actor,
        )
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Status.DRAFT:
        raise ValidationError("已受理的申请不能再修改受理信息。", code="not_draft")
    return application


def _intake_refused(person: Person, intake: Intake, expenses: Sequence[MedicalExpense]) -> None:
    """What the intake form alone cannot be saved with."""
    if intake.category not in CATEGORIES:
        raise ValidationError("请选择救助身份。", code="category")
    if intake.identity is not None and (
        intake.identity.person_id != person.pk or intake.identity.category != intake.category
    ):
        raise ValidationError("所选身份不属于该申请人。", code="identity")
    if not expenses:
        raise ValidationError("至少录入一笔医疗费用。", code="no_expenses")
    if intake.agent_name and not intake.agent_id_number:
        raise ValidationError("有代办人时须填写代办人身份证号。", code="agent_id")


def _store_expenses(
    application: Application, expenses: Sequence[MedicalExpense], creating: bool
) -> None:
    """The draft's expenses (replacing a draft's earlier ones) and its checklist of materials."""
    if not creating:
        application.expenses.all().delete()
    for expense in expenses:
        expense.application = application
    MedicalExpense.objects.bulk_create(expenses)
    needed = _checklist(application, expenses)
    application.materials.exclude(code__in=needed).delete()
    Material.objects.bulk_create(
        [Material(application=application, code=code) for code in needed], ignore_conflicts=True
    )


@transaction.atomic
def application_save_draft(
    *,
    person: Person,
    intake: Intake,
    expenses: Sequence[MedicalExpense],
    actor: User,
    application: Application | None = None,
) -> Application:
    """Create (or, for a draft, replace) an application with its expenses and its checklist."""
    _require_clerk_of(actor, person.township_id)
    _intake_refused(person, intake, expenses)
    _eligibility_refused(person, intake, expenses, application)
    creating = application is None
    application = _draft(person, actor, application)
    for name in APPLICATION_FIELDS:
        setattr(application, name, getattr(intake, name))
    if intake.identity is None and intake.certificate is not None:
        application.identity_claim = identity_claim_record(
            person=person, cert=intake.certificate, actor=actor
        )
    elif intake.identity is not None:
        application.identity_claim = None
    application.claimed_total = sum((e.total for e in expenses), Decimal("0.00"))
    application.full_clean(exclude=["identity", "person", "township", "county", "created_by"])
    for expense in expenses:
        expense.full_clean(exclude=["application"])
        expense.set_keys()
    bills_refused(expenses, application if not creating else None)
    application.save()
    _store_expenses(application, expenses, creating)
    _event(
        application, "create" if creating else "edit", "登记申请" if creating else "修改申请", actor
    )
    others = open_cases_of(person, exclude=application) if creating else []
    if others:
        _event(
            application,
            "second_case",
            "另有在办申请，经办人已确认仍予受理",
            actor,
            reason=second_case_text(others, timezone.localdate()),
        )
    record(
        actor=actor,
        event=Event.APPLICATION_CREATED if creating else Event.APPLICATION_CHANGED,
        target=application,
        summary=f"{'登记' if creating else '修改'}救助申请 {application.number}，"
        f"{len(expenses)} 笔费用，合计 {application.claimed_total} 元",
    )
    return application


def _checked(
    app: Application, received: Iterable[str], promise_signed: bool
) -> tuple[set[str], list[Material]]:
    """The materials ticked as handed in, and those missing (which need the signed promise)."""
    received_codes = set(received)
    materials = list(app.materials.all())
    if received_codes - {m.code for m in materials}:
        raise ValidationError("勾选了清单以外的材料。", code="unknown_material")
    missing = [m for m in materials if m.code not in received_codes]
    if missing and not promise_signed:
        names = "、".join(m.get_code_display() for m in missing)
        raise ValidationError(
            f"还缺 {len(missing)} 项材料（{names}）：须由申请人签署承诺书，"
            f"承诺 {settings.PROMISE_DAYS} 日内补齐，才能受理。",
            code="promise_required",
        )
    return received_codes, missing


def _accepted_text(app: Application, missing: bool) -> str:
    """The SMS on acceptance: what is still owed and where, by when; or that all is in."""
    town = app.township
    if missing:
        return (
            f"您的医疗救助申请（编号{app.number}）已受理。尚缺：{_missing_text(app)}，"
            f"请于{app.promise_due_on:%Y-%m-%d}前交到{town.name}社会救助窗口。电话{town.window_phone}"
        )
    return f"您的医疗救助申请（编号{app.number}）已受理，材料齐全。可凭编号和身份证号查询进度。"


@transaction.atomic
def application_accept(
    *,
    application: Application,
    actor: User,
    received: Iterable[str],
    promise_signed: bool,
    files: Mapping[str, Iterable[UploadedFile]] | None = None,
    forward: bool = False,
) -> Application:
    """Accept (受理): tick what was handed in; if anything is missing, record the applicant's
    promise to bring it within PROMISE_DAYS days. The application moves on at once."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    blocked = workflow.refusal(app, "accept", actor)
    if blocked:
        raise ValidationError(blocked, code="refused")
    late = filing_problems(
        list(app.expenses.all()), policy=policy_for(app.person), today=timezone.localdate()
    )
    if late:  # the draft was saved on an earlier day
        raise ValidationError("；".join(late) + "。", code="filing_limit")
    files = files or {}
    _validate_uploads(files)
    now = timezone.now()
    today = timezone.localdate()
    received_codes, missing = _checked(app, received, promise_signed)
    Material.objects.filter(application=app, code__in=received_codes).update(
        received_at=now, received_by=actor, late=False
    )
    for code, uploads in files.items():
        for upload in uploads:
            _attach(app, code, upload, actor)
    app.accepted_at = now
    app.accepted_on = today
    app.step_due_on = work_calendar().add(today, settings.TIME_LIMIT_TOWNSHIP_DAYS)
    if missing:
        workflow.promise_move(
            app,
            PromiseStatus.PENDING,
            promise_due_on=today + timedelta(days=settings.PROMISE_DAYS),
            promise_signed_at=now,
        )
    _move(
        app,
        "accept",
        Status.ACCEPTED,
        "受理",
        actor,
        summary=f"受理 {app.number}"
        + (
            f"；缺 {len(missing)} 项材料，承诺 {app.promise_due_on} 前补齐"
            if missing
            else "；材料齐全"
        ),
        changes={"promise_status": ["none", app.promise_status]},
    )
    _notify(app, "accepted", _accepted_text(app, bool(missing)), f"accepted:{app.pk}")
    _queue_letters(app)
    if forward:
        app = application_transition(application=app, action="forward", actor=actor)
    return app
