"""Each layer of one expense: basic insurance, critical-illness insurance, medical assistance under one
identity (with tilted assistance), the special fund. ``calculate._settle_one`` runs them in order."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from .categories import CATEGORIES
from .errors import MissingAmount
from .model import (
    KINDS,
    Expense,
    Line,
)
from .money import ZERO, fen
from .policy import Params, Policy
from .tilted import INPATIENT, _tilted_amounts, _tilted_part

if TYPE_CHECKING:
    from .calculate import _Ledger


# What ``_assist`` gives for one category: (category, deductible, assistance, threshold, tilted,
# lines). A plain tuple: it is made for nearly every expense, and a named one costs three times as
# much to make.
type _Assisted = tuple[str, Decimal, Decimal, Decimal, Decimal, list[Line] | None]


def _basic(policy: Policy, params: Params, e: Expense, lines: list[Line] | None) -> Decimal:
    if e.basic_paid is not None:
        if lines is not None:
            lines.append(("基本医保：按结算单支付 {:,.2f} 元", (e.basic_paid,)))
        return e.basic_paid
    name = f"basic.ratio.{e.kind}"
    kind = KINDS[e.kind]
    if policy.layers.basic != "computed" or not params.has(name):
        raise MissingAmount(
            f"费用 {e.id}：缺少 basic_paid（基本医保支付额），政策 {policy.code} 不能计算{kind}的基本医保"
        )
    ratio = params[name]
    basic = fen(e.policy_scope * ratio)
    if lines is not None:
        lines.append(
            (
                "基本医保：{}政策范围内费用 {:,.2f} 元 × {:%} = {:,.2f} 元（{}）",
                (kind, e.policy_scope, ratio, basic, params.source(name)),
            )
        )
    return basic


# Long on purpose: critical-illness insurance's segments (起付线, ratios by band, the cap) in the
# order of the policy's table, each with its explanation line.
def _critical(
    policy: Policy,
    params: Params,
    e: Expense,
    valid: Sequence[str],
    burden: Decimal,
    state: _Ledger,
    lines: list[Line] | None,
) -> tuple[Decimal, Decimal]:
    """Critical-illness insurance for the expense: (amount, amount counted against the cap)."""
    if e.critical_paid is not None:
        if lines is not None:
            lines.append(("大病保险：按结算单支付 {:,.2f} 元", (e.critical_paid,)))
        return e.critical_paid, e.critical_paid
    if policy.layers.critical != "computed":
        raise MissingAmount(
            f"费用 {e.id}：缺少 critical_paid（大病保险支付额），政策 {policy.code} 不能计算大病保险"
        )
    poor = any(c in params["critical.poor_categories"] for c in valid)
    schedule = "poor" if poor else "ordinary"
    brackets_name = f"critical.brackets.{schedule}"
    brackets = params[brackets_name]
    cap_name = f"critical.cap.{schedule}"
    cap = params[cap_name]
    before = state.critical_burden
    after = before + burden
    who = "困难人员（贫困人口）" if poor else "普通参保人"
    if lines is not None:
        lines.append(
            (
                "大病保险：{}，本年累计合规个人负担 {:,.2f} → {:,.2f} 元，起付 {:,.2f} 元（{}）",
                (who, before, after, brackets[0].start, params.source(brackets_name)),
            )
        )
    raw = ZERO
    for k, bracket in enumerate(brackets):
        upper = brackets[k + 1].start if k + 1 < len(brackets) else None
        low = max(before, bracket.start)
        high = after if upper is None else min(after, upper)
        if high > low:
            part = fen((high - low) * bracket.rate)
            raw += part
            if upper is None:
                if lines is not None:
                    lines.append(
                        (
                            "大病保险：{:,.2f} 元以上 {:,.2f} 元 × {:%} = {:,.2f} 元",
                            (bracket.start, high - low, bracket.rate, part),
                        )
                    )
            else:
                if lines is not None:
                    lines.append(
                        (
                            "大病保险：{:,.2f}–{:,.2f} 元段 {:,.2f} 元 × {:%} = {:,.2f} 元",
                            (bracket.start, upper, high - low, bracket.rate, part),
                        )
                    )
    if raw == 0 and lines is not None:
        lines.append(("大病保险：累计负担未超过起付标准，不予支付", ()))
    if cap is None:
        if lines is not None:
            lines.append(("大病保险：不设年度最高支付限额（{}）", (params.source(cap_name),)))
        return raw, raw
    left = max(ZERO, cap - state.critical_used)
    critical = min(raw, left)
    if lines is not None:
        lines.append(
            (
                "大病保险：年度最高 {:,.2f} 元，本年已付 {:,.2f} 元，本次支付 {:,.2f} 元（{}）",
                (cap, state.critical_used, critical, params.source(cap_name)),
            )
        )
    return critical, critical


# Parameter names per kind of care and category, built once rather than per expense: inpatient
# care's deductible and ratio are seed 001 §四(三)'s; each outpatient kind (普通门诊, 门诊慢特病) has
# its own deductible, ratio and optional sub-limit (the seed sets none of them), within the yearly
# cap all kinds share ("门诊和住院救助共用年度救助限额").
def _names(kind: str, c: str) -> tuple[str, str, str, str | None, str]:
    if kind == INPATIENT:
        return (
            f"assistance.deductible_share.{c}",
            f"assistance.ratio.{c}",
            f"assistance.cap.{c}",
            None,
            CATEGORIES[c][0],
        )
    return (
        f"assistance.{kind}.deductible_share.{c}",
        f"assistance.{kind}.ratio.{c}",
        f"assistance.cap.{c}",
        f"assistance.{kind}.sublimit.{c}",
        CATEGORIES[c][0],
    )


_NAMES = {(k, c): _names(k, c) for k in KINDS for c in CATEGORIES}


class _Rule(NamedTuple):
    """A category's assistance terms for one kind of care in one period, read once per period
    (``Params.derived``, keyed by the category for inpatient care, by (kind, category) else)."""

    category: str
    label: str
    share_name: str
    ratio_name: str
    cap_name: str
    share: Decimal | None
    income: Decimal | None  # read only when there is a deductible share, as before
    yearly: Decimal  # the yearly deductible, income × share to the fen
    ratio: Decimal
    cap: Decimal | None
    sublimit_name: str | None  # outpatient kinds only
    sublimit: Decimal | None


def _known(params: Params, kind: str, category: str) -> _Rule | None:
    """A category's terms already read this period: inpatient ones under the category, an
    outpatient kind's in a dict of their own under the kind (no key to build per expense)."""
    if kind == INPATIENT:
        return params.derived.get(category)  # type: ignore[no-any-return]
    own = params.derived.get(kind)
    return None if own is None else own.get(category)


