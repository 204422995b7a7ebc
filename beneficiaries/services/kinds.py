"""The kinds of file the import runner takes (an extension point: ``core.extensions``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from core.extensions import Point
from core.rows import (
    Layout,
)

from .. import importing
from ..models import (
    IdentityImport,
    IdentitySource,
)


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


IDENTITY_KIND = FileKind(
    importing.IDENTITY_LAYOUT, _identity_rows, _count_identity, _identities_done, importing.Record
)

# Content -> its kind. The registry's own identities and the floors above's kinds (the hospitals'
# settlement files, kept by ``monitoring``) are connected in portal/wiring.py, so the runner never
# imports them.
FILE_KINDS: Point[FileKind] = Point(
    "file_kinds", "导入文件的种类：列、逐行检查与写入、计数、审计摘要"
)
# Called with each import once it is applied, inside its transaction (``monitoring`` queues the
# recomputation of the warnings, so new bills and identities reach them now rather than at night).
IMPORT_APPLIED: Point[Callable[[IdentityImport], None]] = Point(
    "import_applied", "导入完成后（同一事务内）要做的事"
)


def _kind(batch: IdentityImport) -> FileKind:
    kind = FILE_KINDS.get(batch.content)
    if kind is None:
        raise ValidationError(f"不支持的导入文件类型：{batch.content}")
    return kind


def _layout(batch: IdentityImport) -> Layout:
    return _kind(batch).layout
