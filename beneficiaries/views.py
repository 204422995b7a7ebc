import re
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import Capability, capability_required
from audit.services import record_view

from .selectors import people_for

ID_NUMBER = re.compile(r"\d{17}[\dXx]")


@capability_required(Capability.VIEW_PEOPLE)
def person_list(request: HttpRequest) -> HttpResponse:
    """People of the user's area. ID numbers are masked here; the detail page shows them whole."""
    qs = people_for(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        # A full ID number is looked up exactly (unique index); anything else is part of a name.
        qs = (
            qs.filter(id_number=q.upper())
            if ID_NUMBER.fullmatch(q)
            else qs.filter(name__contains=q)
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = urlencode({"q": q}) if q else ""
    return render(
        request, "beneficiaries/person_list.html", {"page": page, "q": q, "params": params}
    )


@capability_required(Capability.VIEW_PEOPLE)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's record, for staff of the person's own area. Every view is logged."""
    person = get_object_or_404(people_for(request.user), pk=pk)
    record_view(actor=request.user, target=person)
    return render(request, "beneficiaries/person_detail.html", {"person": person})
