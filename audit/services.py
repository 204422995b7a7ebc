"""Writing the audit trail. Services call ``record``; detail views of people call ``record_view``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.db import models
from django.utils import timezone

from core.crypto import BlindIndexField, EncryptedCharField

from . import context
from .events import ACTION_OF, Event
from .models import AuditEvent


class Actor(Protocol):
    """Who did it, as the trail sees a staff account (``accounts.User``, on the floor above) or an
    anonymous visitor: the trail needs only these (and reads ``acting_role`` where there is one)."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    def get_username(self) -> str: ...


def _area_of(target: models.Model | None) -> tuple[int | None, int | None]:
    """The (township id, county id) a record belongs to, so county staff can search their own rows.

    A township or county says where it is with ``audit_area``; other records through their
    person's or their own ``township`` (and its county), else their ``county``."""
    if target is None:
        return None, None
    own = getattr(target, "audit_area", None)
    if own is not None:
        return own
    person = getattr(target, "person", None)  # records that belong to a person
    township = getattr(person if person is not None else target, "township", None)
    if township is not None:
        return township.audit_area
    county = getattr(target, "county", None)
    if county is not None:
        return county.audit_area
    return None, None


def record(
    *,
    actor: Actor | None,
    event: Event | str,
    target: models.Model | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    township: models.Model | None = None,  # an areas.Township
    county: models.Model | None = None,  # an areas.County
    username: str = "",
) -> AuditEvent:
    """Append one row for ``event`` (its code; the coarse action follows from it). ``actor`` may be
    None (system, Celery, anonymous). ``township`` or ``county`` place the row where the target
    alone does not say."""
    action = ACTION_OF[event]
    ctx = context.current()
    township_id, county_id = _area_of(target)
    if township is not None:
        township_id, county_id = _area_of(township)
    if county is not None:
        county_id = county.pk
    staff = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    role = getattr(staff, "acting_role", None)
    if ctx is not None and action == AuditEvent.Action.VIEW:
        ctx.viewed = True
    return AuditEvent.objects.create(
        actor_id=staff.pk if staff is not None else None,
        actor_username=(staff.get_username() if staff is not None else username)[:150],
        actor_role=role.value if role else "",
        action=action,
        event=event,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        township_id=township_id,
        county_id=county_id,
        summary=summary[:500],
        changes=changes or {},
        ip=ctx.ip if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
        path=ctx.path if ctx else "",
    )


def record_by_system(
    *,
    event: Event | str,
    model: type[models.Model],
    rows: Iterable[tuple[Any, str, int | None, int | None, str]],
) -> None:
    """Many rows at once for what the system did (a sweep, a task) to many records: ``rows`` are
    (pk, how the record reads, township id, county id, summary). One INSERT per thousand rows."""
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=now,
                actor_username="system",
                action=ACTION_OF[event],
                event=event,
                target_type=model._meta.label_lower,
                target_id=str(pk),
                target_repr=shown[:200],
                township_id=township_id,
                county_id=county_id,
                summary=summary[:500],
            )
            for pk, shown, township_id, county_id, summary in rows
        ],
        batch_size=1000,
    )


def record_view(
    *, event: Event, actor: Actor, target: models.Model, summary: str = ""
) -> AuditEvent:
    """The access log: a staff member opened a person's record (``event``: which page)."""
    return record(actor=actor, event=event, target=target, summary=summary or "查看详情")


def record_list_view(
    *, event: Event, actor: Actor, what: str, shown: int, township: models.Model | None = None
) -> AuditEvent | None:
    """The access log for a page that lists people (names, masked ID numbers): one row per page
    shown, saying how many were on it. An empty page shows nobody and writes nothing."""
    if not shown:
        return None
    return record(
        actor=actor,
        event=event,
        summary=f"查看{what}（本页 {shown} 条）",
        township=township,
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field -> [old, new] for the fields that changed (values made JSON-friendly with str)."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            out[key] = [None if old is None else str(old), None if new is None else str(new)]
    return out


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of a model instance (FKs as ids), for diffs (blind indexes left
    out: they only repeat an encrypted field)."""
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in {"password", "last_login"} and not isinstance(f, BlindIndexField)
    }


def _masked(instance: models.Model, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Encrypted identifiers appear masked in a diff: the audit trail must not hold in clear what
    the database encrypts (the change itself is still seen, compared in clear before masking)."""
    for f in instance._meta.concrete_fields:
        if isinstance(f, EncryptedCharField) and f.attname in changes:
            changes[f.attname] = [
                (f.mask(v) if f.mask else "（已加密）") if v else v for v in changes[f.attname]
            ]
    return changes


# The create/change events of the records saved through ``save_audited`` (others: RECORD_*).
SAVED_EVENTS: dict[str, tuple[Event, Event]] = {
    "accounts.user": (Event.STAFF_CREATED, Event.STAFF_CHANGED),
    "areas.county": (Event.COUNTY_CREATED, Event.COUNTY_CHANGED),
    "areas.township": (Event.TOWNSHIP_CREATED, Event.TOWNSHIP_CHANGED),
    "settlements.city": (Event.CITY_CREATED, Event.CITY_CHANGED),
    "beneficiaries.person": (Event.PERSON_CREATED, Event.PERSON_CHANGED),
    "beneficiaries.household": (Event.HOUSEHOLD_CREATED, Event.HOUSEHOLD_CHANGED),
    "beneficiaries.hardshipidentity": (Event.IDENTITY_CREATED, Event.IDENTITY_CHANGED),
}


def save_audited(
    *, instance: models.Model, actor: Actor | None, summary: str = ""
) -> AuditEvent | None:
    """Validate and save ``instance`` and append the create/update row with the field diff.

    Call inside ``transaction.atomic``. Returns None when nothing changed (no row is written).
    """
    adding = instance._state.adding or instance.pk is None
    before: dict[str, Any] = {}
    if not adding:
        old = type(instance)._default_manager.filter(pk=instance.pk).first()
        before = snapshot(old) if old is not None else {}
    instance.full_clean()
    instance.save()
    changes = _masked(instance, diff(before, snapshot(instance)))
    if not adding and not changes:
        return None
    return record(
        actor=actor,
        event=SAVED_EVENTS.get(
            instance._meta.label_lower, (Event.RECORD_CREATED, Event.RECORD_CHANGED)
        )[0 if adding else 1],
        target=instance,
        summary=summary or f"{'新建' if adding else '修改'}{instance._meta.verbose_name}",
        changes=changes,
    )
