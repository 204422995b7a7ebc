"""The command-line case format of ``manage.py settle`` (docs/contracts.md §5): JSON in, JSON out.

``parse_case`` checks everything a person can get wrong and raises ``SettlementInputError`` with one
line in Chinese; ``result_json`` writes every amount as a string with exactly two decimals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .categories import CATEGORIES
from .errors import SettlementInputError
from .model import KINDS, Expense, IdentityPeriod, Inputs, Result
from .money import amount_text, parse_amount

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Case:
    policy: str
    parameters: Mapping[str, Any]
    identities: tuple[IdentityPeriod, ...]
    expenses: tuple[Expense, ...]

    @property
    def inputs(self) -> Inputs:
        """The engine's input, as every other caller builds it (a case file starts the year with
        nothing used yet)."""
        return Inputs(self.identities, self.expenses)


def parse_date(value: object, what: str) -> date:
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise SettlementInputError(f"{what}应为 YYYY-MM-DD 格式的日期，收到 {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise SettlementInputError(f"{what}不是有效日期：{value}") from None


def _amount(value: object, what: str) -> Any:
    try:
        return parse_amount(value, what)
    except ValueError as exc:
        raise SettlementInputError(str(exc)) from None


def _flag(item: Mapping[str, Any], key: str, default: bool, what: str) -> bool:
    value = item.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise SettlementInputError(f"{what}的 {key} 应为 true 或 false，收到 {value!r}")
    return value


def _text(item: dict[str, Any], key: str, what: str) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or len(value) > 200:
        raise SettlementInputError(f"{what}的 {key} 应为不超过 200 字的文字")
    return value


# Long on purpose: the JSON case format of ``manage.py settle``, checked field by field with a
# Chinese message for each; one reading of the format, in the order docs/contracts.md §5 gives it.
def parse_case(data: object) -> Case:
    if not isinstance(data, dict):
        raise SettlementInputError("输入应为一个 JSON 对象")
    policy = data.get("policy")
    if not isinstance(policy, str) or not policy.strip():
        raise SettlementInputError("缺少 policy（政策代码，如 hohhot-2023）")
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise SettlementInputError('parameters 应为对象，如 {"city_income": "50000.00"}')

    raw_identities = data.get("identities") or []
    if not isinstance(raw_identities, list):
        raise SettlementInputError("identities 应为列表")
    identities = []
    for n, item in enumerate(raw_identities, start=1):
        what = f"第 {n} 个身份"
        if not isinstance(item, dict):
            raise SettlementInputError(f"{what}应为对象")
        category = item.get("category")
        if not isinstance(category, str) or category not in CATEGORIES:
            raise SettlementInputError(
                f"{what}：未知身份类别 {category!r}（可用：{', '.join(CATEGORIES)}）"
            )
        certified_on = parse_date(item.get("certified_on"), f"{what}的认定日期 certified_on ")
        ended_on = None
        if item.get("ended_on") is not None:
            ended_on = parse_date(item["ended_on"], f"{what}的终止日期 ended_on ")
            if ended_on < certified_on:
                raise SettlementInputError(
                    f"{what}：终止日期 {ended_on} 早于认定日期 {certified_on}"
                )
        identities.append(IdentityPeriod(category, certified_on, ended_on))

    raw_expenses = data.get("expenses")
    if not isinstance(raw_expenses, list):
        raise SettlementInputError("缺少 expenses（费用列表）")
    expenses = []
    for n, item in enumerate(raw_expenses, start=1):
        if not isinstance(item, dict):
            raise SettlementInputError(f"第 {n} 笔费用应为对象")
        raw_id = item.get("id", f"e{n}")
        if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or str(raw_id) == "":
            raise SettlementInputError(f"第 {n} 笔费用的 id 应为文字或数字")
        expense_id = str(raw_id)
        what = f"费用 {expense_id} "
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            raise SettlementInputError(
                f"{what}：未知费用类别 kind={kind!r}（可用：{', '.join(KINDS)}）"
            )
        for key in ("total", "policy_scope"):
            if item.get(key) is None:
                raise SettlementInputError(f"{what}缺少 {key}")
        expenses.append(
            Expense(
                id=expense_id,
                day=parse_date(item.get("date"), f"{what}的日期 date "),
                kind=kind,
                total=_amount(item["total"], f"{what}的总费用 total "),
                policy_scope=_amount(item["policy_scope"], f"{what}的政策范围内费用 policy_scope "),
                basic_paid=None
                if item.get("basic_paid") is None
                else _amount(item["basic_paid"], f"{what}的基本医保 basic_paid "),
                critical_paid=None
                if item.get("critical_paid") is None
                else _amount(item["critical_paid"], f"{what}的大病保险 critical_paid "),
                in_region=_flag(item, "in_region", True, what),
                referred=_flag(item, "referred", False, what),
                assistance_paid=None
                if item.get("assistance_paid") is None
                else _amount(item["assistance_paid"], f"{what}的一站式医疗救助 assistance_paid "),
                referral=_text(item, "referral", what),
            )
        )
    return Case(policy.strip(), parameters, tuple(identities), tuple(expenses))


def result_json(result: Result) -> dict[str, Any]:
    """The settlement as docs/contracts.md §5 prints it; ``fund`` appears only where the policy has it."""
    keys = ["basic", "critical", "assistance", "tilted"]
    if result.fund_layer:
        keys.append("fund")
    expenses = []
    for item in result.expenses:
        row: dict[str, Any] = {"id": item.expense_id, "identity": item.identity}
        for key in keys:
            row[key] = amount_text(getattr(item, key))
        row["personal"] = amount_text(item.personal)
        row["lines"] = list(item.lines)
        expenses.append(row)
    sums = result.totals()
    totals = {key: amount_text(sums[key]) for key in ["total", *keys, "personal"]}
    return {
        "policy": result.policy_code,
        "policy_version": result.policy_version,
        "expenses": expenses,
        "totals": totals,
    }
