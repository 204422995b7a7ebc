#!/usr/bin/env python
"""Letters benchmark: render BENCH_LETTERS (1,000) approval letters with WeasyPrint, each beside
its floor (WeasyPrint alone on the same letter's HTML), in turns.

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
from figures import by_thirds, spread  # noqa: E402

from applications.documents import letter_render  # noqa: E402
from applications.models import Application  # noqa: E402

COUNT = int(os.environ.get("BENCH_LETTERS", "1000"))
ROUNDS: list[float] = []  # letter ÷ floor in each third of the run


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    app = Application.objects.filter(status="approved", settlement__isnull=False).first()
    assert app is not None, "the demo data has an approved case"
    first = letter_render(application=app, kind="approval")  # warm: fonts, templates
    if not os.environ.get("BENCH_SMOKE"):
        picture(first)
    portal, base, size = interleaved(app)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{COUNT:,} approval letters: {portal * 1000:.0f} ms a letter (check, context, template, "
        f"WeasyPrint, SHA-256, file, audit row), {size / 1024:.0f} KB each, peak RSS {peak:.0f} MB"
    )
    print(
        f"floor (WeasyPrint alone on the letter's own HTML, rendered once beforehand), interleaved "
        f"with the portal: {base * 1000:.0f} ms; letter ÷ floor: {portal / base:.2f}x"
    )
    print(
        f"ROW|approval letter|{portal * 1000:.0f} ms|{base * 1000:.0f} ms|{portal / base:.1f}|"
        f"{spread(ROUNDS)}"
    )
    shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)


def picture(letter) -> None:
    """The letter's first page as a PNG for README (pdftoppm); not in smoke runs."""
    out = ROOT / "docs" / "screenshots"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "letter.pdf"
        pdf.write_bytes(letter.file.read())
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


def interleaved(app: Application) -> tuple[float, float, int]:
    """The portal's letter (a new version each time, as a re-render stores it) and its floor, in
    turns: WeasyPrint alone on the same letter's HTML, so the ratio is what the portal adds."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from applications.documents import TEMPLATES, context_for, letter_render_with
    from applications.models import Letter

    html = render_to_string(TEMPLATES[Letter.Kind.APPROVAL], context_for(app, "approval", "BENCH"))
    HTML(string=html).write_pdf()  # warm
    portal: list[float] = []
    floor: list[float] = []
    size = 0
    for _ in range(COUNT):
        t0 = time.perf_counter()
        size = letter_render_with(application=app, kind="approval", extra={}, actor=None).size
        t1 = time.perf_counter()
        HTML(string=html).write_pdf()
        t2 = time.perf_counter()
        portal.append(t1 - t0)
        floor.append(t2 - t1)
    ROUNDS.extend(by_thirds(portal, floor, sum))  # the ratio in each third: the spread
    return sum(portal) / COUNT, sum(floor) / COUNT, size


if __name__ == "__main__":
    main()
