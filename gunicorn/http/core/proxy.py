"""PROXY protocol prefix, versions 1 (text) and 2 (binary).

Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
``parse_proxy_prefix`` looks at the first bytes of a connection and returns
None while undecided, or ``(info, consumed)`` where ``info`` is the
``proxy_protocol_info`` dict (None when no PROXY header is present).
"""

from __future__ import annotations

import socket
import struct
from enum import IntEnum
from typing import Any

from ..errors import ForbiddenProxyRequest, InvalidProxyHeader, InvalidProxyLine
from .grammar import DIGITS_RE

__all__ = [
    "PP_V2_SIGNATURE",
    "PPCommand",
    "PPFamily",
    "PPProtocol",
    "parse_proxy_prefix",
]

PP_V2_SIGNATURE = b"\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"
_V1_PREFIX = b"PROXY "
# "PROXY TCP6 " + 2 * 39-char addresses + 2 * 5-digit ports + spaces + CRLF
_V1_MAX_LINE = 107
_V1_FAMILIES = {"TCP4": socket.AF_INET, "TCP6": socket.AF_INET6}


def _v2_field(name: str, doc: str, members: str) -> Any:
    """An IntEnum for one 4-bit field of the PROXY v2 header; *members* are
    listed in value order starting at 0."""
    field = IntEnum(name, [(member, value) for value, member in enumerate(members.split())],  # type: ignore[misc]
                    module=__name__)
    field.__doc__ = doc
    return field


# Field values from the HAProxy PROXY protocol specification, section 2.2.
PPCommand = _v2_field("PPCommand", "PROXY v2 command (low nibble of byte 13).",
                      "LOCAL PROXY")
PPFamily = _v2_field("PPFamily", "PROXY v2 address family (high nibble of byte 14).",
                     "UNSPEC INET INET6 UNIX")
PPProtocol = _v2_field("PPProtocol", "PROXY v2 transport protocol (low nibble of byte 14).",
                       "UNSPEC STREAM DGRAM")


def _info(proto: str, src: Any = None, sport: Any = None, dst: Any = None,
          dport: Any = None) -> dict[str, Any]:
    return {"proxy_protocol": proto, "client_addr": src, "client_port": sport,
            "proxy_addr": dst, "proxy_port": dport}


def parse_proxy_prefix(
    buf: bytes | bytearray, mode: str, allowed: bool, peer_host: Any = None
) -> tuple[dict[str, Any] | None, int] | None:
    """Detect and parse a PROXY header at the start of *buf*.

    *mode* is "v1", "v2" or "auto"; *allowed* says whether the peer is in
    ``proxy_allow_ips``.  Returns None when more bytes are needed, ``(None, 0)``
    when the connection does not start with a PROXY header, else
    ``(info, consumed_bytes)``.  Raises ForbiddenProxyRequest (403),
    InvalidProxyLine (v1) or InvalidProxyHeader (v2).
    """
    head = bytes(buf[:12])
    if mode in ("v2", "auto") and PP_V2_SIGNATURE.startswith(head):
        if len(head) < 12:
            return None
        if not allowed:
            raise ForbiddenProxyRequest(peer_host)
        return _parse_v2(buf)
    if mode in ("v1", "auto") and (
            _V1_PREFIX.startswith(head[:6]) and len(head) >= 1):
        if len(head) < 6:
            return None
        if not allowed:
            raise ForbiddenProxyRequest(peer_host)
        return _parse_v1(buf)
    return None, 0


def _parse_v1(buf: bytes | bytearray) -> tuple[dict[str, Any], int] | None:
    end = buf.find(b"\r\n")
    if end < 0:
        if len(buf) > _V1_MAX_LINE:
            raise InvalidProxyLine(bytes(buf[:_V1_MAX_LINE]).decode("latin-1"))
        return None
    line = bytes(buf[:end]).decode("latin-1")
    bits = line.split(" ")
    if len(bits) != 6:
        raise InvalidProxyLine(line)
    _, proto, src, dst, sport, dport = bits
    family = _V1_FAMILIES.get(proto)
    if family is None:
        raise InvalidProxyLine("protocol '%s' not supported" % proto)
    # Both addresses must be literal addresses of the announced family.
    try:
        for address in (src, dst):
            socket.inet_pton(family, address)
    except (OSError, ValueError):
        raise InvalidProxyLine(line) from None
    if DIGITS_RE.fullmatch(sport) is None or DIGITS_RE.fullmatch(dport) is None:
        raise InvalidProxyLine("invalid port %s" % line)
    s_port, d_port = int(sport), int(dport)
    if s_port > 65535 or d_port > 65535:
        raise InvalidProxyLine("invalid port %s" % line)
    return _info(proto, src, s_port, dst, d_port), end + 2


# Address block layouts of the TCP families: label, socket family, address
# size in bytes and name for errors.  The block holds the source address,
# the destination address, then both ports (16 bits each, network order).
_V2_TCP_LAYOUTS: dict[int, tuple[str, int, int, str]] = {
    PPFamily.INET: ("TCP4", socket.AF_INET, 4, "IPv4"),
    PPFamily.INET6: ("TCP6", socket.AF_INET6, 16, "IPv6"),
}


def _parse_v2(buf: bytes | bytearray) -> tuple[dict[str, Any], int] | None:
    if len(buf) < 16:
        return None
    # Bytes 12-15: version/command, family/protocol, address block length.
    ver_cmd, fam_proto, length = struct.unpack_from(">BBH", buf, 12)
    version, command = divmod(ver_cmd, 16)
    if version != 2:
        raise InvalidProxyHeader("unsupported version %d" % version)
    if command > PPCommand.PROXY:
        raise InvalidProxyHeader("unsupported command %d" % command)
    end = 16 + length
    if len(buf) < end:
        return None
    if command == PPCommand.LOCAL:
        # health checks from the proxy itself carry no addresses
        return _info("LOCAL"), end
    family, protocol = divmod(fam_proto, 16)
    if protocol != PPProtocol.STREAM:
        raise InvalidProxyHeader("only TCP protocol is supported")
    if family == PPFamily.UNSPEC:
        return _info("UNSPEC"), end
    layout = _V2_TCP_LAYOUTS.get(family)
    if layout is None:
        raise InvalidProxyHeader("unsupported address family %d" % family)
    label, address_family, size, family_name = layout
    needed = 2 * size + 4
    if length < needed:
        raise InvalidProxyHeader("insufficient address data for %s" % family_name)
    block = bytes(buf[16:16 + needed])
    src = socket.inet_ntop(address_family, block[:size])
    dst = socket.inet_ntop(address_family, block[size:2 * size])
    sport, dport = struct.unpack_from(">HH", block, 2 * size)
    return _info(label, src, sport, dst, dport), end
