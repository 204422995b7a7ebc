"""Real Celery worker and beat processes over the configured broker (filesystem or Redis).

Beat schedules the heartbeat every second; the worker runs it and writes to the test database;
/healthz then shows when the worker was last seen.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from portal.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def _test_database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _start(args, env, log):
    return subprocess.Popen(
        [CELERY, "-A", "config", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_beat_and_worker_processes_run_the_heartbeat(settings, client, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _test_database_url(),
        "CELERY_FILESYSTEM_DIR": str(settings.CELERY_FILESYSTEM_DIR),
        "HEARTBEAT_SECONDS": "1",
    }
    log = (tmp_path / "celery.log").open("w")
    worker = _start(
        ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle"],
        env,
        log,
    )
    beat = _start(["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"], env, log)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            assert worker.poll() is None, (tmp_path / "celery.log").read_text()
            assert beat.poll() is None, (tmp_path / "celery.log").read_text()
            time.sleep(0.5)
        assert WorkerHeartbeat.objects.exists(), (tmp_path / "celery.log").read_text()
    finally:
        for proc in (beat, worker):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (beat, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    body = client.get("/healthz").json()
    assert body["worker_last_seen"] is not None
    assert body["broker"] == "ok"
