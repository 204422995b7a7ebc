"""The import runner: a department's file (or a hospital's) checked, then applied, by a worker that
claims the batch, reports a heartbeat, stages the checked rows, resumes after a crash, and is the
one writer of ``IdentityImport.status``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from core.queueing import enqueue
from core.rows import (
    BATCH,
    ImportFileError,
    count_rows,
    insert_rows,
    read_rows,
    relaxed_commit,
)

from .. import importing
from ..idnumber import mask
from ..models import (
    IMPORT_STATES,
    IdentityImport,
    ImportRow,
    StagedRow,
)
from .kinds import IMPORT_APPLIED, _kind, _layout

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
    """The one writer of an import's state: ``to`` only from a state IMPORT_STATES allows (and
    ``where`` holds), with ``fields`` in the same UPDATE. False when the batch was not there."""
    moved = IMPORT_STATES.move_many(
        IdentityImport.objects.filter(pk=batch.pk), to, where=where, **fields
    )
    if moved:
        batch.refresh_from_db()  # the whole batch, once: the runner goes on from what is stored
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
    if batch.auto_apply:  # a system's file: its good rows go in, the refused ones are listed
        return identity_import_apply(batch=batch, actor=None)
    return batch


@transaction.atomic
def identity_import_apply(*, batch: IdentityImport, actor: User | None) -> IdentityImport:
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
        event=Event.IMPORT_CONFIRMED,
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
        event=Event.IMPORT_FINISHED,
        target=batch,
        username="system",
        summary=_kind(batch).done(batch),
    )
    if batch.status == IdentityImport.Status.APPLIED:
        for hook in IMPORT_APPLIED:
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
        event=Event.IMPORT_RETRIED,
        target=locked,
        summary=f"重试{locked.get_content_display()}文件 {locked.original_name}（从第 {locked.resume_after_row} 行之后继续）",
    )
    enqueue(_task_for(locked), locked.pk)
    return locked
