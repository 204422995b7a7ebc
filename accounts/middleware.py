"""The idle timeout of a signed-in session, without a database write on every request.

A session ends ``SESSION_IDLE_MINUTES`` after the last request (``SESSION_COOKIE_AGE``): the expiry
moves on when the session is saved. Django's ``SESSION_SAVE_EVERY_REQUEST`` saves it on every
request, which is an UPDATE (and a transaction) on every page a reviewer opens. This saves it at
most once a minute instead: the session ends between ``SESSION_IDLE_MINUTES − 1`` and
``SESSION_IDLE_MINUTES`` minutes after the last request. A visitor with no session gets none.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

SEEN = "_seen"  # when the session was last saved, in seconds since the epoch
EVERY = 60  # seconds


class IdleSessionMiddleware:
    """Below ``SessionMiddleware``: stamps a non-empty session when it is saved, and marks it
    modified when it was last saved a minute or more ago, so that ``SessionMiddleware`` saves it
    and moves its expiry on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(timezone.now().timestamp())
            # saved anyway (signing in, a message): the stamp goes with it at no cost
            if session.modified or now - session.get(SEEN, 0) >= EVERY:
                session[SEEN] = now
        return response
