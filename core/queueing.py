"""The one way to queue a Celery task: ``enqueue(task, *args)``. Nothing calls ``.delay`` or
``apply_async`` elsewhere (``tests/core/test_queueing.py`` guards that).

A transactional outbox: ``enqueue`` writes a ``QueuedTask`` row in the caller's transaction, so the
task exists exactly when the work it follows exists. Once the transaction commits, the row is
published to the broker (``published_at``). If the broker is down or hangs, the publish gives up
within the broker timeouts (``BROKER_CONNECT_TIMEOUT``/``BROKER_SOCKET_TIMEOUT``), the row stays
unpublished, and for ``BROKER_RETRY_AFTER`` seconds this process does not even try (a request never
waits on a broker twice).

**A row leaves the outbox when a worker has run its task to the end** (``task_finished``, on Celery's
``task_postrun``), not when the broker took it: a Redis restarted without persistence loses what it
held, and with the worker stopped at that moment the receipt, the promise letter and the SMS were
lost until someone opened the case. ``relay`` (Celery beat, every ``OUTBOX_RELAY_SECONDS``; the
worker also runs it when it starts) sends what the broker never took, and sends again what it took
but no worker finished within ``OUTBOX_RESEND_SECONDS`` (doubling after each send, at most
``OUTBOX_MAX_SENDS`` times: then the row waits on 后台任务 for 立即重发). Tasks are idempotent, so a
task that was only slow and runs twice costs nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import QueuedTask

logger = logging.getLogger(__name__)

_broker_down_until = 0.0  # time.monotonic() before which this process does not try the broker
_lock = threading.Lock()


def enqueue(task: Any, *args: Any) -> QueuedTask:
    """Queue ``task(*args)``: recorded now, published after the current transaction commits.

    ``task`` is a Celery task (or its name); ``args`` must be JSON values (ids, not objects)."""
    name = task if isinstance(task, str) else task.name
    row = QueuedTask.objects.create(task=name, args=list(args))
    transaction.on_commit(lambda: publish(row))
    return row


def broker_known_down() -> bool:
    return time.monotonic() < _broker_down_until


def _mark_broker_down() -> None:
    global _broker_down_until
    with _lock:
        _broker_down_until = time.monotonic() + settings.BROKER_RETRY_AFTER


def _mark_broker_up() -> None:
    global _broker_down_until
    with _lock:
        _broker_down_until = 0.0


_local = threading.local()  # this thread's broker connection, kept between publishes


def _connection() -> Any:
    """This thread's connection for publishing, made anew after any failure (a broker that
    restarted leaves no dead socket behind) or when the broker's address changed."""
    url = current_app.conf.broker_write_url
    conn = getattr(_local, "conn", None)
    if conn is not None and _local.pid != os.getpid():
        conn = _local.conn = None  # inherited through fork: the parent's socket, never shared
    if conn is None or _local.url != url:
        if conn is not None:
            _drop()
        _local.conn, _local.url, _local.pid = current_app.connection_for_write(), url, os.getpid()
    return _local.conn


def _drop() -> None:
    conn = getattr(_local, "conn", None)
    _local.conn = None
    if conn is not None:
        try:
            conn.release()
        except Exception:  # already broken: nothing to release
            logger.debug("broker connection dropped", exc_info=True)


TASK_ID_PREFIX = "outbox-"


def task_id_for(row: QueuedTask) -> str:
    """The Celery task id of a send of ``row``: its row and the how-manieth send it is (the worker
    finds the row from it when the task is done)."""
    return f"{TASK_ID_PREFIX}{row.pk}-{row.sends + 1}"


def _send(row: QueuedTask) -> None:
    """Publish with the timeouts of the settings and no retry."""
    try:
        current_app.send_task(
            row.task,
            args=row.args,
            task_id=task_id_for(row),
            connection=_connection(),
            retry=False,
        )
    except Exception:
        _drop()
        raise


def _published(pks: list[int]) -> None:
    QueuedTask.objects.filter(pk__in=pks).update(
        published_at=timezone.now(), sends=F("sends") + 1, last_error=""
    )


