#!/usr/bin/env python
"""A city's year of the national platform's settlement records, imported: what it costs against
the floor of writing the same rows.

    .venv/bin/python bench/platform_import.py                  # SQLite file var/bench_platform.sqlite3
    DATABASE_URL=postgres://… .venv/bin/python bench/platform_import.py
    BENCH_RECORDS=1000000 BENCH_PEOPLE=100000 … bench/platform_import.py
    BENCH_SMOKE=1 …                                           # a few thousand rows (make test)

Seeds the demo (the 定点医药机构 register among it) and BENCH_PEOPLE people, writes a CSV of
BENCH_RECORDS records in the platform's layout (field codes as headers, 2% with maf_pay > 0), then,
in the same run, interleaved over BENCH_ROUNDS slices of the file:

- **floor**: the slice's rows, already converted (person ids looked up, amounts as Decimal), written
  into the same table by the same bulk path (COPY on PostgreSQL), nothing checked;
- **portal**: the slice read from the CSV and imported by ``monitoring.platform.process`` (every
  field checked against the code tables and the register, the people looked up, the records
  written, the maf_pay records entered in the yearly ledger), the floor's rows taken out first.

Prints records a second for each, the ratio portal / floor per round and overall, and the peak
resident memory before and after (flat: the file is streamed five thousand rows at a time). Then the
monitoring recompute over everything, full.
"""

