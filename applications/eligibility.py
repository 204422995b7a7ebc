"""Eligibility at the window (issue 19): the filing limit, the channel (one-stop identities), the
因病致贫 pre-check, and the person's whole picture (other open cases, this year's assistance from
every channel, the identities valid on each bill's date).

Every rule reads a dated policy parameter (``settlements/policies/<code>.json``, the administrator's
versions on top) and names its clause in what it says.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, Sum

from beneficiaries.models import IdentityClaim, Person
from core.extensions import Point
from core.formats import yuan
from engine import Policy
from engine.categories import CATEGORIES, is_valid_on
from settlements.models import LedgerEntry, Settlement
from settlements.services import household_ids

from .models import FINAL_STATES, Application, Kind, MedicalExpense, Status
from .settling import live_ledger

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
ILLNESS_CLAUSE = "呼和浩特实施方案 二(四)"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (the month's last day where it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _param(policy: Policy, on: date, name: str) -> Any:
    params = policy.at(on)
    return params[name] if name in policy.parameters and params.has(name) else None


# --- the filing limit and the policy's start -------------------------------------------------


def filing_problems(
    expenses: Sequence[MedicalExpense], *, policy: Policy, today: date
) -> list[str]:
    """Why bills cannot be taken today: before the policy took effect, or older than the filing
    limit (``intake.filing_months``), each naming the bill, the limit and its clause."""
    problems: list[str] = []
    months = _param(policy, today, "intake.filing_months")
    source = policy.at(today).source("intake.filing_months")
    for n, e in enumerate(expenses, start=1):
        day = e.day
        if day is None:
            continue
        what = "出院" if e.kind == Kind.INPATIENT else "就诊"
        if day < policy.starts_on:
            problems.append(
                f"第 {n} 笔费用的{what}日期 {day:%Y-%m-%d} 早于救助政策施行日期 "
                f"{policy.starts_on:%Y-%m-%d}（{policy.document}），不能救助"
            )
        elif months is not None and today > add_months(day, months):
            last = add_months(day, months)
            problems.append(
                f"第 {n} 笔费用的{what}日期 {day:%Y-%m-%d} 已超过申请期限：须在{what}后 {months} 个月内"
                f"（即 {last:%Y-%m-%d} 前）申请（依据：{source}）"
            )
    return problems


# --- the channel -------------------------------------------------------------------------------


def onestop_categories(policy: Policy, today: date) -> frozenset[str]:
    """The identities settled at the hospital (一站式); at the window they come for bills the
    hospital did not settle, and say why."""
    return _param(policy, today, "intake.onestop_categories") or frozenset()


def onestop_source(policy: Policy, today: date) -> str:
    return policy.at(today).source("intake.onestop_categories")


# --- the 因病致贫 pre-check ---------------------------------------------------------------------


@dataclass(frozen=True)
class Test:
    """One of the four conditions: passed (None: cannot tell, a parameter is missing), the figures
    in words, and the clause with the parameters' sources."""

    code: str
    label: str
    passed: bool | None
    detail: str
    clause: str

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "passed": self.passed,
            "detail": self.detail,
            "clause": self.clause,
        }


def _clause(*sources: str) -> str:
    """The clause of the four conditions, with where the parameters' values come from (each once,
    the clause itself not repeated)."""
    extra = [s for s in dict.fromkeys(sources) if s and s != ILLNESS_CLAUSE]
    return ILLNESS_CLAUSE + (f"；取值依据：{'；'.join(extra)}" if extra else "")


def _per_head(amount: Decimal, size: int) -> Decimal:
    return (amount / size).quantize(FEN, rounding=ROUND_HALF_UP)


