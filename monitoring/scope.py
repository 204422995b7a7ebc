"""What an overview chart is drawn over and with: the scope (the user's area, a county, a year), the
chart itself (columns, rows, what to plot, its source), and a rate shown as a percent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DecimalField, Q
from django.utils import timezone

from areas.models import County, Township
from engine import MissingParameter
from settlements.policies import load

ZERO = Decimal("0.00")


FEN = Decimal("0.01")


MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass
class Chart:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    plot: list[int]  # the columns drawn as bars, by index
    unit: str = ""  # "元", "人", "件", "%"
    line: int | None = None  # a column drawn as a line (a target or a limit)
    stacked: bool = False
    horizontal: bool = False
    note: str = ""
    totals: list[Any] = field(default_factory=list)
    flagged: int = 0  # rows over their limit, all of them (the page may show only the first)
    # horizontal rules across the whole chart (a target that is the same for every bar)
    targets: list[tuple[str, Any]] = field(default_factory=list)
    # where the figures come from: "recompute" (the burdens and warnings of the last recompute) or
    # "live" (the cases and payments as they are now)
    source: str = "live"

    def __post_init__(self) -> None:
        """Money to the fen, whatever the database's SUM gave back (SQLite drops the zeros)."""
        for row in [*self.rows, self.totals]:
            for i, value in enumerate(row):
                if isinstance(value, Decimal):
                    row[i] = value.quantize(FEN)

    def spec(self) -> dict[str, Any]:
        """What the page's script needs: labels and series, numbers as plain floats."""
        datasets = [
            {"label": self.columns[i], "data": [_num(r[i]) for r in self.rows], "type": "bar"}
            for i in self.plot
        ]
        if self.line is not None:
            datasets.append(
                {
                    "label": self.columns[self.line],
                    "data": [_num(r[self.line]) for r in self.rows],
                    "type": "line",
                }
            )
        return {
            "labels": [str(r[0]) for r in self.rows],
            "datasets": datasets,
            "unit": self.unit,
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "targets": [{"label": label, "value": _num(value)} for label, value in self.targets],
        }


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, Percent):
        return float(value.value * 100)
    return float(value)


class Percent:
    """A rate shown as 81.3% and written to files as 0.813."""

    def __init__(self, value: Decimal) -> None:
        self.value = value

    def __str__(self) -> str:
        return f"{(self.value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Percent) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def rate(part: Decimal, whole: Decimal) -> Percent | None:
    if not whole:
        return None
    return Percent((part / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


@dataclass
class Scope:
    """The area an overview covers: one county, or the whole city (admin)."""

    year: int
    county: County | None
    townships: list[Township]
    policy_code: str
    hospitals: list[Any] | None = None  # _hospital_rows' memo

    @property
    def label(self) -> str:
        return self.county.name if self.county else "全市"

    def q(self, township: str) -> Q:
        """Rows whose township (by the lookup given) is in scope."""
        if self.county is None:
            return Q()
        return Q(**{f"{township}__county_id": self.county.pk})


def scope_for(user: Any, *, year: int | None, county_id: str | int | None) -> Scope:
    """County roles see their county; the administrator the city, or one county if asked."""
    from accounts.selectors import counties_for, townships_for

    counties = counties_for(user)
    county = None
    if getattr(user, "county_id", None) and not getattr(user, "is_superuser", False):
        county = counties.filter(pk=user.county_id).first()
    elif county_id:
        county = counties.filter(pk=county_id).first()
    townships = townships_for(user).select_related("county__city")
    if county is not None:
        townships = townships.filter(county=county)
    towns = list(townships.order_by("county__code", "code"))
    code = (
        county.city.policy_code
        if county is not None
        else (towns[0].county.city.policy_code if towns else "hohhot-2023")
    )
    return Scope(
        year=year or timezone.localdate().year, county=county, townships=towns, policy_code=code
    )


def _param(scope: Scope, name: str) -> Any:
    today = timezone.localdate()
    on = (
        min(date(scope.year, 12, 31), today) if scope.year <= today.year else date(scope.year, 1, 1)
    )
    try:
        return load(scope.policy_code).at(on)[name]
    except MissingParameter:
        return None