def _refused(row: QueuedTask, exc: Exception) -> None:
    """The broker did not take ``row``: it stays, with the try counted and the error kept, and this
    process leaves the broker alone for BROKER_RETRY_AFTER."""
    _mark_broker_down()
    QueuedTask.objects.filter(pk=row.pk).update(
        attempts=F("attempts") + 1, last_tried_at=timezone.now(), last_error=str(exc)[:500]
    )
    logger.warning(
        "broker unavailable, %s%s stays in the outbox: %s", row.task, tuple(row.args), exc
    )


def publish(row: QueuedTask) -> bool:
    """Send one outbox row now; True when the broker took it (the row then waits for a worker
    to finish the task)."""
    if broker_known_down():
        return False
    try:
        _send(row)
    except Exception as exc:
        _refused(row, exc)
        return False
    _mark_broker_up()
    _published([row.pk])
    return True


def _due(now: Any, *, force: bool) -> Q:
    """The rows to send: those the broker never took, and those it took that no worker finished
    within OUTBOX_RESEND_SECONDS, doubling with each send, at most OUTBOX_MAX_SENDS times
    (``force``: 立即重发, every one). In the query itself, so that rows not yet due never fill
    the relay's limit ahead of rows that are."""
    if force:
        return Q()
    due = Q(published_at__isnull=True)
    for sends in range(1, settings.OUTBOX_MAX_SENDS):
        wait = timedelta(seconds=settings.OUTBOX_RESEND_SECONDS * 2 ** (sends - 1))
        due |= Q(sends=sends, published_at__lte=now - wait)
    return due


def relay(*, older_than_seconds: float = 2.0, limit: int = 1000, force: bool = False) -> int:
    """Send what the outbox still holds (oldest first): rows the broker never took, and rows it
    took that no worker finished in time (``_due``); identical rows go as one task.

    Rows younger than ``older_than_seconds`` are left to the request that wrote them (it is about
    to publish them itself). Returns how many rows were sent; stops at the first broker failure."""
    _mark_broker_up()  # the relay is the retry: always try
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    rows = QueuedTask.objects.filter(_due(now, force=force), created_at__lte=cutoff).order_by(
        "created_at", "id"
    )[:limit]
    sent: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        key = (row.task, repr(row.args))
        if key in sent:
            sent[key].append(row.pk)
            continue
        try:
            _send(row)
        except Exception as exc:
            _refused(row, exc)
            break
        sent[key] = [row.pk]
    done = [pk for pks in sent.values() for pk in pks]
    _published(done)
    if done:
        logger.info("outbox relay sent %d queued task(s)", len(done))
    return len(done)


# --- a task run to its end ------------------------------------------------------------------

_started: dict[str, Any] = {}  # task id -> when this worker began it (threads: one key each)


def task_started(task_id: str | None = None, **_: Any) -> None:
    """Celery's ``task_prerun``: remember when an outbox task began."""
    if task_id and task_id.startswith(TASK_ID_PREFIX):
        _started[task_id] = timezone.now()


def task_finished(task_id: str | None = None, state: str | None = None, **_: Any) -> None:
    """Celery's ``task_postrun``: a task that ran to its end (state SUCCESS) takes its row out of
    the outbox, with every identical row the broker had before the task began (their work was
    committed before it started, so this run covered it). A task that failed keeps its row: the
    relay sends it again."""
    started = _started.pop(task_id or "", None)
    if started is None or state != "SUCCESS":
        return
    try:
        pk = int((task_id or "").removeprefix(TASK_ID_PREFIX).split("-", 1)[0])
    except ValueError:
        return
    row = QueuedTask.objects.filter(pk=pk).first()
    if row is None:
        return
    same = [
        other.pk
        for other in QueuedTask.objects.filter(
            task=row.task, published_at__isnull=False, published_at__lte=started
        ).only("pk", "args")
        if other.args == row.args
    ]
    QueuedTask.objects.filter(pk__in={pk, *same}).delete()


def pending() -> Any:
    """What has not reached the broker yet, oldest first (后台任务's first list)."""
    return QueuedTask.objects.filter(published_at__isnull=True).order_by("created_at", "id")


def outstanding() -> Any:
    """Every task not run to its end yet, whether the broker took it or not."""
    return QueuedTask.objects.order_by("created_at", "id")


def unfinished() -> Any:
    """What the broker took and no worker has finished yet, oldest first."""
    return QueuedTask.objects.filter(published_at__isnull=False).order_by("published_at", "id")
