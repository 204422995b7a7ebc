"""The platform's daily files: dropped in a folder that beat collects, or pushed with the medical-
insurance department's key; checked and imported with nobody confirming; a file that cannot be
read refused as a file, with the reason."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from beneficiaries import services
from beneficiaries.models import IdentityImport
from monitoring.models import HospitalSettlement
from tests.beneficiaries.conftest import SAMPLES
from tests.factories import PersonFactory
from tests.monitoring.test_platform_import import WULAN, ZHANG

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(world, run_import):
    run_import((SAMPLES / "medins-sample.csv").read_bytes(), "medins.csv", department="医保",
               kind="medins")  # fmt: skip
    PersonFactory(township=world.town_a1, name="乌兰其其格", id_number=WULAN)
    PersonFactory(township=world.town_a1, name="张福来", id_number=ZHANG)


def run_queued(queued):
    """What the worker does with the queued tasks (the check, then the import it queues)."""
    from beneficiaries import tasks

    for callback in queued:
        callback()
    for batch in IdentityImport.objects.filter(status=IdentityImport.Status.UPLOADED):
        tasks.preview_identity_import(batch.pk)
    for batch in IdentityImport.objects.filter(status=IdentityImport.Status.APPLYING):
        tasks.apply_identity_import(batch.pk)


def test_beat_collects_the_folder_and_imports_without_a_confirmation(
    ready, tmp_path, settings, django_capture_on_commit_callbacks
):
    from beneficiaries.tasks import collect_platform_feed

    settings.PLATFORM_FEED_DIR = tmp_path
    (tmp_path / "setl-20260316.csv").write_bytes((SAMPLES / "platform-sample.csv").read_bytes())
    (tmp_path / "readme.pdf").write_bytes(b"%PDF-1.4 not a settlement file")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert collect_platform_feed() == 2
    good = IdentityImport.objects.get(original_name="setl-20260316.csv")
    bad = IdentityImport.objects.get(original_name="readme.pdf")
    assert (good.kind, good.content, good.auto_apply) == ("feed", "platform", True)
    assert (bad.status, bad.message) == (
        "failed",
        "只支持 CSV（.csv）、Excel（.xlsx）和医保平台接口的 JSON（.json）文件。",
    )
    run_queued(queued)
    good.refresh_from_db()
    assert (good.status, good.records_created) == ("applied", 2)
    assert HospitalSettlement.objects.count() == 2
    # the folder is empty again; the files are kept where they were moved
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []
    assert len(list((tmp_path / "已接收").rglob("setl-20260316.csv"))) == 1
    assert len(list((tmp_path / "未识别").rglob("readme.pdf"))) == 1
    assert collect_platform_feed() == 0


def test_the_push_takes_the_interface_json_with_a_medical_insurance_key_only(
    ready, client, django_capture_on_commit_callbacks
):
    _t, key = services.department_token_create(department="医保", label="医保信息平台", actor=None)
    _t2, civil = services.department_token_create(department="民政", label="民政系统", actor=None)
    url = reverse("api_platform_push")
    body = (SAMPLES / "platform-sample.json").read_bytes()
    refused = client.post(url, body, content_type="application/json",
                          headers={"Authorization": f"Bearer {civil}"})  # fmt: skip
    assert refused.status_code == 401
    assert "须为医疗保障部门的密钥" in refused.json()["error"]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(url, body, content_type="application/json",
                             headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert answer.status_code == 202
    pk = answer.json()["import"]
    run_queued(queued)
    status = client.get(reverse("api_platform_status", args=[pk]),
                        headers={"Authorization": f"Bearer {key}"}).json()  # fmt: skip
    assert (status["status"], status["created"], status["refused"]) == ("applied", 1, 0)
    # another key does not see it
    other = client.get(reverse("api_platform_status", args=[pk]),
                       headers={"Authorization": f"Bearer {civil}"})  # fmt: skip
    assert other.status_code == 404
    bad = client.post(url, b"not json", content_type="application/json",
                      headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert (bad.status_code, bad.json()["error"]) == (
        400,
        "文件内容不是 JSON（应以 { 或 [ 开头）。",
    )
    broken = json.dumps({"output": {"setlinfo": [{"setl_id": "X"}]}}).encode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        taken = client.post(url, broken, content_type="application/json",
                            headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    run_queued(queued)
    failed = IdentityImport.objects.get(pk=taken.json()["import"])
    assert failed.status == "failed" and "缺少必需的列" in failed.message
