from celery import shared_task
from celery.signals import worker_ready

from . import queueing


@shared_task(ignore_result=True)
def relay_outbox() -> int:
    """Beat, every OUTBOX_RELAY_SECONDS: send the tasks the broker could not take when queued."""
    return queueing.relay()


@worker_ready.connect
def _relay_when_a_worker_starts(**_: object) -> None:
    """A worker that starts (after an outage, a deploy) sends what waited meanwhile."""
    try:
        queueing.relay()
    except Exception:  # the database may not be there yet: beat's relay will do it
        queueing.logger.warning("outbox relay at worker start failed", exc_info=True)
