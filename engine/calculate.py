"""The three layers (三重制度) for one person's expenses, in date order, with a line per step.

Order for each expense (先保险后救助, seed 001 §三(二)): basic medical insurance, critical-illness
insurance, medical assistance under the most favourable identity valid that day (就高不就低), tilted
assistance (倾斜救助), the optional special fund (暖心基金, seed 004 §11), and what remains is the
personal burden. Deductibles, caps and thresholds accumulate per person per calendar year whatever
identity an expense was assisted under (the ``YearState``). Every product is rounded to the fen,
half up, where it is computed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from operator import attrgetter
from typing import NamedTuple

from .categories import CATEGORIES, is_valid_on, rank
from .errors import MissingParameter, SettlementInputError
from .layers import (
    INPATIENT,
    _assist,
    _Assisted,
    _basic,
    _critical,
    _fund,
    _rivals,
    _tilted_part,
)
from .model import (
    KINDS,
    LEDGER_FIELDS,
    Expense,
    ExpenseResult,
    IdentityPeriod,
    Line,
    Result,
    YearState,
)
from .money import ZERO, yuan
from .policy import Params, Policy

_new = tuple.__new__


class Trace:
    """The explanations of one ``settle`` call's expenses, kept as the inputs that give them (the
    policy, the identities, the expenses and the opening ledger) until one is first read: then
    ``lines()`` settles them all again with the lines written down, through the same code, so the
    lines are exactly those of the amounts, and keeps them. Settling a million expenses builds no
    line at all, and no object per expense for it: every result of the call shares this one
    (issue 21). Two traces are equal when their inputs are."""

    __slots__ = ("_built", "expenses", "identities", "opening", "policy")

    def __init__(
        self,
        policy: Policy,
        identities: tuple[IdentityPeriod, ...],
        expenses: tuple[Expense, ...],
        opening: Mapping[int, YearState],
    ) -> None:
        self.policy = policy
        self.identities = identities
        self.expenses = expenses
        self.opening = opening
        self._built: dict[str, tuple[Line, ...]] | None = None

    def lines(self, expense_id: str) -> tuple[Line, ...]:
        if self._built is None:
            result = settle(self.policy, self.identities, self.expenses, self.opening, explain=True)
            self._built = {r.expense_id: r.explained for r in result.expenses}
        return self._built[expense_id]

    def _key(self) -> tuple[object, ...]:
        return (self.policy, self.identities, self.expenses, dict(self.opening))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trace) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(tuple(e.id for e in self.expenses))


# Long on purpose: the engine's one entry: years in date order, the ledger carried from expense to
# expense, the household's figures; reading it top to bottom is reading the calculation.
def settle(
    policy: Policy,
    identities: Sequence[IdentityPeriod],
    expenses: Sequence[Expense],
    opening: Mapping[int, YearState] | None = None,
    *,
    explain: bool = False,
) -> Result:
    """Settle ``expenses`` (any order) of one person holding ``identities``.

    ``opening`` is the ledger at the start, by year (what earlier, approved settlements used);
    the result's ``closing`` is the ledger after these expenses. Nothing is changed in place.
    Each expense's explanation is built when first read (``Trace``), or at once with ``explain``
    (for a caller that will read every line: a stored decision, a case page).
    """
    identities = tuple(identities)  # kept by each result's Trace: nothing may change them later
    for identity in identities:
        if identity.category not in CATEGORIES:
            raise SettlementInputError(f"未知身份类别：{identity.category}")
    start = dict(opening) if opening else {}  # kept by the Trace and the result as given
    # The working ledger in fen at least, as every amount the engine adds to it: a part that is
    # the constant ZERO is then left out of a sum rather than added (``_settle_one``).
    states: dict[int, YearState] = (
        {year: _in_fen(state) for year, state in start.items()} if start else {}
    )
    opened = dict(start) if start else {}
    trace = None if explain else Trace(policy, identities, tuple(expenses), start)
    if len(set(map(_ID, expenses))) != len(expenses):
        raise SettlementInputError("费用编号（id）有重复")
    results: list[ExpenseResult | None] = [None] * len(expenses)
    # The days on which the parameters in force or the identities valid change: between two of
    # them, every expense sees the same parameters and the same identities (one ``_span`` each).
    edges: Sequence[date] = policy.periods  # ascending already
    if identities:
        days_of_change = set(edges)
        for i in identities:
            days_of_change.add(i.certified_on)
            if i.ended_on is not None and i.ended_on < _LAST:
                days_of_change.add(i.ended_on + _DAY)
        edges = sorted(days_of_change)
    days = list(map(_DAY_OF, expenses))
    order = sorted(range(len(expenses)), key=days.__getitem__)  # stable: ties keep their order
    # the earliest expense, once: no later one can be before the policy's start if it is not
    if expenses and days[order[0]] < policy.starts_on:
        e = expenses[order[0]]
        raise SettlementInputError(
            f"费用 {e.id} 的日期 {e.day} 早于政策 {policy.code} 的施行日期 {policy.starts_on}"
        )
    # In date order, a span of days and a year, once left, never come back: the current ones are
    # kept at hand, the span until the day of the next edge, the year's ledger until the year ends.
    params, valid = _NO_SPAN
    span_ends = date.min
    year = 0
    ledger = _NO_LEDGER
    for index in order:
        expense = expenses[index]
        day = days[index]
        if day >= span_ends:
            at = bisect_right(edges, day)
            params, valid = _span(policy, identities, day)
            span_ends = edges[at] if at < len(edges) else date.max
        if day.year != year:
            if year:
                states[year] = ledger.closed()
            year = day.year
            state = states.get(year) or _FRESH
            opened.setdefault(year, state)
            ledger = _Ledger(state)
        try:
            results[index] = _settle_one(policy, expense, ledger, params, valid, trace)
        except MissingParameter as exc:
            raise MissingParameter(f"费用 {expense.id}（{expense.day}）：{exc}") from None
    if year:
        states[year] = ledger.closed()
    fund_on = (
        bool(expenses)
        and policy.layers.fund
        and policy.ever_on("fund.enabled", days[order[0]], days[order[-1]])
    )
    return _new(Result, (policy.code, policy.version, fund_on, tuple(results), opened, states))


OUTPATIENT = "outpatient"

_DAY = timedelta(days=1)
_ID = attrgetter("id")
_DAY_OF = attrgetter("day")
_LAST = date.max - _DAY


def _in_fen(state: YearState) -> YearState:
    """``state`` with every amount written to the fen at least (``5`` as ``5.00``; the value is
    the same): what adding ``ZERO`` to it once would give."""
    return _new(YearState, [amount + ZERO for amount in state])


class _Span(NamedTuple):
    """What every expense on a day between two ``edges`` sees: the parameters in force and the
    categories valid, most favourable first (就高不就低), each once."""

    params: Params
    valid: tuple[str, ...]


_FRESH = YearState()  # a year's ledger before its first expense (immutable: one for all)


class _Ledger:
    """A year's ledger while ``settle`` goes through its expenses: the amounts of a ``YearState``,
    each added to in place by ``_settle_one`` (most expenses move three or four of the thirteen; a
    new ``YearState`` per expense would copy them all). Read like a ``YearState``; ``closed()`` gives
    the one the result keeps."""

    __slots__ = LEDGER_FIELDS

    def __init__(self, state: YearState) -> None:
        (
            self.deductible_used,
            self.assistance_used,
            self.tilted_threshold_used,
            self.tilted_used,
            self.critical_burden,
            self.critical_used,
            self.personal_borne,
            self.fund_used,
            self.household_borne,
            self.deductible_used_outpatient,
            self.assistance_used_outpatient,
            self.deductible_used_chronic_outpatient,
            self.assistance_used_chronic_outpatient,
        ) = state

    def closed(self) -> YearState:
        return _new(YearState, _AMOUNTS(self))


_AMOUNTS = attrgetter(*LEDGER_FIELDS)  # a ledger's amounts, in the order of YearState's


_NO_LEDGER = _Ledger(_FRESH)  # before the first expense's year (never added to)
_NO_SPAN = _Span(Params("", {}, {}, {}), ())  # before the first expense's


def _span(policy: Policy, identities: Sequence[IdentityPeriod], day: date) -> _Span:
    known = policy.categories
    valid = {i.category for i in identities if i.category in known and is_valid_on(i, day)}
    return _new(
        _Span, (policy.at(day), tuple(sorted(valid, key=rank) if len(valid) > 1 else valid))
    )


# Long on purpose: one expense through the three layers in the order the policy reads (basic
# insurance, critical illness, assistance, tilted assistance, the fund), each step beside the
# explanation line it writes; split, the order and the running ledger would be spread over helpers.
def _settle_one(
    policy: Policy,
    e: Expense,
    state: _Ledger,
    params: Params,
    valid: tuple[str, ...],
    trace: Trace | None,
) -> ExpenseResult:
    """One expense, added to the year's ledger ``state``; ``params`` and ``valid`` are its day's
    (``_span``). With a ``trace`` no line is built: the result carries the trace, which builds
    them (settling again with no trace) when they are first read."""
    if e.kind not in KINDS:
        raise SettlementInputError(
            f"费用 {e.id}：未知费用类别 {e.kind}（可用：{', '.join(KINDS)}）"
        )
    if e.policy_scope > e.total:
        raise SettlementInputError(
            f"费用 {e.id}：政策范围内费用 {yuan(e.policy_scope)} 元大于总费用 {yuan(e.total)} 元"
        )
    day = e.day
    explain = trace is None
    lines: list[Line] | None = [] if explain else None

    basic = e.basic_paid
    if basic is None or lines is not None:
        basic = _basic(policy, params, e, lines)
    burden = e.policy_scope - basic
    if burden < ZERO:  # a Decimal against a Decimal: twice as fast as against the int 0
        burden = ZERO  # 合规个人负担, what critical-illness insurance sees
    if e.critical_paid is None or lines is not None:
        critical, critical_paid = _critical(policy, params, e, valid, burden, state, lines)
    else:
        critical = critical_paid = e.critical_paid
    # What the two insurances paid, once: the amounts below subtract it as one (Decimal sums are
    # exact, so scope − (basic + critical) is scope − basic − critical, to the digit).
    insured = basic + critical
    if insured > e.total:
        raise SettlementInputError(
            f"费用 {e.id}：基本医保 {yuan(basic)} 元与大病保险 {yuan(critical)} 元之和"
            f"超过总费用 {yuan(e.total)} 元"
        )
    self_pay = e.policy_scope - insured
    if self_pay < ZERO:
        self_pay = ZERO
    if lines is not None:
        lines.append(
            (
                "政策范围内个人自付：{:,.2f} − {:,.2f} − {:,.2f} = {:,.2f} 元",
                (e.policy_scope, basic, critical, self_pay),
            )
        )

    if lines is not None and e.referral:
        lines.append(("规范转诊：{}", (e.referral,)))
    identity: str | None  # the identity assisted under, or else the most favourable one valid
    chosen: _Assisted | None = None
    if not policy.layers.assistance:
        if lines is not None:
            lines.append(("医疗救助：政策 {} 不含医疗救助", (policy.code,)))
    elif e.assistance_paid is not None:
        if lines is not None:
            lines.append(
                (
                    "医疗救助：医院一站式结算已支付 {:,.2f} 元，计入本年救助限额（不再另行计算）",
                    (e.assistance_paid,),
                )
            )
        if valid:  # its self-pay left counts toward tilted assistance, as a window bill's does
            onestop = e.assistance_paid + ZERO  # in fen, whatever the hospital wrote
            left = self_pay - onestop if self_pay > onestop else ZERO
            threshold, tilted = _tilted_part(policy, params, e, left, state, lines)
            chosen = (valid[0], ZERO, onestop, threshold, tilted, None)
    elif not valid:
        if lines is not None:
            lines.append(
                (
                    "医疗救助：{} 无有效困难身份，不予救助（{} 四(三)：待遇自困难身份认定之日起享受）",
                    (e.day, policy.document),
                )
            )
    elif not e.in_region and not e.referred:
        if lines is not None:
            lines.append(
                (
                    "医疗救助：自治区外就医且未规范转诊，原则上不纳入医疗救助（{} 七(三)）",
                    (policy.document,),
                )
            )
    else:
        chosen = _assist(policy, params, e, valid[0], self_pay, state, explain)
        if len(valid) > 1:  # most favourable first; of equal amounts the first is kept
            rivals = params.derived.get(valid if e.kind == INPATIENT else (e.kind, valid))
            if rivals is None:
                rivals = _rivals(params, valid, e.kind)
            for category in rivals:
                this = _assist(policy, params, e, category, self_pay, state, explain)
                if this[2] + this[4] > chosen[2] + chosen[4]:  # assistance + tilted
                    chosen = this
            if lines is not None:
                others = "、".join(CATEGORIES[c][1] for c in valid if c != chosen[0])
                lines.append(
                    (
                        "救助身份：{}（同时具有{}身份，按就高不就低取救助最多者，不重复救助；{} 四(三)）",
                        (CATEGORIES[chosen[0]][0], others, policy.document),
                    )
                )
    if chosen is not None:
        identity, deductible, assistance, threshold, tilted, assisted_lines = chosen
        if lines is not None:
            lines.extend(assisted_lines or ())
        # assistance is in fen here (a product to the fen, or a cap's remainder): a tilted ZERO
        # would add nothing to it, not even a digit
        paid = assistance if tilted is ZERO else assistance + tilted
    else:
        identity = valid[0] if valid else None
        assistance = tilted = deductible = threshold = ZERO
        if e.assistance_paid is not None:
            assistance = e.assistance_paid
        paid = assistance + tilted  # in fen, whatever the hospital's amount was written as

    before_fund = e.total - insured - paid  # total − basic − critical − assistance − tilted
    fund = ZERO
    if policy.layers.fund and params["fund.enabled"] and identity is not None:
        fund = _fund(params, before_fund, state, lines)
    # before_fund is in fen at least (paid always is), so − ZERO would change nothing
    personal = before_fund if fund is ZERO else before_fund - fund
    if lines is not None:
        if fund:
            lines.append(
                (
                    "个人负担：{:,.2f} − {:,.2f} − {:,.2f} − {:,.2f} − {:,.2f} − {:,.2f} = {:,.2f} 元",
                    (e.total, basic, critical, assistance, tilted, fund, personal),
                )
            )
        else:
            lines.append(
                (
                    "个人负担：{:,.2f} − {:,.2f} − {:,.2f} − {:,.2f} − {:,.2f} = {:,.2f} 元",
                    (e.total, basic, critical, assistance, tilted, personal),
                )
            )

    # tuple.__new__ with the fields in order: a named tuple's own __new__ is Python, and costs
    # twice as much; this runs a million times
    result: ExpenseResult = _new(
        ExpenseResult,
        (
            e.id,
            day,
            identity,
            e.total,
            basic,
            critical,
            assistance,
            tilted,
            fund,
            personal,
            tuple(lines) if lines is not None else trace,
        ),
    )
    # The ledger is in fen at least (``settle``), so adding the constant ZERO would give each
    # amount back as it is: those parts, most of them for most expenses, are not added.
    if e.kind == INPATIENT:
        if deductible is not ZERO:
            state.deductible_used += deductible
        if assistance is not ZERO:
            state.assistance_used += assistance
    elif e.kind == OUTPATIENT:  # its own deductible and sub-limit, and the shared yearly cap
        if deductible is not ZERO:
            state.deductible_used_outpatient += deductible
        if assistance is not ZERO:
            state.assistance_used += assistance
            state.assistance_used_outpatient += assistance
    else:  # 门诊慢特病, likewise
        if deductible is not ZERO:
            state.deductible_used_chronic_outpatient += deductible
        if assistance is not ZERO:
            state.assistance_used += assistance
            state.assistance_used_chronic_outpatient += assistance
    if threshold is not ZERO:
        state.tilted_threshold_used += threshold
    if tilted is not ZERO:
        state.tilted_used += tilted
    if burden is not ZERO:
        state.critical_burden += burden
    state.critical_used += critical_paid
    state.personal_borne += personal
    if fund is not ZERO:
        state.fund_used += fund
    state.household_borne += personal
    return result
