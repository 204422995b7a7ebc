"""The desk: the window's and the county's list of cases (filters, counts, what is late), and the
clerk's inbox of reminders."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Capability, StaffRequest, capability_required, has_capability
from accounts.selectors import townships_for
from audit.events import Event
from audit.services import record_list_view

from .. import services, worklist
from ..filters import ApplicationFilter
from ..models import (
    FINAL_STATES,
    InboxMessage,
)
from ..selectors import applications_for, unread_inbox


@capability_required(Capability.READ_CASES)
def index(request: StaffRequest) -> HttpResponse:
    """The application list of a township window, and the county's review queue: filters in the
    URL, sorting, keyset pagination (no OFFSET; a count bounded at COUNT_CAP), due dates and
    lateness on every row."""
    calendar = services.work_calendar()
    data = request.GET.copy()
    data.setdefault("state", "open")  # a queue shows what is still to do unless asked otherwise
    # decided cases have no step due: outside the default scope they come newest first
    if not data.get("order"):
        data["order"] = "due" if data["state"] == "open" and not data.get("status") else "newest"
    filtered = ApplicationFilter(
        data,
        queryset=applications_for(request.user),
        townships=townships_for(request.user),
        calendar=calendar,
    )
    order = str(data.get("order"))
    page = worklist.page_of(filtered.qs, order, request.GET.get("after"))
    params = request.GET.copy()
    params.pop("after", None)
    today = timezone.localdate()
    rows = [(app, calendar.late_by(app.step_due_on, today)) for app in page.rows]
    # a bad value is said, not silently dropped (the list is shown without that condition)
    refused = [
        f"{filtered.form.fields[name].label}：{'；'.join(errors)}"
        for name, errors in filtered.form.errors.items()
        if name in filtered.form.fields
    ]
    record_list_view(event=Event.DESK_LISTED, actor=request.user, what="申请列表", shown=len(rows))
    can_verify = has_capability(request.user, Capability.VERIFY_IDENTITIES)
    return render(
        request,
        "applications/index.html",
        {
            "filter": filtered,
            "page": page,
            "rows": rows,
            # counted up to COUNT_CAP: a bounded subquery, not a scan of the whole table
            "count": filtered.qs.order_by()[: COUNT_CAP + 1].count(),
            "count_cap": COUNT_CAP,
            "refused": refused,
            "params": params.urlencode(),
            "params_all": urlencode({**params.dict(), "state": "all"}),
            "can_verify": can_verify,
            "can_discover": has_capability(request.user, Capability.SETTLEMENTS),
            "claims_waiting": applications_for(request.user)
            .filter(identity_claim__status="pending")
            .exclude(status__in=FINAL_STATES)
            .order_by()[:100]
            .count()
            if can_verify
            else 0,
            "today": today,
            "can_intake": has_capability(request.user, Capability.INTAKE),
        },
    )


COUNT_CAP = 1000


@capability_required(Capability.INTAKE)
def inbox(request: StaffRequest) -> HttpResponse:
    page = Paginator(
        InboxMessage.objects.filter(recipient_id=request.user.pk).select_related("application"),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/inbox.html",
        {"page": page, "unread": unread_inbox(request.user).count()},
    )


@require_POST
@capability_required(Capability.INTAKE)
def inbox_read(request: StaffRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(InboxMessage, pk=pk, recipient=request.user)
    services.inbox_mark_read(message=message, actor=request.user)
    return redirect(message.application)
