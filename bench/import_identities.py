#!/usr/bin/env python
"""Identity import benchmark: generate a realistic department file, check it, import it.

    .venv/bin/python bench/import_identities.py                 # 100,000 rows, SQLite (var/bench-import.sqlite3)
    DATABASE_URL=postgres://... .venv/bin/python bench/import_identities.py
    BENCH_ROWS=20000 BENCH_FORMAT=xlsx .venv/bin/python bench/import_identities.py

Runs the same service functions the Celery tasks run (check, then import), in this process, and
prints rows per second for each step and the process's resident memory sampled while it works
(flat memory = the file is streamed, never loaded whole). A second import of the same file shows
the idempotent path. The floor of the same work is measured in the same run: the file's rows
COPYed into a typed table with a primary key and a unique ID number (no validation, no encryption),
and the ratio printed.
"""

import csv
import os
import random
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
if "DATABASE_URL" not in os.environ:  # a fresh SQLite file each run
    for leftover in (ROOT / "var").glob("bench-import.sqlite3*"):
        leftover.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench-import.sqlite3'}"
os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
# the confirm queues the import: into a broker folder of the bench's own, which no worker reads
os.environ.setdefault("CELERY_FILESYSTEM_DIR", str(ROOT / "var" / "bench-celery"))
os.environ.setdefault(
    "CELERY_FILESYSTEM_DIR", str(ROOT / "var" / "bench-celery")
)  # not the dev queue
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from figures import spread  # noqa: E402

from accounts.models import User  # noqa: E402
from areas.models import Township  # noqa: E402
from beneficiaries import services  # noqa: E402
from beneficiaries.idnumber import check_digit  # noqa: E402
from beneficiaries.models import HardshipIdentity, Person  # noqa: E402
from core.crypto import DerivedField, EncryptedCharField, keyring  # noqa: E402
from engine.categories import CATEGORIES  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
FORMAT = os.environ.get("BENCH_FORMAT", "csv")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = (
    "秀英桂兰玉兰建国建军海燕志强丽娟金花福来二小巴特尔其其格乌兰春梅淑珍文华永红国庆宝山敖日格勒"
)
WEIGHTS = {"dibao": 40, "rural_at_risk": 20, "dibao_edge": 15, "tekun": 8, "returned_poor": 7, "illness_poor": 6,
           "orphan": 2, "other": 2}  # fmt: skip


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576


class MemorySampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            self.samples.append(rss_mb())
            time.sleep(0.1)


