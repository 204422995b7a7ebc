"""The one queueing function: a transactional outbox, bounded by the broker timeouts, relayed
once the broker is back; nothing else in the portal publishes a task."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from django.db import transaction

from config.celery import app as celery_app
from config.settings.base import broker_transport_options
from core import queueing
from core.models import QueuedTask

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "applications", "areas", "audit", "beneficiaries", "config", "core",
        "monitoring", "portal", "settlements"]  # fmt: skip
PUBLISHING = {"delay", "apply_async", "send_task", "signature", "s", "si"}


def test_nothing_but_core_queueing_publishes_a_task():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if path == ROOT / "core" / "queueing.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in PUBLISHING
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()")
    assert offenders == []


def messages_in_broker(limit: int = 50) -> list[tuple[dict, list]]:
    """The messages waiting in the broker's default queue, as (headers, args); consumed."""
    got = []
    with celery_app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        try:
            for _ in range(limit):
                try:
                    message = queue.get(block=True, timeout=1)
                except queue.Empty:
                    break
                args = message.decode()[0] if isinstance(message.decode(), list | tuple) else []
                got.append((dict(message.headers), list(args)))
                message.ack()
        finally:
            queue.close()
    return got


def take_from_broker(limit: int = 50) -> list[tuple[str, list]]:
    """The messages waiting in the broker's default queue, as (task name, args); consumed."""
    return [(headers["task"], args) for headers, args in messages_in_broker(limit)]


@pytest.fixture
def empty_broker():
    take_from_broker(limit=500)
    queueing._mark_broker_up()
    yield
    queueing._mark_broker_up()


@pytest.fixture
def broker_down(monkeypatch, settings):
    """The broker's address answers nothing (port 1): every publish fails at once."""
    url = "redis://127.0.0.1:1/0"
    original = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads the environment first
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = broker_transport_options(url, Path("/nonexistent"))
    yield
    monkeypatch.undo()
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = original


def ids_in_broker(limit: int = 50) -> list[str]:
    """The task ids of the messages waiting in the broker (consumed)."""
    return [headers["id"] for headers, _ in messages_in_broker(limit)]


def run_to_the_end(task_id: str, state: str = "SUCCESS") -> None:
    """What a worker's ``task_prerun`` and ``task_postrun`` signals say of a task it ran."""
    queueing.task_started(task_id=task_id)
    queueing.task_finished(task_id=task_id, state=state)


