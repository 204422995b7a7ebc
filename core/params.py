"""Numbers read from a request's query or form (a row's id, a year, a month): ASCII digits within
range, or None. ``str.isdigit`` alone let ``²`` through to ``int`` (ValueError) and
``99999999999999999999999`` through to SQLite (OverflowError): both answered 500."""

from __future__ import annotations

MAX_ROW_ID = 2**63 - 1  # the largest id a BigAutoField (and SQLite's INTEGER) holds


def number_in(text: str | None, low: int, high: int) -> int | None:
    text = (text or "").strip()
    if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def row_id(text: str | None) -> int | None:
    """A primary key as a form or query gives it, or None."""
    return number_in(text, 1, MAX_ROW_ID)
