from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import role_of
from accounts.models import Role

from . import health


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own work: a clerk on their township, county roles on their county."""
    role = role_of(request.user)
    if role == Role.CLERK:
        return redirect("areas:township", pk=request.user.township_id)  # type: ignore[union-attr]
    if role == Role.ADMIN:
        return redirect("areas:overview")
    return redirect("areas:county", pk=request.user.county_id)  # type: ignore[union-attr]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body = health.report()
    return JsonResponse(body, status=200 if body["database"] == "ok" else 503)
