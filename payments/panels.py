"""The payments floor's part of the case page (an extension point of applications: CASE_PANELS,
connected in portal/wiring.py): the payee's account changes waiting for a second person, and the
case's recoveries with their state."""

from __future__ import annotations

from applications.models import Application, RecoveryReason
from applications.payment_facts import Panel

from .models import AccountChange, Recovery


def money_panel(app: Application, user: object) -> Panel:
    # a change of account and a recovery are for a decided case only (accounts, recoveries): an
    # undecided case has none, and is not asked
    decided = app.decided_at is not None
    return Panel(
        "payments/_case_money.html",
        {
            "changes_waiting": list(
                AccountChange.objects.filter(application=app, state=AccountChange.State.PROPOSED)
            )
            if decided
            else [],
            "recoveries": list(
                Recovery.objects.filter(application=app)  # in the model's order, as before
            )
            if decided
            else [],
            "recovery_reasons": [c for c in RecoveryReason.choices if c[0] != "over_cap"],
        },
    )
