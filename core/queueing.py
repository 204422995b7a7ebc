"""The one way to queue a Celery task: ``enqueue(task, *args)``. Nothing calls ``.delay`` or
``apply_async`` elsewhere (``tests/core/test_queueing.py`` guards that).

A transactional outbox: ``enqueue`` writes a ``QueuedTask`` row in the caller's transaction, so the
task exists exactly when the work it follows exists. Once the transaction commits, the row is
published to the broker and deleted. If the broker is down or hangs, the publish gives up within
the broker timeouts (``BROKER_CONNECT_TIMEOUT``/``BROKER_SOCKET_TIMEOUT``), the row stays, and for
``BROKER_RETRY_AFTER`` seconds this process does not even try (a request never waits on a broker
twice). ``relay`` (Celery beat, every ``OUTBOX_RELAY_SECONDS``; the worker also runs it when it
starts) sends whatever is left once the broker is back. Tasks are idempotent, so a row sent twice
(published, then the process died before deleting it) costs nothing.
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
from django.db.models import F
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


def _send(name: str, args: list[Any]) -> None:
    """Publish with the timeouts of the settings and no retry."""
    try:
        current_app.send_task(name, args=args, connection=_connection(), retry=False)
    except Exception:
        _drop()
        raise


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
    """Send one outbox row now; True when the broker took it (the row is then deleted)."""
    if broker_known_down():
        return False
    try:
        _send(row.task, row.args)
    except Exception as exc:
        _refused(row, exc)
        return False
    _mark_broker_up()
    QueuedTask.objects.filter(pk=row.pk).delete()
    return True


def relay(*, older_than_seconds: float = 2.0, limit: int = 1000) -> int:
    """Send what the outbox still holds (oldest first); identical rows go as one task.

    Rows younger than ``older_than_seconds`` are left to the request that wrote them (it is about
    to publish them itself). Returns how many rows were sent; stops at the first broker failure."""
    _mark_broker_up()  # the relay is the retry: always try
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    rows = list(
        QueuedTask.objects.filter(created_at__lte=cutoff).order_by("created_at", "id")[:limit]
    )
    sent: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        key = (row.task, repr(row.args))
        if key in sent:
            sent[key].append(row.pk)
            continue
        try:
            _send(row.task, row.args)
        except Exception as exc:
            _refused(row, exc)
            break
        sent[key] = [row.pk]
    done = [pk for pks in sent.values() for pk in pks]
    QueuedTask.objects.filter(pk__in=done).delete()
    if done:
        logger.info("outbox relay sent %d queued task(s)", len(done))
    return len(done)


def pending() -> Any:
    """The outbox as staff see it: what has not reached the broker yet, oldest first."""
    return QueuedTask.objects.order_by("created_at", "id")
