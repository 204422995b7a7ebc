"""Tilted assistance (倾斜救助, seed 001 §四(三)): the part of a year's in-scope inpatient self-pay
left after the three layers above the threshold, at its ratio, within its yearly cap; whichever
channel settled the bill (the window's ``_assist`` or a hospital's one-stop settlement)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from .model import KINDS, Expense, Line
from .money import ZERO, fen
from .policy import Params, Policy

if TYPE_CHECKING:
    from .calculate import _Ledger

INPATIENT = "inpatient"


class _Tilted(NamedTuple):
    """The tilted assistance's terms in one period (``Params.derived``), read in this order."""

    threshold: Decimal
    ratio: Decimal
    cap: Decimal


def _tilted(params: Params) -> _Tilted:
    terms = _Tilted(params["tilted.threshold"], params["tilted.ratio"], params["tilted.cap"])
    params.derived[_Tilted] = terms
    return terms


def _tilted_part(
    policy: Policy,
    params: Params,
    e: Expense,
    remaining: Decimal,
    state: _Ledger,
    lines: list[Line] | None,
) -> tuple[Decimal, Decimal]:
    """Tilted assistance (倾斜救助, seed 001 §四(三)) on a bill's in-scope self-pay ``remaining``
    after the three layers, whichever channel settled it (the window or the hospital's one-stop
    settlement): (the part counted toward the yearly threshold, the tilted assistance)."""
    threshold = tilted = ZERO
    if not policy.layers.tilted:
        return threshold, tilted
    if not (e.kind == INPATIENT and e.in_region and e.referred):
        if lines is not None:
            lines.append(
                (
                    "倾斜救助：本笔{}，不适用（仅限规范转诊且在自治区内就医的住院费用；{}）",
                    (_not_tilted(e), params.source("tilted.ratio")),
                )
            )
        return threshold, tilted
    return _tilted_amounts(params, remaining, state, lines)


def _tilted_amounts(
    params: Params, remaining: Decimal, state: _Ledger, lines: list[Line] | None
) -> tuple[Decimal, Decimal]:
    """``_tilted_part`` once it applies (called straight from ``_assist``'s fast path)."""
    yearly_threshold, tilted_ratio, tilted_cap = params.derived.get(_Tilted) or _tilted(params)
    threshold_left = yearly_threshold - state.tilted_threshold_used
    if threshold_left <= ZERO:
        threshold_left = ZERO
    threshold = threshold_left if threshold_left < remaining else remaining
    over = remaining - threshold
    raw_tilted = fen(over * tilted_ratio)
    tilted_left = tilted_cap - state.tilted_used
    if tilted_left <= ZERO:
        tilted_left = ZERO
    tilted = tilted_left if tilted_left < raw_tilted else raw_tilted
    if lines is not None:
        source = params.source("tilted.ratio")
        lines.append(
            (
                "倾斜救助：三重制度保障后政策范围内自付 {:,.2f} 元，年度起付 {:,.2f} 元"
                "（本年已计入 {:,.2f} 元，本次计入 {:,.2f} 元）",
                (remaining, yearly_threshold, state.tilted_threshold_used, threshold),
            )
        )
        if over > ZERO:
            lines.append(
                (
                    "倾斜救助：超出部分 {:,.2f} 元 × {:%} = {:,.2f} 元；年度最高 {:,.2f} 元，"
                    "本年已救助 {:,.2f} 元，本次 {:,.2f} 元（{}）",
                    (over, tilted_ratio, raw_tilted, tilted_cap, state.tilted_used, tilted, source),
                )
            )
        else:
            lines.append(("倾斜救助：未超过起付，不予倾斜救助（{}）", (source,)))
    return threshold, tilted


def _not_tilted(e: Expense) -> str:
    """Why a bill has no tilted assistance, in the explanation's words."""
    if e.kind != INPATIENT:
        return f"是{KINDS[e.kind]}费用"
    if not e.in_region:
        return "在自治区外就医"
    return "未规范转诊（没有覆盖该医院和就医日期的转诊备案）"
