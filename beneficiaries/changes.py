"""Change requests (变更申请) a department's import proposes: decided by the township, superseded
by the same department's later proposal. The one writer of ``PersonChange.status``."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.access import Capability, can_access_area, has_capability
from accounts.models import User
from audit.events import Event
from audit.services import record, save_audited

from .models import (
    CHANGE_STATES,
    Person,
    PersonChange,
)


@transaction.atomic
def person_change_decide(
    *, change: PersonChange, actor: User, accept: bool, reason: str = ""
) -> PersonChange:
    """The township (or the administrator) confirms a department's proposed change, which then
    updates the registry, or refuses it with a reason. Each decision is in the audit trail; a
    second click on a decided request changes nothing."""
    if not (
        has_capability(actor, Capability.CONFIRM_CHANGES)
        and can_access_area(actor, township=change.township)
    ):
        raise PermissionDenied("只有该人员所在乡镇（街道）的经办人或系统管理员可以处理变更申请。")
    change = (
        PersonChange.objects.select_for_update(of=("self",))  # not the nullable new township
        .select_related("township", "new_township")
        .get(pk=change.pk)
    )
    if change.status != PersonChange.Status.PENDING:
        raise ValidationError(f"该变更申请已处理（{change.get_status_display()}），未再更改。")
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError("退回变更申请须填写理由。")
    summary = "；".join(f"{label}：{old} → {new}" for label, old, new in change.lines())
    if accept:
        person = Person.objects.select_for_update().get(pk=change.person_id)
        for name, (_old, new) in change.changes.items():
            setattr(person, name, new)
        save_audited(
            instance=person,
            actor=actor,
            summary=f"确认{change.department}部门的变更申请：{summary}",
        )
    CHANGE_STATES.step(
        change, PersonChange.Status.ACCEPTED if accept else PersonChange.Status.REFUSED
    )
    change.decided_by, change.decided_at, change.reason = actor, timezone.now(), reason[:200]
    change.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    record(
        actor=actor,
        event=Event.CHANGE_ACCEPTED if accept else Event.CHANGE_REFUSED,
        target=change,
        township=change.township,
        summary=(
            f"确认变更申请：{summary}" if accept else f"退回变更申请：{summary}；理由：{reason}"
        ),
    )
    return change


def changes_supersede(ids: Iterable[int]) -> int:
    """Pending proposals a later import of the same department replaces (the import's writer)."""
    return CHANGE_STATES.move_many(
        PersonChange.objects.filter(pk__in=list(ids)), PersonChange.Status.SUPERSEDED
    )
