#!/usr/bin/env python
"""Queueing benchmark: what the outbox costs a request, against the floor of publishing directly.

    DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://… .venv/bin/python bench/queueing.py

For BENCH_TASKS (2,000) tasks, each in its own transaction as a request queues it:
- portal: ``core.queueing.enqueue`` (write the outbox row, publish after commit on a connection of
  its own, mark the row published; the row leaves when a worker has run the task: that delete,
  ``queueing.task_finished``, is timed apart, as the worker's side);
- floor: Celery's ``send_task`` on its pooled producer, after the same empty transaction (what the
  portal did before the outbox: nothing kept if the broker is down).
Then the same with the broker unreachable: the first publish waits for the timeouts, the rest
return at once and stay in the outbox; the relay sends them when it is back.
Prints per-task medians and p95 and the ratio. The queue is drained before and after.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from config.celery import app  # noqa: E402
from config.settings.base import broker_transport_options  # noqa: E402
from core import queueing  # noqa: E402
from core.models import QueuedTask  # noqa: E402

TASKS = int(os.environ.get("BENCH_TASKS", "2000"))
NAME = "portal.tasks.record_heartbeat"


def drain() -> None:
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        while True:
            try:
                queue.get(block=True, timeout=0.5).ack()
            except queue.Empty:
                break
        queue.close()


def timed(fn) -> list[float]:
    samples = []
    for _ in range(TASKS):
        t0 = time.perf_counter()
        with transaction.atomic():
            fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def show(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[18]
    print(f"  {label:<34} median {median:6.2f} ms   p95 {p95:6.2f} ms   max {max(samples):7.1f} ms")
    return median


def main() -> None:
    call_command("migrate", verbosity=0)
    QueuedTask.objects.all().delete()
    drain()
    print(f"queueing {TASKS} tasks, broker {app.conf.broker_url.split('@')[-1]}")
    floor = show("floor: send_task (pooled)", timed(lambda: app.send_task(NAME, retry=False)))
    portal = show("portal: enqueue (outbox)", timed(lambda: queueing.enqueue(NAME)))
    print(
        f"  ratio {portal / floor:.1f}x; kept in the outbox until a worker ran them: "
        f"{QueuedTask.objects.count()}"
    )
    finished = []
    for pk, sends in QueuedTask.objects.values_list("pk", "sends"):
        task_id = f"{queueing.TASK_ID_PREFIX}{pk}-{sends}"
        t0 = time.perf_counter()
        queueing.task_started(task_id=task_id)
        queueing.task_finished(task_id=task_id, state="SUCCESS")
        finished.append((time.perf_counter() - t0) * 1000)
    show("worker's side: task_finished", finished)
    print(f"  left in the outbox: {QueuedTask.objects.count()}")
    drain()

    os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app.conf.broker_transport_options = broker_transport_options(app.conf.broker_url, ROOT)
    down = timed(lambda: queueing.enqueue(NAME))
    show("portal, broker down", down)
    print(f"  kept in the outbox: {QueuedTask.objects.count()} of {TASKS}")
    QueuedTask.objects.all().delete()


if __name__ == "__main__":
    main()
