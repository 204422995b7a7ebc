"""The township's follow-up of a warning: contact, an application started from it, or closing it.

Each is one function that locks the warning, checks its state, writes a follow-up row and the
audit row. A second click from a stale page finds the new state and is refused with a message.

    待跟进 open ──contact──▶ 已联系 contacted ──contact──▶ contacted
       │  └──────────apply──────────┐       │
       │                             ▼       │
       └──close (reason)──▶ 已办结 closed ◀──┘        applied 已发起申请 (an application exists)

A closed warning is reopened by the nightly recompute when the burden crosses a higher line.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from applications.models import Application
from audit.events import Event
from audit.services import record
from relief.early import early_reports_close
from relief.models import EarlyReport

from .models import (
    OPEN_STATUSES,
    WARNING_STATES,
    BurdenWarning,
    CloseReason,
    FollowUp,
    HospitalSettlement,
    WarningStatus,
)


def _locked(warning: BurdenWarning) -> BurdenWarning:
    return BurdenWarning.objects.select_for_update().select_related("person").get(pk=warning.pk)


def _refuse_unless_open(w: BurdenWarning, doing: str) -> None:
    if w.status not in OPEN_STATUSES:
        raise ValidationError(
            "该预警已是“%(status)s”，不能再%(doing)s。",
            params={"status": w.get_status_display(), "doing": doing},
            code="not_open",
        )


@transaction.atomic
def warning_contact(
    *, warning: BurdenWarning, method: str, contacted_on: date, note: str, actor: User
) -> FollowUp:
    """Record that the township reached the person (主动发现): how, when and what was said."""
    w = _locked(warning)
    _refuse_unless_open(w, "记录联系")
    if contacted_on > timezone.localdate():
        raise ValidationError("联系日期不能晚于今天。", code="future")
    if not note.strip():
        raise ValidationError("请写明联系情况。", code="note")
    before = WARNING_STATES.step(w, WarningStatus.CONTACTED)
    w.save(update_fields=["status", "updated_at"])
    step = FollowUp.objects.create(
        warning=w,
        action=FollowUp.Action.CONTACT,
        method=method,
        contacted_on=contacted_on,
        note=note.strip()[:500],
        actor=actor,
    )
    record(
        actor=actor,
        event=Event.WARNING_CONTACTED,
        target=w,
        summary=f"预警跟进：{step.get_method_display()}联系 {contacted_on}",
        changes={"status": [before, w.status]},
    )
    return step


@transaction.atomic
def warning_close(*, warning: BurdenWarning, reason: str, note: str, actor: User) -> BurdenWarning:
    """Close a warning with a reason; "other" needs a note saying what."""
    w = _locked(warning)
    _refuse_unless_open(w, "办结")
    if reason not in CloseReason.values or reason == CloseReason.BELOW:
        raise ValidationError("请选择办结原因。", code="reason")
    if reason == CloseReason.OTHER and not note.strip():
        raise ValidationError("办结原因为“其他”时，请写明原因。", code="note")
    before = WARNING_STATES.step(w, WarningStatus.CLOSED)
    w.close_reason = reason
    w.save(update_fields=["status", "close_reason", "updated_at"])
    FollowUp.objects.create(
        warning=w,
        action=FollowUp.Action.CLOSED,
        note=(CloseReason(reason).label + (f"：{note.strip()}" if note.strip() else ""))[:500],
        actor=actor,
    )
    record(
        actor=actor,
        event=Event.WARNING_CLOSED,
        target=w,
        summary=f"预警办结：{CloseReason(reason).label}",
        changes={"status": [before, w.status], "close_reason": ["", reason]},
    )
    return w


@transaction.atomic
def warning_link_application(
    *, warning: BurdenWarning, application: Application, actor: User
) -> BurdenWarning:
    """The clerk started an application from the warning: link it and mark the warning."""
    w = _locked(warning)
    _refuse_unless_open(w, "发起申请")
    if application.person_id != w.person_id:
        raise ValidationError("申请人与预警对象不是同一人。", code="person")
    before = WARNING_STATES.step(w, WarningStatus.APPLIED)
    w.application = application
    w.save(update_fields=["status", "application", "updated_at"])
    FollowUp.objects.create(
        warning=w,
        action=FollowUp.Action.APPLIED,
        note=f"已受理救助申请 {application.number}",
        actor=actor,
    )
    record(
        actor=actor,
        event=Event.WARNING_APPLIED,
        target=w,
        summary=f"由预警发起救助申请 {application.number}",
        changes={"status": [before, w.status], "application": application.number},
    )
    return w


def warning_reopened(w: BurdenWarning) -> None:
    """The nightly recompute found a closed warning's burden over a line again (it saves the row
    with the others it holds)."""
    WARNING_STATES.step(w, WarningStatus.OPEN)
    w.close_reason = ""


def warning_closed_below(w: BurdenWarning) -> None:
    """The nightly recompute found an open warning no longer over any line."""
    WARNING_STATES.step(w, WarningStatus.CLOSED)
    w.close_reason = CloseReason.BELOW


def early_reports_settle() -> int:
    """Close the hospitals' early reports whose stay has a settlement record now (seed 004 2): the
    same person, the reporting hospital, settled on or after the admission day."""
    settled = HospitalSettlement.objects.filter(
        person_id=OuterRef("person_id"),
        hospital_code=OuterRef("institution__code"),
        day__gte=OuterRef("admitted_on"),
    ).order_by("day", "id")
    rows = (
        EarlyReport.objects.filter(person__isnull=False)
        .exclude(state__in=[EarlyReport.State.CLOSED, EarlyReport.State.WITHDRAWN])
        .annotate(
            setl=Subquery(settled.values("setl_id")[:1]),
            setl_pk=Subquery(settled.values("pk")[:1]),
        )
        .filter(setl_pk__isnull=False)
        .values_list("pk", "setl", "setl_pk")
    )
    return early_reports_close([(pk, setl or f"结算记录 {rpk}") for pk, setl, rpk in rows])
