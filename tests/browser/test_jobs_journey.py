"""The administrator on 后台任务: a task that waited for the broker is sent with 立即重发; an import
that failed is retried from its page and finishes."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from beneficiaries import services
from beneficiaries.models import IdentityImport
from core.models import QueuedTask
from tests.beneficiaries.conftest import csv_bytes, idn
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.core.test_queueing import take_from_broker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_administrator_sends_waiting_tasks_and_retries_a_failed_import(
    live_server, page, world
):
    admin = world.users["admin"]
    rows = [[idn("15012119580312002"), "其其格", "低保对象", "2023-01-01", "", "150121100"]]
    batch = services.identity_import_create(
        upload=SimpleUploadedFile("民政低保名单.csv", csv_bytes(rows)),
        department="民政",
        actor=admin,
    )
    # what the outbox holds after the broker refused a task three times
    QueuedTask.objects.create(
        task="monitoring.tasks.recompute_monitoring",
        attempts=3,
        last_error="Error 111 connecting to 127.0.0.1:6379. Connection refused.",
    )
    stored = Path(batch.file.path)
    kept = stored.read_bytes()
    stored.unlink()  # the storage lost the file: the check fails with a reason
    from beneficiaries.tasks import preview_identity_import

    preview_identity_import(batch.pk)
    assert IdentityImport.objects.get(pk=batch.pk).status == "failed"
    stored.write_bytes(kept)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(admin.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="管理", exact=True).click()  # the administrator's tools menu
    page.get_by_role("link", name="后台任务").click()
    assert page.get_by_test_id("waiting-count").inner_text() == "1"
    waiting = page.get_by_test_id("waiting").inner_text()
    assert "重算医疗负担与防贫预警" in waiting and "Connection refused" in waiting
    assert "民政低保名单.csv" in page.get_by_test_id("troubled-imports").inner_text()
    screenshot(page, "jobs")
    page.get_by_role("button", name="立即重发").click()
    assert "已重发 1 项任务。" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("waiting-count").inner_text() == "0"

    page.get_by_role("link", name="民政低保名单.csv").click()
    assert "处理出错（FileNotFoundError）" in page.get_by_test_id("import-trouble").inner_text()
    page.get_by_role("button", name="重试").click()
    assert "将从中断处继续" in page.locator(".alert-success").inner_text()
    sent = take_from_broker()  # 立即重发's task and the retry's, both published
    assert ("monitoring.tasks.recompute_monitoring", []) in sent
    assert ("beneficiaries.tasks.preview_identity_import", [batch.pk]) in sent
    # both taken by the broker; each leaves the outbox when a worker has run it (core.queueing)
    assert not QueuedTask.objects.filter(published_at__isnull=True).exists()
    preview_identity_import(batch.pk)  # what the worker does with it
    page.reload()
    assert page.get_by_test_id("import-status").inner_text() == "检查完成，等待确认导入"
    assert re.search(r"数据行\s*1", page.get_by_test_id("import-counts").inner_text())
    assert page.console_errors == []
