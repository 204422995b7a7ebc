"""The client's address: one answer for the audit trail, the status page's limits and the sign-in
lockout, behind a proxy or not.

Behind nginx every request reaches gunicorn from the proxy's address, so ``REMOTE_ADDR`` is the
proxy's: after 20 lookups by strangers the status page refused its own applicant (one shared
limit). The client's address is in ``X-Forwarded-For``, which any client can also write. So:

* the header is read **only when the connection comes from a proxy listed in ``TRUSTED_PROXIES``**
  (addresses or networks, ``127.0.0.1,10.0.0.0/8``); from anyone else it is ignored;
* it is read from the right, the end each proxy appends to: every address that is itself a trusted
  proxy is passed over, and the first one that is not is the client (what a client wrote before
  that, at the left, is never believed);
* a malformed entry stops the walk at the last proxy seen.

Written here with the standard library's ``ipaddress`` rather than python-ipware: ipware matches
trusted proxies by their position in the header and never looks at the connection's own address,
which is the one that must be trusted.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` parsed; a bad entry raises ValueError (a system check says so)."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: tuple[Network, ...]
) -> bool:
    return any(address.version == net.version and address in net for net in nets)


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    nets = networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    try:
        peer = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    if not nets or not _trusted(peer, nets):
        return remote
    client = peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed([h.strip() for h in hops if h.strip()]):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            break
        client = address
        if not _trusted(address, nets):
            break
    return str(client)
