"""The malformed inputs the fuzz test (tests/test_fuzz.py) sends: values for every field and files
for every upload, kept here as the code that makes them. Each file is one a scanner, a phone, Excel
or a bank never makes, and most of them once answered 500:

* decompression bombs: a 74-byte PNG and a JPEG whose headers claim 100000×100000 and 60000×60000
  pixels, a PDF whose object stream inflates to 200 MB;
* CSV files with a field over the reader's 128 KB limit, a bare CR inside a field, a NUL byte, or
  bytes of no encoding half-way through;
* XLSX files with no worksheet, a worksheet cut in half, or no XLSX at all behind the name.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

# every text field, select and hidden field gets each of these in turn
VALUES = [
    "",
    "x" * 3000,
    "-1",
    "1e5",
    "NaN",
    "99999999999999999999999",
    "²",
    "١٢٣",
    "１２３４",
    "2026-02-30",
    "<script>alert(1)</script>",
    "abc",
    "\x00",
    "[[1]]",
]


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def jpeg_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A real 8×8 JPEG whose frame header (SOF0) is made to claim ``width``×``height``."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (8, 8)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    at = data.index(b"\xff\xc0") + 5  # marker, length (2), precision (1): then height, width
    data[at : at + 4] = struct.pack(">HH", height, width)
    return bytes(data)


def pdf_bomb(inflated: int = 200 * 1024 * 1024) -> bytes:
    """A PDF whose catalog points to an object kept in an object stream that inflates to
    ``inflated`` bytes (about 200 KB on disk)."""
    head, body = b"5 0 ", b"<< /Type /Bomb >> "
    packer = zlib.compressobj(9)
    data = packer.compress(head + body)
    data += b"".join(packer.compress(b" " * (1 << 20)) for _ in range(inflated >> 20))
    data += packer.flush()
    out = io.BytesIO()
    at: dict[int, int] = {}
    out.write(b"%PDF-1.5\n")
    at[1] = out.tell()
    out.write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Extra 5 0 R >>\nendobj\n")
    at[2] = out.tell()
    out.write(b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
    at[3] = out.tell()
    out.write(
        b"3 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(head), len(data))
    )
    out.write(data + b"\nendstream\nendobj\n")
    at[4] = out.tell()
    rows = struct.pack(">BIH", 0, 0, 65535)
    rows += b"".join(struct.pack(">BIH", 1, at[n], 0) for n in (1, 2, 3, 4))
    rows += struct.pack(">BIH", 2, 3, 0)  # object 5: the first in object stream 3
    out.write(
        b"4 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(rows)
    )
    out.write(rows + b"\nendstream\nendobj\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % at[4])
    return out.getvalue()


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(data: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = edit(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def files(header: list[str]) -> dict[str, tuple[str, bytes]]:
    """Every malformed file, named as the upload expects (``header``: the file kind's columns,
    so the reader gets past the header to the bad line)."""
    top = ",".join(header).encode()
    book = _xlsx([header, ["1"] * len(header)])
    return {
        "png bomb": ("scan.png", png_bomb()),
        "jpeg bomb": ("scan.jpg", jpeg_bomb()),
        "pdf bomb": ("scan.pdf", pdf_bomb()),
        "csv field over 128 KB": (
            "data.csv",
            top + b"\n" + b"1," * 3 + b"a" * (129 * 1024) + b"\n",
        ),
        "csv bare CR": ("data.csv", top + b'\n"1",2\r3,4\n"5\r6"x,7\n'),
        "csv NUL": ("data.csv", top + b"\n1,\x00,2\n"),
        "csv bad bytes after 64 KB": (
            "data.csv",
            top + b"\n" + ("乌兰,1\n" * 12000).encode() + b"\xff\xfe\xfa\xfb,1\n",
        ),
        "xlsx without a worksheet": (
            "data.xlsx",
            _rezip(
                book,
                lambda n, d: (
                    re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", d)
                    if n == "xl/workbook.xml"
                    else d
                ),
            ),
        ),
        "xlsx sheet cut in half": (
            "data.xlsx",
            _rezip(book, lambda n, d: d[: len(d) // 2] if n == "xl/worksheets/sheet1.xml" else d),
        ),
        "not an xlsx": ("data.xlsx", b"PK\x03\x04" + b"\x00" * 200),
        "empty": ("data.csv", b""),
    }
