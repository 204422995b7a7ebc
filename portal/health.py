"""Checks behind /healthz, each bounded in time: the database, the static files' manifest, the
broker (reached *and* written to), the cache, the outbox and the last worker heartbeat.

``status`` is ``ok``, ``degraded`` (the portal serves, but queued work waits: broker or cache
unreachable, tasks waiting in the outbox) or ``error`` (pages fail: database or static files),
and only ``error`` answers 503.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from celery import current_app as celery_app
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.utils import timezone

from core.cache import ResilientRedisCache, redis_state
from core.queueing import pending, unfinished

from .models import WorkerHeartbeat

PROBE_FILE = "portal/portal.css"  # every page links it
HEALTH_TIMEOUT = 0.4  # seconds per check of the broker and of the cache: /healthz answers in ~1 s


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def static_state() -> str:
    """``ok``, or why pages would fail: the hashed storage has no manifest or lacks a file."""
    if not hasattr(staticfiles_storage, "stored_name") or not hasattr(
        staticfiles_storage, "manifest_name"
    ):
        return "ok"  # plain storage (embedded default): files are served as they are
    try:
        staticfiles_storage.stored_name(PROBE_FILE)
    except ValueError:
        return "manifest missing: run collectstatic"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def broker_state() -> str:
    """``ok`` when a write reached the broker; else ``unreachable`` or ``unwritable``."""
    url = celery_app.conf.broker_url or ""
    if url.startswith("filesystem://"):
        folder = Path(celery_app.conf.broker_transport_options["data_folder_in"])
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-", delete=True) as fh:
                fh.write(b"ok")
                fh.flush()
                os.fsync(fh.fileno())
        except FileNotFoundError:
            return "unreachable"
        except OSError:
            return "unwritable"
        return "ok"
    if url.startswith(("redis://", "rediss://")):
        return redis_state(url, HEALTH_TIMEOUT, write=True)
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=HEALTH_TIMEOUT)
    except Exception:
        return "unreachable"
    return "ok"


def cache_state() -> str:
    cache = caches["default"]
    if isinstance(cache, ResilientRedisCache):
        return "ok" if cache.ping(timeout=HEALTH_TIMEOUT) else "unreachable"
    return "ok (this process only)" if "LocMem" in type(cache).__name__ else "ok"


def outbox() -> dict[str, Any]:
    """``waiting``: not taken by the broker yet (``oldest_seconds`` the oldest of them);
    ``unfinished``: taken, and not run to its end by a worker yet."""
    oldest = pending().first()
    return {
        "waiting": pending().count(),
        "oldest_seconds": round((timezone.now() - oldest.created_at).total_seconds())
        if oldest
        else None,
        "unfinished": unfinished().count(),
    }


def last_heartbeat() -> str | None:
    try:
        beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except Exception:
        return None
    return beat.seen_at.isoformat() if beat else None


def report() -> dict[str, Any]:
    db = database_ok()
    static = static_state()
    broker = broker_state()
    cache_ = cache_state()
    queued = None
    database = "ok" if db else "unreachable"
    if db:
        try:
            queued = outbox()
        except DatabaseError:  # reached, but without the portal's tables
            db, database = False, "not migrated: run manage.py migrate"
    if not db or static != "ok":
        status = "error"
    elif broker != "ok" or not cache_.startswith("ok") or _outbox_late(queued):
        status = "degraded"
    else:
        status = "ok"
    return {
        "status": status,
        "database": database,
        "static": static,
        "broker": broker,
        "cache": cache_,
        "outbox": queued,
        "worker_last_seen": last_heartbeat() if db else None,
    }


def _outbox_late(queued: dict[str, Any] | None) -> bool:
    """Tasks normally leave the outbox within a second; two relay periods means they wait."""
    late = max(120, 2 * settings.OUTBOX_RELAY_SECONDS)
    return bool(queued and queued["oldest_seconds"] is not None and queued["oldest_seconds"] > late)
