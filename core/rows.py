"""The streaming import runner's shared parts: reading a CSV or XLSX file one row at a time
against a documented column layout, turning its cells into text and dates, validating and applying
rows a thousand at a time (each batch in its own transaction with the caller's checkpoint), and
the bulk INSERT (COPY on PostgreSQL) that writes them. Department identity files
(``beneficiaries.importing``) and hospital settlement files (``monitoring.hospital_import``) both
run on it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import IO, Any

from django.db import connection, transaction

from .crypto import EncryptedCharField, prepare_rows

BATCH = 1000


@dataclass(frozen=True)
class Layout:
    """A file's documented columns: header names → keys, the required keys, and their labels;
    ``json_records`` (for a kind that also comes as JSON, as an interface returns it) finds the
    records, each an object whose names are the headers, in the decoded document."""

    headers: dict[str, str]
    required: tuple[str, ...]
    labels: dict[str, str]
    json_records: Callable[[Any], Iterable[dict[str, Any]]] | None = None


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, no header, missing columns, a line the CSV
    reader refuses, a damaged XLSX): refused as a file, with the reason, wherever it is found."""


def _text_stream(raw: IO[bytes]) -> IO[str]:
    """UTF-8 (with or without BOM) or GB18030, as Excel on Chinese Windows saves CSV."""
    head = raw.read(64 * 1024)
    raw.seek(0)
    try:
        head.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        encoding = "utf-8-sig" if exc.start >= len(head) - 3 else "gb18030"
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def _header_map(header: list[Any], layout: Layout) -> list[str | None]:
    keys = [layout.headers.get(str(h).strip()) if h is not None else None for h in header]
    missing = [layout.labels[k] for k in layout.required if k not in keys]
    if missing:
        raise ImportFileError(f"缺少必需的列：{'、'.join(missing)}。请按模板的列名填写表头。")
    return keys


