"""Which addresses the image proxy may fetch from: public unicast ones only, unless `image_private_networks`.

Every spelling of an address (`127.1`, `2130706433`, `0x7f000001`, `[::ffff:127.0.0.1]`, `localhost`) is judged by
what it means: an address literal by `literal`, before any connection; a name by the addresses the resolver gives
for it, and the connection is made to the very addresses judged (`fetch.CheckedResolver`), with no second lookup
an attacker's DNS could answer differently. IPv6 addresses that carry an IPv4 address (mapped, NAT64, 6to4,
Teredo) are judged by that address too. Pure (`inet_aton` reads numbers, it looks nothing up).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def refusal(address: Address) -> str | None:
    """Why the proxy must not connect to `address` (loopback, private, link-local, multicast, reserved,
    unspecified, shared or otherwise not public), or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a scoped (link-local) address"
        inner = _embedded(address)
        if inner is not None:
            problem = refusal(inner)
            if problem:
                return f"{problem} (inside {address})"
            if address.ipv4_mapped is not None or address in _NAT64:
                # A connection to it is one to the IPv4 address: directly, or through the network's NAT64 gateway
                # (RFC 6052's well-known prefix, what DNS64 answers on a host with IPv6 only)
                return None
        if address in _NAT64_LOCAL:
            return "a local NAT64 address"
    for name, test in (("a loopback", address.is_loopback), ("an unspecified", address.is_unspecified),
                       ("a link-local", address.is_link_local), ("a multicast", address.is_multicast),
                       ("a private", address.is_private), ("a reserved", address.is_reserved)):
        if test:
            return f"{name} address"
    if not address.is_global:
        return "not a public address"
    return None


_NUMERIC = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]*|[0-9]+)){0,3}$")
"""A host made of one to four numbers, decimal, octal (`0177`) or hexadecimal (`0x7f`): what `inet_aton` reads
as an IPv4 address (`2130706433`, `127.1`, `0x7f000001`)."""


def literal(host: str) -> Address | None:
    """The address a URL's host spells, in any form a resolver or URL parser reads as one (dotted or not,
    decimal, octal, hexadecimal, IPv6 in brackets, a trailing dot), or None for a name (judged when resolved)."""
    bare = host.strip("[]").split("%", 1)[0].rstrip(".")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC.match(bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def url_refusal(url: str) -> str | None:
    """Why `url` is not one the proxy fetches, before any lookup: not http(s), no host, credentials in it, or a
    literal address that `refusal` refuses (names are judged when resolved)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https"):
        return f"the scheme {parts.scheme!r} (only http and https)"
    if not parts.hostname:
        return "no host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL"
    if port == 0:
        return "port 0"
    return None


Judge = Callable[[Address], str | None]
"""Why an address is refused, or None: `refusal`, or None for every address (`image_private_networks`)."""


def check_literal(url: str, judge: Judge | None) -> str | None:
    """`url_refusal`, and for a host that is an address literal, the `judge`'s verdict on it (None: no judge)."""
    problem = url_refusal(url)
    if problem or judge is None:
        return problem
    address = literal(urlsplit(url).hostname or "")
    return judge(address) if address is not None else None
