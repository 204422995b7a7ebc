#!/usr/bin/env python
"""The five figures README's Benchmarks table shows, each beside its floor measured in the same run.

    make bench                                       # last step of make bench: SQLite files under var/
    DATABASE_URL=postgres://…/bench .venv/bin/python bench/table.py     # PostgreSQL

Runs, one after another and each in its own process, the benchmarks that measure a floor:

| row | script | floor |
|---|---|---|
| identity import, check + import | bench/import_identities.py | the same people and identities sealed, indexed and COPYed into tables shaped like the registry's (PostgreSQL); COPY of the same file into a typed table |
| status lookup, in-process and over HTTP (gunicorn, Redis cache) | bench/status_page.py | same middleware, one SELECT, minimal page |
| settlement engine | bench/settle_engine.py | a bare Decimal loop doing the same arithmetic |
| review queue, gunicorn, 20 users | bench/review_queue.py | a keyset SELECT of 50 rows, minimal template |
| approval letter | bench/letters.py | WeasyPrint alone on the letter's own HTML |

Each script prints a line ``ROW|work|portal|floor|ratio|spread`` for each of its floors (the
spread: the ratio's lowest and highest over the rounds that measured portal and floor in turn, where
the script runs rounds); this prints them as one table with the date, the machine and the database. On PostgreSQL the import and the case benchmarks get databases
of their own (``<name>_import``, ``<name>_cases``, created when missing), since the import empties
the registry it fills. The volumes are smaller than the scripts' defaults so that the whole table
takes minutes (``BENCH_TABLE_SCALE=full`` for the defaults: 1,000,000 applications, 100,000 people).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
FULL = os.environ.get("BENCH_TABLE_SCALE") == "full"
SIZES = {} if FULL else {
    "BENCH_ROWS": "100000", "BENCH_APPLICATIONS": "200000", "BENCH_LOOKUPS": "1000",
    "BENCH_PEOPLE": "20000", "BENCH_SECONDS": "40", "BENCH_LETTERS": "100",
}  # fmt: skip
RUNS = [
    ("import", "bench/import_identities.py"),
    ("cases", "bench/status_page.py"),
    ("engine", "bench/settle_engine.py"),
    ("cases", "bench/review_queue.py"),
    ("letters", "bench/letters.py"),
]
# Shown in this order, but the import runs last: it writes 200,000 rows and more, and the checkpoint
# and autovacuum that follow slowed the status lookup run after it by a third (4.5× against
# 3.2–3.5× alone).
RUN_ORDER = sorted(RUNS, key=lambda run: run[0] == "import")  # stable: the rest keep their order


def database_for(kind: str) -> str:
    """The database a run uses: its own on PostgreSQL (made when missing), a file under var/ else."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{ROOT / 'var' / f'bench-table-{kind}.sqlite3'}"
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'bench'}_{kind}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    rows: dict[str, list[list[str]]] = {}
    vendor = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    for kind, script in RUN_ORDER:
        env = {**os.environ, **SIZES, "DATABASE_URL": database_for(kind)}
        print(f"--- {script}", flush=True)
        done = subprocess.run(
            [sys.executable, str(ROOT / script)], env=env, cwd=ROOT, capture_output=True, text=True
        )
        sys.stdout.write(done.stdout[-3000:])
        found = [line for line in done.stdout.splitlines() if line.startswith("ROW|")]
        if done.returncode or not found:
            sys.stdout.write(done.stderr[-3000:])
            rows[script] = [[script, "failed", "", "", ""]]
            continue
        rows[script] = [[*line.split("|")[1:], ""][:5] for line in found]
    print(
        f"\n{datetime.now():%Y-%m-%d}, {os.cpu_count()} cores ({cpu()}), Python "
        f"{platform.python_version()}, {vendor}\n"
    )
    print("| work | portal | floor in the same run | ratio | spread |")
    print("|---|---|---|---|---|")
    for _kind, script in RUNS:
        for work, portal, floor, ratio, spread in rows[script]:
            print(f"| {work} | {portal} | {floor} | {ratio}{'×' if ratio else ''} | {spread} |")


if __name__ == "__main__":
    main()
