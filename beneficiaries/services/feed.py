"""Files that systems hand over without a person: the platform's daily settlement files dropped in
a folder (collected by beat), or pushed with a key. Each becomes an import like an uploaded file —
checked, then imported at once (``auto_apply``: nobody confirms a system's file; its refused rows
are listed on the import page) — or, when it cannot be read as a file, a failed import with the
reason."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from audit.events import Event
from audit.services import record
from core.queueing import enqueue

from ..models import Department, DepartmentToken, IdentityImport
from .jobs import _fail
from .uploads import _check_upload

FEED_SUFFIXES = (".csv", ".xlsx", ".json")


@transaction.atomic
def system_import_create(
    *,
    name: str,
    content: bytes,
    kind: str,
    data: str = IdentityImport.Content.PLATFORM,
    token: DepartmentToken | None = None,
) -> IdentityImport:
    """A system's file kept as an import and queued for its check (then imported at once); a file
    refused as a file is kept as a failed import with the reason, nothing queued."""
    upload = SimpleUploadedFile(name, content)
    batch = IdentityImport(
        kind=kind, content=data, department=Department.MEDICAL_INSURANCE, token=token,
        original_name=name[:200], sha256=hashlib.sha256(content).hexdigest(), auto_apply=True,
    )  # fmt: skip
    try:
        _check_upload(upload, json_too=data == IdentityImport.Content.PLATFORM)
    except ValidationError as exc:
        batch.save()
        _fail(batch, "；".join(exc.messages))
        record(actor=None, event=Event.IMPORT_UPLOADED, target=batch,
               summary=f"{batch.get_kind_display()} {name} 无法读取：{batch.message}")  # fmt: skip
        return batch
    batch.file.save(name, ContentFile(content), save=False)
    batch.save()
    record(actor=None, event=Event.IMPORT_UPLOADED, target=batch,
           summary=f"{batch.get_kind_display()}：{batch.get_content_display()} {name}")  # fmt: skip
    enqueue("beneficiaries.tasks.preview_identity_import", batch.pk)
    return batch


def platform_feed_collect(directory: Path) -> list[IdentityImport]:
    """The files waiting in the feed folder, oldest name first: each taken as an import and moved
    to ``已接收/<date>/`` (kept, never deleted: the platform's file is the record). Not a file of
    the platform's kinds: moved to ``未识别/`` and reported as a failed import."""
    if not directory.is_dir():
        return []
    made = []
    stamp = timezone.localdate().isoformat()
    for path in sorted(
        p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")
    ):
        content = path.read_bytes()
        batch = system_import_create(name=path.name, content=content, kind=IdentityImport.Kind.FEED)
        target = (
            directory
            / ("已接收" if batch.status != IdentityImport.Status.FAILED else "未识别")
            / stamp
        )
        target.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), target / path.name)
        made.append(batch)
    return made
