"""Checks behind /healthz: database reachable, broker reachable (or not), last worker heartbeat."""

from __future__ import annotations

from typing import Any

from django.db import connection

from config.celery import app as celery_app

from .models import WorkerHeartbeat


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def broker_ok(timeout: float = 1.0) -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            return True
    except Exception:
        return False


def last_heartbeat() -> str | None:
    try:
        beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except Exception:
        return None
    return beat.seen_at.isoformat() if beat else None


def report() -> dict[str, Any]:
    db = database_ok()
    return {
        "status": "ok" if db else "error",
        "database": "ok" if db else "unreachable",
        "broker": "ok" if broker_ok() else "unreachable",
        "worker_last_seen": last_heartbeat() if db else None,
    }
