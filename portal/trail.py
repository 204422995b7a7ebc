"""审计查询: search the audit trail, scoped to the viewer's area.

The trail itself (``audit``) stands near the ground floor so that every app can write to it; who
may read which rows is ``accounts``' knowledge, so the page that reads it lives in the shell.
"""

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import Capability, capability_required, scoped
from audit.events import Event
from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from audit.services import record_list_view


def events_for(user: Any) -> QuerySet[AuditEvent]:
    """Audit rows a user may search: the whole city for administrators, their county otherwise."""
    qs = AuditEvent.objects.select_related("actor", "township", "county")
    return scoped(user, qs)


@capability_required(Capability.VIEW_AUDIT)
def search(request: HttpRequest) -> HttpResponse:
    """Search who did what, when, to which record, from where (scoped to the user's area)."""
    flt = AuditEventFilter(request.GET, queryset=events_for(request.user))
    page = Paginator(flt.qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    record_list_view(
        event=Event.AUDIT_SEARCHED, actor=request.user, what="审计日志", shown=len(page)
    )
    return render(
        request, "audit/search.html", {"filter": flt, "page": page, "params": params.urlencode()}
    )
