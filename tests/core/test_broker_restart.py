"""A Redis restarted without persistence loses nothing (issue 34, 8).

With the worker stopped, a clerk accepts an application on a promise: its receipt, promise letter
and SMS are queued and the broker takes them. Redis restarts with ``--save '' --appendonly no``
(what it held is gone). A worker and beat start: the outbox still holds every task the broker
took and no worker finished, and the relay sends them again. Before, the rows left the outbox the
moment the broker took them: the letters waited until staff opened them and the SMS until the
reminder sweep, 10 minutes later.

README asks for Redis with AOF and scripts/services runs it so; this test's Redis has none on
purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from redis import Redis as RedisClient

from applications.models import Application, Letter, Notification
from applications.services import application_accept
from config.celery import app as celery_app
from config.settings.base import broker_transport_options
from core import queueing
from core.models import QueuedTask
from tests.celery_processes import celery_processes
from tests.factories import make_application
from tests.stack import Redis, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis(tmp_path, monkeypatch):
    """A private Redis without persistence, and this process publishing to it."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (scripts/install-system-deps installs it)")
    server = Redis(tmp_path / "redis")
    server.start()
    url = server.url(0)
    original = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = broker_transport_options(url, Path("/nonexistent"))
    queueing._drop()
    queueing._mark_broker_up()
    yield server
    queueing._drop()
    monkeypatch.undo()
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = original
    server.stop()


def test_a_redis_restart_without_persistence_loses_no_letter_and_no_message(
    tmp_path, world, applicant, redis
):
    draft = make_application(applicant, world.users["clerk"])
    codes = set(draft.materials.values_list("code", flat=True)) - {"invoice"}
    app = application_accept(
        application=draft, actor=world.users["clerk"], received=codes, promise_signed=True
    )
    taken = list(QueuedTask.objects.values_list("task", "sends"))
    assert taken and all(sends == 1 for _, sends in taken)  # the broker took every one
    client = RedisClient.from_url(redis.url(0))
    assert client.llen("celery") == len(taken)
    client.close()

    redis.stop()
    redis.start()  # same port, nothing kept
    client = RedisClient.from_url(redis.url(0))
    assert client.llen("celery") == 0
    client.close()

    env = {
        "CELERY_BROKER_URL": redis.url(0),
        "OUTBOX_RELAY_SECONDS": "1",
        "OUTBOX_RESEND_SECONDS": "2",
        "REMINDER_SWEEP_SECONDS": "3600",  # not the sweep: the outbox must bring them back
    }
    with celery_processes(tmp_path, beat=True, extra_env=env):
        app = Application.objects.get(pk=app.pk)
        wait_for(
            lambda: set(app.letters.values_list("kind", flat=True)) == {"receipt", "promise"},
            "letters rendered", seconds=90,
        )  # fmt: skip
        wait_for(
            lambda: Notification.objects.filter(application=app, kind="accepted", state="sent").exists(),
            "acceptance message sent", seconds=90,
        )  # fmt: skip
        wait_for(lambda: not QueuedTask.objects.exists(), "outbox empty", seconds=90)
    assert Letter.objects.filter(application=app).count() == 2
    assert Notification.objects.get(application=app, kind="accepted").attempts == 1
