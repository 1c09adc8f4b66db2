"""Whether a server is on this machine: a host name or a base URL on loopback.

One answer for the linter and the drafter: `insecure-url` (FG703) and the egress rule let
plain `http://` and unlisted hosts through on loopback, and the drafter gives a server on
loopback (a small local model) the compact wire schema by default.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine: localhost, 127.0.0.0/8 or ::1."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    import ipaddress  # here, not at the top: start-up time; only an address needs it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def on_loopback(base_url: str | None) -> bool:
    """True when `base_url` is a server on this machine (localhost, 127.0.0.0/8, ::1)."""
    if not base_url:
        return False
    return is_loopback(urlsplit(base_url).hostname or "")
