from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import Capability, capability_required


@capability_required(Capability.APPLICATIONS)
def index(request: HttpRequest) -> HttpResponse:
    """The application desk (clerks) and the review queue (county). Intake arrives in issue 5."""
    return render(request, "applications/index.html")
