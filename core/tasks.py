from celery import shared_task
from celery.signals import task_postrun, task_prerun, worker_ready

from . import queueing

# an outbox task leaves the outbox when a worker has run it to its end (core.queueing)
task_prerun.connect(queueing.task_started, dispatch_uid="outbox_task_started", weak=False)
task_postrun.connect(queueing.task_finished, dispatch_uid="outbox_task_finished", weak=False)


@shared_task(ignore_result=True)
def relay_outbox() -> int:
    """Beat, every OUTBOX_RELAY_SECONDS: send the tasks the broker could not take when queued, and
    again those it took and no worker finished (a broker restarted without persistence)."""
    return queueing.relay()


@worker_ready.connect
def _relay_when_a_worker_starts(**_: object) -> None:
    """A worker that starts (after an outage, a deploy) sends what waited meanwhile."""
    try:
        queueing.relay()
    except Exception:  # the database may not be there yet: beat's relay will do it
        queueing.logger.warning("outbox relay at worker start failed", exc_info=True)
