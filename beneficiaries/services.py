"""Every write to the registry: people, identity imports (files and pushes), department tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record, save_audited
from portal.queueing import enqueue

from . import importing
from .idnumber import normalise
from .models import DepartmentToken, IdentityImport, IdentitySource, ImportRow, Person

XLSX_MAGIC = b"PK\x03\x04"


@transaction.atomic
def person_save(*, person: Person, actor: Any) -> Person:
    """Validate and save; Person.clean derives birth date and sex from the ID number.

    The ID is normalised here first: the field's length check runs before clean(), so " …x " with
    spaces would otherwise be refused."""
    person.id_number = normalise(person.id_number)
    save_audited(instance=person, actor=actor)
    return person


# --- file imports ---------------------------------------------------------------------------


def _check_upload(upload: UploadedFile) -> None:
    """Refuse what is not a CSV or XLSX file, by its content and not only by its name."""
    name = (upload.name or "").lower()
    if not (name.endswith(".csv") or name.endswith(".xlsx")):
        raise ValidationError("只支持 CSV（.csv）和 Excel（.xlsx）文件。")
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
    actor: Any,
    content: str = IdentityImport.Content.IDENTITIES,
) -> IdentityImport:
    """Keep the uploaded file and queue its check (preview). Nothing in the registry changes yet.

    ``content`` is the file's kind: a department's identities, or hospital settlement records
    (``monitoring.hospital_import``); both go through the same check, confirm and import."""
    _check_upload(upload)
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
        action=AuditEvent.Action.CREATE,
        target=batch,
        summary=f"上传{batch.get_content_display()}文件 {batch.original_name}",
    )
    from .tasks import preview_identity_import

    transaction.on_commit(lambda: preview_identity_import.delay(batch.pk))
    return batch


def earlier_same_file(batch: IdentityImport) -> IdentityImport | None:
    return (
        IdentityImport.objects.filter(sha256=batch.sha256, status=IdentityImport.Status.APPLIED)
        .exclude(pk=batch.pk)
        .order_by("-applied_at")
        .first()
    )


def _progress(batch_id: int) -> Any:
    done = {"n": 0}

    def on_batch(outcomes: list[importing.Outcome]) -> None:
        done["n"] += len(outcomes)
        IdentityImport.objects.filter(pk=batch_id).update(processed_rows=done["n"])

    return on_batch


def _tally(
    batch: IdentityImport, outcomes: Iterable[importing.Outcome], *, keep_changes: bool
) -> None:
    """Count outcomes into the batch and keep the rows worth a word, a thousand at a time."""
    hospital = _hospital(batch)
    pending: list[ImportRow] = []
    for o in outcomes:
        if o.errors:
            batch.bad_rows += 1
        if o.warnings:
            batch.warning_rows += 1
        batch.people_created += o.person == "created"
        batch.people_updated += o.person == "updated"
        if hospital:
            batch.records_created += o.identity == "created"
            batch.records_unchanged += o.identity == "unchanged"
        else:
            batch.identities_created += o.identity == "created"
            batch.identities_updated += o.identity == "updated"
            batch.identities_unchanged += o.identity == "unchanged"
        kept = importing.row_results(batch, [o])
        pending.extend(r for r in kept if keep_changes or r.kind != ImportRow.Kind.CHANGED)
        if len(pending) >= importing.BATCH:
            ImportRow.objects.bulk_create(pending)
            pending.clear()
    ImportRow.objects.bulk_create(pending)


def _hospital(batch: IdentityImport) -> bool:
    return batch.content == IdentityImport.Content.HOSPITAL


def _layout(batch: IdentityImport) -> importing.Layout:
    if _hospital(batch):
        from monitoring import hospital_import

        return hospital_import.LAYOUT
    return importing.IDENTITY_LAYOUT


def _process_file(batch: IdentityImport, *, dry_run: bool) -> None:
    """Stream the batch's file through validation (and, unless dry_run, the writes); tally it."""
    if _hospital(batch):
        from monitoring import hospital_import

        with batch.file.open("rb") as fh:
            outcomes = hospital_import.process(
                importing.read_rows(fh, batch.original_name, hospital_import.LAYOUT),
                batch=batch,
                today=timezone.localdate(),
                dry_run=dry_run,
                on_batch=_progress(batch.pk),
            )
            _tally(batch, outcomes, keep_changes=not dry_run)
        return
    with batch.file.open("rb") as fh:
        outcomes = importing.process(
            importing.read_rows(fh, batch.original_name),
            batch=batch,
            department=batch.department,
            source=IdentitySource.IMPORT,
            today=timezone.localdate(),
            dry_run=dry_run,
            on_batch=_progress(batch.pk),
        )
        _tally(batch, outcomes, keep_changes=not dry_run)


def _reset_counts(batch: IdentityImport) -> None:
    for name in ("processed_rows", "bad_rows", "warning_rows", "people_created", "people_updated",
                 "identities_created", "identities_updated", "identities_unchanged", "records_created",
                 "records_unchanged"):  # fmt: skip
        setattr(batch, name, 0)
    batch.rows.all().delete()


