"""The status benchmark's floor (bench/status_page.py): the same middleware as the portal, and a
view doing the one SELECT a lookup cannot do without (the case by its number, with the person's
ID number to check), answering a minimal page. Mounted at ``/status-floor/`` beside the portal's
own URLs, so that the benchmark can ask the two in turn."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from applications.models import Application
from config import urls


@require_POST
def floor(request: HttpRequest) -> HttpResponse:
    row = (
        Application.objects.filter(number=request.POST["number"])
        .values_list("status", "person__id_number")
        .first()
    )
    found = row is not None and row[1].endswith(request.POST["id_tail"])
    return HttpResponse(f"<!doctype html><p>{row[0] if found else '-'}</p>")


urlpatterns = [path("status-floor/", floor), *urls.urlpatterns]
