"""What one page reads more than once, read once: a memo that lives for one GET or HEAD request
(``RequestMemoMiddleware``) and nowhere else. A page that shows a settlement and a hand-off reads the
policy's versions once, not once per part. A request that writes (POST) and every task or command
get no memo: they read afresh, so they never see a value from before their own write."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("request_memo", default=None)


def remembered[T](key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per reading request for ``key``; outside one, every time."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


class RequestMemoMiddleware:
    """Opens the memo for a GET or HEAD request and drops it with the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _memo.set({} if request.method in ("GET", "HEAD") else None)
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