def read_rows(
    raw: IO[bytes], filename: str, layout: Layout
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (row number as a spreadsheet shows it, {key: value}) one row at a time."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        yield from _read_xlsx(raw, layout)
    elif name.endswith(".csv"):
        yield from _read_csv(raw, layout)
    elif name.endswith(".json") and layout.json_records is not None:
        yield from _read_json(raw, layout)
    else:
        raise ImportFileError("只支持 CSV 和 XLSX 文件。")


def _read_json(raw: IO[bytes], layout: Layout) -> Iterator[tuple[int, dict[str, Any]]]:
    """A JSON document (the upload's size limit bounds it), its records found by the layout; the
    n-th record is row n."""
    assert layout.json_records is not None  # noqa: S101 - read_rows checked it
    try:
        data = raw.read()
        # amounts exact, as written (never through a float)
        document = json.loads(
            data[3:] if data.startswith(b"\xef\xbb\xbf") else data, parse_float=Decimal
        )
    except (UnicodeDecodeError, ValueError):
        raise ImportFileError(
            "文件不是有效的 JSON（请检查是否完整、是否为 UTF-8 编码）。"
        ) from None
    checked = False
    for n, record in enumerate(layout.json_records(document), start=1):
        if not isinstance(record, dict):
            raise ImportFileError(f"第 {n} 条记录不是 JSON 对象。")
        if not checked:
            _header_map(list(record), layout)  # the required fields, named as the layout names them
            checked = True
        yield n, {k: v for h, v in record.items() if (k := layout.headers.get(str(h).strip()))}
    if not checked:
        raise ImportFileError("JSON 中没有找到结算记录。")


def csv_refusal(exc: Exception, line: int | None = None) -> str:
    """Why a CSV file cannot be read, in words (a field over the reader's limit, a line break
    inside an unquoted field, bytes of no known encoding)."""
    where = f"第 {line} 行" if line else "文件"
    if isinstance(exc, UnicodeDecodeError):
        return f"{where}含有无法识别的字符（请另存为 UTF-8 或 GB18030 编码的 CSV）。"
    text = str(exc)
    if "field larger than field limit" in text:
        return f"{where}有一格内容超过 {csv.field_size_limit() // 1024} KB，不像是正常的表格，请检查文件。"
    if "new-line character" in text or "line contains NUL" in text:
        return f"{where}含有不成对的换行符或空字符，请用 Excel 或 WPS 重新另存为 CSV。"
    return f"{where}无法按 CSV 读取（{text}），请用 Excel 或 WPS 重新另存为 CSV。"


def _read_csv(raw: IO[bytes], layout: Layout) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(_text_stream(raw))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("文件是空的。") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportFileError(csv_refusal(exc)) from None
    keys = _header_map(header, layout)
    n = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportFileError(csv_refusal(exc, reader.line_num or n + 1)) from None
        n += 1
        if not any(cell.strip() for cell in row):
            continue
        yield n, {k: v for k, v in zip(keys, row, strict=False) if k}


def _read_xlsx(raw: IO[bytes], layout: Layout) -> Iterator[tuple[int, dict[str, Any]]]:

    from openpyxl import load_workbook

    damaged = "文件不是有效的 XLSX 表格（可能已损坏，或是改了扩展名的其他文件）。"
    try:
        wb = load_workbook(raw, read_only=True, data_only=True)
    except Exception:  # openpyxl on a file from outside: any failure means it cannot be read
        raise ImportFileError(damaged) from None
    try:
        if not wb.worksheets:
            raise ImportFileError("表格中没有工作表。")
        rows = wb.worksheets[0].iter_rows(values_only=True)
        n = 1
        while True:
            try:
                row = next(rows)
            except StopIteration:
                if n == 1:
                    raise ImportFileError("表格是空的。") from None
                return
            except Exception:  # a damaged sheet found while streaming it
                raise ImportFileError(f"表格第 {n + 1} 行附近已损坏，无法读取。") from None
            if n == 1:
                keys = _header_map(list(row), layout)
            elif any(c not in (None, "") for c in row):
                yield n, {k: v for k, v in zip(keys, row, strict=False) if k}
            n += 1
    finally:
        wb.close()


def count_rows(raw: IO[bytes], filename: str, layout: Layout) -> int:
    return sum(1 for _ in read_rows(raw, filename, layout))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheet numbers such as phone numbers
    return str(value).strip()


def cell_date(value: Any, label: str, errors: list[str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = _day_of(cell_text(value))
    if found is None:
        errors.append(f"{label}“{cell_text(value)}”不是有效日期（应为 2023-01-01 这样的日期）。")
    return found


@lru_cache(maxsize=4096)  # a file's dates repeat: a year has 366 of them
def _day_of(text: str) -> date | None:
    text = (
        text.replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    )
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        y, m, d = (int(p) for p in text.split("-"))
        return date(y, m, d)
    except ValueError:
        return None


def cell_day(value: Any, label: str, errors: list[str]) -> date | None:
    """A date the medical-insurance platform writes as a date or a time (``2026-03-15``,
    ``2026-03-15 10:22:31``): the day is what counts."""
    text = cell_text(value)
    if len(text) > 10 and " " in text:
        value = text.split(" ", 1)[0]
    return cell_date(value, label, errors)


def insert_rows(model: type[Any], columns: list[str], rows: list[list[Any]]) -> None:
    """Multi-row INSERT of already validated values: the import's hot path.

    The ORM's bulk_create prepares every field of every row through the model layer and costs about
    four times more per row here. PostgreSQL gets COPY; SQLite a multi-row INSERT with the values
    adapted by the backend's own operations.
    """
    if not rows:
        return
    columns, rows = prepare_rows(model, columns, rows)  # encrypted columns sealed, indexes added
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    cols = ", ".join(ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":  # COPY: PostgreSQL's bulk path, psycopg adapts the values
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per = min(BATCH, (connection.features.max_query_params or 65535) // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            # Only quoted table/column names and placeholders are formatted in; values are parameters.
            cursor.execute(
                f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(chunk))}",  # noqa: S608
                [_adapt(value) for row in chunk for value in row],
            )


def _adapt(value: Any) -> Any:
    """Dates and times as the backend stores them (what the ORM would send)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def relaxed_commit() -> None:
    """Let the current transaction's commit return before its WAL reaches the disk (PostgreSQL's
    ``synchronous_commit = off``, for this transaction only; nothing on SQLite).

    Only for work that is done again when it is lost: a crash of the database server within
    a fraction of a second of the commit may undo the transaction, never half of it, and any
    later durable commit makes it durable too (the log is written in order). A file import's
    batches qualify: each carries its own checkpoint, so a lost batch is redone from there. An
    answer given to a person or a system (a push, a form) never does.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def in_batches[O](  # O: a row's outcome, whatever the importer records
    rows: Iterable[tuple[int, Any]],
    *,
    validate: Callable[[int, Any], tuple[Any, O]],
    apply: Callable[[list[tuple[Any, O]]], None],
    on_batch: Any = None,
    stage: Callable[[list[tuple[Any, O]]], None] | None = None,
    size: int = BATCH,
) -> Iterator[O]:
    """Validate each row, apply the valid ones ``size`` (BATCH) at a time, and yield every outcome in input
    order. ``on_batch`` hears of each batch inside the batch's own transaction, so what it records
    (counts, position: the import's checkpoint) commits with the rows or not at all. ``stage``
    (the check of a file) keeps every row as validation left it, before ``apply`` judges it
    against the registry, in the same transaction; the import then passes those rows in already
    validated (``validate=staged``)."""
    chunk: list[tuple[Any, O]] = []

    def flush() -> list[O]:
        outs = [o for _, o in chunk]
        with transaction.atomic():  # the rows' writes and the caller's checkpoint, together
            if stage is not None:
                stage(chunk)
            apply([(r, o) for r, o in chunk if r is not None])
            if on_batch:
                on_batch(outs)
        chunk.clear()
        return outs

    for row_number, raw in rows:
        chunk.append(validate(row_number, raw))
        if len(chunk) >= size:
            yield from flush()
    if chunk:
        yield from flush()


def record_json(record: Any, *, omit: tuple[str, ...] = ()) -> dict[str, Any]:
    """A validated record (a dataclass) as JSON values, to be staged: dates as ISO text, amounts
    as text (exact), the rest as it is; ``omit`` what must not be kept."""
    data = {}
    for name, encode, _decode in _codec(record.__class__):
        if name not in omit:
            value = getattr(record, name)
            data[name] = value if encode is None or value is None else encode(value)
    return data


def record_from_json(cls: Any, data: dict[str, Any], **given: Any) -> Any:
    """The record ``record_json`` kept, typed again by its fields' annotations; ``given`` values
    as they are."""
    values = dict(given)
    for name, _encode, decode in _codec(cls):
        if name not in values and name in data:
            value = data[name]
            values[name] = value if decode is None or value is None else decode(value)
    return cls(**values)


type _Convert = Callable[[Any], Any] | None


@cache
def _codec(cls: type) -> tuple[tuple[str, _Convert, _Convert], ...]:
    """Per field of a record type: its name, and how its value goes to JSON and back (None: as
    it is), chosen once from the annotation rather than per value (a file has 100,000 rows)."""
    return tuple((f.name, *_converters(str(f.type))) for f in fields(cls))


def _converters(annotation: str) -> tuple[_Convert, _Convert]:
    if "dict" in annotation and "Decimal" in annotation:  # amounts by name
        return (
            lambda v: {k: str(x) for k, x in v.items()},
            lambda v: {k: Decimal(x) for k, x in v.items()},
        )
    if "Decimal" in annotation:
        return str, Decimal
    if "datetime" in annotation:
        return datetime.isoformat, datetime.fromisoformat
    if "date" in annotation:  # "date", "date | None"
        return date.isoformat, date.fromisoformat
    return None, None


def staged(row_number: int, pair: Any) -> Any:
    """``validate`` for rows a check already validated and staged: they come in as (record, outcome)."""
    return pair


def update_rows(model: Any, objects: list[Any], names: list[str]) -> None:
    """Write ``names`` of each object (see ``execute_update``)."""
    fields = [model._meta.get_field(name) for name in names]
    if any(isinstance(f, EncryptedCharField) for f in fields):
        raise ValueError("update_rows writes raw values: save encrypted fields through the ORM")
    attnames = [f.attname for f in fields]
    execute_update(
        model, attnames, [[getattr(obj, a) for a in attnames] + [obj.pk] for obj in objects]
    )


def execute_update(model: Any, attnames: list[str], rows: list[list[Any]]) -> None:
    """UPDATE … SET the columns WHERE id = the row's last value, sent with executemany.

    ``bulk_update`` builds one CASE WHEN per field and row; for thousands of rows Django spends
    seconds compiling it. The values go through each field's own database preparation.
    """
    if not rows:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[a] for a in attnames]
    ops = connection.ops
    sets = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in fields)
    sql = f"UPDATE {ops.quote_name(model._meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=False)] + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
