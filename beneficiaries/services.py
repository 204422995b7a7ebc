"""Every write to the registry: people, identity imports (files and pushes), department tokens."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.access import Capability, can_access_area, has_capability
from accounts.models import User
from audit.models import AuditEvent
from audit.services import record, save_audited
from core.queueing import enqueue
from core.rows import (
    BATCH,
    ImportFileError,
    Layout,
    count_rows,
    insert_rows,
    read_rows,
    relaxed_commit,
)

from . import importing
from .idnumber import mask, normalise
from .models import (
    IMPORT_MOVES,
    DepartmentToken,
    Household,
    IdentityImport,
    IdentitySource,
    ImportRow,
    Person,
    PersonChange,
    Relationship,
    StagedRow,
)

XLSX_MAGIC = b"PK\x03\x04"


@transaction.atomic
def person_save(*, person: Person, actor: User) -> Person:
    """Validate and save; Person.clean derives birth date and sex from the ID number.

    The ID is normalised here first: the field's length check runs before clean(), so " …x " with
    spaces would otherwise be refused."""
    person.id_number = normalise(person.id_number)
    save_audited(instance=person, actor=actor)
    return person


@transaction.atomic
def household_member_add(
    *, person: Person, name: str, id_number: str, relationship: str, actor: User
) -> Person:
    """A member of ``person``'s household added at the window (the 因病致贫 pre-check counts the
    household): registered on the spot in the person's township, or, if the registry knows them
    and they belong to no household yet, linked. The household is made when the person has none
    (the person its head), and its size is at least its members."""
    if not can_access_area(actor, township=person.township) or not has_capability(
        actor, Capability.INTAKE
    ):
        raise PermissionDenied("只有申请人所在乡镇（街道）的窗口经办人可以登记家庭成员。")
    if relationship not in Relationship.values or relationship == Relationship.HEAD:
        raise ValidationError({"relationship": "请选择与户主的关系（户主以外）。"})
    number = normalise(id_number)
    person = Person.objects.select_for_update().get(pk=person.pk)
    household = person.household
    if household is None:
        household = Household.objects.create(township=person.township, size=1)
        person.household = household
        person.relationship = person.relationship or Relationship.HEAD
        save_audited(instance=person, actor=actor, summary="窗口预审：建立家庭，本人为户主")
    known = Person.objects.with_id_number(number).first() if number else None
    if known is not None:
        if known.household_id == household.pk:
            raise ValidationError({"id_number": f"{known.name}已是这个家庭的成员。"})
        if known.household_id is not None:
            raise ValidationError(
                {
                    "id_number": "此人已登记在另一个家庭，请核实；确需调整的请联系其所在乡镇（街道）。"
                }
            )
        if not can_access_area(actor, township=known.township):
            raise ValidationError(
                {"id_number": "此人登记在其他乡镇（街道），请由其所在乡镇（街道）办理。"}
            )
        member = known
    else:
        member = Person(id_number=number, name=name.strip(), township=person.township)
    member.household = household
    member.relationship = relationship
    save_audited(instance=member, actor=actor, summary=f"窗口预审：登记为{person.name}的家庭成员")
    members = Person.objects.filter(household=household).count()
    if household.size < members:
        Household.objects.filter(pk=household.pk).update(size=members)
    return member


@transaction.atomic
def person_death_record(*, person: Person, died_on: Any, note: str, actor: User) -> Person:
    """死亡减员: the day a person died, with where the portal learned it (a death certificate, the
    family, the civil-affairs file). Every identity still valid that day ends that day, and the
    subsidy roster built next marks the person (and lists a subsidy paid after death for recovery).
    Recorded once; a correction goes through the administrator (the record is in the audit trail)."""
    if not can_access_area(actor, township=person.township) or not has_capability(
        actor, Capability.CONFIRM_CHANGES
    ):
        raise PermissionDenied("只有救助对象所在乡镇（街道）的经办人可以登记死亡。")
    person = Person.objects.select_for_update().get(pk=person.pk)
    today = timezone.localdate()
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if person.died_on is not None:
        raise ValidationError(
            f"{person.name}已登记死亡（{person.died_on:%Y-%m-%d}），不能重复登记。"
        )
    if died_on is None:
        errors["died_on"] = "请填写死亡日期。"
    elif died_on > today:
        errors["died_on"] = f"死亡日期 {died_on:%Y-%m-%d} 晚于今天，请核对。"
    elif person.birth_date and died_on < person.birth_date:
        errors["died_on"] = (
            f"死亡日期 {died_on:%Y-%m-%d} 早于出生日期 {person.birth_date:%Y-%m-%d}，请核对。"
        )
    if not note:
        errors["note"] = "请写明信息来源，例如：死亡医学证明编号、家属告知、民政部门通报。"
    if not errors:
        later = person.identities.filter(certified_on__gt=died_on).first()
        if later is not None:
            errors["died_on"] = (
                f"死亡日期 {died_on:%Y-%m-%d} 早于{later.get_category_display()}身份的认定日期 "
                f"{later.certified_on:%Y-%m-%d}，请核实后再登记。"
            )
    if errors:
        raise ValidationError(errors)
    person.died_on = died_on
    person.death_note = note[:200]
    save_audited(
        instance=person, actor=actor, summary=f"登记死亡：{died_on:%Y-%m-%d}（{note[:60]}）"
    )
    ended = person.identities.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=died_on))
    labels = [i.get_category_display() for i in ended]
    n = ended.update(ended_on=died_on, updated_at=timezone.now())
    if n:
        record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            target=person,
            summary=f"因死亡终止困难身份 {n} 项（{'、'.join(labels)}），终止日期 {died_on:%Y-%m-%d}",
        )
    return person


# --- change requests (变更申请) ---------------------------------------------------------------


@transaction.atomic
def person_change_decide(
    *, change: PersonChange, actor: User, accept: bool, reason: str = ""
) -> PersonChange:
    """The township (or the administrator) confirms a department's proposed change, which then
    updates the registry, or refuses it with a reason. Each decision is in the audit trail; a
    second click on a decided request changes nothing."""
    if not (
        has_capability(actor, Capability.CONFIRM_CHANGES)
        and can_access_area(actor, township=change.township)
    ):
        raise PermissionDenied("只有该人员所在乡镇（街道）的经办人或系统管理员可以处理变更申请。")
    change = (
        PersonChange.objects.select_for_update(of=("self",))  # not the nullable new township
        .select_related("township", "new_township")
        .get(pk=change.pk)
    )
    if change.status != PersonChange.Status.PENDING:
        raise ValidationError(f"该变更申请已处理（{change.get_status_display()}），未再更改。")
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError("退回变更申请须填写理由。")
    summary = "；".join(f"{label}：{old} → {new}" for label, old, new in change.lines())
    if accept:
        person = Person.objects.select_for_update().get(pk=change.person_id)
        for name, (_old, new) in change.changes.items():
            setattr(person, name, new)
        save_audited(
            instance=person,
            actor=actor,
            summary=f"确认{change.department}部门的变更申请：{summary}",
        )
    change.status = PersonChange.Status.ACCEPTED if accept else PersonChange.Status.REFUSED
    change.decided_by, change.decided_at, change.reason = actor, timezone.now(), reason[:200]
    change.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    record(
        actor=actor,
        action=AuditEvent.Action.TRANSITION,
        target=change,
        township=change.township,
        summary=(
            f"确认变更申请：{summary}" if accept else f"退回变更申请：{summary}；理由：{reason}"
        ),
    )
    return change


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
    actor: User,
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
    enqueue("beneficiaries.tasks.preview_identity_import", batch.pk)
    return batch


def earlier_same_file(batch: IdentityImport) -> IdentityImport | None:
    return (
        IdentityImport.objects.filter(sha256=batch.sha256, status=IdentityImport.Status.APPLIED)
        .exclude(pk=batch.pk)
        .order_by("-applied_at")
        .first()
    )


COUNTS = ("processed_rows", "bad_rows", "warning_rows", "people_created", "people_updated",
          "identities_created", "identities_updated", "identities_unchanged", "records_created",
          "records_unchanged")  # fmt: skip
RUNNING = (IdentityImport.Status.UPLOADED, IdentityImport.Status.PREVIEWING,
           IdentityImport.Status.APPLYING)  # fmt: skip


def _tally(
    batch: IdentityImport, outcomes: Iterable[importing.Outcome], *, keep_changes: bool
) -> list[ImportRow]:
    """Count outcomes into the batch (in memory); return the rows worth a word."""
    count = _kind(batch).count
    outcomes = list(outcomes)
    for o in outcomes:
        batch.processed_rows += 1
        if o.errors:
            batch.bad_rows += 1
        if o.warnings:
            batch.warning_rows += 1
        batch.people_created += o.person == "created"
        batch.people_updated += o.person == "updated"
        count(batch, o)
    return [
        r
        for r in importing.row_results(batch, outcomes)
        if keep_changes or r.kind != ImportRow.Kind.CHANGED
    ]


def _checkpoint(batch: IdentityImport, *, keep_changes: bool) -> Any:
    """Called inside each thousand rows' transaction: the rows' writes, their counts, their kept
    messages and the position are committed together, so a run that dies resumes after the last
    committed row and its counts stay exact. These commits do not wait for the disk
    (``relaxed_commit``): what a crash could take back of them, the run does again from its
    position, and the end of the run is committed durably, which makes every batch before it
    durable too."""

    def on_batch(outcomes: list[importing.Outcome]) -> None:
        relaxed_commit()
        ImportRow.objects.bulk_create(_tally(batch, outcomes, keep_changes=keep_changes))
        if outcomes:
            batch.resume_after_row = outcomes[-1].row_number
        batch.heartbeat_at = timezone.now()
        IdentityImport.objects.filter(pk=batch.pk).update(
            resume_after_row=batch.resume_after_row,
            heartbeat_at=batch.heartbeat_at,
            **{name: getattr(batch, name) for name in COUNTS},
        )

    return on_batch


@dataclass(frozen=True)
class FileKind:
    """A kind of file the import runner takes: its columns, how its rows are checked and written
    (``process(rows, *, batch, today, dry_run, on_batch, stage, validated)`` yields one outcome a
    row), what a row's outcome adds to the batch's own counts (``count``), how the finished import
    reads in the audit trail (``done``), and its record type, which the check stages and the
    import reads back (``record.staged()``, ``record.from_staged``)."""

    layout: Layout
    process: Callable[..., Iterator[importing.Outcome]]
    count: Callable[[IdentityImport, importing.Outcome], None]
    done: Callable[[IdentityImport], str]
    record: Any


def _identity_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], *, batch: IdentityImport, **kw: Any
) -> Iterator[importing.Outcome]:
    return importing.process(
        rows, batch=batch, department=batch.department, source=IdentitySource.IMPORT, **kw
    )


def _count_identity(batch: IdentityImport, o: importing.Outcome) -> None:
    batch.identities_created += o.identity == "created"
    batch.identities_updated += o.identity == "updated"
    batch.identities_unchanged += o.identity == "unchanged"


def _identities_done(batch: IdentityImport) -> str:
    return (
        f"身份数据导入完成：新增人员 {batch.people_created}，新增身份 {batch.identities_created}，"
        f"更新身份 {batch.identities_updated}，未变化 {batch.identities_unchanged}，有误 {batch.bad_rows} 行"
    )


# Content -> its kind. The floors above add theirs when the portal starts (``monitoring`` adds the
# hospital's settlement files in its AppConfig.ready), so the runner never imports them.
FILE_KINDS: dict[str, FileKind] = {
    IdentityImport.Content.IDENTITIES: FileKind(
        importing.IDENTITY_LAYOUT,
        _identity_rows,
        _count_identity,
        _identities_done,
        importing.Record,
    )
}
# Called with each import once it is applied, inside its transaction (``monitoring`` queues the
# recomputation of the warnings, so new bills and identities reach them now rather than at night).
APPLIED_HOOKS: list[Callable[[IdentityImport], None]] = []


def register_file_kind(content: str, kind: FileKind) -> None:
    FILE_KINDS[content] = kind


def on_import_applied(hook: Callable[[IdentityImport], None]) -> None:
    if hook not in APPLIED_HOOKS:
        APPLIED_HOOKS.append(hook)


def _kind(batch: IdentityImport) -> FileKind:
    try:
        return FILE_KINDS[batch.content]
    except KeyError:
        raise ValidationError(f"不支持的导入文件类型：{batch.content}") from None


def _layout(batch: IdentityImport) -> Layout:
    return _kind(batch).layout


def _after_checkpoint(
    rows: Iterable[tuple[int, dict[str, Any]]], after: int
) -> Iterable[tuple[int, dict[str, Any]]]:
    return (row for row in rows if row[0] > after)


def _process_file(batch: IdentityImport, *, dry_run: bool) -> None:
    """The check (``dry_run``) streams the batch's file, from its checkpoint on, through
    validation, judges each row against the registry and stages it as validated; the import
    reads the staged rows back and writes them, validating and encrypting nothing again. Counts
    and position are committed every thousand rows. A file checked before rows were staged is read
    again."""
    on_batch = _checkpoint(batch, keep_changes=not dry_run)
    kind = _kind(batch)
    today = timezone.localdate()
    if not dry_run and batch.staged.exists():
        rows = _staged_rows(batch, kind.record)
        for _ in kind.process(
            rows, batch=batch, today=today, dry_run=False, on_batch=on_batch, validated=True
        ):
            pass  # the work and the counting happen in on_batch
        return
    with batch.file.open("rb") as fh:
        file_rows = _after_checkpoint(
            read_rows(fh, batch.original_name, kind.layout), batch.resume_after_row
        )
        outcomes = kind.process(
            file_rows,
            batch=batch,
            today=today,
            dry_run=dry_run,
            on_batch=on_batch,
            stage=_stager(batch) if dry_run else None,
        )
        for _ in outcomes:
            pass


def _stager(batch: IdentityImport) -> Callable[[list[tuple[Any, importing.Outcome]]], None]:
    """Keep each row of the check as validation left it (``StagedRow``): the cleaned record with
    its ID number sealed, or the reasons it was refused."""

    def stage(pairs: list[tuple[Any, importing.Outcome]]) -> None:
        insert_rows(
            StagedRow,
            ["batch_id", "row_number", "data"],
            [[batch.pk, o.row_number, json.dumps(
                {"r": r.staged() if r is not None else None, "m": mask(o.id_number) if o.id_number else "",
                 "e": o.errors, "w": o.warnings}, ensure_ascii=False)] for r, o in pairs],
        )  # fmt: skip

    return stage


def _staged_rows(
    batch: IdentityImport, record: Any
) -> Iterator[tuple[int, tuple[Any, importing.Outcome]]]:
    """The staged rows after the checkpoint, in file order, as (record or None, outcome)."""
    last = batch.resume_after_row
    while True:
        chunk = list(
            StagedRow.objects.filter(batch=batch, row_number__gt=last)
            .order_by("row_number")
            .values_list("row_number", "data")[: 5 * BATCH]
        )
        if not chunk:
            return
        for n, data in chunk:
            d = json.loads(data)
            out = importing.Outcome(row_number=n, id_number=d["m"], errors=d["e"], warnings=d["w"])
            yield n, (record.from_staged(d["r"]) if d["r"] is not None else None, out)
        last = chunk[-1][0]


def _start_over(batch: IdentityImport, *, staged: bool = False) -> None:
    """Counts and kept rows back to nothing (``staged``: the check's staged rows too)."""
    for name in COUNTS:
        setattr(batch, name, 0)
    batch.resume_after_row = 0
    batch.rows.all().delete()
    if staged:
        batch.staged.all().delete()


def _move(batch: IdentityImport, to: str, *, where: Q | None = None, **fields: Any) -> bool:
    """The one writer of an import's state: ``to`` only from a state IMPORT_MOVES allows (and
    ``where`` holds), with ``fields`` in the same UPDATE. False when the batch was not there."""
    moved = IdentityImport.objects.filter(
        where or Q(), pk=batch.pk, status__in=IMPORT_MOVES[to]
    ).update(status=to, **fields)
    if moved:
        batch.refresh_from_db()
    return bool(moved)


def _claim(batch: IdentityImport, *, fresh: str | None, running: str) -> bool:
    """Take the batch for this worker: a fresh one, one queued and not taken yet (``attempts``
    0), or one whose worker has not reported for JOB_STALE_SECONDS (it died). Never a run another
    live worker holds (a task delivered twice while the first is still working)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    claimable = Q(status=running) & (
        Q(attempts=0) | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale)
    )
    if fresh is not None:
        claimable |= Q(status=fresh)
    taken = _move(batch, running, where=claimable, heartbeat_at=now, attempts=F("attempts") + 1)
    if not taken:
        batch.refresh_from_db()
    return taken


def _fail(batch: IdentityImport, message: str) -> None:
    _move(batch, IdentityImport.Status.FAILED, message=message[:500], heartbeat_at=None)


def _given_up(batch: IdentityImport) -> bool:
    if batch.attempts <= settings.JOB_MAX_ATTEMPTS:
        return False
    _fail(batch, f"处理已中断 {batch.attempts - 1} 次，系统不再自动重试。请检查文件后点“重试”。")
    return True


def identity_import_preview(*, batch: IdentityImport) -> IdentityImport:
    """Read the file, check every row, and count what applying it would do. Writes no registry row.

    Idempotent: a second delivery while a live worker checks it does nothing; after a worker died
    it resumes from the last thousand rows committed."""
    if not _claim(
        batch, fresh=IdentityImport.Status.UPLOADED, running=IdentityImport.Status.PREVIEWING
    ):
        return batch
    if _given_up(batch):
        return batch
    try:
        if batch.resume_after_row == 0:
            _start_over(batch, staged=True)
            with batch.file.open("rb") as fh:
                batch.total_rows = count_rows(fh, batch.original_name, _layout(batch))
            IdentityImport.objects.filter(pk=batch.pk).update(
                total_rows=batch.total_rows, processed_rows=0
            )
        _process_file(batch, dry_run=True)
    except ImportFileError as exc:
        _fail(batch, str(exc))
        return batch
    _move(
        batch,
        IdentityImport.Status.PREVIEWED,
        processed_rows=batch.total_rows,
        previewed_at=timezone.now(),
        heartbeat_at=None,
        resume_after_row=0,  # the check's position; the import starts from the top
    )
    return batch


@transaction.atomic
def identity_import_apply(*, batch: IdentityImport, actor: User) -> IdentityImport:
    """Confirm a checked file: queue the import. A second click finds it already under way."""
    locked = IdentityImport.objects.select_for_update().get(pk=batch.pk)
    if locked.status != IdentityImport.Status.PREVIEWED:
        raise ValidationError(
            "该文件当前状态为“%(status)s”，不能再次导入。",
            params={"status": locked.get_status_display()},
        )
    _start_over(locked)
    zeros: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    _move(
        locked,
        IdentityImport.Status.APPLYING,
        heartbeat_at=timezone.now(),  # queued now: stalled only if no worker takes it in time
        attempts=0,
        resume_after_row=0,
        **zeros,
    )
    record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=locked,
        summary=f"确认导入{locked.get_content_display()}文件 {locked.original_name}",
    )
    enqueue("beneficiaries.tasks.apply_identity_import", locked.pk)
    return locked


def identity_import_run(*, batch: IdentityImport) -> IdentityImport:
    """The import itself (in the Celery task): stream the file, write people and identities.

    Resumable: every thousand rows are committed with their counts and position; a run whose worker
    died is taken up again (the sweep, or the broker's redelivery) from there, and the counts it
    reports at the end are those of the whole file, each row counted once."""
    if not _claim(batch, fresh=None, running=IdentityImport.Status.APPLYING):
        return batch
    if _given_up(batch):
        return batch
    try:
        _process_file(batch, dry_run=False)
    except ImportFileError as exc:
        _fail(batch, str(exc))
    else:
        with transaction.atomic():
            _move(
                batch,
                IdentityImport.Status.APPLIED,
                processed_rows=batch.total_rows,
                applied_at=timezone.now(),
                heartbeat_at=None,
            )
            batch.staged.all().delete()  # written: the sealed numbers need not stay
    record(
        actor=None,
        action=AuditEvent.Action.UPDATE,
        target=batch,
        username="system",
        summary=_kind(batch).done(batch),
    )
    if batch.status == IdentityImport.Status.APPLIED:
        for hook in APPLIED_HOOKS:
            hook(batch)
    return batch


def identity_import_crashed(*, batch_id: int, error: BaseException) -> None:
    """A task ended in an unexpected error: the batch says so (staff can retry), nothing hangs."""
    batch = IdentityImport.objects.filter(pk=batch_id, status__in=RUNNING).first()
    if batch is not None:
        _fail(batch, f"处理出错（{type(error).__name__}），已记录。可点“重试”从中断处继续。")


def stalled_imports() -> Any:
    """Running batches whose worker has not reported for JOB_STALE_SECONDS, or that no worker
    took within that time of being queued (``heartbeat_at`` is set when a batch is queued)."""
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    return IdentityImport.objects.filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale),
        kind=IdentityImport.Kind.FILE,
        status__in=RUNNING,
    )


def _task_for(batch: IdentityImport) -> str:
    if batch.status == IdentityImport.Status.APPLYING:
        return "beneficiaries.tasks.apply_identity_import"
    return "beneficiaries.tasks.preview_identity_import"


def staged_rows_expire() -> int:
    """Checked files nobody confirmed within IMPORT_STAGED_DAYS: their staged rows go (they hold
    sealed ID numbers, and nothing needs them). Each batch is locked and found still waiting, so a
    confirmation at the same moment either comes first (its rows are kept) or finds none and
    reads the file. Returns the batches cleared."""
    cutoff = timezone.now() - timedelta(days=settings.IMPORT_STAGED_DAYS)
    waiting = IdentityImport.objects.filter(
        Exists(StagedRow.objects.filter(batch=OuterRef("pk"))),
        status=IdentityImport.Status.PREVIEWED,
        previewed_at__lt=cutoff,
    )  # (a join would read every staged row of every old batch, each minute)
    cleared = 0
    for pk in list(waiting.values_list("pk", flat=True)):
        with transaction.atomic():
            still = IdentityImport.objects.select_for_update().filter(
                pk=pk, status=IdentityImport.Status.PREVIEWED
            )
            if still.first() is not None:
                StagedRow.objects.filter(batch_id=pk).delete()
                cleared += 1
    return cleared


def stalled_imports_resume() -> int:
    """Beat, every JOB_SWEEP_SECONDS: queue again every import whose worker died."""
    batches = list(stalled_imports())
    for batch in batches:
        enqueue(_task_for(batch), batch.pk)
    return len(batches)


@transaction.atomic
def identity_import_retry(*, batch: IdentityImport, actor: User) -> IdentityImport:
    """Staff's “重试”: a failed or stalled batch goes on from where it stopped."""
    locked = IdentityImport.objects.select_for_update().get(pk=batch.pk)
    stuck = stalled_imports().filter(pk=locked.pk).exists()
    if locked.status != IdentityImport.Status.FAILED and not stuck:
        raise ValidationError(
            "该文件当前状态为“%(status)s”，正在正常处理，无需重试。",
            params={"status": locked.get_status_display()},
        )
    again = locked.status
    if locked.status == IdentityImport.Status.FAILED:
        again = (
            IdentityImport.Status.APPLYING
            if locked.previewed_at is not None
            else IdentityImport.Status.PREVIEWING
        )
    _move(locked, again, heartbeat_at=timezone.now(), attempts=0, message="")
    record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=locked,
        summary=f"重试{locked.get_content_display()}文件 {locked.original_name}（从第 {locked.resume_after_row} 行之后继续）",
    )
    enqueue(_task_for(locked), locked.pk)
    return locked


# --- the push endpoint ----------------------------------------------------------------------

MAX_PUSH = 1000


def department_token_create(
    *, department: str, label: str, actor: User | None
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
            only_department=token.department,
            source=IdentitySource.API,
            today=timezone.localdate(),
            dry_run=False,
        )
    )
    ImportRow.objects.bulk_create(_tally(batch, outcomes, keep_changes=True))
    counts: dict[str, Any] = {name: getattr(batch, name) for name in COUNTS}
    _move(
        batch,
        IdentityImport.Status.APPLIED,
        applied_at=timezone.now(),
        **{**counts, "processed_rows": len(records)},
    )
    DepartmentToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    record(
        actor=None,
        action=AuditEvent.Action.UPDATE,
        target=batch,
        username=f"token:{token.key_prefix}",
        summary=f"{token.label} 推送 {len(records)} 条：有误 {batch.bad_rows} 条",
    )
    return batch, outcomes
