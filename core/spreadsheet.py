"""Every CSV and XLSX the portal writes, in one place, so that no cell can run.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (CSV injection, OWASP). A payee name ``=HYPERLINK("http://…","点我")`` typed at the
window must reach the bank's clerk as text:

* CSV: such a text cell gets a leading apostrophe (OWASP's rule), which the spreadsheet hides;
* XLSX: every text cell is written as a string cell (XlsxWriter's ``write_string``), never a
  formula, a number or a link.

Numbers (``int``, ``float``, ``Decimal``) are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def csv_text(value: Any) -> str:
    """A cell for a CSV file: text that a spreadsheet would run gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, fmt: str, sheet: str = "Sheet1"
) -> tuple[bytes, str]:
    """The table as (content, content type): CSV in UTF-8 with a BOM (for Excel) or XLSX."""
    if fmt == "xlsx":
        return _xlsx(header, rows, sheet), XLSX
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([csv_text(v) for v in header])
    writer.writerows([csv_text(v) for v in row] for row in rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8"), CSV


def _xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str) -> bytes:
    """XlsxWriter in constant-memory mode: rows go to disk as they come (flat memory), text is
    written with ``write_string`` (a string cell, never a formula, a number or a link)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    ws = book.add_worksheet(sheet[:31])
    _write_row(ws, 0, header)
    for n, row in enumerate(rows, start=1):
        _write_row(ws, n, row)
    book.close()
    return out.getvalue()


def _write_row(ws: Any, n: int, row: Sequence[Any]) -> None:
    for col, value in enumerate(row):
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            ws.write_boolean(n, col, value)
        elif isinstance(value, int | float | Decimal):
            ws.write_number(n, col, value)
        else:
            ws.write_string(n, col, str(value))
