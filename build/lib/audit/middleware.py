from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import context


def client_ip(request: HttpRequest) -> str | None:
    # Behind the production proxy, REMOTE_ADDR is set from X-Forwarded-For by the proxy config
    # (see README); we do not trust a client-sent header here.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Makes the request's address, browser and path available to audit.services.record."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_current(
            context.RequestContext(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                path=request.get_full_path()[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
