"""The three layers (三重制度) for one person's expenses, in date order, with a line per step.

Order for each expense (先保险后救助, seed 001 §三(二)): basic medical insurance, critical-illness
insurance, medical assistance under the most favourable identity valid that day (就高不就低), tilted
assistance (倾斜救助), the optional special fund (暖心基金, seed 004 §11), and what remains is the
personal burden. Deductibles, caps and thresholds accumulate per person per calendar year whatever
identity an expense was assisted under (the ``YearState``). Every product is rounded to the fen,
half up, where it is computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from beneficiaries.categories import CATEGORIES, is_valid_on, rank

from .errors import MissingAmount, SettlementInputError
from .model import KINDS, Expense, ExpenseResult, IdentityPeriod, Result, YearState
from .money import ZERO, fen, percent, yuan
from .policy import Params, Policy

INPATIENT = "inpatient"


@dataclass(slots=True)
class _Assisted:
    category: str
    deductible: Decimal
    assistance: Decimal
    threshold: Decimal
    tilted: Decimal
    lines: list[str]


def settle(
    policy: Policy,
    identities: Sequence[IdentityPeriod],
    expenses: Sequence[Expense],
    opening: Mapping[int, YearState] | None = None,
) -> Result:
    """Settle ``expenses`` (any order) of one person holding ``identities``.

    ``opening`` is the ledger at the start, by year (what earlier, approved settlements used);
    the result's ``closing`` is the ledger after these expenses. Nothing is changed in place.
    """
    for identity in identities:
        if identity.category not in CATEGORIES:
            raise SettlementInputError(f"未知身份类别：{identity.category}")
    states: dict[int, YearState] = dict(opening or {})
    opened = dict(states)
    ids = [e.id for e in expenses]
    if len(set(ids)) != len(ids):
        raise SettlementInputError("费用编号（id）有重复")
    results: list[ExpenseResult | None] = [None] * len(expenses)
    for index in sorted(range(len(expenses)), key=lambda i: (expenses[i].day, i)):
        expense = expenses[index]
        year = expense.day.year
        state = states.get(year)
        if state is None:
            state = opened[year] = YearState()
        results[index], states[year] = _settle_one(policy, identities, expense, state)
    fund_on = policy.layers.fund and any(policy.at(e.day)["fund.enabled"] for e in expenses)
    return Result(
        policy_code=policy.code,
        policy_version=policy.version,
        fund_layer=fund_on,
        expenses=tuple(r for r in results if r is not None),
        opening=opened,
        closing=states,
    )


def _settle_one(
    policy: Policy, identities: Sequence[IdentityPeriod], e: Expense, state: YearState
) -> tuple[ExpenseResult, YearState]:
    if e.kind not in KINDS:
        raise SettlementInputError(
            f"费用 {e.id}：未知费用类别 {e.kind}（可用：{', '.join(KINDS)}）"
        )
    if e.day < policy.starts_on:
        raise SettlementInputError(
            f"费用 {e.id} 的日期 {e.day} 早于政策 {policy.code} 的施行日期 {policy.starts_on}"
        )
    if e.policy_scope > e.total:
        raise SettlementInputError(
            f"费用 {e.id}：政策范围内费用 {yuan(e.policy_scope)} 元大于总费用 {yuan(e.total)} 元"
        )
    params = policy.at(e.day)
    kind = KINDS[e.kind]
    valid = sorted(
        {i.category for i in identities if is_valid_on(i, e.day)}, key=rank
    )  # most favourable first
    lines: list[str] = []

    basic = _basic(policy, params, e, kind, lines)
    burden = max(ZERO, e.policy_scope - basic)  # 合规个人负担, what critical-illness insurance sees
    critical, critical_paid = _critical(policy, params, e, valid, burden, state, lines)
    if basic + critical > e.total:
        raise SettlementInputError(
            f"费用 {e.id}：基本医保 {yuan(basic)} 元与大病保险 {yuan(critical)} 元之和"
            f"超过总费用 {yuan(e.total)} 元"
        )
    self_pay = max(ZERO, e.policy_scope - basic - critical)
    lines.append(
        f"政策范围内个人自付：{yuan(e.policy_scope)} − {yuan(basic)} − {yuan(critical)}"
        f" = {yuan(self_pay)} 元"
    )

    identity: str | None = valid[0] if valid else None
    chosen: _Assisted | None = None
    if not policy.layers.assistance:
        lines.append(f"医疗救助：政策 {policy.code} 不含医疗救助")
    elif not valid:
        lines.append(
            f"医疗救助：{e.day} 无有效困难身份，不予救助"
            f"（{policy.document} 四(三)：待遇自困难身份认定之日起享受）"
        )
    elif not e.in_region and not e.referred:
        lines.append(
            f"医疗救助：自治区外就医且未规范转诊，原则上不纳入医疗救助（{policy.document} 七(三)）"
        )
    elif len(valid) == 1:
        chosen = _assist(policy, params, e, valid[0], self_pay, state, explain=True)
    else:
        best = max(
            (_assist(policy, params, e, c, self_pay, state, explain=False) for c in valid),
            key=lambda a: a.assistance + a.tilted,
        )  # max() keeps the first of equals: the better-ranked identity
        chosen = _assist(policy, params, e, best.category, self_pay, state, explain=True)
        others = "、".join(CATEGORIES[c][1] for c in valid if c != best.category)
        chosen.lines.insert(
            0,
            f"救助身份：{CATEGORIES[best.category][0]}（同时具有{others}身份，按就高不就低取救助最多者，"
            f"不重复救助；{policy.document} 四(三)）",
        )
    if chosen is not None:
        identity = chosen.category
        lines.extend(chosen.lines)
        assistance, tilted = chosen.assistance, chosen.tilted
        deductible, threshold = chosen.deductible, chosen.threshold
    else:
        assistance = tilted = deductible = threshold = ZERO

    before_fund = e.total - basic - critical - assistance - tilted
    fund = ZERO
    if policy.layers.fund and params["fund.enabled"] and identity is not None:
        fund = _fund(params, before_fund, state, lines)
    personal = before_fund - fund
    parts = " − ".join(yuan(x) for x in (e.total, basic, critical, assistance, tilted))
    if fund:
        parts += f" − {yuan(fund)}"
    lines.append(f"个人负担：{parts} = {yuan(personal)} 元")

    result = ExpenseResult(
        expense_id=e.id,
        day=e.day,
        identity=identity,
        total=e.total,
        basic=basic,
        critical=critical,
        assistance=assistance,
        tilted=tilted,
        fund=fund,
        personal=personal,
        lines=tuple(lines),
    )
    new_state = YearState(
        deductible_used=state.deductible_used + deductible,
        assistance_used=state.assistance_used + assistance,
        tilted_threshold_used=state.tilted_threshold_used + threshold,
        tilted_used=state.tilted_used + tilted,
        critical_burden=state.critical_burden + burden,
        critical_used=state.critical_used + critical_paid,
        personal_borne=state.personal_borne + personal,
        fund_used=state.fund_used + fund,
        household_borne=state.household_borne + personal,
    )
    return result, new_state


def _basic(policy: Policy, params: Params, e: Expense, kind: str, lines: list[str]) -> Decimal:
    if e.basic_paid is not None:
        lines.append(f"基本医保：按结算单支付 {yuan(e.basic_paid)} 元")
        return e.basic_paid
    name = f"basic.ratio.{e.kind}"
    if policy.layers.basic != "computed" or not params.has(name):
        raise MissingAmount(
            f"费用 {e.id}：缺少 basic_paid（基本医保支付额），政策 {policy.code} 不能计算{kind}的基本医保"
        )
    ratio = params[name]
    basic = fen(e.policy_scope * ratio)
    lines.append(
        f"基本医保：{kind}政策范围内费用 {yuan(e.policy_scope)} 元 × {percent(ratio)}"
        f" = {yuan(basic)} 元（{params.source(name)}）"
    )
    return basic


def _critical(
    policy: Policy,
    params: Params,
    e: Expense,
    valid: list[str],
    burden: Decimal,
    state: YearState,
    lines: list[str],
) -> tuple[Decimal, Decimal]:
    """Critical-illness insurance for the expense: (amount, amount counted against the cap)."""
    if e.critical_paid is not None:
        lines.append(f"大病保险：按结算单支付 {yuan(e.critical_paid)} 元")
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
    lines.append(
        f"大病保险：{who}，本年累计合规个人负担 {yuan(before)} → {yuan(after)} 元，"
        f"起付 {yuan(brackets[0].start)} 元（{params.source(brackets_name)}）"
    )
    raw = ZERO
    for k, bracket in enumerate(brackets):
        upper = brackets[k + 1].start if k + 1 < len(brackets) else None
        low = max(before, bracket.start)
        high = after if upper is None else min(after, upper)
        if high > low:
            part = fen((high - low) * bracket.rate)
            raw += part
            band = (
                f"{yuan(bracket.start)} 元以上"
                if upper is None
                else (f"{yuan(bracket.start)}–{yuan(upper)} 元段")
            )
            lines.append(
                f"大病保险：{band} {yuan(high - low)} 元 × {percent(bracket.rate)} = {yuan(part)} 元"
            )
    if raw == 0:
        lines.append("大病保险：累计负担未超过起付标准，不予支付")
    if cap is None:
        lines.append(f"大病保险：不设年度最高支付限额（{params.source(cap_name)}）")
        return raw, raw
    left = max(ZERO, cap - state.critical_used)
    critical = min(raw, left)
    lines.append(
        f"大病保险：年度最高 {yuan(cap)} 元，本年已付 {yuan(state.critical_used)} 元，"
        f"本次支付 {yuan(critical)} 元（{params.source(cap_name)}）"
    )
    return critical, critical


def _assist(
    policy: Policy,
    params: Params,
    e: Expense,
    category: str,
    self_pay: Decimal,
    state: YearState,
    *,
    explain: bool,
) -> _Assisted:
    label = CATEGORIES[category][0]
    lines: list[str] = []
    share_name = f"assistance.deductible_share.{category}"
    share = params[share_name]
    if share:
        income = params["city_income"]
        yearly = fen(income * share)
        left = max(ZERO, yearly - state.deductible_used)
        deductible = min(self_pay, left)
        if explain:
            lines.append(
                f"起付标准：{label} 年度 {yuan(income)} 元（上年全体居民人均可支配收入）× {percent(share)}"
                f" = {yuan(yearly)} 元，本年已负担 {yuan(state.deductible_used)} 元，"
                f"本次负担 {yuan(deductible)} 元（{params.source(share_name)}）"
            )
    else:
        deductible = ZERO
        if explain:
            lines.append(f"起付标准：{label} 不设起付线（{params.source(share_name)}）")
    eligible = self_pay - deductible
    ratio_name = f"assistance.ratio.{category}"
    ratio = params[ratio_name]
    raw = fen(eligible * ratio)
    cap_name = f"assistance.cap.{category}"
    cap = params[cap_name]
    if explain:
        lines.append(
            f"医疗救助：{label} 政策范围内自付 {yuan(eligible)} 元 × {percent(ratio)}"
            f" = {yuan(raw)} 元（{params.source(ratio_name)}）"
        )
    if cap is None:
        assistance = raw
    else:
        cap_left = max(ZERO, cap - state.assistance_used)
        assistance = min(raw, cap_left)
        if explain:
            outcome = (
                f"本次救助 {yuan(assistance)} 元"
                if raw <= cap_left
                else f"本次按剩余限额救助 {yuan(assistance)} 元"
            )
            lines.append(
                f"年度限额：{label} {yuan(cap)} 元（门诊住院共用），本年已救助 "
                f"{yuan(state.assistance_used)} 元，尚余 {yuan(cap_left)} 元，{outcome}"
                f"（{params.source(cap_name)}）"
            )
    threshold = tilted = ZERO
    if policy.layers.tilted:
        if e.kind == INPATIENT and e.in_region and e.referred:
            remaining = self_pay - assistance
            yearly_threshold = params["tilted.threshold"]
            threshold = min(remaining, max(ZERO, yearly_threshold - state.tilted_threshold_used))
            over = remaining - threshold
            tilted_ratio = params["tilted.ratio"]
            raw_tilted = fen(over * tilted_ratio)
            tilted_cap = params["tilted.cap"]
            tilted_left = max(ZERO, tilted_cap - state.tilted_used)
            tilted = min(raw_tilted, tilted_left)
            if explain:
                source = params.source("tilted.ratio")
                lines.append(
                    f"倾斜救助：三重制度保障后政策范围内自付 {yuan(remaining)} 元，年度起付 "
                    f"{yuan(yearly_threshold)} 元（本年已计入 {yuan(state.tilted_threshold_used)} 元，"
                    f"本次计入 {yuan(threshold)} 元）"
                )
                if over > 0:
                    lines.append(
                        f"倾斜救助：超出部分 {yuan(over)} 元 × {percent(tilted_ratio)} = "
                        f"{yuan(raw_tilted)} 元；年度最高 {yuan(tilted_cap)} 元，本年已救助 "
                        f"{yuan(state.tilted_used)} 元，本次 {yuan(tilted)} 元（{source}）"
                    )
                else:
                    lines.append(f"倾斜救助：未超过起付，不予倾斜救助（{source}）")
        elif explain:
            lines.append(
                "倾斜救助：仅限规范转诊且在自治区内就医的住院费用，本笔不适用"
                f"（{params.source('tilted.ratio')}）"
            )
    return _Assisted(category, deductible, assistance, threshold, tilted, lines)


def _fund(params: Params, before_fund: Decimal, state: YearState, lines: list[str]) -> Decimal:
    person_cap = params["fund.person_cap"]
    household_cap = params["fund.household_cap"]
    over_person = max(ZERO, state.personal_borne + before_fund - person_cap)
    over_household = max(ZERO, state.household_borne + before_fund - household_cap)
    fund = min(before_fund, max(over_person, over_household))
    lines.append(
        f"暖心基金：个人年度负担封顶 {yuan(person_cap)} 元（本年已负担 {yuan(state.personal_borne)} 元），"
        f"家庭封顶 {yuan(household_cap)} 元（家庭本年已负担 {yuan(state.household_borne)} 元），"
        f"本次兜底 {yuan(fund)} 元（{params.source('fund.person_cap')}）"
    )
    return fund
