"""Searching as the browser does: the search forms POST (marked ``_sealed``), the middleware sends
the browser on to the page's address with any ID number sealed in a token (core.sealed_query)."""

from __future__ import annotations

from typing import Any


def search(client: Any, url: str, data: dict[str, Any]) -> Any:
    """The page a search form shows after its submit button (the redirect followed)."""
    return client.post(url, {"_sealed": "1", **data}, follow=True)
