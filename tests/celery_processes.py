"""Start real Celery worker / beat processes against the test database and the test broker."""

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def test_database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@contextlib.contextmanager
def celery_processes(
    tmp_path: Path,
    *,
    beat: bool = False,
    heartbeat_seconds: float = 1,
    extra_env: dict[str, str] | None = None,
    started: list[subprocess.Popen[bytes]] | None = None,
    worker: bool = True,
) -> Iterator[Path]:
    """Run a worker (and beat) until the block ends; yields the path of their shared log.

    ``started`` receives the processes (worker first), for a test that kills one."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "CELERY_FILESYSTEM_DIR": str(settings.CELERY_FILESYSTEM_DIR),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "HEARTBEAT_SECONDS": str(heartbeat_seconds),
        **(extra_env or {}),
    }
    log_path = tmp_path / "celery.log"
    log = log_path.open("a")

    def start(args: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [CELERY, "-A", "config", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    procs = []
    if worker:
        procs.append(
            start(
                ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
            )
        )
    if beat:
        procs.append(start(["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"]))
    if started is not None:
        started.extend(procs)
    try:
        yield log_path
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