# Long on purpose: the four tests of 因病致贫重病患者 (household income, burden over income, local
# hukou, assets) as the policy lists them, each with the figures it weighed and its source.
def illness_tests(
    *,
    policy: Policy,
    on: date,
    county_code: str,
    hukou_local: bool,
    rural: bool,
    household_size: int,
    household_income: Decimal,
    medical_burden: Decimal,
    assets_ok: bool,
) -> list[Test]:
    """The four conditions of 因病致贫重病患者 (呼和浩特实施方案 二(四)), with the parameters in force
    on ``on``: local household registration; household income per head below last year's city
    per-capita disposable income; after the medical burden left by basic and critical-illness
    insurance, income per head below ``illness_poor.burden_factor`` × the county's minimum living
    standard (urban or rural); household assets within the rules."""
    params = policy.at(on)
    tests = [
        Test(
            "hukou",
            "具有本市户籍",
            hukou_local,
            "申请人为本市户籍" if hukou_local else "申请人不是本市户籍",
            ILLNESS_CLAUSE,
        )
    ]
    per_head = _per_head(household_income, household_size)
    income_words = (
        f"家庭人均年收入 {yuan(per_head)} 元（{yuan(household_income)} 元 ÷ {household_size} 人）"
    )
    city_income = _param(policy, on, "city_income")
    if city_income is None:
        tests.append(
            Test(
                "income",
                "家庭人均年收入低于上年全体居民人均可支配收入",
                None,
                f"{income_words}；上年全体居民人均可支配收入（city_income）尚未设置，无法判断，"
                "请管理员在政策页面按统计公报设置",
                ILLNESS_CLAUSE,
            )
        )
    else:
        below = per_head < city_income
        tests.append(
            Test(
                "income",
                "家庭人均年收入低于上年全体居民人均可支配收入",
                below,
                f"{income_words}，{'低于' if below else '不低于'}上年全体居民人均可支配收入 "
                f"{yuan(city_income)} 元",
                _clause(params.source("city_income")),
            )
        )
    kind = "农村" if rural else "城市"
    name = f"illness_poor.dibao_standard.{'rural' if rural else 'urban'}"
    standards = _param(policy, on, name) or {}
    standard = standards.get(county_code)
    factor = _param(policy, on, "illness_poor.burden_factor")
    after = _per_head(max(household_income - medical_burden, ZERO), household_size)
    after_words = (
        f"扣减个人负担医疗费用 {yuan(medical_burden)} 元后家庭人均收入 {yuan(after)} 元"
        f"（（{yuan(household_income)} − {yuan(medical_burden)}）÷ {household_size} 人）"
    )
    burden_label = "扣减医疗费用后家庭人均收入低于低保标准的倍数"
    if standard is None or factor is None:
        missing = f"本旗县区（{county_code}）{kind}低保标准（{name}）" if standard is None else ""
        missing = missing or "倍数（illness_poor.burden_factor）"
        tests.append(
            Test(
                "burden",
                burden_label,
                None,
                f"{after_words}；{missing}尚未设置，无法判断，请管理员在政策页面设置",
                ILLNESS_CLAUSE,
            )
        )
    else:
        line = (standard * factor).quantize(FEN, rounding=ROUND_HALF_UP)
        below = after < line
        tests.append(
            Test(
                "burden",
                burden_label,
                below,
                f"{after_words}，{'低于' if below else '不低于'}{kind}低保标准 {yuan(standard)} 元/年 × "
                f"{factor.normalize():f} = {yuan(line)} 元",
                _clause(params.source(name), params.source("illness_poor.burden_factor")),
            )
        )
    tests.append(
        Test(
            "assets",
            "家庭财产状况符合相关规定",
            assets_ok,
            "申请人已签署家庭经济状况声明和核查委托授权书，申报的家庭财产符合规定"
            if assets_ok
            else "申报的家庭财产不符合规定，或未签署声明和核查授权书",
            ILLNESS_CLAUSE,
        )
    )
    return tests


@dataclass(frozen=True)
class BurdenLine:
    """One bill's personal burden after basic and critical-illness insurance, with its keys (a bill
    counted once, whichever source knows it)."""

    person_id: int
    label: str
    day: date
    burden: Decimal
    keys: tuple[str, ...] = ()
    source: str = ""


# Other floors' bills of a household (the hospitals' one-stop records are kept by ``monitoring``;
# portal/wiring.py connects them: the higher floor owns the link).
BurdenSource = Callable[[Sequence[int], int], Iterable[BurdenLine]]
BURDEN_SOURCES: Point[BurdenSource] = Point("burden_sources", "因病致贫预审计入的其他来源的费用")


def _expense_line(e: MedicalExpense, source: str) -> BurdenLine:
    assert e.day is not None  # noqa: S101 - the rows are filtered on their day
    burden = max(e.total - e.basic_paid - e.critical_paid, ZERO)
    return BurdenLine(e.application.person_id, e.bill_label, e.day, burden, tuple(e.keys), source)


def _in_year(year: int) -> Q:
    return Q(kind=Kind.INPATIENT, discharged_on__year=year) | (
        ~Q(kind=Kind.INPATIENT) & Q(visit_on__year=year)
    )


def burden_year(app: Application) -> int:
    days = [e.day for e in app.expenses.all() if e.day is not None]
    return max(days).year if days else (app.accepted_on or date.today()).year


