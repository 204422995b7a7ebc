"""Queue a Celery task without ever failing the request that asked for it.

Work that must not be lost is first written to the database (an outbox row, a status); the task
only speeds it up. If the broker is down or hangs (the socket timeouts in settings bound the wait),
``enqueue`` logs and returns False, and the periodic sweep does the work later from the database.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any) -> bool:
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:
        logger.warning(
            "broker unavailable, %s(%s) left to the periodic sweep: %s", task.name, args, exc
        )
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Queue ``task`` once the current transaction has committed (never before the rows exist)."""
    transaction.on_commit(lambda: enqueue(task, *args))
