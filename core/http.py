"""Where a form sends the user back to (its ``next`` field)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def back_to(request: HttpRequest, target: str | None, fallback: str) -> HttpResponseRedirect:
    """A redirect to ``target`` when it is a path of this site (``/…``), else to ``fallback``.

    Never Django's ``redirect(target)``: that takes a bare word (``next=abc``) for a URL name and
    answered 500 (NoReverseMatch) after the form's work was already done."""
    target = (target or "").strip()
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)
