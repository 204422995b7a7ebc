"""No ID number (or account number) in any URL: searches carry a session token instead.

A URL is written to places the portal does not control or cannot take back: the browser's history,
the proxy's log, PostgreSQL's statistics and WAL (through the audit trail's ``path``). The window's
lookup already went by POST and a token (``applications.views.intake.lookup_token``); this module
does the same for every search box, whatever the page:

* **Search forms POST** with the hidden field ``_sealed`` (``{% include "includes/sealed.html" %}``).
  The middleware turns the form into the page's GET address, every identifier-like run of digits in
  a value (15 or more digits, or 17 and an X: ID numbers old and new, bank accounts, application
  numbers typed without their dashes; one written as the portal prints it, ``150121-20261128-0005``,
  stays) replaced by a token ``~xxxxxxxxxxxx``; the run itself is kept
  in the session, encrypted like the registry's identifiers. ``303`` to that address.
* **A GET that still carries one** (a bookmark, a hand-typed URL, a link from elsewhere) is sent to
  the same address with the runs sealed before any view runs, so no view, no audit row sees it.
* **A GET with tokens** has them put back before the view runs (``request.GET`` holds the values
  typed, so filters and searches work unchanged); every link of the page it answers (``href``,
  ``action``, a redirect's ``Location``) gets the tokens again in place of the runs, so pagination,
  sorting and the admin's preserved filters never write the number into a URL. A token this
  session does not hold (expired, another browser) is dropped with a message.

The kernel's own (``core`` imports no app): it knows identifiers only by their shape.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict

from .crypto import DecryptionError, keyring

MARK = "_sealed"  # the hidden field of a search form that posts
SESSION_KEY = "sealed-query"
KEPT = 50  # tokens kept per session (the latest)
AAD = b"core.sealed_query"

# what is sealed: an 18-character ID number, or any run of 15 digits or more
RUN = re.compile(r"[0-9]{17}[Xx]|[0-9]{15,}")
TOKEN = re.compile(r"~[A-Za-z0-9_-]{12}")
# a value typed as a number with spaces or dashes in it ("1501 2119 5208 1710 80")
_DIGITISH = re.compile(r"[0-9Xx\s\-‐‑‒–—―−_]+")
_GAPS = re.compile(r"[\s\-‐‑‒–—―−_]")
_LINK = re.compile(r'(\s(?:href|action|formaction|src)=")([^"]*)(")')
EXPIRED = "查询条件已过期（为保护个人信息，身份证号不写进网址），请重新输入后查询。"


def canonical(value: str) -> str:
    """The value with full-width digits made plain; a value that is only a number (with spaces
    or dashes) loses them and its X is upper case, as every search reads it."""
    value = unicodedata.normalize("NFKC", value)
    if _DIGITISH.fullmatch(value):
        return _GAPS.sub("", value).upper()
    return value


# an application number exactly as the portal prints it (``150121-20261128-0005``: the letters' QR
# link to the status page carries one), its middle a day the portal took cases on (2020 or later):
# not an identifier of a person, left as it is. An ID number written in the same groups has a birth
# date there, sealed unless the person was born in 2020 or later.
APPLICATION_NUMBER = re.compile(r"[0-9]{6}-(20[2-9][0-9])[0-9]{4}-[0-9]{4}")


def carries_identifier(value: str) -> bool:
    if APPLICATION_NUMBER.fullmatch(value.strip()):
        return False
    return RUN.search(canonical(value)) is not None


def _store(request: HttpRequest) -> dict[str, str]:
    return dict(request.session.get(SESSION_KEY, {}))


def seal(request: HttpRequest, value: str) -> str:
    """``value`` with each identifier-like run replaced by a token kept in the session."""
    if not carries_identifier(value):
        return value
    value = canonical(value)
    kept = _store(request)
    ring = keyring()

    def token_for(match: re.Match[str]) -> str:
        token = "~" + secrets.token_urlsafe(9)
        kept[token] = ring.encrypt(match.group(0).upper(), AAD)
        return token

    sealed = RUN.sub(token_for, value)
    request.session[SESSION_KEY] = dict(list(kept.items())[-KEPT:])
    return sealed


def unseal(request: HttpRequest, value: str, runs: dict[str, str]) -> str | None:
    """``value`` with its tokens replaced by the runs they stand for (recorded in ``runs``:
    run → token); None when the session does not hold one of them."""
    kept = request.session.get(SESSION_KEY, {})
    ring = keyring()
    missing = False

    def run_for(match: re.Match[str]) -> str:
        nonlocal missing
        sealed = kept.get(match.group(0))
        try:
            run = ring.decrypt(sealed, AAD) if sealed else None
        except DecryptionError:  # sealed before a key rotation
            run = None
        if run is None:
            missing = True
            return ""
        runs[run] = match.group(0)
        return run

    out = TOKEN.sub(run_for, value)
    return None if missing else out


SEARCH_LONGEST = 200  # characters of one search value kept (an address stays far below 16 KB)


def sealed_url(request: HttpRequest, pairs: Iterable[tuple[str, str]]) -> str:
    query = urlencode([(k, seal(request, v[:SEARCH_LONGEST])) for k, v in pairs])
    return f"{request.path}?{query}" if query else request.path


def _pairs(data: QueryDict, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(k, v) for k, values in data.lists() if k not in skip for v in values]


def reseal(text: str, runs: dict[str, str]) -> str:
    """``text`` (an address) with each run put back as its token."""
    for run, token in runs.items():
        text = text.replace(run, token)
    return text


class SealedQueryMiddleware:
    """After sessions, authentication, messages and CSRF (its ``process_view`` runs after theirs)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        runs: dict[str, str] | None = getattr(request, "sealed_runs", None)
        if runs:
            self._reseal_response(response, runs)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: object, kwargs: object
    ) -> HttpResponse | None:
        if request.method == "POST" and request.POST.get(MARK):
            pairs = [
                (k, v) for k, v in _pairs(request.POST, (MARK, "csrfmiddlewaretoken")) if v != ""
            ]
            return HttpResponseRedirect(sealed_url(request, pairs), status=303)
        if request.method not in ("GET", "HEAD") or not request.GET:
            return None
        pairs = _pairs(request.GET)
        if any(carries_identifier(v) for _, v in pairs):
            return HttpResponseRedirect(sealed_url(request, pairs))
        if not any(TOKEN.search(v) for _, v in pairs):
            return None
        runs: dict[str, str] = {}
        restored = QueryDict(mutable=True)
        lost = False
        for key, value in pairs:
            plain = unseal(request, value, runs)
            if plain is None:
                lost = True
            else:
                restored.appendlist(key, plain)
        if lost:
            messages.info(request, EXPIRED)
            kept = [(k, v) for k, v in pairs if not TOKEN.search(v)]
            return HttpResponseRedirect(
                f"{request.path}?{urlencode(kept)}" if kept else request.path
            )
        restored._mutable = False
        request.GET = restored  # type: ignore[assignment]
        request.sealed_runs = runs  # type: ignore[attr-defined]
        return None

    @staticmethod
    def _reseal_response(response: HttpResponse, runs: dict[str, str]) -> None:
        if response.has_header("Location"):
            response["Location"] = reseal(response["Location"], runs)
        if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            return
        text = response.content.decode(response.charset or "utf-8")
        fixed = _LINK.sub(lambda m: m.group(1) + reseal(m.group(2), runs) + m.group(3), text)
        if fixed != text:
            response.content = fixed.encode(response.charset or "utf-8")
