"""Telling people: the applicant's SMS (queued, delivered by the worker, retried), the clerk's
inbox, the letters rendered after a decision."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from core.queueing import enqueue

from ..models import (
    NOTIFICATION_STATES,
    Application,
    InboxMessage,
    Notification,
)
from ..notify import NotificationError, get_backend


def _queue_letters(app: Application) -> None:
    """Render the case's documents in a worker after commit (staff can also render on demand)."""
    from ..tasks import render_letters

    enqueue(render_letters, app.pk)


def _missing_text(app: Application) -> str:
    missing = [m.get_code_display() for m in app.materials.all() if not m.received]
    return "、".join(missing)


def _notify(app: Application, kind: str, text: str, key: str) -> None:
    """Write the outbox row (once per key) and try to send it right after commit."""
    phones = {p for p in (app.contact_phone, app.agent_phone) if p}
    from ..tasks import deliver_notifications

    for phone in sorted(phones):
        Notification.objects.bulk_create(
            [
                Notification(
                    application=app,
                    kind=kind,
                    phone=phone,
                    text=text[: Notification._meta.get_field("text").max_length],  # type: ignore[index]
                    dedupe_key=f"{key}:{phone}",
                )
            ],
            ignore_conflicts=True,
        )
    if phones:
        enqueue(deliver_notifications)


def _tell_township(app: Application, kind: str, text: str, key: str = "") -> None:
    """An inbox message to the window clerk who took the case (once per ``key``; by default once
    per case and kind)."""
    InboxMessage.objects.bulk_create(
        [
            InboxMessage(
                recipient_id=app.created_by_id,
                application=app,
                kind=kind,
                text=text[:300],
                for_day=timezone.localdate(),
                dedupe_key=(key or f"{kind}:{app.pk}")[:80],
            )
        ],
        ignore_conflicts=True,
    )


def applicant_told(*, application: Application, kind: str, key: str, sms: str) -> None:
    """A floor above tells the applicant of a case (its payment, say): an SMS to the applicant's
    phones, once per ``key``, in the caller's transaction."""
    _notify(application, kind, sms, key)


def window_of(app: Application) -> str:
    """How an SMS names the window to call: 察素齐镇社会救助服务窗口（电话 …）."""
    town = app.township
    return f"{town.name}社会救助服务窗口" + (
        f"（电话{town.window_phone}）" if town.window_phone else ""
    )


def applicant_and_window_told(
    *, application: Application, kind: str, key: str, sms: str, inbox: str
) -> None:
    """A floor above tells of a case (a recovery, say): an SMS to the applicant's phones and a line
    in the inbox of the clerk who took the case, each once per ``key``, in the caller's transaction."""
    _notify(application, kind, sms, key)
    _tell_township(application, kind, inbox, key)


@transaction.atomic
def inbox_mark_read(*, message: InboxMessage, actor: User) -> None:
    if message.recipient_id != actor.pk:
        raise ValidationError("这不是您的提醒。", code="not_yours")
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])


MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=5)  # a failed message waits this long before its next attempt
STALE_CLAIM = timedelta(minutes=10)


def notifications_deliver_all(*, batches: int = 100) -> tuple[int, int]:
    """Send everything waiting, 5,000 messages (three queries) at a time."""
    sent = failed = 0
    for _ in range(batches):
        done, broken = notifications_deliver()
        sent, failed = sent + done, failed + broken
        if not done and not broken:
            break
    return sent, failed


def _claim(token: str, limit: int) -> int:
    """Claim up to ``limit`` messages for this worker with one UPDATE; returns how many."""
    now = timezone.now()
    ready = (
        Q(state=Notification.State.PENDING)
        | Q(
            state=Notification.State.FAILED,
            attempts__lt=MAX_ATTEMPTS,
            claimed_at__lt=now - RETRY_AFTER,
        )
        | Q(state=Notification.State.SENDING, claimed_at__lt=now - STALE_CLAIM)
    )
    waiting = list(
        Notification.objects.filter(ready).order_by("id").values_list("id", flat=True)[:limit]
    )
    # The same condition again in the UPDATE: a row another worker claimed meanwhile no longer
    # matches it, so each row is claimed by one worker only.
    claimed_count = NOTIFICATION_STATES.move_many(
        Notification.objects.filter(ready, id__in=waiting),
        Notification.State.SENDING,
        claim=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
    )
    return claimed_count


def notifications_deliver(*, limit: int = 5000) -> tuple[int, int]:
    """Send what is waiting in the outbox, each message by exactly one worker.

    A worker claims rows with one UPDATE (a token no other worker has), then sends them; a claim
    older than STALE_CLAIM (a worker that died) is taken over. Failed messages are tried again on
    a sweep at least RETRY_AFTER later, up to MAX_ATTEMPTS."""
    token = uuid.uuid4().hex
    claimed_count = _claim(token, limit)
    if not claimed_count:
        return 0, 0
    claimed = list(Notification.objects.filter(claim=token, state=Notification.State.SENDING))
    try:
        backend = get_backend()
    except NotificationError as exc:
        NOTIFICATION_STATES.move_many(
            Notification.objects.filter(claim=token),
            Notification.State.FAILED,
            last_error=str(exc)[:300],
        )
        return 0, len(claimed)
    sent_ids, failures = [], []
    for note in claimed:
        try:
            backend.send(note.phone, note.text)
        except NotificationError as exc:
            NOTIFICATION_STATES.step(note, Notification.State.FAILED)
            note.last_error = str(exc)[:300]
            failures.append(note)
        else:
            sent_ids.append(note.pk)
    if sent_ids:
        NOTIFICATION_STATES.move_many(
            Notification.objects.filter(pk__in=sent_ids),
            Notification.State.SENT,
            sent_at=timezone.now(),
            backend=backend.name,
            last_error="",
        )
    if failures:
        Notification.objects.bulk_update(failures, ["state", "last_error"])
    return len(sent_ids), len(failures)