def identity_import_preview(*, batch: IdentityImport) -> IdentityImport:
    """Read the file, check every row, and count what applying it would do. Writes no registry row."""
    claimed = IdentityImport.objects.filter(
        pk=batch.pk, status__in=[IdentityImport.Status.UPLOADED, IdentityImport.Status.PREVIEWING]
    ).update(status=IdentityImport.Status.PREVIEWING)
    if not claimed:
        return batch  # already previewed (a task delivered twice)
    batch.refresh_from_db()
    _reset_counts(batch)
    try:
        with batch.file.open("rb") as fh:
            batch.total_rows = importing.count_rows(fh, batch.original_name, _layout(batch))
        IdentityImport.objects.filter(pk=batch.pk).update(
            total_rows=batch.total_rows, processed_rows=0
        )
        _process_file(batch, dry_run=True)
    except importing.ImportFileError as exc:
        batch.status = IdentityImport.Status.FAILED
        batch.message = str(exc)
    else:
        batch.status = IdentityImport.Status.PREVIEWED
        batch.processed_rows = batch.total_rows
    batch.previewed_at = timezone.now()
    batch.save()
    return batch


@transaction.atomic
def identity_import_apply(*, batch: IdentityImport, actor: Any) -> IdentityImport:
    """Confirm a checked file: queue the import. A second click finds it already under way."""
    locked = IdentityImport.objects.select_for_update().get(pk=batch.pk)
    if locked.status != IdentityImport.Status.PREVIEWED:
        raise ValidationError(
            "该文件当前状态为“%(status)s”，不能再次导入。",
            params={"status": locked.get_status_display()},
        )
    locked.status = IdentityImport.Status.APPLYING
    locked.processed_rows = 0
    locked.save(update_fields=["status", "processed_rows"])
    record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=locked,
        summary=f"确认导入身份数据文件 {locked.original_name}",
    )
    from .tasks import apply_identity_import

    transaction.on_commit(lambda: apply_identity_import.delay(locked.pk))
    return locked


def identity_import_run(*, batch: IdentityImport) -> IdentityImport:
    """The import itself (in the Celery task): stream the file, write people and identities."""
    batch.refresh_from_db()
    if batch.status != IdentityImport.Status.APPLYING:
        return batch
    _reset_counts(batch)
    try:
        _process_file(batch, dry_run=False)
    except importing.ImportFileError as exc:
        batch.status = IdentityImport.Status.FAILED
        batch.message = str(exc)
    else:
        batch.status = IdentityImport.Status.APPLIED
        batch.processed_rows = batch.total_rows
        batch.applied_at = timezone.now()
    batch.save()
    record(
        actor=None,
        action=AuditEvent.Action.UPDATE,
        target=batch,
        username="system",
        summary=(
            f"医院结算数据导入完成：新增人员 {batch.people_created}，新增结算记录 {batch.records_created}，"
            f"已有记录 {batch.records_unchanged}，有误 {batch.bad_rows} 行"
            if _hospital(batch)
            else f"身份数据导入完成：新增人员 {batch.people_created}，新增身份 {batch.identities_created}，"
            f"更新身份 {batch.identities_updated}，未变化 {batch.identities_unchanged}，有误 {batch.bad_rows} 行"
        ),
    )
    if batch.status == IdentityImport.Status.APPLIED:
        # the new expenses and identities reach the warnings now rather than at night
        from monitoring.tasks import recompute_monitoring

        enqueue(recompute_monitoring)
    return batch


# --- the push endpoint ----------------------------------------------------------------------

MAX_PUSH = 1000


def department_token_create(
    *, department: str, label: str, actor: Any
) -> tuple[DepartmentToken, str]:
    """Make a key for a department's system. The key is returned once; only its hash is kept."""
    key = secrets.token_urlsafe(32)
    token = DepartmentToken.objects.create(
        department=department,
        label=label,
        key_prefix=key[:8],
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
    )
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=token,
        summary=f"创建部门推送密钥 {label}",
    )
    return token, key


def department_token_for(key: str) -> DepartmentToken | None:
    if not key:
        return None
    digest = hashlib.sha256(key.encode()).hexdigest()
    return DepartmentToken.objects.filter(key_hash=digest, active=True).first()


def identity_push(
    *, token: DepartmentToken, records: list[dict[str, Any]]
) -> tuple[IdentityImport, list[importing.Outcome]]:
    """Apply records pushed by a department's system; answer per record. Kept as an import."""
    batch = IdentityImport.objects.create(
        kind=IdentityImport.Kind.API,
        department=token.department,
        token=token,
        status=IdentityImport.Status.APPLYING,
        total_rows=len(records),
        original_name=f"{token.label} 推送",
    )
    rows = ((n, r if isinstance(r, dict) else {}) for n, r in enumerate(records, start=1))
    outcomes = list(
        importing.process(
            rows,
            batch=batch,
            department=token.department,
            source=IdentitySource.API,
            today=timezone.localdate(),
            dry_run=False,
        )
    )
    _tally(batch, outcomes, keep_changes=True)
    batch.status = IdentityImport.Status.APPLIED
    batch.processed_rows = len(records)
    batch.applied_at = timezone.now()
    batch.save()
    DepartmentToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    record(
        actor=None,
        action=AuditEvent.Action.UPDATE,
        target=batch,
        username=f"token:{token.key_prefix}",
        summary=f"{token.label} 推送 {len(records)} 条：有误 {batch.bad_rows} 条",
    )
    return batch, outcomes
