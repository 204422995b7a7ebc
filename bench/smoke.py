#!/usr/bin/env python
"""Every benchmark of ``make bench`` (and the others under bench/) at smoke size, so that none rots
(issue 40): tiny volumes, seconds each, each in a database of its own: a SQLite file in a temporary folder, or,
when ``DATABASE_URL`` names a PostgreSQL server, a database created there for it and dropped after.
Exits non-zero when one fails, naming it.

    python bench/smoke.py              # all of them
    python bench/smoke.py approval     # the ones whose file name contains "approval"
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent
SMALL = {"BENCH_SMOKE": "1", "BENCH_REPEAT": "5", "BENCH_ROUNDS": "1", "BENCH_LOOKUPS": "20"}
# each benchmark with the sizes that make it a smoke run
RUNS: dict[str, dict[str, str]] = {
    "run.py": {"BENCH_PEOPLE": "300"},
    "settle_engine.py": {
        "BENCH_PEOPLE": "200",
        "BENCH_PER_PERSON": "3",
        "BENCH_FILE_EXPENSES": "200",
    },
    "approval.py": {"BENCH_CASES": "10"},
    "intake.py": {"BENCH_CASES": "10"},
    "subsidy_roster.py": {"BENCH_PEOPLE": "400", "BENCH_ENTITLED": "100"},
    "onestop.py": {"BENCH_PEOPLE": "100", "BENCH_RECORDS": "200"},
    "platform_import.py": {},
    "identifiers.py": {"BENCH_PEOPLE": "300"},
    "import_identities.py": {"BENCH_ROWS": "300", "BENCH_ROUNDS": "2"},
    "letters.py": {"BENCH_LETTERS": "5"},
    "monitoring.py": {"BENCH_PEOPLE": "300", "BENCH_RECORDS": "1000"},
    "queueing.py": {"BENCH_TASKS": "50"},
    "reminders.py": {"BENCH_APPLICATIONS": "2000", "BENCH_OPEN": "200", "BENCH_IN_REVIEW": "200"},
    "status_page.py": {"BENCH_APPLICATIONS": "2000"},
    "review_queue.py": {
        "BENCH_APPLICATIONS": "2000",
        "BENCH_OPEN": "200",
        "BENCH_IN_REVIEW": "200",
        "BENCH_USERS": "2",
        "BENCH_SECONDS": "3",
        "BENCH_THINK": "0",
    },
}


def _own_database(url: str, name: str, *, drop: bool = False) -> str:
    """A database of the benchmark's own on the run's PostgreSQL server (created afresh)."""
    import psycopg

    db = "bench_" + name.removesuffix(".py")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if not drop:
            conn.execute(f'CREATE DATABASE "{db}"')
    return urlunsplit(urlsplit(url)._replace(path="/" + db))


def main(only: list[str]) -> int:
    failed = []
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as tmp:
        for name, sizes in RUNS.items():
            if only and not any(o in name for o in only):
                continue
            env = {**os.environ, **SMALL, **sizes}
            server = os.environ.get("DATABASE_URL", "")
            if server.startswith("postgres"):
                env["DATABASE_URL"] = _own_database(server, name)
            else:
                env["DATABASE_URL"] = f"sqlite:///{tmp}/{name}.sqlite3"
            t0 = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(ROOT / name)], env=env, capture_output=True, text=True
            )
            took = time.perf_counter() - t0
            if server.startswith("postgres"):
                _own_database(server, name, drop=True)
            if done.returncode:
                failed.append(name)
                print(f"FAIL {name} ({took:.1f} s)\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
            else:
                last = [line for line in done.stdout.splitlines() if line.strip()][-1:]
                print(f"ok   {name} ({took:.1f} s) {last[0][:140] if last else ''}")
    if failed:
        print(f"benchmarks that no longer run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