def _rule(params: Params, category: str, kind: str = INPATIENT) -> _Rule:
    """Read a category's terms and keep them in ``params.derived`` (where ``_assist`` looks first)."""
    share_name, ratio_name, cap_name, sublimit_name, label = _NAMES[kind, category]
    share = params[share_name]  # a missing value is refused in this order, as it always was
    income = params["city_income"] if share else None
    yearly = fen(income * share) if share else ZERO
    ratio = params[ratio_name]
    cap = params[cap_name]
    sublimit = params[sublimit_name] if sublimit_name is not None else None
    rule = _Rule(
        category,
        label,
        share_name,
        ratio_name,
        cap_name,
        share,
        income,
        yearly,
        ratio,
        cap,
        sublimit_name,
        sublimit,
    )
    if kind == INPATIENT:
        params.derived[category] = rule
    else:
        params.derived.setdefault(kind, {})[category] = rule
    return rule


def _rivals(params: Params, valid: tuple[str, ...], kind: str = INPATIENT) -> tuple[str, ...]:
    """Of the categories ``valid`` together, after the first, those that may pay more than every
    one before them, kept in ``params.derived``: a category is left out when one before it has
    terms at least as good in every respect (a ratio as high, a cap and a sub-limit as high or
    none, a yearly deductible as low). Such a category can never pay more: from the same ledger
    its deductible is no larger, its product no smaller and its caps' remainders no smaller, so
    its assistance is no larger; and the tilted assistance, whose terms are the same for every
    category, gives back at most a fen for each fen of assistance less (its ratio is at most 1,
    and the amounts are in fen). Of equal amounts the one before is kept anyway. So the most
    favourable identity (就高不就低) is found assessing only the others. In Hohhot's plan that is
    the first alone, but for 其他 held with 低保边缘 or 因病致贫, ranked before it, which it beats
    on the deductible."""
    rules = [_known(params, kind, c) or _rule(params, c, kind) for c in valid]
    kept = [rules[0]]
    rivals = []
    for rule in rules[1:]:
        if not any(_at_least_as_good(before, rule) for before in kept):
            kept.append(rule)
            rivals.append(rule.category)
    found = tuple(rivals)
    params.derived[valid if kind == INPATIENT else (kind, valid)] = found
    return found


def _at_least_as_good(a: _Rule, b: _Rule) -> bool:
    return (
        a.ratio >= b.ratio
        and (a.cap is None or (b.cap is not None and a.cap >= b.cap))
        and (a.sublimit is None or (b.sublimit is not None and a.sublimit >= b.sublimit))
        and a.yearly <= b.yearly
    )


