"""What the county's payment page reads: the cases ready to pay, those held and why, open account
changes and recoveries. Reads only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from applications.models import Application, Status
from applications.payment_facts import PaidLine
from applications.workflow import PROMISE_OPEN
from relief.models import Deliberation

from .models import (
    AccountChange,
    Payment,
    Recovery,
)


def live_payment() -> Exists:
    return Exists(
        Payment.objects.filter(
            application=OuterRef("pk"),
            state__in=[Payment.State.PENDING, Payment.State.PAID],
            deliberation__isnull=True,
        )
    )


def failed_unfixed() -> Q:
    """The case's last line failed and no second person has confirmed its account since."""
    last_failed = Payment.objects.filter(
        application=OuterRef("pk"), state=Payment.State.FAILED, deliberation__isnull=True
    )
    return Exists(last_failed) & ~Exists(
        AccountChange.objects.filter(
            application=OuterRef("pk"),
            state=AccountChange.State.CONFIRMED,
            decided_at__gt=Subquery(
                Payment.objects.filter(
                    application=OuterRef(OuterRef("pk")),
                    state=Payment.State.FAILED,
                    deliberation__isnull=True,
                )
                .order_by("-recorded_at")
                .values("recorded_at")[:1]
            ),
        )
    )


def open_change() -> Exists:
    return Exists(
        AccountChange.objects.filter(application=OuterRef("pk"), state=AccountChange.State.PROPOSED)
    )


def _approved(county: Any) -> QuerySet[Application]:
    return Application.objects.filter(county=county, status=Status.APPROVED).select_related(
        "person", "township"
    )


def payable(county: Any) -> QuerySet[Application]:
    """Approved cases of the county with every material in, an account to pay to (confirmed again
    after a failed line) and no payment under way."""
    return (
        _approved(county)
        .exclude(promise_status__in=PROMISE_OPEN)
        .exclude(live_payment())
        .exclude(bank_account_number="")
        .exclude(failed_unfixed())
        .exclude(open_change())
        .order_by("decided_at", "id")
    )


def payable_specials(county: Any) -> QuerySet[Deliberation]:
    """一事一议 decided in the county, paid to the case's account once its papers are all in, with
    no line of it under way or paid."""
    live = Payment.objects.filter(
        deliberation=OuterRef("pk"), state__in=[Payment.State.PENDING, Payment.State.PAID]
    )
    return (
        Deliberation.objects.filter(county=county, state=Deliberation.State.DECIDED)
        .exclude(application__promise_status__in=PROMISE_OPEN)
        .exclude(application__bank_account_number="")
        .exclude(Exists(live))
        .select_related("application", "person", "township")
        .order_by("decided_at", "id")
    )


def account_waiting(county: Any) -> list[tuple[Application, str]]:
    """Approved cases that cannot be paid for their account, each with what is needed (no dead
    end: each says who acts next)."""
    rows = (
        _approved(county)
        .exclude(live_payment())
        .annotate(failed=failed_unfixed(), changing=open_change())
        .filter(Q(bank_account_number="") | Q(failed=True) | Q(changing=True))
        .order_by("decided_at", "id")
    )
    out: list[tuple[Application, str]] = []
    for app in rows[:200]:
        if app.changing:
            why = "账户变更待第二人确认"
        elif not app.bank_account_number:
            why = "缺少收款账号：由窗口或财务补录账户（附银行卡扫描件），经第二人确认后可发放"
        else:
            why = "上次发放失败：须更正账户，或由第二人确认账户无误后再发放"
        out.append((app, why))
    return out


def held(county: Any) -> QuerySet[Application]:
    """Approved cases waiting for materials the applicant promised (待收齐材料后发放)."""
    return (
        Application.objects.filter(
            county=county, status=Status.APPROVED, promise_status__in=PROMISE_OPEN
        )
        .select_related("person", "township")
        .order_by("promise_due_on", "id")
    )


def account_changes_open(county: Any) -> QuerySet[AccountChange]:
    return AccountChange.objects.filter(
        application__county=county, state=AccountChange.State.PROPOSED
    ).select_related("application", "application__person", "proposed_by", "document")


def recoveries_open(county: Any) -> QuerySet[Recovery]:
    return Recovery.objects.filter(
        application__county=county, state__in=[Recovery.State.PROPOSED, Recovery.State.CONFIRMED]
    ).select_related("application", "application__person", "proposed_by")


def payment_pending(app: Application) -> bool:
    """The case sits in a batch whose bank result is not recorded yet."""
    return app.payments.filter(state=Payment.State.PENDING, deliberation__isnull=True).exists()


def paid_line(app: Application) -> PaidLine | None:
    """The line the bank paid, with what came back since (refunded recoveries), in one query."""
    refunded = (
        Recovery.objects.filter(application=OuterRef("application"), state=Recovery.State.REFUNDED)
        .values("application")
        .annotate(s=Sum("refunded_amount"))
        .values("s")
    )
    line = (
        app.payments.filter(state=Payment.State.PAID, deliberation__isnull=True)
        .annotate(recovered=Coalesce(Subquery(refunded), Value(Decimal("0.00"))))
        .first()
    )
    if line is None:
        return None
    return PaidLine(line.paid_on, line.amount, line.bank_name, line.masked_account, line.recovered)