def generate(path: Path, towns: list[Township]) -> None:
    rng = random.Random(20261122)
    cats = list(WEIGHTS)
    weights = list(WEIGHTS.values())
    header = [
        "公民身份号码",
        "姓名",
        "困难身份类别",
        "认定日期",
        "终止日期",
        "居住乡镇",
        "证件编号",
        "认定部门",
        "联系电话",
        "住址",
    ]
    rows = []
    for n in range(ROWS):
        town = towns[n % len(towns)]
        # (county, birth date, sequence) is unique per n: n // 1000 picks the birth date.
        born = date(1935, 1, 1) + timedelta(days=(n // 1000) * 97 % 31000)
        body = f"{town.county.code}{born:%Y%m%d}{n % 1000:03d}"
        number = body + check_digit(body)
        cat = rng.choices(cats, weights)[0]
        start = date(2021, 1, 1) + timedelta(days=rng.randrange(0, 1000))
        end = (
            start + timedelta(days=365)
            if cat in {"dibao_edge", "illness_poor"} and rng.random() < 0.5
            else None
        )
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
        rows.append([number, name, CATEGORIES[cat][0], start.isoformat(), end.isoformat() if end else "", town.code,
                     f"证{n:07d}", "民政" if cat not in {"rural_at_risk", "returned_poor"} else "乡村振兴",
                     f"139{rng.randrange(10**8):08d}", f"{town.name}{rng.randrange(1, 40)}村{rng.randrange(1, 9)}组"])  # fmt: skip
    if FORMAT == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(header)
        for r in rows:
            ws.append(r)
        wb.save(path)
    else:
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)


def floor(path: Path) -> float:
    """The floor of the same work: the file's rows into a typed table with a primary key and a
    unique ID number, by COPY on PostgreSQL (executemany on SQLite), one transaction."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_identity")
        cursor.execute(
            "CREATE TABLE bench_floor_identity (row_number integer PRIMARY KEY, id_number varchar(18) UNIQUE, "
            "name varchar(50), category varchar(40), certified_on date, ended_on date, township varchar(20), "
            "certificate_number varchar(60), department varchar(20), phone varchar(30), address varchar(200))"
        )
    t0 = time.perf_counter()
    with (
        transaction.atomic(),
        path.open(encoding="utf-8-sig", newline="") as fh,
        connection.cursor() as cursor,
    ):
        reader = csv.reader(fh)
        next(reader)
        rows = ([n, *(c or None for c in row)] for n, row in enumerate(reader, start=2))
        if connection.vendor == "postgresql":
            with cursor.cursor.copy("COPY bench_floor_identity FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO bench_floor_identity VALUES ({', '.join(['%s'] * 11)})", list(rows)
            )
    took = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor_identity")
    return took


def registry_floor() -> tuple[float, float] | None:
    """The second floor, PostgreSQL only: the people and identities the portal's import just wrote,
    sealed and indexed again from clear text by the portal's own codec (AES-GCM, HMAC, the tail),
    then COPYed into tables LIKE the registry's own (INCLUDING ALL: the same indexes, unique keys and
    checks; no foreign keys). The writing any import of these rows must do, whatever checks them.
    Returns (sealing, COPY) in seconds; reading the rows back and opening them is not timed."""
    if connection.vendor != "postgresql":
        return None
    plans = []
    with connection.cursor() as cursor:
        for model in (Person, HardshipIdentity):
            table = model._meta.db_table
            cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{table}")
            cursor.execute(f"CREATE TABLE bench_floor_{table} (LIKE {table} INCLUDING ALL)")
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            columns = [c.name for c in cursor.description]
            fields = {f.column: f for f in model._meta.concrete_fields}
            sealed = [
                (i, fields[c])
                for i, c in enumerate(columns)
                if isinstance(fields.get(c), EncryptedCharField)
            ]
            derived = [(i, fields[c], columns.index(model._meta.get_field(fields[c].source).column))
                       for i, c in enumerate(columns) if isinstance(fields.get(c), DerivedField)]  # fmt: skip
            with cursor.cursor.copy(f"COPY {table} TO STDOUT") as copy:
                rows = [list(r) for r in copy.rows()]
            for r in rows:  # back to clear text, as the file gave them
                for i, field in sealed:
                    if r[i]:
                        r[i] = field.from_db_value(r[i], None, connection)
            plans.append((table, rows, sealed, derived))
    keyring()._blinded.clear()  # the portal's import started without the index cache too
    t0 = time.perf_counter()
    for _table, rows, sealed, derived in plans:
        for r in rows:
            for i, field, source in derived:
                r[i] = field.of(r[source]) if r[source] else field.get_default()
            for i, field in sealed:
                r[i] = field.encrypt(r[i])
    t1 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, rows, _sealed, _derived in plans:
            with cursor.cursor.copy(f"COPY bench_floor_{table} FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
    t2 = time.perf_counter()
    with connection.cursor() as cursor:
        for table, *_rest in plans:
            cursor.execute(f"DROP TABLE bench_floor_{table}")
    return t1 - t0, t2 - t1


def empty_registry() -> None:
    """Every imported person and identity gone (PostgreSQL: TRUNCATE), for the next round."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE beneficiaries_hardshipidentity, beneficiaries_importrow, beneficiaries_historicalperson, "
            "beneficiaries_person CASCADE"
        )


