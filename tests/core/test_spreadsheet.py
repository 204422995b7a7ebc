"""Downloads cannot run: every CSV and XLSX goes through core.spreadsheet (issue 17, point 2)."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.spreadsheet import csv_text, table

PAYLOADS = [
    '=HYPERLINK("http://evil.example/","点我")',
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
    "＝1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_csv_cell_that_would_run_starts_with_an_apostrophe(payload):
    assert csv_text(payload) == "'" + payload


def test_numbers_and_plain_text_are_left_alone():
    assert [csv_text(v) for v in (Decimal("-5.00"), 3, "内蒙古银行", "10500.00", None)] == [
        "-5.00",
        "3",
        "内蒙古银行",
        "10500.00",
        "",
    ]


def test_an_xlsx_never_holds_a_formula_and_keeps_the_text():
    content, ctype = table(["收款人", "金额"], [[p, Decimal("1.50")] for p in PAYLOADS], fmt="xlsx")
    assert ctype.endswith("spreadsheetml.sheet")
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    # (a carriage return is kept as OOXML's escape _x000D_, which Excel shows as the character;
    # openpyxl hands the escape back as it is)
    assert [r[0] for r in rows[1:]] == [p.replace("\r", "_x000D_") for p in PAYLOADS]
    assert rows[1][1] == 1.5


def test_a_csv_table_quotes_and_neutralises():
    content, ctype = table(["收款人"], [[p] for p in PAYLOADS], fmt="csv")
    assert ctype == "text/csv; charset=utf-8" and content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS]
