"""The participation subsidy (分类资助参保): what a person's residents' medical-insurance contribution
is subsidised with in an enrolment year, from the categories they hold in it.

Pure Python, like the rest of the engine. Seed 001 §三(一): 特困人员 in full; 低保对象 and 返贫致贫人口
a fixed amount of at least 45% of the current individual contribution; one subsidy per person, under
the most favourable identity (就高不就低, never twice). The contribution (students have their own,
seed 003 一(二)) and each category's rule are dated policy parameters:

- ``subsidy.contribution`` / ``subsidy.contribution.student``: the individual contribution;
- ``subsidy.fixed_floor_share``: the least share of the contribution a fixed subsidy may be;
- ``subsidy.rule.<category>``: a ``SubsidyRule`` (full, fixed, share with a floor, none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .categories import CATEGORIES, rank
from .errors import MissingParameter
from .money import ZERO, fen, percent, yuan
from .policy import SubsidyRule


@dataclass(frozen=True, slots=True)
class Subsidy:
    """One person's subsidy for a year: the category it is paid under (None: no subsidised
    identity), the contribution it is measured against, the amount, and why, line by line."""

    category: str | None
    contribution: Decimal
    amount: Decimal
    lines: tuple[str, ...]


def _param(params: Mapping[str, Any], name: str) -> Any:
    try:
        return params[name]
    except KeyError:  # a plain mapping in the tests; the engine's Params raises its own words
        raise MissingParameter(f"参数 {name} 没有取值") from None


def rule_amount(
    rule: SubsidyRule, contribution: Decimal, floor_share: Decimal
) -> tuple[Decimal, str]:
    """The subsidy a rule gives against ``contribution``, never more than it, with its words."""
    if rule.kind == "full":
        return contribution, f"全额资助 {yuan(contribution)} 元"
    if rule.kind == "fixed":
        floor = fen(contribution * floor_share)
        if rule.amount is None:
            return floor, (
                f"定额资助，按不低于个人缴费 {percent(floor_share)} 的下限：{yuan(floor)} 元"
            )
        if rule.amount < floor:
            return floor, (
                f"定额 {yuan(rule.amount)} 元低于个人缴费的 {percent(floor_share)}"
                f"（{yuan(floor)} 元），按 {yuan(floor)} 元资助"
            )
        amount = min(rule.amount, contribution)
        capped = "（以个人缴费为限）" if amount < rule.amount else ""
        return amount, f"定额资助 {yuan(amount)} 元{capped}"
    if rule.kind == "share":
        assert rule.rate is not None  # noqa: S101 - SubsidyRule.parse requires it
        amount = fen(contribution * rule.rate)
        words = f"个人缴费 {yuan(contribution)} 元 × {percent(rule.rate)} = {yuan(amount)} 元"
        if rule.floor is not None and amount < rule.floor:
            amount = min(rule.floor, contribution)
            words += f"，低于 {yuan(rule.floor)} 元，按 {yuan(amount)} 元资助"
        return min(amount, contribution), words
    return ZERO, "不资助"


def subsidy_for(
    categories: Iterable[str],
    params: Mapping[str, Any],
    *,
    student: bool = False,
    sources: Mapping[str, str] | None = None,
) -> Subsidy:
    """The subsidy of a person holding ``categories`` in the enrolment year: once, under the
    category that gives the most (ties: the more favourable category)."""
    sources = sources or {}
    name = "subsidy.contribution.student" if student else "subsidy.contribution"
    contribution = _param(params, name)
    who = "学生" if student else "居民"
    lines = [f"个人缴费标准（{who}）{yuan(contribution)} 元"]
    held = sorted(set(categories) & set(CATEGORIES), key=rank)
    if not held:
        return Subsidy(None, contribution, ZERO, (*lines, "本年度没有有效的困难身份，不资助"))
    floor_share = _param(params, "subsidy.fixed_floor_share")
    best: tuple[Decimal, str] | None = None
    for category in held:
        rule_name = f"subsidy.rule.{category}"
        amount, words = rule_amount(_param(params, rule_name), contribution, floor_share)
        source = sources.get(rule_name, "")
        lines.append(f"{CATEGORIES[category][0]}：{words}" + (f"（{source}）" if source else ""))
        if best is None or amount > best[0]:
            best = (amount, category)
    assert best is not None  # noqa: S101 - held is not empty
    amount, category = best
    if len(held) > 1:
        lines.append(
            f"同时具有 {len(held)} 个身份，按资助最多的“{CATEGORIES[category][1]}”资助一次"
            "（就高不就低，不重复资助）"
        )
    if amount == ZERO:
        return Subsidy(None, contribution, ZERO, tuple(lines))
    return Subsidy(category, contribution, amount, tuple(lines))
