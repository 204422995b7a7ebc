from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from core import clientaddr
from core.logmask import mask_text

from . import context


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (behind a trusted proxy, from its X-Forwarded-For: core.clientaddr)."""
    return clientaddr.client_ip(request) or None


class RequestContextMiddleware:
    """Makes the request's address, browser and path available to audit.services.record; and
    keeps what shows people out of every cache: a response to a signed-in member of staff, or to
    a request that wrote an access row (the applicant's status and letter), is ``no-store``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_current(
            context.RequestContext(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                # the query with any identifier masked (searches carry tokens, core.sealed_query;
                # this is the second wall: a row keeps no ID number, whatever the address)
                path=mask_text(request.get_full_path())[:300],
            )
        )
        try:
            response = self.get_response(request)
            _log_admin_page(request, response)
            ctx = context.current()
            user = getattr(request, "user", None)
            if (ctx is not None and ctx.viewed) or getattr(user, "is_authenticated", False):
                # personal data: neither the browser (back button, shared PC) nor a proxy keeps it
                patch_cache_control(response, no_store=True, private=True)
            return response
        finally:
            context.reset(token)


def _log_admin_page(request: HttpRequest, response: HttpResponse) -> None:
    """系统管理 (Django's admin) lists and shows people, payments, warnings and the audit trail
    itself: every page of it that the administrator opens is in the access log, unless the view
    already wrote its own row."""
    match = request.resolver_match
    ctx = context.current()
    if (
        request.method == "GET"
        and response.status_code == 200
        and match is not None
        and match.namespace == "admin"
        and request.user.is_authenticated
        and ctx is not None
        and not ctx.viewed
    ):
        from .events import Event
        from .services import record

        record(
            actor=request.user,
            event=Event.ADMIN_PAGE_VIEWED,
            summary=f"系统管理：查看 {request.path}"[:500],
        )
