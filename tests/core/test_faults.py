"""Faults of the broker and the cache, with the portal running as it does in production: gunicorn,
a Celery worker and beat as separate processes, driven over HTTP.

Under each fault a clerk accepts an application, an applicant looks it up on the status page (and
someone tries wrong numbers), the administrator uploads an identity file, and /healthz is asked.
Every request must answer within 2 s, none with a server error; once the fault is over, the
receipt and the promise letter are rendered, the applicant's message sent and the file checked,
each exactly once, and nothing is left waiting in the outbox.

The filesystem broker's case runs on the embedded default (SQLite run); Redis's cases in the
PostgreSQL run, on a private redis-server the test stops, hangs and brings back.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from applications.models import Application, Letter, Notification
from beneficiaries.models import IdentityImport
from core.models import QueuedTask
from tests.beneficiaries.conftest import csv_bytes, idn
from tests.conftest import PASSWORD
from tests.factories import make_application
from tests.stack import Redis, Visitor, portal_stack, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
FILESYSTEM = settings.CELERY_BROKER_URL.startswith("filesystem://")
CASES = ["filesystem-unwritable"] if FILESYSTEM else ["redis-down", "redis-hung", "cache-down"]
FAST = {"OUTBOX_RELAY_SECONDS": "1", "BROKER_RETRY_AFTER": "2", "CACHE_RETRY_AFTER": "2",
        "HEARTBEAT_SECONDS": "5", "JOB_SWEEP_SECONDS": "2"}  # fmt: skip


class Fault:
    """What the test breaks and mends, and what /healthz should say meanwhile."""

    def __init__(self, case: str, tmp_path: Path) -> None:
        self.case = case
        self.tmp = tmp_path
        self.redis = Redis(tmp_path / "redis")
        self.cache_redis = Redis(tmp_path / "redis-cache")
        self.queue = tmp_path / "fsq" / "queue"

    def env(self) -> dict[str, str]:
        if self.case == "filesystem-unwritable":
            return {
                "CELERY_BROKER_URL": "filesystem://",
                "CELERY_FILESYSTEM_DIR": str(self.tmp / "fsq"),
            }
        self.redis.start()
        cache = self.redis.url(1)
        if self.case == "cache-down":
            self.cache_redis.start()
            cache = self.cache_redis.url(0)
        return {"CELERY_BROKER_URL": self.redis.url(0), "CACHE_URL": cache}

    def expected_health(self) -> dict[str, str]:
        return {
            "filesystem-unwritable": {"broker": "unwritable"},
            "redis-down": {"broker": "unreachable", "cache": "unreachable"},
            "redis-hung": {"broker": "unreachable", "cache": "unreachable"},
            "cache-down": {"broker": "ok", "cache": "unreachable"},
        }[self.case]

    def break_(self) -> None:
        if self.case == "filesystem-unwritable":
            # immutable (even for root): nothing can be created in the queue folder
            done = subprocess.run(["chattr", "+i", str(self.queue)], capture_output=True)
            if done.returncode != 0:  # no chattr here: a file where the folder was
                self.queue.rename(self.queue.with_name("queue.away"))
                self.queue.write_text("not a folder")
        elif self.case == "redis-down":
            self.redis.stop()
        elif self.case == "redis-hung":
            self.redis.hang()
        else:
            self.cache_redis.stop()

    def mend(self) -> None:
        if self.case == "filesystem-unwritable":
            away = self.queue.with_name("queue.away")
            if away.exists():
                self.queue.unlink()
                away.rename(self.queue)
            else:
                subprocess.run(["chattr", "-i", str(self.queue)], check=True)
        elif self.case == "redis-down":
            self.redis.start()  # same port, empty: what was queued before is in the outbox
        elif self.case == "redis-hung":
            self.redis.wake()
        else:
            self.cache_redis.start()

    def close(self) -> None:
        if self.case == "filesystem-unwritable":
            subprocess.run(["chattr", "-i", str(self.queue)], capture_output=True)
        self.redis.stop()
        self.cache_redis.stop()


def identity_file() -> bytes:
    return csv_bytes(
        [[idn("15012119580312002"), "其其格", "低保对象", "2023-01-01", "", "150121100"]]
    )


@pytest.mark.parametrize("case", CASES)
def test_a_fault_costs_no_request_and_loses_no_work(case, tmp_path, world, applicant):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (scripts/install-system-deps installs it)")
    clerk, admin = world.users["clerk"], world.users["admin"]
    draft = make_application(applicant, clerk)
    codes = list(draft.materials.values_list("code", flat=True))
    fault = Fault(case, tmp_path)
    try:
        with portal_stack(tmp_path, {**FAST, **fault.env()}) as base:
            window, office, public = Visitor(base), Visitor(base), Visitor(base)
            window.sign_in(clerk.username, PASSWORD)
            office.sign_in(admin.username, PASSWORD)
            public.get("/status/")  # each gunicorn worker has loaded the portal before the fault
            window.hits.clear(), office.hits.clear(), public.hits.clear()
            fault.break_()

            accept = f"/applications/{draft.number}/accept/"
            received = {f"got_{c}": "on" for c in codes if c != "invoice"}
            status, _, location = window.post(accept, {**received, "promise_signed": "on"})
            assert (status, location) == (302, f"/applications/{draft.number}/")
            assert window.get(location)[0] == 200
            tail = applicant.id_number[-6:]
            status, page, _ = public.post("/status/", {"number": draft.number, "id_tail": tail})
            assert status == 200 and draft.number in page and "已受理" in page
            refused = 0
            for _ in range(12):  # someone tries wrong ID numbers on this application
                guesser = Visitor(base)
                status, page, _ = guesser.post(
                    "/status/", {"number": draft.number, "id_tail": "000000"}
                )
                public.hits.extend(guesser.hits)
                assert status in (200, 429)
                refused += status == 429 and "查询次数太多" in page
            if FILESYSTEM:  # the embedded default's cache is each process's memory
                assert refused >= 1
            else:  # Redis or not, the 5 wrong tries allowed are counted across both workers
                assert refused == 12 - 5, refused
            status, _, location = office.post(
                "/people/imports/", {"department": "民政", "content": "identities"},
                files={"file": ("fault.csv", identity_file())},
            )  # fmt: skip
            assert status == 302 and "/people/imports/" in location
            status, body = office.get("/healthz")
            health = json.loads(body)
            assert status == 200 and health["status"] == "degraded"
            assert {k: health[k] for k in fault.expected_health()} == fault.expected_health()
            if case != "cache-down":
                assert QueuedTask.objects.exists()  # kept, not lost

            under_fault = [*window.hits, *office.hits, *public.hits]
            fault.mend()
            app = Application.objects.get(pk=draft.pk)
            batch = IdentityImport.objects.get(original_name="fault.csv")
            wait_for(
                lambda: set(app.letters.values_list("kind", flat=True)) == {"receipt", "promise"},
                "letters rendered",
            )
            wait_for(
                lambda: Notification.objects.filter(application=app, kind="accepted", state="sent").exists(),
                "acceptance message sent",
            )  # fmt: skip
            wait_for(
                lambda: IdentityImport.objects.get(pk=batch.pk).status == "previewed",
                "file checked",
            )
            wait_for(lambda: not QueuedTask.objects.exists(), "outbox empty")
            status, body = office.get("/healthz")
            assert json.loads(body)["broker"] == "ok"
    finally:
        fault.close()
    hits = under_fault
    worst = max(hits, key=lambda h: h.seconds)
    assert [h for h in hits if h.status >= 500] == []
    assert worst.seconds < 2, worst
    assert Letter.objects.filter(application=app, kind="receipt").count() == 1
    assert Letter.objects.filter(application=app, kind="promise").count() == 1
    note = Notification.objects.get(application=app, kind="accepted")
    assert note.attempts == 1
    batch.refresh_from_db()
    assert (batch.total_rows, batch.bad_rows) == (1, 0)
    with contextlib.suppress(Exception):
        print(
            f"{case}: {len(hits)} requests, slowest {worst.seconds:.2f} s ({worst.method} {worst.path})"
        )
