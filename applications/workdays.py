"""Working days (工作日) with China's public holidays and make-up working days (调休).

The holidays come from ``chinese_calendar`` (the State Council's yearly schedule, maintained as a
package); the administrator adds or corrects days in the admin (``CalendarDay``), which win. For a
year the package does not know yet, Monday to Friday are working days unless the administrator has
entered that year's schedule; ``uncovered_years`` says which years those are so staff are warned.
Pure Python: the overrides are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=8192)  # the package checks the year against all its data on every call
def _package_says(day: date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class WorkCalendar:
    overrides: Mapping[date, bool] = field(default_factory=dict)  # day -> is a working day

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        known = _package_says(day)
        return day.weekday() < 5 if known is None else known

    def add(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
        current, left = start, days
        while left > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def late_by(self, due: date | None, today: date) -> int:
        """How many working days past ``due`` we are on ``today`` (0 when not late)."""
        if due is None or today <= due:
            return 0
        return self.between(due, today)


def uncovered_years(years: list[int], overrides: Mapping[date, bool]) -> list[int]:
    """Years the holiday package does not know and the administrator has not entered."""
    entered = {d.year for d in overrides}
    return [y for y in years if _package_says(date(y, 6, 1)) is None and y not in entered]