import csv
import os
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_platform.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.approval import fresh_database  # noqa: E402

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "300" if SMOKE else "50000"))
RECORDS = int(os.environ.get("BENCH_RECORDS", "3000" if SMOKE else "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
FILES = [ROOT / "var" / f"bench_platform_{k}.csv" for k in range(ROUNDS)]
HEADER = ["setl_id", "mdtrt_id", "psn_no", "psn_name", "psn_cert_type", "certno", "insutype",
          "med_type", "fixmedins_code", "fixmedins_name", "begndate", "enddate", "setl_time",
          "medfee_sumamt", "fulamt_ownpay_amt", "inscp_scp_amt", "hifp_pay", "hifmi_pay",
          "maf_pay", "psn_part_amt", "gend", "naty"]  # fmt: skip
HOSPITALS = [("H15010200011", "内蒙古自治区人民医院"), ("H15012100021", "土默特左旗医院"),
             ("H15012200031", "托克托县医院"), ("H15012100101", "察素齐镇卫生院")]  # fmt: skip


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_people() -> list[tuple[str, str]]:
    """PEOPLE people of 察素齐镇 (sealed and indexed as the registry writes them): (ID, name)."""
    from beneficiaries.idnumber import check_digit
    from beneficiaries.models import Person
    from beneficiaries.records import insert_people
    from core.crypto import blind_index

    town = __import__("areas.models", fromlist=["Township"]).Township.objects.get(code="150121100")
    people, made = {}, []
    for n in range(PEOPLE):
        body = f"1501211{950 + n % 50}{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"[:17]
        number = body + check_digit(body)
        index = blind_index(Person, number)
        if index in people:
            continue
        people[index] = {"id_number": number, "id_index": index, "id_tail": number[-4:],
                         "name": f"测{n}", "sex": "女", "birth_date": date(1960, 1, 1),
                         "hukou_place": "内蒙古", "hukou_local": True, "township_id": town.pk,
                         "household_id": None, "id_warning": ""}  # fmt: skip
        made.append((number, f"测{n}"))
    for start in range(0, len(made), 5000):
        with transaction.atomic():
            insert_people(dict(list(people.items())[start : start + 5000]))
    return made


def write_files(people: list[tuple[str, str]]) -> None:
    """RECORDS records in the platform's layout, streamed to disk in ROUNDS files."""
    year = date.today().year
    size = -(-RECORDS // ROUNDS)
    for k, path in enumerate(FILES):
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(HEADER)
            for n in range(k * size, min(RECORDS, (k + 1) * size)):
                out.writerow(platform_row(n, people, year))


def platform_row(n: int, people: list[tuple[str, str]], year: int) -> list:
    number, name = people[n % len(people)]
    code, hospital = HOSPITALS[n % len(HOSPITALS)]
    day = date(year, 1, 1) + timedelta(days=n % 300)
    inpatient = n % 5 == 0
    total = Decimal(800 + n % 9000) + Decimal("0.50")
    scope = (total * Decimal("0.9")).quantize(Decimal("0.01"))
    basic = (scope * Decimal("0.6")).quantize(Decimal("0.01"))
    maf = (scope * Decimal("0.1")).quantize(Decimal("0.01")) if n % 50 == 0 else Decimal(0)
    return [f"BP{n:012d}", f"MD{n:012d}", f"PS{n:010d}", name, "01", number, "390",
            "21" if inpatient else "11", code, hospital,
            (day - timedelta(days=6 if inpatient else 0)).isoformat(), day.isoformat(),
            f"{day} 10:00:00", total, "30.00", scope, basic, "0", maf, total - basic - maf, "2",
            "01"]  # fmt: skip


def streamed(path: Path):
    from core.rows import read_rows
    from monitoring.platform import LAYOUT

    with path.open("rb") as fh:
        yield from read_rows(fh, path.name, LAYOUT)


def timed_floor(chunk: list, people: dict[str, int], register: dict, written: list) -> float:
    """A batch of rows converted, then written on the clock (one transaction, as the import)."""
    from core.rows import insert_rows
    from monitoring.models import HospitalSettlement
    from monitoring.platform.writing import PLATFORM_COLUMNS

    converted = floor_rows(chunk, people, register)
    written.extend(r[2] for r in converted)
    started = time.perf_counter()
    with transaction.atomic():
        insert_rows(HospitalSettlement, PLATFORM_COLUMNS, converted)
    return time.perf_counter() - started


def floor_rows(raw: list[tuple[int, dict]], people: dict[str, int], register: dict) -> list:
    """The slice's rows converted as the portal would store them, without any check."""
    from django.utils import timezone

    from monitoring.platform.reading import record_key
    from settlements.bills import settlement_key

    now = timezone.now()
    out = []
    for _n, r in raw:
        setl_id = r["setl_id"]
        day = date.fromisoformat(r["enddate"])
        kind = "inpatient" if r["med_type"] == "21" else "outpatient"
        out.append([people[r["id_number"]], record_key(setl_id), setl_id, r["fixmedins_name"],
                    r["fixmedins_code"], "", "", settlement_key(setl_id),
                    register[r["fixmedins_code"]], kind, "",
                    date.fromisoformat(r["begndate"]) if kind == "inpatient" else None, day,
                    Decimal(r["medfee_sumamt"]), Decimal(r["inscp_scp_amt"]),
                    Decimal(r["hifp_pay"]), Decimal(r["hifmi_pay"]),
                    Decimal(r["fulamt_ownpay_amt"]), Decimal(r["maf_pay"]), None, now,
                    "platform", setl_id, r["mdtrt_id"], r["psn_no"], r["med_type"], r["insutype"],
                    "", True, "{}", "", ""])  # fmt: skip
    return out


def main() -> None:
    from django.utils import timezone

    from areas.models import Institution
    from beneficiaries.models import Person
    from core.crypto import blind_index
    from monitoring.models import HospitalSettlement
    from monitoring.platform import process
    from monitoring.platform.writing import ROWS_A_BATCH
    from monitoring.recompute import monitoring_recompute
    from settlements.models import LedgerEntry

    print(
        f"数据库: {connection.vendor}；{PEOPLE:,} 人，医保平台结算记录 {RECORDS:,} 条，分 {ROUNDS} 轮交替计时"
    )
    fresh_database()
    call_command("seed_demo", verbosity=0)
    HospitalSettlement.all_records.all().delete()
    LedgerEntry.objects.all().delete()
    people = seed_people()
    write_files(people)
    index_pk = dict(Person.objects.values_list("id_index", "pk"))
    by_number = {n: index_pk[blind_index(Person, n)] for n, _ in people}
    register = dict(Institution.objects.values_list("code", "level"))
    before = peak_mb()
    floor_total = portal_total = 0.0
    for k, path in enumerate(FILES, 1):
        floor, count, chunk, written = 0.0, 0, [], []
        for row in streamed(path):  # converted outside the clock, written on it
            chunk.append(row)
            if len(chunk) == ROWS_A_BATCH:
                floor += timed_floor(chunk, by_number, register, written)
                count += len(chunk)
                chunk = []
        if chunk:
            floor += timed_floor(chunk, by_number, register, written)
            count += len(chunk)
        for i in range(0, len(written), 10_000):
            HospitalSettlement.all_records.filter(setl_id__in=written[i : i + 10_000]).delete()
        started = time.perf_counter()
        outcomes = process(streamed(path), batch=None, today=timezone.localdate(), dry_run=False)
        refused = [o.errors for o in outcomes if o.errors]
        portal = time.perf_counter() - started
        assert not refused, refused[:3]
        floor_total += floor
        portal_total += portal
        print(
            f"  第 {k} 轮 {count:>9,} 条：下限 {floor:7.2f} s，门户 {portal:7.2f} s，比值 {portal / floor:5.2f}×"
        )
        path.unlink()
    assert HospitalSettlement.objects.count() == RECORDS
    print(f"  下限（同表批量写入，不做检查）：{RECORDS / floor_total:9,.0f} 条/秒")
    print(f"  门户导入（逐字段检查 + 写入 + 一站式入台账）：{RECORDS / portal_total:9,.0f} 条/秒")
    print(f"  比值（门户 / 下限）：{portal_total / floor_total:.2f}×")
    print(
        f"  台账票据 {LedgerEntry.objects.count():,} 条；常驻内存峰值 导入前 {before:.0f} MB，导入后 {peak_mb():.0f} MB"
    )
    started = time.perf_counter()
    monitoring_recompute(full=True, reason="bench")
    print(f"  监测全量重算：{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
