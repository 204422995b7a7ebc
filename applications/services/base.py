"""What every service of the applications app shares: the work calendar, the case's history
row, the window's clerk check, the application number."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from accounts.access import role_of
from accounts.models import Role, User
from core.numbering import next_in

from ..models import (
    Application,
    ApplicationEvent,
    CalendarDay,
)
from ..settling import estimate_refresh
from ..workdays import WorkCalendar


def work_calendar() -> WorkCalendar:
    """China's working days with the administrator's corrections (one small query)."""
    return WorkCalendar(dict(CalendarDay.objects.values_list("day", "working")))


def _event(app: Application, action: str, label: str, actor: User, **extra: Any) -> None:
    ApplicationEvent.objects.create(
        application=app,
        action=action,
        label=label,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        **extra,
    )
    if action in ESTIMATE_AFTER:
        estimate_refresh(app)


# the steps after which the review queue's “拟救助” figure is computed again: the bills changed
# (accept, resubmit, correct_expense) or the reviewer takes the case up against today's ledger
# (start_review); forwarding and returning change neither (a decision stores its own amount)
ESTIMATE_AFTER = frozenset({"accept", "start_review", "resubmit", "correct_expense"})


def _require_clerk_of(actor: User, township_id: int) -> None:
    if role_of(actor) != Role.CLERK or actor.township_id != township_id:
        raise ValidationError("只有申请人所在乡镇（街道）的窗口经办人可以办理。", code="not_clerk")


def _next_number(county: Any, day: date) -> str:
    return f"{county.code}-{day:%Y%m%d}-{next_in(f'application:{county.code}:{day:%Y%m%d}'):04d}"
