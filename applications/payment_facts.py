"""What the payments floor (above this one) tells a case: whether it sits in a batch waiting for the
bank, and the line that paid it. An extension point (``core.extensions``), connected in
portal/wiring.py, so this floor never reads the payments' tables by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from core.extensions import Point

if TYPE_CHECKING:
    from .models import Application


@dataclass(frozen=True)
class PaidLine:
    paid_on: date | None
    amount: Decimal
    bank_name: str
    masked_account: str
    recovered: Decimal = Decimal("0.00")  # refunded since (追回到账)


@dataclass(frozen=True)
class PaymentFacts:
    pending: Callable[[Application], bool]  # in a batch, the bank's result not recorded yet
    paid: Callable[[Application], PaidLine | None]  # the line the bank paid


PAYMENT_FACTS: Point[PaymentFacts] = Point(
    "payment_facts", "发放层告诉申请：本案是否在待银行结果的批次中，已发放的那一笔"
)


def payment_pending(app: Application) -> bool:
    return any(facts.pending(app) for facts in PAYMENT_FACTS)


def paid_line(app: Application) -> PaidLine | None:
    return next((line for facts in PAYMENT_FACTS if (line := facts.paid(app))), None)


@dataclass(frozen=True)
class Panel:
    """A part of the case page a higher floor draws (its template, and what the template reads)."""

    template: str
    context: dict[str, object]


# The case page's parts that belong to a floor above (the payee's account and recoveries, drawn by
# payments): each gives a Panel for the case, or None where it has nothing to show.
CASE_PANELS: Point[Callable[[Application, object], Panel | None]] = Point(
    "case_panels", "上层在案件页加的板块（如发放层的收款账户与追回）"
)


def panels_for(app: Application, user: object) -> list[Panel]:
    return [panel for draw in CASE_PANELS if (panel := draw(app, user)) is not None]
