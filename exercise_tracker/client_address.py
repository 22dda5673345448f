"""The client's address, one answer for everything that counts by address: django-axes' lockout
(AXES_CLIENT_IP_CALLABLE), the audit log, the API's rate limits and the sign-in pages.

`REMOTE_ADDR` is the peer that opened the connection. Behind a proxy that is the proxy, for
every client alike, so the real address has to come from `X-Forwarded-For`; but anyone can send
that header, so it is read only when the deployment says so: `DJANGO_BEHIND_PROXY=1` and
`DJANGO_TRUSTED_PROXY_COUNT=N`, the number of proxies in front of the app that each append the
address they saw. The client is then the N-th address from the right: whatever a client wrote
itself sits further left and is ignored. A header missing, too short or not an address falls
back to `REMOTE_ADDR` (the proxy), never to a value the client chose.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_address(request: Any) -> str | None:
    """The address to count this request against (None when the server gives none)."""
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR") or None
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if not getattr(settings, "BEHIND_PROXY", False) or count < 1:
        return remote
    hops = [hop.strip() for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote
    return _valid(hops[-count]) or remote
