"""Field policy: trust of the peer and what trusted headers may change.

One place for ``forwarded_allow_ips`` / ``proxy_allow_ips`` trust checks,
``secure_scheme_headers``, ``forwarder_headers`` and ``header_map`` (how to
treat field-names containing "_", which WSGI maps onto the same environ key as
"-").  Built once per configuration state (``settings_for``); the trust
verdict for each peer address is remembered in a bounded table.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidSchemeHeaders

__all__ = ["FieldPolicy", "ip_allowed"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def ip_allowed(ip: str, allow: Iterable[str], networks: Iterable[_Network]) -> bool:
    """Return True if *ip* is listed in *allow* (exact string or ``*``) or in *networks*.

    *allow* is the raw setting list (str items: IPs, CIDRs, ``*``); *networks* the
    parsed ``ip_network`` objects.  An unparsable *ip* is not allowed.
    """
    if "*" in allow or ip in allow:
        return True
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    for net in networks:
        if addr.version == net.version and addr in net:
            return True
    # An IPv4-mapped IPv6 peer (dual-stack listener) matches IPv4 entries too.
    mapped = getattr(addr, "ipv4_mapped", None)
    if mapped is not None:
        return any(mapped in net for net in networks if net.version == 4)
    return False


def _networks(cfg: Any, method: str, allow: list[str]) -> list[_Network]:
    getter = getattr(cfg, method, None)
    if callable(getter):
        return list(getter())
    nets = []
    for item in allow:
        if item == "*":
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue
    return nets


# Peers remembered per verdict table; the table starts over when full, so
# a scan from many addresses costs memory only up to this bound.
_VERDICTS_MAX = 4096


def _peer_allowed(table: dict[Any, bool], peer_addr: Any, allow: list[str],
                  networks: list[_Network]) -> bool:
    """Trust rule of gunicorn: only (ip, port) peers are checked, UNIX sockets
    and None pass; the verdict for each host is remembered in *table*."""
    if not isinstance(peer_addr, tuple):
        return True
    host = peer_addr[0]
    verdict = table.get(host)
    if verdict is None:
        verdict = ip_allowed(str(host), allow, networks)
        if len(table) >= _VERDICTS_MAX:
            table.clear()
        table[host] = verdict
    return verdict


class FieldPolicy:
    """Precomputed field policy for one configuration.

    Attributes: ``header_map`` ("drop", "refuse" or "dangerous"),
    ``forwarder_headers`` (frozenset of uppercase names, may contain ``*``),
    ``secure_scheme_headers`` (dict uppercase name -> value meaning https),
    ``default_scheme`` ("https" when the listener is TLS), and the allow lists.
    """

    __slots__ = (
        "header_map",
        "forwarder_headers",
        "secure_scheme_headers",
        "default_scheme",
        "forwarded_allow_ips",
        "forwarded_networks",
        "proxy_allow_ips",
        "proxy_networks",
        "_forwarded_verdicts",
        "_proxy_verdicts",
    )

    def __init__(self, cfg: Any) -> None:
        self.header_map: str = getattr(cfg, "header_map", "drop") or "drop"
        self.forwarder_headers = frozenset(
            h.strip().upper() for h in (getattr(cfg, "forwarder_headers", None) or [])
        )
        self.secure_scheme_headers: dict[str, str] = {
            k.upper(): v for k, v in (getattr(cfg, "secure_scheme_headers", None) or {}).items()
        }
        self.default_scheme = "https" if getattr(cfg, "is_ssl", False) else "http"
        self.forwarded_allow_ips = list(getattr(cfg, "forwarded_allow_ips", None) or [])
        self.forwarded_networks = _networks(
            cfg, "forwarded_allow_networks", self.forwarded_allow_ips
        )
        self.proxy_allow_ips = list(getattr(cfg, "proxy_allow_ips", None) or [])
        self.proxy_networks = _networks(cfg, "proxy_allow_networks", self.proxy_allow_ips)
        # peer host -> verdict; parsing an address per connection is the
        # expensive part of a check.
        self._forwarded_verdicts: dict[Any, bool] = {}
        self._proxy_verdicts: dict[Any, bool] = {}

    def forwarded_trusted(self, peer_addr: Any) -> bool:
        """True if *peer_addr* ((host, port), a UNIX path or None) may set
        secure-scheme and forwarder headers (``forwarded_allow_ips``)."""
        return _peer_allowed(self._forwarded_verdicts, peer_addr,
                             self.forwarded_allow_ips, self.forwarded_networks)

    def proxy_allowed(self, peer_addr: Any) -> bool:
        """True if *peer_addr* may send a PROXY protocol header (``proxy_allow_ips``)."""
        return _peer_allowed(self._proxy_verdicts, peer_addr,
                             self.proxy_allow_ips, self.proxy_networks)

    def underscore_action(self, name: str, trusted: bool) -> str:
        """Decide for an uppercase field-name containing "_": "keep", "drop" or "refuse"."""
        if trusted and (name in self.forwarder_headers or "*" in self.forwarder_headers):
            return "keep"
        if self.header_map == "dangerous":
            return "keep"
        if self.header_map == "drop":
            return "drop"
        return "refuse"


def secure_scheme(headers: Iterable[tuple[str, str]], secure: dict[str, str],
                  scheme: str) -> str:
    """The URL scheme after the ``secure_scheme_headers`` among *headers*.

    Args:
        headers: (UPPERCASE name, value) pairs of a request from a peer in
            ``forwarded_allow_ips``.
        secure: ``secure_scheme_headers`` (UPPERCASE name -> the value that
            means https).
        scheme: the scheme before them.

    Each listed field present sets "https" when its value matches exactly,
    else "http".  Raises InvalidSchemeHeaders (400) when two disagree.
    """
    seen = None
    for name, value in headers:
        expected = secure.get(name)
        if expected is not None:
            new = "https" if value == expected else "http"
            if seen is not None and new != seen:
                raise InvalidSchemeHeaders()
            seen = scheme = new
    return scheme
