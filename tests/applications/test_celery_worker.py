"""Real Celery processes on the configured broker (the filesystem broker on SQLite, Redis in the
PostgreSQL run): a worker sends the acceptance message queued after commit; beat runs the
reminder sweep, which reminds the clerk and the applicant of a promise due tomorrow."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Application, InboxMessage, Notification
from tests.celery_processes import celery_processes
from tests.factories import make_application

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_for(check, log, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(log.read_text())


def test_worker_sends_the_message_queued_at_acceptance(tmp_path, world, applicant, accept):
    with celery_processes(tmp_path) as log:
        app = accept(make_application(applicant, world.users["clerk"]), missing=["invoice"])
        wait_for(lambda: Notification.objects.filter(application=app, state="sent").exists(), log)
    note = Notification.objects.get(application=app)
    assert (note.kind, note.backend, note.attempts) == ("accepted", "logging", 1)
    assert "SMS to 138****8000" in log.read_text()


def test_beat_runs_the_reminder_sweep(tmp_path, world, applicant, accept):
    app = accept(make_application(applicant, world.users["clerk"]), missing=["invoice"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    Application.objects.filter(pk=app.pk).update(promise_due_on=tomorrow)
    with celery_processes(tmp_path, beat=True, extra_env={"REMINDER_SWEEP_SECONDS": "1"}) as log:
        wait_for(
            lambda: Notification.objects.filter(
                application=app, kind="due_soon", state="sent"
            ).exists(),
            log,
        )
        time.sleep(3)  # beat keeps firing: still one reminder for the day
    assert InboxMessage.objects.filter(application=app, kind="due_soon").count() == 1
    assert Notification.objects.filter(application=app, kind="due_soon").count() == 1
    assert Notification.objects.get(application=app, kind="accepted").state == "sent"
