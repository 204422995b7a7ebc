"""``manage.py settle CASE.json`` (or ``-``): one person's three-layer settlement as JSON.

docs/contracts.md §5. Exit 0 with the JSON on standard output; exit 2 with one line on standard error
for bad input. Reads the policy (and the administrator's versions, if the database has them);
writes nothing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from engine import SettlementInputError, parse_case, result_json, settle
from engine.money import JsonNumber
from settlements.policies import load


def _no_constant(name: str) -> None:
    raise ValueError(f'JSON 中不能有 {name}（金额应为数字或文字，如 "1200.50"）')


class Command(BaseCommand):
    help = "按政策计算一个人一个医疗年度的三重制度结算，输出 JSON（不写数据库）。"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("case", help="案例 JSON 文件路径，或 - 表示标准输入")

    def handle(self, *args: Any, **options: Any) -> None:
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:  # Chinese lines whatever the locale says
                reconfigure(encoding="utf-8")
        try:
            output = self.settle(options["case"])
        except SettlementInputError as exc:
            self.fail(str(exc))
        self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))

    def settle(self, path: str) -> dict[str, Any]:
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8-sig") as handle:
                    text = handle.read()
        except OSError as exc:
            raise SettlementInputError(f"无法读取 {path}：{exc.strerror}") from None
        except UnicodeDecodeError:
            raise SettlementInputError(f"{path} 不是 UTF-8 编码的文本") from None
        try:
            # Numbers stay the text they were written in: the amount parser refuses 1e5 and -0.
            data = json.loads(
                text, parse_float=JsonNumber, parse_int=JsonNumber, parse_constant=_no_constant
            )
        except json.JSONDecodeError as exc:
            raise SettlementInputError(
                f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}"
            ) from None
        except RecursionError:
            raise SettlementInputError("JSON 嵌套过深") from None
        except ValueError as exc:  # NaN / Infinity
            raise SettlementInputError(str(exc)) from None
        case = parse_case(data)
        policy = load(case.policy).with_overrides(case.parameters)
        inputs = case.inputs
        result = settle(policy, inputs.identities, inputs.expenses, inputs.opening, explain=True)
        return result_json(result)

    def fail(self, message: str) -> None:
        sys.stderr.write(" ".join(message.split()) + "\n")
        sys.exit(2)
