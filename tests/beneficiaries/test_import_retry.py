"""A failed or stalled import: said on its page and on 后台任务, with 重试 that goes on from where it
stopped; refused while a live worker holds it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from beneficiaries import services, tasks
from beneficiaries.models import IdentityImport, Person, StagedRow
from core.models import QueuedTask
from tests.beneficiaries.conftest import csv_bytes, idn

ROWS = [
    [idn(f"1501211958031200{n}"), f"人员{n}", "低保对象", "2023-01-01", "", "150121100"]
    for n in range(3)
]


@pytest.fixture
def confirmed(world, run_import, django_capture_on_commit_callbacks):
    batch = run_import(csv_bytes(ROWS), apply=False)
    with django_capture_on_commit_callbacks(execute=False):
        services.identity_import_apply(batch=batch, actor=world.users["admin"])
    batch.refresh_from_db()
    return batch


def test_an_unexpected_error_fails_the_import_with_a_reason_and_retry_finishes_it(
    world, confirmed, client, django_capture_on_commit_callbacks
):
    # the import reads the rows the check staged, not the file: one of them is unreadable
    staged = StagedRow.objects.filter(batch=confirmed).order_by("row_number")
    assert staged.count() == 3
    kept = staged[1].data
    StagedRow.objects.filter(pk=staged[1].pk).update(data="{")
    tasks.apply_identity_import(confirmed.pk)
    confirmed.refresh_from_db()
    assert confirmed.status == "failed"
    assert confirmed.message == "处理出错（JSONDecodeError），已记录。可点“重试”从中断处继续。"
    assert Person.objects.count() == 0

    client.force_login(world.users["admin"])
    page = client.get(f"/people/imports/{confirmed.pk}/").content.decode()
    assert 'data-testid="import-trouble"' in page and "处理失败" in page and "重试" in page
    jobs = client.get("/jobs/").content.decode()
    assert confirmed.original_name in jobs

    StagedRow.objects.filter(pk=staged[1].pk).update(data=kept)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/people/imports/{confirmed.pk}/retry/")
    assert response.status_code == 302
    queued = QueuedTask.objects.latest("id")  # (the earlier steps' rows were never published here)
    assert (queued.task, queued.args) == (
        "beneficiaries.tasks.apply_identity_import",
        [confirmed.pk],
    )
    assert AuditEvent.objects.filter(event="import.retried").count() == 1
    tasks.apply_identity_import(confirmed.pk)  # what the worker does with it
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.people_created, confirmed.attempts) == ("applied", 3, 1)
    assert not StagedRow.objects.filter(batch=confirmed).exists()  # the sealed numbers are gone


def test_a_stalled_import_is_found_shown_and_queued_again(world, confirmed, client, settings):
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS + 5)
    IdentityImport.objects.filter(pk=confirmed.pk).update(heartbeat_at=stale, attempts=1)
    assert list(services.stalled_imports()) == [confirmed]
    client.force_login(world.users["admin"])
    page = client.get(f"/people/imports/{confirmed.pk}/").content.decode()
    assert "处理进程已超过" in page
    assert services.stalled_imports_resume() == 1
    assert QueuedTask.objects.filter(
        task="beneficiaries.tasks.apply_identity_import", args=[confirmed.pk]
    ).exists()


def test_retry_is_refused_while_a_live_worker_holds_the_import(world, confirmed):
    # a worker took it (attempts 1) and reported just now
    IdentityImport.objects.filter(pk=confirmed.pk).update(heartbeat_at=timezone.now(), attempts=1)
    with pytest.raises(ValidationError, match="正在正常处理，无需重试"):
        services.identity_import_retry(batch=confirmed, actor=world.users["admin"])
    # and a second delivery of the task while it is held does nothing
    services.identity_import_run(batch=confirmed)
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.people_created) == ("applying", 0)


def test_an_import_that_keeps_dying_stops_being_retried_by_itself(world, confirmed, settings):
    dead = timezone.now() - timedelta(
        seconds=settings.JOB_STALE_SECONDS + 5
    )  # its last worker died
    IdentityImport.objects.filter(pk=confirmed.pk).update(
        attempts=settings.JOB_MAX_ATTEMPTS, heartbeat_at=dead
    )
    services.identity_import_run(batch=confirmed)
    confirmed.refresh_from_db()
    assert confirmed.status == "failed"
    assert confirmed.message.startswith(
        f"处理已中断 {settings.JOB_MAX_ATTEMPTS} 次，系统不再自动重试"
    )
    assert Person.objects.count() == 0


def test_an_import_moves_only_along_its_declared_graph(world, run_import):
    from beneficiaries.models import IMPORT_MOVES

    batch = run_import(csv_bytes(ROWS))
    assert batch.status == "applied"
    assert all("applied" not in sources for sources in IMPORT_MOVES.values())  # final
    for target in IMPORT_MOVES:
        assert services._move(batch, target) is False
    assert IdentityImport.objects.get(pk=batch.pk).status == "applied"
    with pytest.raises(ValidationError, match="不能再次导入"):
        services.identity_import_apply(batch=batch, actor=world.users["admin"])


def test_a_file_confirmed_long_after_its_upload_is_not_stalled(world, run_import, settings):
    """Confirming set no heartbeat, so the upload's age made a just-confirmed file look stalled
    (and the sweep queued it again at once)."""
    batch = run_import(csv_bytes(ROWS), apply=False)
    long_ago = timezone.now() - timedelta(hours=3)
    IdentityImport.objects.filter(pk=batch.pk).update(created_at=long_ago)
    services.identity_import_apply(batch=batch, actor=world.users["admin"])
    assert not services.stalled_imports().exists()
    assert services.stalled_imports_resume() == 0
    services.identity_import_run(batch=batch)  # the queued task is still taken
    batch.refresh_from_db()
    assert (batch.status, batch.people_created, batch.attempts) == ("applied", 3, 1)
    IdentityImport.objects.filter(pk=batch.pk).update(
        status="applying", heartbeat_at=long_ago, attempts=1
    )  # a worker that died three hours ago
    assert list(services.stalled_imports()) == [batch]
