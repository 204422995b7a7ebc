"""Real Celery worker and beat processes over the configured broker (filesystem or Redis).

Beat schedules the heartbeat every second; the worker runs it and writes to the test database;
/healthz then shows when the worker was last seen.
"""

import time

import pytest

from portal.models import WorkerHeartbeat
from tests.celery_processes import celery_processes


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_beat_and_worker_processes_run_the_heartbeat(client, tmp_path):
    with celery_processes(tmp_path, beat=True) as log:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            time.sleep(0.5)
        assert WorkerHeartbeat.objects.exists(), log.read_text()
    body = client.get("/healthz").json()
    assert body["worker_last_seen"] is not None
    assert body["broker"] == "ok"
