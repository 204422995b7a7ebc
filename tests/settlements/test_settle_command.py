"""``manage.py settle`` as docs/contracts.md §5 describes it: the contract's examples as a real process
(exit code, standard output and error), the many bad inputs in-process (the same command, faster)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]

CASE = {
    "policy": "hohhot-2023",
    "parameters": {"city_income": "50000.00", "rural_income": "20000.00"},
    "identities": [{"category": "dibao", "certified_on": "2023-01-01", "ended_on": None}],
    "expenses": [
        {
            "id": "e1",
            "date": "2023-03-01",
            "kind": "inpatient",
            "total": "60000.00",
            "policy_scope": "50000.00",
            "basic_paid": "30000.00",
            "critical_paid": "5000.00",
            "in_region": True,
            "referred": True,
        }
    ],
}


def settle(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    return subprocess.run(
        [sys.executable, "manage.py", "settle", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def settle_here(*args: str, stdin: str | None = None) -> SimpleNamespace:
    """The same command in this process: its standard streams and exit code captured."""
    out, err = io.StringIO(), io.StringIO()
    streams = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin or ""), out, err
    code = 0
    try:
        call_command("settle", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_settles_the_contract_example_from_a_file(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE), encoding="utf-8")
    done = settle(str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    row = out["expenses"][0]
    assert out["policy"] == "hohhot-2023"
    assert {
        k: row[k]
        for k in ("id", "identity", "basic", "critical", "assistance", "tilted", "personal")
    } == {
        "id": "e1",
        "identity": "dibao",
        "basic": "30000.00",
        "critical": "5000.00",
        "assistance": "10500.00",
        "tilted": "0.00",
        "personal": "14500.00",
    }
    assert out["totals"] == {
        "total": "60000.00",
        "basic": "30000.00",
        "critical": "5000.00",
        "assistance": "10500.00",
        "tilted": "0.00",
        "personal": "14500.00",
    }
    assert len(row["lines"]) == 9


def test_reads_standard_input_with_numbers_as_amounts():
    case = json.loads(json.dumps(CASE))
    case["expenses"][0].update(
        total=60000, policy_scope=50000.5, basic_paid=30000, critical_paid=5000.1
    )
    done = settle("-", stdin=json.dumps(case))
    assert done.returncode == 0, done.stderr
    # (50,000.50 − 30,000 − 5,000.10) × 70% = 15,000.40 × 70% = 10,500.28
    assert json.loads(done.stdout)["expenses"][0]["assistance"] == "10500.28"


def test_a_one_stop_bill_earns_tilted_assistance_as_the_contract_now_says():
    """docs/contracts.md §5, changes of issue 36: 低保, referred, in region, 9,000.00 left after the
    hospital's one-stop assistance → (9,000 − 7,000) × 80% = 1,600.00; the referral is named."""
    case = json.loads(json.dumps(CASE))
    case["expenses"][0].update(assistance_paid="6000.00", referral="转诊备案 YB2023020001")
    done = settle("-", stdin=json.dumps(case))
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)["expenses"][0]
    assert (row["assistance"], row["tilted"], row["personal"]) == ("6000.00", "1600.00", "17400.00")
    assert "规范转诊：转诊备案 YB2023020001" in row["lines"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('"total": 99999999999999999999999999999', "过大，不能超过 999,999,999.99 元"),
        ('"total": 1e5', "不能用科学计数法"),
        ('"total": -0', "不能为负数"),
        ('"total": NaN', "JSON 中不能有 NaN"),
        ('"total": Infinity', "JSON 中不能有 Infinity"),
    ],
)
@pytest.mark.django_db
def test_json_numbers_are_read_as_written(raw, reason):
    """28 digits once crashed with a traceback; 1e5 and -0 were read as amounts."""
    text = json.dumps(CASE).replace('"total": "60000.00"', raw, 1)
    assert raw in text
    done = settle_here("-", stdin=text)
    assert (done.returncode, done.stdout) == (2, "")
    assert reason in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"policy": "beijing-2030"}, "未知政策 beijing-2030"),
        (
            {"identities": [{"category": "rich", "certified_on": "2023-01-01"}]},
            "未知身份类别 'rich'",
        ),
        (
            {"expenses": [{**CASE["expenses"][0], "total": "1,2.3.4"}]},
            "不能有逗号、下划线或空格等分隔符",
        ),
        ({"expenses": [{**CASE["expenses"][0], "date": "2023-13-01"}]}, "不是有效日期"),
        ({"expenses": [{**CASE["expenses"][0], "basic_paid": None}]}, "缺少 basic_paid"),
        ({"parameters": {"city_income": "-1"}}, "不能为负数"),
        ({"expenses": [{**CASE["expenses"][0], "total": "12,50"}]}, "不能有逗号"),
        ({"expenses": [{**CASE["expenses"][0], "total": "1_000"}]}, "不能有逗号、下划线"),
        ({"expenses": [{**CASE["expenses"][0], "basic_paid": "-0"}]}, "不能为负数（也不能写 -0）"),
        ({"expenses": [{**CASE["expenses"][0], "total": "１２"}]}, "请用半角数字"),
        ({"expenses": [{**CASE["expenses"][0], "total": "1 000"}]}, "不能有逗号、下划线或空格"),
        ({"expenses": [{**CASE["expenses"][0], "total": True}]}, "收到 True"),
    ],
)
@pytest.mark.django_db
def test_bad_input_exits_2_with_one_line_and_no_traceback(change, reason):
    done = settle_here("-", stdin=json.dumps({**CASE, **change}))
    assert done.returncode == 2
    assert done.stdout == ""
    assert reason in done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        ("{not json", "JSON 格式错误：第 1 行"),
        ("[]", "输入应为一个 JSON 对象"),
        ("", "JSON 格式错误"),
    ],
)
@pytest.mark.django_db
def test_malformed_json_exits_2(stdin, reason):
    done = settle_here("-", stdin=stdin)
    assert (done.returncode, done.stdout) == (2, "")
    assert reason in done.stderr


def test_missing_file_exits_2(tmp_path):
    done = settle(str(tmp_path / "nope.json"))
    assert done.returncode == 2
    assert "无法读取" in done.stderr
