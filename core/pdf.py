"""PDF documents with WeasyPrint, in proper Chinese.

The font chain is explicit (Noto Serif CJK SC, then Noto Sans CJK SC, from Debian's
``fonts-noto-cjk``). A character no installed font has would print as an empty box while
``pdftotext`` still shows it, so every text that goes on paper is checked against the fonts'
character maps first, and the staff member is told which character of which field cannot be printed.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")
FALLBACK_DIR = Path("/usr/share/fonts/opentype/noto")


class UnprintableText(ValidationError):
    """A character of a name or an address is in no installed font."""


def _font_file(family: str) -> Path | None:
    try:
        out = subprocess.run(  # noqa: S603 - a fixed command
            ["fc-match", family, "--format=%{file}"],  # noqa: S607 - fontconfig's own tool
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    path = Path(out) if out else None
    if path is None or "CJK" not in path.name:
        candidates = sorted(FALLBACK_DIR.glob(f"*{family.split()[1]}CJK*Regular*"))
        path = candidates[0] if candidates else None
    return path


@cache
def covered() -> frozenset[int]:
    """Every code point the chain's Simplified Chinese faces can draw."""
    from fontTools.ttLib import TTCollection, TTFont

    points: set[int] = set()
    for family in FONT_FAMILIES:
        path = _font_file(family)
        if path is None:
            continue
        fonts = TTCollection(str(path)).fonts if path.suffix == ".ttc" else [TTFont(str(path))]
        for font in fonts:
            name = font["name"].getDebugName(1) or ""
            if name.endswith(" SC") or len(fonts) == 1:
                points.update(font.getBestCmap())
    return frozenset(points)


def unprintable(text: str) -> list[str]:
    chars = covered()
    return [c for c in dict.fromkeys(text) if not c.isspace() and ord(c) not in chars]


def check_printable(fields: Mapping[str, str]) -> None:
    """Refuse before rendering, naming the field and the character, rather than print a box."""
    problems = []
    for label, text in fields.items():
        for char in unprintable(text or ""):
            problems.append(
                f"{label}“{text}”中的“{char}”（U+{ord(char):04X}）无法用已安装的字体打印"
            )
    if problems:
        raise UnprintableText(
            "；".join(problems)
            + "。请核对是否录入有误；确为生僻字的，请联系系统管理员安装含该字的字体后再生成。",
            code="unprintable",
        )


def qr_data_uri(url: str) -> str:
    """A QR code as an SVG data URI for an <img> in a document."""
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=3, border=1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render_pdf(template: str, context: Mapping[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, dict(context))
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
