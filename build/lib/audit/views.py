from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import Capability, capability_required

from .filters import AuditEventFilter
from .selectors import events_for


@capability_required(Capability.VIEW_AUDIT)
def search(request: HttpRequest) -> HttpResponse:
    """Search who did what, when, to which record, from where (scoped to the user's area)."""
    flt = AuditEventFilter(request.GET, queryset=events_for(request.user))
    page = Paginator(flt.qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request, "audit/search.html", {"filter": flt, "page": page, "params": params.urlencode()}
    )
