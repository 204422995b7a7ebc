"""Where the current request comes from, for the audit rows written during it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestContext:
    ip: str | None
    user_agent: str
    path: str
    viewed: bool = False  # an access row was written during this request


_current: ContextVar[RequestContext | None] = ContextVar("audit_request_context", default=None)


def current() -> RequestContext | None:
    return _current.get()


def set_current(ctx: RequestContext | None):  # type: ignore[no-untyped-def]
    return _current.set(ctx)


def reset(token) -> None:  # type: ignore[no-untyped-def]
    _current.reset(token)
