"""梯次减负's part of the case page (an addition to applications' CASE_PANELS, connected in
portal/wiring.py): the case's hand-offs, the 一事一议 on it, and the forms to start either."""

from __future__ import annotations

from typing import Any

from accounts.access import Capability, has_capability
from applications.models import Application, Status
from applications.payment_facts import Panel
from settlements.models import FundSource

from . import selectors, services
from .models import Deliberation, Handoff
from .special import DECIDED_CASES


def relief_panel(app: Application, user: Any) -> Panel | None:
    handoffs = list(Handoff.objects.filter(application=app).select_related("body"))
    specials = list(Deliberation.objects.filter(application=app).select_related("proposed_by"))
    can_refer = has_capability(user, Capability.HANDOFF) and app.status not in (
        Status.DRAFT, Status.WITHDRAWN,
    )  # fmt: skip
    if not (handoffs or specials or can_refer):
        return None
    figures = services.case_figures(app) if can_refer else None
    return Panel(
        "relief/_case_relief.html",
        {
            "handoffs": handoffs,
            "specials": specials,
            "figures": figures,
            "above_line": figures is not None
            and figures.line is not None
            and figures.burden > figures.line,
            "can_refer": can_refer,
            "bodies": selectors.bodies_for(app.person) if can_refer else [],
            "can_propose": can_refer
            and app.status in DECIDED_CASES
            and not any(d.state != Deliberation.State.REFUSED for d in specials),
            "funds": list(FundSource.objects.filter(active=True)) if can_refer else [],
            "can_decide": has_capability(user, Capability.DECIDE_SPECIAL),
        },
    )
