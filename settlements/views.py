from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import Capability, capability_required


@capability_required(Capability.SETTLEMENTS)
def index(request: HttpRequest) -> HttpResponse:
    """Settlements, decisions and payment batches. The engine arrives in issue 4."""
    return render(request, "settlements/index.html")
