"""Import tasks: take an id, claim the batch, resume from its checkpoint (idempotent)."""

import logging
from collections.abc import Callable
from typing import Any

from celery import shared_task

from . import services
from .models import IdentityImport

logger = logging.getLogger(__name__)


def _run(import_id: int, step: Callable[..., Any]) -> None:
    """Run one step on the batch; an unexpected error marks it failed (staff can retry), so no
    import hangs in a running state."""
    batch = IdentityImport.objects.filter(pk=import_id).first()
    if batch is None:
        return
    try:
        step(batch=batch)
    except Exception as exc:
        logger.exception("import %s: %s failed", import_id, step.__name__)
        services.identity_import_crashed(batch_id=import_id, error=exc)


@shared_task(ignore_result=True, acks_late=True)
def preview_identity_import(import_id: int) -> None:
    """Check an uploaded file (a second delivery finds it checked, or held by a live worker)."""
    _run(import_id, services.identity_import_preview)


@shared_task(ignore_result=True, acks_late=True)
def apply_identity_import(import_id: int) -> None:
    """Import a confirmed file (runs only while the batch is 'applying' and not held elsewhere)."""
    _run(import_id, services.identity_import_run)


@shared_task(ignore_result=True)
def resume_stalled_imports() -> int:
    """Beat, every JOB_SWEEP_SECONDS: imports whose worker died are queued again; the staged rows
    of checked files nobody confirmed in IMPORT_STAGED_DAYS are cleared."""
    services.staged_rows_expire()
    return services.stalled_imports_resume()


@shared_task(ignore_result=True)
def collect_platform_feed() -> int:
    """Beat, every PLATFORM_FEED_SECONDS: the platform's files waiting in PLATFORM_FEED_DIR become
    imports (checked, then imported); each file is moved out of the folder once taken, so a second
    run finds nothing to do."""
    from django.conf import settings

    return len(services.platform_feed_collect(settings.PLATFORM_FEED_DIR))