def household_burden(app: Application) -> tuple[int, list[BurdenLine]]:
    """The household's medical burden after insurance in the year of the application's bills:
    this application's bills, the household's bills on other applications, and the other
    registered sources (the hospitals' records), each bill once."""
    year = burden_year(app)
    members = household_ids(app.person)
    lines: list[BurdenLine] = []
    seen: set[str] = set()

    def add(line: BurdenLine) -> None:
        if line.keys and seen.intersection(line.keys):
            return
        seen.update(line.keys)
        lines.append(line)

    for e in app.expenses.select_related("application"):
        if e.day is not None and e.day.year == year:
            add(_expense_line(e, "本申请"))
    others = (
        MedicalExpense.objects.filter(application__person_id__in=members)
        .filter(_in_year(year))
        .exclude(application=app)
        .exclude(application__status__in=(Status.DRAFT, Status.WITHDRAWN))
        .select_related("application")
        .order_by("application_id", "id")
    )
    for e in others:
        add(_expense_line(e, f"申请 {e.application.number}"))
    for source in BURDEN_SOURCES:
        for line in source(members, year):
            add(line)
    return year, sorted(lines, key=lambda x: (x.day, x.label))


# --- the person's whole picture ---------------------------------------------------------------


@dataclass
class Picture:
    """What the window and the county see of a person beside one case."""

    open_cases: list[Application] = field(default_factory=list)
    year: int = 0
    assisted: list[tuple[str, Decimal]] = field(default_factory=list)  # (channel, amount)
    claims: list[IdentityClaim] = field(default_factory=list)
    # (bill, identities valid on its day (labels), the one counting first)
    bills: list[tuple[MedicalExpense, list[str]]] = field(default_factory=list)

    @property
    def assisted_total(self) -> Decimal:
        return sum((amount for _, amount in self.assisted), ZERO)


def open_cases_of(person: Person, *, exclude: Application | None = None) -> list[Application]:
    """The person's other cases still open (a draft counts: it may be accepted at any moment)."""
    cases = Application.objects.filter(person=person).exclude(status__in=FINAL_STATES)
    if exclude is not None and exclude.pk:
        cases = cases.exclude(pk=exclude.pk)
    # only what the warning shows: the whole row would decrypt the payee's and the agent's numbers
    return list(
        cases.only("number", "status", "promise_status", "promise_due_on").order_by("-id")[:20]
    )


def second_case_text(cases: Sequence[Application], today: date) -> str:
    """The warning about other open cases, in words, each with its state and promise."""
    parts = []
    for case in cases:
        text = f"{case.number}（{case.get_status_display()}"
        left = case.promise_days_left(today)
        if left is not None:
            text += f"，承诺补交材料{'已逾期 ' + str(-left) + ' 天' if left < 0 else '期限 ' + f'{case.promise_due_on:%Y-%m-%d}'}"
        parts.append(text + "）")
    return "此人另有在办申请：" + "；".join(parts)


def assisted_in_year(
    person: Person, year: int, entries: Sequence[LedgerEntry] | None = None
) -> list[tuple[str, Decimal]]:
    """This year's medical assistance by channel (the ledger's live entries: window approvals and
    the hospitals' one-stop assistance); ``entries``: those live entries, where already read."""
    if entries is None:
        rows = dict(
            LedgerEntry.objects.filter(person=person, year=year, released_at__isnull=True)
            .values_list("source")
            .annotate(s=Sum("assistance"))
        )
    else:
        rows = {}
        for e in entries:
            rows[e.source] = rows.get(e.source, ZERO) + e.assistance
    # money recovered from window settlements came back: what the person keeps is the rest
    recovered = (
        Settlement.objects.filter(person=person, year=year, revoked_at__isnull=True).aggregate(
            s=Sum("recovered")
        )["s"]
        or ZERO
    )
    assisted = []
    for code, label in LedgerEntry.Source.choices:
        amount = rows.get(code) or ZERO
        if code == LedgerEntry.Source.WINDOW and recovered:
            amount, label = amount - recovered, f"{label}（已扣除追回 {yuan(recovered)} 元）"
        assisted.append((label, amount))
    return assisted


def picture(app: Application, *, today: date) -> Picture:
    person = app.person
    expenses = list(app.expenses.all())
    days = [e.day for e in expenses if e.day is not None]
    year = max(days).year if days else today.year
    identities = list(person.identities.all())  # read with the case on its page
    claims = list(
        IdentityClaim.objects.filter(person=person)
        .select_related("decided_by")
        .order_by("-id")[:10]
    )
    bills = []
    for e in expenses:
        labels = [
            f"{CATEGORIES[i.category][0]}（{i.certified_on:%Y-%m-%d} 起）"
            for i in identities
            if e.day is not None and is_valid_on(i, e.day)
        ]
        labels += [
            f"{CATEGORIES[c.category][0]}（待核验，{c.certified_on:%Y-%m-%d} 起）"
            for c in claims
            if c.pending and e.day is not None and c.is_valid_on(e.day)
        ]
        bills.append((e, labels))
    return Picture(
        open_cases=open_cases_of(person, exclude=app),
        year=year,
        assisted=assisted_in_year(person, year, live_ledger(app, [year])),
        claims=claims,
        bills=bills,
    )
