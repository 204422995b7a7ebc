"""A department's file arriving: checked to be what it claims, kept, and its import created."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import User
from audit.events import Event
from audit.services import record
from core.queueing import enqueue

from ..models import (
    IdentityImport,
)

XLSX_MAGIC = b"PK\x03\x04"


def _check_upload(upload: UploadedFile, *, json_too: bool = False) -> None:
    """Refuse what is not a CSV or XLSX file (or, where the kind takes it, JSON), by its content
    and not only by its name."""
    name = (upload.name or "").lower()
    if json_too and name.endswith(".json"):
        pass
    elif not (name.endswith(".csv") or name.endswith(".xlsx")):
        raise ValidationError(
            "只支持 CSV（.csv）、Excel（.xlsx）和医保平台接口的 JSON（.json）文件。"
            if json_too
            else "只支持 CSV（.csv）和 Excel（.xlsx）文件。"
        )
    if upload.size is not None and upload.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            "文件太大（%(size)s MB），单个文件不能超过 %(limit)s MB，请分批导入。",
            params={
                "size": round(upload.size / 1048576, 1),
                "limit": settings.IMPORT_MAX_BYTES // 1048576,
            },
        )
    if not upload.size:
        raise ValidationError("文件是空的。")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if name.endswith(".xlsx") and not head.startswith(XLSX_MAGIC):
        raise ValidationError("文件内容不是 XLSX 表格（可能是改了扩展名的其他文件）。")
    if name.endswith(".csv") and (
        b"\x00" in head or head.startswith(XLSX_MAGIC) or head.startswith(b"%PDF")
    ):
        raise ValidationError("文件内容不是 CSV 文本（可能是改了扩展名的其他文件）。")
    if name.endswith(".json") and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        raise ValidationError("文件内容不是 JSON（应以 { 或 [ 开头）。")


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def identity_import_create(
    *,
    upload: UploadedFile,
    department: str,
    actor: User,
    content: str = IdentityImport.Content.IDENTITIES,
) -> IdentityImport:
    """Keep the uploaded file and queue its check (preview). Nothing in the registry changes yet.

    ``content`` is the file's kind: a department's identities, or hospital settlement records
    (``monitoring.hospital_import``); both go through the same check, confirm and import."""
    _check_upload(upload, json_too=content == IdentityImport.Content.PLATFORM)
    batch = IdentityImport(
        kind=IdentityImport.Kind.FILE,
        content=content,
        department=department,
        original_name=(upload.name or "")[:200],
        sha256=_sha256(upload),
        uploaded_by=actor,
    )
    batch.file.save(upload.name or "import", upload, save=False)
    batch.save()
    record(
        actor=actor,
        event=Event.IMPORT_UPLOADED,
        target=batch,
        summary=f"上传{batch.get_content_display()}文件 {batch.original_name}",
    )
    enqueue("beneficiaries.tasks.preview_identity_import", batch.pk)
    return batch


def earlier_same_file(batch: IdentityImport) -> IdentityImport | None:
    return (
        IdentityImport.objects.filter(sha256=batch.sha256, status=IdentityImport.Status.APPLIED)
        .exclude(pk=batch.pk)
        .order_by("-applied_at")
        .first()
    )
