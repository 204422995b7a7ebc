"""The lines a year's burden is measured against (the policy's rural income and shares, the
fund's caps), and whom to reach first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from areas.models import Township
from engine import MissingParameter
from engine.money import fen
from settlements.policies import load

# Whom to reach first (seed 001 §五(一) 重点监测低保边缘家庭成员和农村易返贫致贫人口): people with
# no identity and those two categories, then the other identities on application, then the ones
# assisted directly.
PRIORITY = {"": 0, "dibao_edge": 0, "rural_at_risk": 0, "illness_poor": 1, "other": 1}
DIRECT_PRIORITY = 2


def priority_of(category: str) -> int:
    return PRIORITY.get(category, DIRECT_PRIORITY)


@dataclass(frozen=True)
class Lines:
    """A city's monitoring lines for one year; None where the policy has no value yet."""

    poverty: Decimal | None
    return_: Decimal | None
    person_cap: Decimal | None
    household_cap: Decimal | None
    note: str = ""


class Thresholds:
    """Lines per (township, year), read from the policy of the township's city.

    The value used for a year is the one in force on the year's last day, or today for the
    current year: the latest published income for that year.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self.city_of: dict[int, str] = dict(
            Township.objects.values_list("pk", "county__city__policy_code")
        )
        self._policies: dict[str, Any] = {}
        self._lines: dict[tuple[str, int], Lines] = {}

    def for_township(self, township_id: int, year: int) -> Lines:
        code = self.city_of[township_id]
        key = (code, year)
        if key not in self._lines:
            self._lines[key] = self._compute(code, year)
        return self._lines[key]

    def _compute(self, code: str, year: int) -> Lines:
        policy = self._policies.get(code)
        if policy is None:
            policy = self._policies[code] = load(code)
        on = min(date(year, 12, 31), self.today)
        if on < policy.starts_on:
            return Lines(None, None, None, None, f"{year} 年早于政策 {code} 的施行日期")
        params = policy.at(on)
        note = ""
        poverty: Decimal | None
        return_: Decimal | None
        try:
            income = params["rural_income"]
            poverty = fen(income * params["monitoring.poverty_share"])
            return_ = fen(income * params["monitoring.return_share"])
        except MissingParameter:
            poverty = return_ = None
            note = (
                f"政策 {code} 未设置 {year} 年适用的上年农村常住居民人均可支配收入，无法按收入预警"
            )
        person_cap = household_cap = None
        if params.get("monitoring.caps"):
            person_cap = params.get("fund.person_cap")
            household_cap = params.get("fund.household_cap")
        return Lines(poverty, return_, person_cap, household_cap, note)

    def any_household_cap(self, years: Iterable[int]) -> bool:
        first_township = {code: pk for pk, code in self.city_of.items()}
        return any(
            self.for_township(pk, year).household_cap is not None
            for pk in first_township.values()
            for year in years
        )

    def notes(self) -> list[str]:
        return sorted({lines.note for lines in self._lines.values() if lines.note})
