"""The client's address (operations.md section 6).

The socket's peer, unless that peer is one of ``TRUSTED_PROXIES``: then the right-most
address of ``X-Forwarded-For`` that is not itself a trusted proxy. Right-most, because
each proxy appends the address it saw; everything left of the first untrusted hop was
written by the client and proves nothing.

Written with ``ipaddress`` rather than django-ipware: the rule is these few lines, and
ipware matches trusted proxies by string prefix, not by network.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(text: str) -> Address | None:
    """An address, or None if ``text`` is not one. IPv4-mapped IPv6 (``::ffff:a.b.c.d``,
    what a dual-stack socket reports for IPv4 peers) counts as the IPv4 address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_network(text: str) -> Network:
    """A network or single address (``203.0.113.0/24``, ``2001:db8::/32``, ``192.0.2.7``);
    ValueError if it does not parse. Host bits are masked (``10.1.2.3/8`` is ``10.0.0.0/8``)."""
    return ipaddress.ip_network(text.strip(), strict=False)


def trusted_proxies() -> tuple[Network, ...]:
    return parse_networks(tuple(settings.TRUSTED_PROXIES))


@cache
def parse_networks(texts: tuple[str, ...]) -> tuple[Network, ...]:
    """Networks of a setting's values, parsed once per value (ValueError as parse_network)."""
    return tuple(parse_network(text) for text in texts)


def in_any(address: Address | None, networks: tuple[Network, ...] | list[Network]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The client's address as text ("" when the peer is unknown)."""
    peer_text = request.META.get("REMOTE_ADDR", "")
    peer = parse_address(peer_text)
    proxies = trusted_proxies()
    if not in_any(peer, proxies):
        return str(peer) if peer is not None else peer_text
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = str(peer)
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # Garbage where an address should be: that hop is the client, and matches no
            # allowed network.
            return hop.strip()
        client = str(address)
        if not in_any(address, proxies):
            break
    return client
