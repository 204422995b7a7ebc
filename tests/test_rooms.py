"""Rooms a newcomer can read: no file over 500 lines outside migrations, and at most eight functions
of the portal's code over 60 lines, each saying why it stays long (a "Long on purpose" comment
right above it). Tests and benchmarks are scripts of a journey; their files count, their functions
do not."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "migrations", "node_modules", "var", "static"}
LONGEST_FILE = 500
LONG_FUNCTION = 60
MOST_LONG = 8


def _python() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIP & set(p.relative_to(ROOT).parts)]


def test_no_file_is_over_500_lines():
    files = _python()
    assert len(files) > 300
    long = {
        str(p.relative_to(ROOT)): n
        for p in files
        if (n := p.read_text(encoding="utf-8").count("\n")) > LONGEST_FILE
    }
    assert long == {}


def test_at_most_eight_long_functions_each_saying_why():
    long, silent = [], []
    for path in _python():
        if {"tests", "bench"} & set(path.relative_to(ROOT).parts):
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.end_lineno - node.lineno + 1 <= LONG_FUNCTION:
                continue
            where = f"{path.relative_to(ROOT)}:{node.name}"
            long.append(where)
            top = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            above = "\n".join(lines[max(0, top - 6) : top - 1])
            if "Long on purpose" not in above:
                silent.append(where)
    assert len(long) <= MOST_LONG, long
    assert silent == []