# Long on purpose: the assistance layer as seed 001 §四(三) states it (the deductible and the ratio
# by identity, the yearly cap outpatient and inpatient care share), each clause beside its line.
def _assist(
    policy: Policy,
    params: Params,
    e: Expense,
    category: str,
    self_pay: Decimal,
    state: _Ledger,
    explain: bool,
) -> _Assisted:
    kind = e.kind
    inpatient = kind == INPATIENT
    if inpatient:
        rule = params.derived.get(category) or _rule(params, category)
    else:
        own = params.derived.get(kind)
        rule = (own and own.get(category)) or _rule(params, category, kind)
    (_, label, share_name, ratio_name, cap_name, share, income, yearly, ratio, cap, _, sublimit) = (
        rule
    )
    lines: list[Line] | None = [] if explain else None
    # inpatient lines cite the seed's clause; an outpatient kind's name the parameter too, as the
    # seed leaves those values to the city
    what = "" if inpatient else KINDS[kind]
    if share:
        used = state.deductible_used if inpatient else getattr(state, f"deductible_used_{kind}")
        left = yearly - used
        if left <= ZERO:  # as max(ZERO, …): a zero of any exponent is ZERO
            left = ZERO
        deductible = left if left < self_pay else self_pay
        if lines is not None:
            lines.append(
                (
                    "起付标准：{} {}年度 {:,.2f} 元（上年全体居民人均可支配收入）× {:%} = {:,.2f} 元，"
                    "本年已负担 {:,.2f} 元，本次负担 {:,.2f} 元（{}）",
                    (
                        label,
                        what,
                        income,
                        share,
                        yearly,
                        used,
                        deductible,
                        _cited(params, share_name, inpatient),
                    ),
                )
            )
    else:
        deductible = ZERO
        if lines is not None:
            lines.append(
                (
                    "起付标准：{} {}不设起付线（{}）",
                    (label, what, _cited(params, share_name, inpatient)),
                )
            )
    # − ZERO could only add digits, and the product is rounded to the fen anyway
    eligible = self_pay if deductible is ZERO else self_pay - deductible
    raw = fen(eligible * ratio)
    if lines is not None:
        lines.append(
            (
                "医疗救助：{} {}政策范围内自付 {:,.2f} 元 × {:%} = {:,.2f} 元（{}）",
                (label, what, eligible, ratio, raw, _cited(params, ratio_name, inpatient)),
            )
        )
    if cap is None:
        assistance = raw
    else:
        cap_left = cap - state.assistance_used
        if cap_left <= ZERO:
            cap_left = ZERO
        assistance = cap_left if cap_left < raw else raw
        if lines is not None:
            lines.append(
                (
                    "年度限额：{} {:,.2f} 元（门诊住院共用），本年已救助 {:,.2f} 元，尚余 {:,.2f} 元，"
                    + (
                        "本次救助 {:,.2f} 元"
                        if raw <= cap_left
                        else "本次按剩余限额救助 {:,.2f} 元"
                    )
                    + "（{}）",
                    (
                        label,
                        cap,
                        state.assistance_used,
                        cap_left,
                        assistance,
                        params.source(cap_name),
                    ),
                )
            )
    if sublimit is not None:  # an outpatient kind's, where the city sets one
        assistance = _sublimit(params, rule, kind, assistance, state, lines)
    if lines is not None:
        threshold, tilted = _tilted_part(policy, params, e, self_pay - assistance, state, lines)
    elif inpatient and e.in_region and e.referred and policy.layers.tilted:
        threshold, tilted = _tilted_amounts(params, self_pay - assistance, state, None)
    else:  # no tilted assistance, and no line to say why: no call
        threshold = tilted = ZERO
    return (category, deductible, assistance, threshold, tilted, lines)


def _cited(params: Params, name: str, inpatient: bool) -> str:
    """The source of a value in an explanation line; for a value the seed leaves to the city (an
    outpatient kind's), the parameter's name first."""
    if inpatient:
        return params.source(name)
    return f"{params.definitions[name].label}：{params.source(name)}"


def _sublimit(
    params: Params,
    rule: _Rule,
    kind: str,
    assistance: Decimal,
    state: _Ledger,
    lines: list[Line] | None,
) -> Decimal:
    """``assistance`` within an outpatient kind's yearly sub-limit (within the shared cap); the
    rule has one (``_assist`` asks only then)."""
    sublimit: Decimal = rule.sublimit  # type: ignore[assignment]
    used = getattr(state, f"assistance_used_{kind}")
    left = sublimit - used
    if left <= ZERO:
        left = ZERO
    given = left if left < assistance else assistance
    if lines is not None:
        lines.append(
            (
                "{}分项限额：{:,.2f} 元（在年度限额之内），本年已救助 {:,.2f} 元，本次救助 {:,.2f} 元（{}）",
                (
                    KINDS[kind],
                    sublimit,
                    used,
                    given,
                    _cited(params, str(rule.sublimit_name), False),
                ),
            )
        )
    return given


def _fund(
    params: Params, before_fund: Decimal, state: _Ledger, lines: list[Line] | None
) -> Decimal:
    person_cap = params["fund.person_cap"]
    household_cap = params["fund.household_cap"]
    over_person = max(ZERO, state.personal_borne + before_fund - person_cap)
    over_household = max(ZERO, state.household_borne + before_fund - household_cap)
    fund = min(before_fund, max(over_person, over_household))
    if lines is not None:
        lines.append(
            (
                "暖心基金：个人年度负担封顶 {:,.2f} 元（本年已负担 {:,.2f} 元），"
                "家庭封顶 {:,.2f} 元（家庭本年已负担 {:,.2f} 元），本次兜底 {:,.2f} 元（{}）",
                (
                    person_cap,
                    state.personal_borne,
                    household_cap,
                    state.household_borne,
                    fund,
                    params.source("fund.person_cap"),
                ),
            )
        )
    return fund
