"""A worker killed in the middle of an import: the sweep gives the import to another worker, which
resumes after the last thousand rows committed; every row is counted once and exists once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from beneficiaries import services
from beneficiaries.models import HardshipIdentity, IdentityImport, ImportRow, Person
from tests.beneficiaries.conftest import csv_bytes, idn
from tests.celery_processes import celery_processes

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROWS = 30_000


def big_file() -> bytes:
    born = date(1950, 1, 1)
    rows = []
    for n in range(ROWS):
        day = born + timedelta(days=n // 1000)  # 1,000 sequence numbers a birthday: all distinct
        first17 = f"150121{day:%Y%m%d}{n % 1000:03d}"
        rows.append(
            [idn(first17), f"居民{n}", "低保对象", "2023-01-01", "", "150121100", "", "", "", ""]
        )
    # one bad row near the end: it must be counted once too
    rows.append(["150121195001010000", "错号", "低保对象", "2023-01-01", "", "150121100"])
    return csv_bytes(rows)


def wait_for(check, log, seconds=240):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(log.read_text()[-5000:])


def test_an_import_whose_worker_is_killed_resumes_with_exact_counts(tmp_path, world):
    admin = world.users["admin"]
    batch = services.identity_import_create(
        upload=SimpleUploadedFile("big.csv", big_file()), department="民政", actor=admin
    )
    services.identity_import_preview(batch=batch)
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows, batch.bad_rows) == ("previewed", ROWS + 1, 1)

    fast = {"JOB_STALE_SECONDS": "3", "JOB_SWEEP_SECONDS": "1", "OUTBOX_RELAY_SECONDS": "1"}
    started: list[subprocess.Popen[bytes]] = []
    with celery_processes(tmp_path, beat=True, extra_env=fast, started=started) as log:
        services.identity_import_apply(batch=batch, actor=admin)
        wait_for(lambda: IdentityImport.objects.get(pk=batch.pk).processed_rows >= 1000, log)
        os.killpg(started[0].pid, signal.SIGKILL)  # the worker dies mid-file, no clean-up
        started[0].wait()
        killed_at = IdentityImport.objects.get(pk=batch.pk)
        assert killed_at.status == "applying"
        assert 1000 <= killed_at.processed_rows < ROWS
        assert Person.objects.count() == killed_at.people_created  # counts commit with the rows
        with celery_processes(tmp_path, extra_env=fast):  # a new worker; beat's sweep requeues
            wait_for(lambda: IdentityImport.objects.get(pk=batch.pk).status == "applied", log)
    batch.refresh_from_db()
    assert batch.attempts == 2
    assert (batch.people_created, batch.identities_created, batch.bad_rows) == (ROWS, ROWS, 1)
    assert batch.processed_rows == batch.total_rows == ROWS + 1
    assert Person.objects.count() == ROWS
    assert HardshipIdentity.objects.count() == ROWS
    assert ImportRow.objects.filter(batch=batch, kind="error").count() == 1
    summary = AuditEvent.objects.filter(event="import.finished").get().summary
    assert f"新增人员 {ROWS}，新增身份 {ROWS}" in summary
