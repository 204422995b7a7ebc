import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from beneficiaries import services
from beneficiaries.idnumber import check_digit
from beneficiaries.models import IdentityImport

HEADER = [
    "公民身份号码",
    "姓名",
    "困难身份类别",
    "认定日期",
    "终止日期",
    "居住乡镇",
    "证件编号",
    "认定部门",
    "联系电话",
    "住址",
]
SAMPLES = Path(__file__).resolve().parents[2] / "beneficiaries" / "samples"


def idn(first17: str) -> str:
    return first17 + check_digit(first17)


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


@pytest.fixture
def run_import(world, django_capture_on_commit_callbacks):
    """Upload, check and (optionally) apply a file as the administrator, the way the tasks do."""

    def _run(content: bytes, name="identities.csv", *, apply=True, department="民政", kind=None):
        admin = world.users["admin"]
        upload = SimpleUploadedFile(name, content)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            batch = services.identity_import_create(
                upload=upload,
                department=department,
                actor=admin,
                content=kind or IdentityImport.Content.IDENTITIES,
            )
        assert len(queued) == 1  # the check is queued for the worker
        services.identity_import_preview(batch=batch)
        batch.refresh_from_db()
        if apply and batch.status == IdentityImport.Status.PREVIEWED:
            with django_capture_on_commit_callbacks(execute=False):
                services.identity_import_apply(batch=batch, actor=admin)
            services.identity_import_run(batch=batch)
            batch.refresh_from_db()
        return batch

    return _run