def run(admin: User, path: Path, label: str) -> float:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    batch = services.identity_import_create(upload=upload, department="民政", actor=admin)
    del upload
    sampler = MemorySampler()
    sampler.start()
    t0 = time.perf_counter()
    services.identity_import_preview(batch=batch)
    t1 = time.perf_counter()
    services.identity_import_apply(batch=batch, actor=admin)  # as the confirm button does
    services.identity_import_run(batch=batch)  # what the queued task does
    t2 = time.perf_counter()
    sampler.running = False
    sampler.join()
    batch.refresh_from_db()
    s = sampler.samples
    marks = [s[int(len(s) * f)] for f in (0.1, 0.5, 0.9)] if s else [0, 0, 0]
    print(f"{label}: {batch.total_rows:,} rows, {batch.bad_rows} bad")
    print(f"  check (preview)  {t1 - t0:6.1f} s   {batch.total_rows / (t1 - t0):8,.0f} rows/s")
    print(f"  import           {t2 - t1:6.1f} s   {batch.total_rows / (t2 - t1):8,.0f} rows/s   "
          f"(people +{batch.people_created:,}, identities +{batch.identities_created:,} ~{batch.identities_updated:,} "
          f"={batch.identities_unchanged:,})")  # fmt: skip
    print(
        f"  memory (RSS)     peak {max(s):.0f} MB; at 10% / 50% / 90% of the run: "
        f"{marks[0]:.0f} / {marks[1]:.0f} / {marks[2]:.0f} MB"
    )
    return t2 - t0


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    postgres = connection.vendor == "postgresql"
    if postgres:  # start from an empty registry
        empty_registry()
    # PostgreSQL empties the registry between rounds; SQLite keeps the demo's cases on its people,
    # so it runs one round
    rounds = ROUNDS if postgres else 1
    admin = User.objects.get(username="admin")
    towns = list(Township.objects.select_related("county").order_by("code"))
    path = ROOT / "var" / f"bench-identities-{ROWS}.{FORMAT}"
    t0 = time.perf_counter()
    generate(path, towns)
    print(f"database: {connection.vendor}; generated {path.name} ({path.stat().st_size / 1048576:.1f} MB) "
          f"in {time.perf_counter() - t0:.1f} s; RSS before import {rss_mb():.0f} MB; {rounds} round(s), "
          f"each: the portal's import, then each floor")  # fmt: skip
    firsts, bases, registries, seals = [], [], [], []
    for n in range(1, rounds + 1):
        if n > 1:
            empty_registry()
        keyring()._blinded.clear()
        firsts.append(run(admin, path, f"round {n}: first import"))
        registry = registry_floor()
        if registry is not None:
            seals.append(registry[0])
            registries.append(sum(registry))
        bases.append(floor(path))
        line = f"round {n}: check + import {firsts[-1]:.1f} s; typed COPY {bases[-1]:.2f} s ({firsts[-1] / bases[-1]:.1f}x)"
        if registry is not None:
            line += (f"; sealed, registry-shaped COPY {registries[-1]:.2f} s (sealing {registry[0]:.2f} s "
                     f"+ COPY {registry[1]:.2f} s): {firsts[-1] / registries[-1]:.1f}x")  # fmt: skip
        print(line, flush=True)
    again = run(admin, path, "same file again (idempotent)")
    first, base = statistics.median(firsts), statistics.median(bases)
    print(
        f"floor: COPY of the same file into a typed table (primary key, unique ID number): median {base:.2f} s"
    )
    print(f"check + import ÷ floor: first {first / base:.1f}x (rounds {spread([f / b for f, b in zip(firsts, bases, strict=True)])}), "
          f"same file again {again / base:.1f}x")  # fmt: skip
    if registries:
        registry = statistics.median(registries)
        ratios = [f / r for f, r in zip(firsts, registries, strict=True)]
        print(
            f"second floor: the {ROWS:,} people and identities sealed and indexed by the portal's codec "
            f"(median {statistics.median(seals):.2f} s) and COPYed into tables LIKE the registry's own "
            f"(their indexes, no foreign keys): median {registry:.2f} s; check + import ÷ this floor: "
            f"median {statistics.median(ratios):.1f}x, rounds {spread(ratios)}"
        )
        print(f"ROW|identity import, {ROWS:,} rows, check + import ÷ sealed registry-shaped COPY|{first:.1f} s|"
              f"{registry:.2f} s|{statistics.median(ratios):.1f}|{spread(ratios)}")  # fmt: skip
    ratios = [f / b for f, b in zip(firsts, bases, strict=True)]
    print(f"ROW|identity import, {ROWS:,} rows, check + import ÷ typed COPY|{first:.1f} s|{base:.2f} s|"
          f"{statistics.median(ratios):.1f}|{spread(ratios)}")  # fmt: skip


if __name__ == "__main__":
    main()