@pytest.mark.django_db(transaction=True)
def test_a_task_is_published_after_commit_and_leaves_the_outbox_when_a_worker_ran_it(
    empty_broker,
):
    with transaction.atomic():
        row = queueing.enqueue("portal.tasks.record_heartbeat")
        assert QueuedTask.objects.filter(pk=row.pk).exists()  # written with the work
        assert take_from_broker() == []  # not before the commit
    row.refresh_from_db()
    assert (row.sends, row.published_at is not None) == (1, True)  # taken by the broker, kept
    assert ids_in_broker() == [f"outbox-{row.pk}-1"]
    run_to_the_end(f"outbox-{row.pk}-1", state="FAILURE")  # a task that failed keeps its row
    assert QueuedTask.objects.filter(pk=row.pk).exists()
    run_to_the_end(f"outbox-{row.pk}-1")
    assert not QueuedTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_queues_nothing(empty_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        queueing.enqueue("applications.tasks.render_letters", 41)
        raise RuntimeError("the intake failed")
    assert not QueuedTask.objects.exists()
    assert take_from_broker() == []


@pytest.mark.django_db(transaction=True)
def test_broker_down_keeps_the_task_answers_at_once_and_the_relay_sends_it_once(
    empty_broker, broker_down, monkeypatch, settings
):
    started = time.monotonic()
    first = queueing.enqueue("applications.tasks.render_letters", 7)
    second = queueing.enqueue("applications.tasks.render_letters", 7)
    third = queueing.enqueue("monitoring.tasks.recompute_monitoring")
    elapsed = time.monotonic() - started
    assert elapsed < 2
    rows = {r.pk: r for r in QueuedTask.objects.all()}
    assert set(rows) == {first.pk, second.pk, third.pk}
    assert rows[first.pk].attempts == 1 and "127.0.0.1:1" in rows[first.pk].last_error
    # once the broker failed, this process does not wait on it again for BROKER_RETRY_AFTER
    assert (rows[second.pk].attempts, rows[third.pk].attempts) == (0, 0)
    assert queueing.relay(older_than_seconds=0) == 0  # still down: nothing lost, nothing sent
    assert QueuedTask.objects.count() == 3

    monkeypatch.undo()  # the broker is back
    celery_app.conf.broker_url = settings.CELERY_BROKER_URL
    celery_app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert queueing.relay(older_than_seconds=0) == 3
    assert list(QueuedTask.objects.values_list("sends", flat=True)) == [1, 1, 1]
    sent = take_from_broker()
    # the two identical rows went as one task: render_letters is idempotent anyway
    assert sorted(sent) == [
        ("applications.tasks.render_letters", [7]),
        ("monitoring.tasks.recompute_monitoring", []),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_relay_leaves_young_rows_to_the_request_that_wrote_them(empty_broker):
    with transaction.atomic():
        queueing.enqueue("portal.tasks.record_heartbeat")
        transaction.set_rollback(False)
        assert queueing.relay(older_than_seconds=60) == 0
    assert take_from_broker() == [("portal.tasks.record_heartbeat", [])]


@pytest.mark.django_db(transaction=True)
def test_a_task_the_broker_took_and_no_worker_finished_is_sent_again_with_a_doubling_wait(
    empty_broker, settings, time_machine
):
    """A Redis restarted without persistence forgets what it held: the outbox still has it."""
    from datetime import timedelta

    from django.utils import timezone

    settings.OUTBOX_RESEND_SECONDS, settings.OUTBOX_MAX_SENDS = 60, 3
    time_machine.move_to(timezone.now(), tick=False)
    row = queueing.enqueue("applications.tasks.render_letters", 9)
    assert ids_in_broker() == [f"outbox-{row.pk}-1"]  # (and the broker loses it)
    assert queueing.relay() == 0  # a task normally ends within seconds: not yet
    time_machine.shift(timedelta(seconds=61))
    assert queueing.relay() == 1 and ids_in_broker() == [f"outbox-{row.pk}-2"]
    time_machine.shift(timedelta(seconds=61))
    assert queueing.relay() == 0  # the second wait is twice as long
    time_machine.shift(timedelta(seconds=60))
    assert queueing.relay() == 1 and ids_in_broker() == [f"outbox-{row.pk}-3"]
    time_machine.shift(timedelta(days=1))
    assert queueing.relay() == 0  # OUTBOX_MAX_SENDS: it waits on 后台任务 for 立即重发
    assert queueing.relay(force=True) == 1 and ids_in_broker() == [f"outbox-{row.pk}-4"]
    run_to_the_end(f"outbox-{row.pk}-2")  # a late copy ran: the work is done
    assert not QueuedTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_finished_task_takes_out_the_copies_it_covered_and_not_later_work(
    empty_broker, time_machine
):
    """Identical rows the broker had before the task began were covered by its run; one queued
    after it began (new work of the same case) waits for a run of its own."""
    from datetime import timedelta

    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    first = queueing.enqueue("applications.tasks.render_letters", 5)
    copy = queueing.enqueue("applications.tasks.render_letters", 5)
    other = queueing.enqueue("applications.tasks.render_letters", 6)
    time_machine.shift(timedelta(seconds=1))
    queueing.task_started(task_id=f"outbox-{first.pk}-1")
    time_machine.shift(timedelta(seconds=1))
    later = queueing.enqueue("applications.tasks.render_letters", 5)  # the approval's letter
    queueing.task_finished(task_id=f"outbox-{first.pk}-1", state="SUCCESS")
    assert set(QueuedTask.objects.values_list("pk", flat=True)) == {other.pk, later.pk}
    assert copy.pk not in set(QueuedTask.objects.values_list("pk", flat=True))
    ids_in_broker()


@pytest.mark.django_db(transaction=True)
def test_rows_not_yet_due_never_keep_a_waiting_row_from_the_relay(empty_broker, time_machine):
    """Many rows the broker took (a worker out for long) ahead of one it never took: the relay's
    limit is filled with what is due, so the new row goes at once."""
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    for n in range(5):
        queueing.enqueue("applications.tasks.render_letters", n)  # taken, not finished
    ids_in_broker()
    waiting = QueuedTask.objects.create(task="applications.tasks.render_letters", args=[99])
    assert queueing.relay(older_than_seconds=0, limit=3) == 1
    waiting.refresh_from_db()
    assert waiting.sends == 1 and ids_in_broker() == [f"outbox-{waiting.pk}-1"]
