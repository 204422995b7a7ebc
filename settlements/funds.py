"""The fund's books (救助资金台账, issue 20): a county's money for a year by source, and every outlay
booked against it, to the fen.

Receipts are ``FundAllocation`` rows (one per county, year and source; the list of sources is
data). Outlays are read from the rows that spend the money, each kind registered by the floor
that keeps them (this floor cannot import the ones above it):

* window assistance, approved cases (``applications``, by decision date);
* one-stop assistance paid at the hospital, from the hospitals' files (``monitoring``, by date);
* participation subsidies transferred to the insurance fund (``payments``, by transfer date);
* recoveries refunded, negative (``payments``, by refund date).

The statement (年度清算) draws the year's outlays on the sources in their order (higher-level
funds first) and shows each source's receipts, outlays and balance; what the sources cannot
cover is shown as 超支. The approver's budget check uses the same totals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from core.extensions import Point
from engine.money import fen

from .models import FundAllocation, FundSource

ZERO = Decimal("0.00")

# the sources migration 0011 creates (财政部 国家医保局《医疗救助资金管理办法》), in drawing order
DEFAULT_SOURCES = (
    ("central", "中央财政补助资金", 10),
    ("region", "自治区财政补助资金", 20),
    ("city", "市级财政资金", 30),
    ("county", "旗县区财政资金", 40),
    ("lottery", "福彩公益金", 50),
    ("donation", "社会捐赠资金", 60),
)


def default_sources() -> None:
    """The default sources again where missing (a database emptied by a flush, the demo)."""
    for code, name, position in DEFAULT_SOURCES:
        FundSource.objects.get_or_create(code=code, defaults={"name": name, "position": position})


# (county ids, first day, last day) -> {county id: amount}; a recovery's amount is negative
Outlay = Callable[[Iterable[int], date, date], dict[int, Decimal]]


@dataclass(frozen=True)
class OutlayKind:
    code: str
    label: str
    read: Outlay
    position: int


# Every kind of outlay the books count; the floors above connect theirs in portal/wiring.py.
OUTLAYS: Point[OutlayKind] = Point(
    "outlays", "医疗救助资金的支出种类（窗口救助、一站式、资助参保、追回冲减）"
)


def register_outlay(code: str, label: str, read: Outlay, *, position: int) -> None:
    """One kind of outlay and how to read it (connected from portal/wiring.py)."""
    OUTLAYS.provide(code, OutlayKind(code, label, read, position), position=position)


def outlay_kinds() -> list[OutlayKind]:
    return list(OUTLAYS)


def outlays(county_ids: Iterable[int], first: date, last: date) -> dict[str, dict[int, Decimal]]:
    """Every kind's outlays between ``first`` and ``last`` by county (kinds with none included)."""
    ids = list(county_ids)
    return {
        k.code: {c: fen(v) for c, v in k.read(ids, first, last).items()} for k in outlay_kinds()
    }


def receipts(county: Any, year: int) -> list[tuple[FundSource, Decimal, str]]:
    """(source, amount, note) for each source with money this year, in drawing order."""
    rows = FundAllocation.objects.filter(county=county, year=year).select_related("source")
    return sorted(
        ((r.source, r.amount, r.note) for r in rows), key=lambda t: (t[0].position, t[0].pk)
    )


def budget_and_used(county: Any, year: int) -> tuple[Decimal | None, Decimal]:
    """(the county's money for the year, or None when no source has any; what the year's outlays
    have used, recoveries deducted)."""
    total = FundAllocation.objects.filter(county=county, year=year).aggregate(s=Sum("amount"))["s"]
    used = sum(
        (v.get(county.pk, ZERO) for v in outlays([county.pk], *year_span(year)).values()), ZERO
    )
    return total, fen(used)


def year_span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


@dataclass(frozen=True)
class SourceLine:
    source: str
    receipts: Decimal
    outlays: Decimal
    balance: Decimal
    note: str = ""


@dataclass(frozen=True)
class Statement:
    """年度清算: receipts, outlays and balance by source; outlays by kind; all to the fen."""

    county: Any
    year: int
    lines: list[SourceLine]
    by_kind: list[tuple[str, Decimal]]
    receipts: Decimal
    outlays: Decimal
    balance: Decimal
    overrun: Decimal  # what no source covers (0.00 when the money sufficed)


def statement(county: Any, year: int, *, until: date | None = None) -> Statement:
    """The books of ``county`` for ``year`` (to ``until``, by default the year's end)."""
    first, last = year_span(year)
    spent = outlays([county.pk], first, min(last, until) if until else last)
    by_kind = [(k.label, spent[k.code].get(county.pk, ZERO)) for k in outlay_kinds()]
    total_out = fen(sum((v for _l, v in by_kind), ZERO))
    left = total_out
    lines = []
    money = receipts(county, year)
    for source, amount, note in money:
        drawn = min(amount, max(left, ZERO))
        left -= drawn
        lines.append(SourceLine(source.name, amount, drawn, amount - drawn, note))
    total_in = sum((a for _s, a, _n in money), ZERO)
    return Statement(
        county=county,
        year=year,
        lines=lines,
        by_kind=by_kind,
        receipts=fen(total_in),
        outlays=total_out,
        balance=fen(total_in - total_out),
        overrun=fen(max(left, ZERO)),
    )
