#!/usr/bin/env python
"""Letters benchmark: render BENCH_LETTERS (1,000) approval letters with WeasyPrint.

    .venv/bin/python bench/letters.py

Seeds the demo data into var/bench-letters.sqlite3 (its approved case), then renders and stores the
approval letter again and again through the same service the Celery task runs (font check,
template, WeasyPrint, SHA-256, file). Prints letters per second, seconds per letter and peak memory,
and writes one page as a PNG under docs/ (pdftoppm) for README.
"""

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-letters.sqlite3'}")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-letters-"))
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from applications.documents import letter_render  # noqa: E402
from applications.models import Application  # noqa: E402

COUNT = int(os.environ.get("BENCH_LETTERS", "1000"))


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    app = Application.objects.filter(status="approved", settlement__isnull=False).first()
    assert app is not None, "the demo data has an approved case"
    first = letter_render(application=app, kind="approval")  # warm: fonts, templates
    out = ROOT / "docs" / "screenshots"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "letter.pdf"
        pdf.write_bytes(first.file.read())
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                str(Path(tmp) / "page"),
            ],
            check=True,
        )
        shutil.copy(next(Path(tmp).glob("page*.png")), out / "approval-letter.png")
    t0 = time.perf_counter()
    c0 = time.process_time()
    size = 0
    for _ in range(COUNT):
        size += letter_render(application=app, kind="approval").size
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{COUNT:,} approval letters in {wall:.1f} s ({cpu:.1f} s CPU): {COUNT / wall:.1f} letters/s, "
        f"{wall / COUNT * 1000:.0f} ms a letter, {size / COUNT / 1024:.0f} KB each, peak RSS {peak:.0f} MB"
    )
    base = floor()
    print(
        f"floor (WeasyPrint alone: one A4 page, 300 Chinese characters, one face): {base * 1000:.0f} ms; "
        f"letter ÷ floor: {wall / COUNT / base:.1f}x"
    )
    print(
        f"ROW|approval letter|{wall / COUNT * 1000:.0f} ms|{base * 1000:.0f} ms|{wall / COUNT / base:.1f}"
    )
    shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)


def floor() -> float:
    """WeasyPrint alone, in the same run: one A4 page of 300 Chinese characters in one face."""
    from weasyprint import HTML

    text = ("医疗救助是对困难群众在基本医疗保险和大病保险之后的个人负担给予的托底保障" * 10)[:300]
    page = (
        "<html><head><style>@page{size:A4;margin:2cm} body{font-family:'Noto Serif CJK SC';"
        f"font-size:12pt}}</style></head><body><p>{text}</p></body></html>"
    )
    HTML(string=page).write_pdf()  # warm: the face is loaded once
    runs = max(20, COUNT // 5)
    t0 = time.perf_counter()
    for _ in range(runs):
        HTML(string=page).write_pdf()
    return (time.perf_counter() - t0) / runs


if __name__ == "__main__":
    main()
