"""Every CSV and XLSX the portal writes, in one place, so that no cell can run.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (CSV injection, OWASP). A payee name ``=HYPERLINK("http://…","点我")`` typed at the
window must reach the bank's clerk as text:

* CSV: such a text cell gets a leading apostrophe (OWASP's rule), which the spreadsheet hides;
* XLSX: every text cell is written as a string cell, never a formula (openpyxl would otherwise
  take any text beginning with ``=`` as one).

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
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        ws = book.create_sheet(sheet[:31])

        def cell(value: Any) -> Any:
            if value is None or isinstance(value, int | float | Decimal):
                return value
            c = WriteOnlyCell(ws, value=str(value))
            c.data_type = "s"  # text, whatever it starts with: never a formula
            return c

        ws.append([cell(v) for v in header])
        for row in rows:
            ws.append([cell(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), XLSX
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([csv_text(v) for v in header])
    writer.writerows([csv_text(v) for v in row] for row in rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8"), CSV
