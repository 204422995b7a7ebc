"""What a printed page must not do, read from the PDF itself with poppler's ``pdftotext -bbox``:
spill onto a page of its own, or print one text over another (a long number running into the next
column). Used by the PDF layout tests of letters, lists and reports."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path

WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def words(pdf: bytes, tmp_path: Path) -> list[Word]:
    path = tmp_path / "layout.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = []
    for number, page in enumerate(PAGE.findall(html), start=1):
        for x0, y0, x1, y1, text in WORD.findall(page):
            found.append(Word(number, float(x0), float(y0), float(x1), float(y1), unescape(text)))
    return found


def pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, whitespace removed."""
    text: dict[int, str] = {}
    for w in words(pdf, tmp_path):
        text[w.page] = text.get(w.page, "") + w.text
    return [text[n] for n in sorted(text)]


def overlaps(pdf: bytes, tmp_path: Path, *, slack: float = 0.6) -> list[tuple[str, str]]:
    """Pairs of words whose boxes cross by more than ``slack`` points both ways: text printed over
    text. Words that only touch (the next glyph of a line) do not count."""
    found = []
    by_page: dict[int, list[Word]] = {}
    for w in words(pdf, tmp_path):
        by_page.setdefault(w.page, []).append(w)
    for ws in by_page.values():
        ws.sort(key=lambda w: (w.y0, w.x0))
        for i, a in enumerate(ws):
            for b in ws[i + 1 :]:
                if b.y0 >= a.y1 - slack:
                    break  # sorted by top: nothing further down can cross a
                dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                if dx > slack and dy > slack:
                    found.append((a.text, b.text))
    return found
