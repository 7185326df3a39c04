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


class PPCommand(IntEnum):
    """PROXY v2 command (low nibble of byte 13)."""

    LOCAL = 0x0
    PROXY = 0x1


class PPFamily(IntEnum):
    """PROXY v2 address family (high nibble of byte 14)."""

    UNSPEC = 0x0
    INET = 0x1
    INET6 = 0x2
    UNIX = 0x3


class PPProtocol(IntEnum):
    """PROXY v2 transport protocol (low nibble of byte 14)."""

    UNSPEC = 0x0
    STREAM = 0x1
    DGRAM = 0x2


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
    if proto == "TCP4":
        family = socket.AF_INET
    elif proto == "TCP6":
        family = socket.AF_INET6
    else:
        raise InvalidProxyLine("protocol '%s' not supported" % proto)
    try:
        socket.inet_pton(family, src)
        socket.inet_pton(family, dst)
    except (OSError, ValueError):
        raise InvalidProxyLine(line)
    if DIGITS_RE.fullmatch(sport) is None or DIGITS_RE.fullmatch(dport) is None:
        raise InvalidProxyLine("invalid port %s" % line)
    s_port, d_port = int(sport), int(dport)
    if s_port > 65535 or d_port > 65535:
        raise InvalidProxyLine("invalid port %s" % line)
    return _info(proto, src, s_port, dst, d_port), end + 2


def _parse_v2(buf: bytes | bytearray) -> tuple[dict[str, Any], int] | None:
    if len(buf) < 16:
        return None
    ver_cmd = buf[12]
    fam_proto = buf[13]
    (length,) = struct.unpack(">H", bytes(buf[14:16]))
    version = ver_cmd >> 4
    if version != 2:
        raise InvalidProxyHeader("unsupported version %d" % version)
    command = ver_cmd & 0x0F
    if command not in (PPCommand.LOCAL, PPCommand.PROXY):
        raise InvalidProxyHeader("unsupported command %d" % command)
    total = 16 + length
    if len(buf) < total:
        return None
    if command == PPCommand.LOCAL:
        # health checks from the proxy itself carry no addresses
        return _info("LOCAL"), total
    family = fam_proto >> 4
    protocol = fam_proto & 0x0F
    if protocol != PPProtocol.STREAM:
        raise InvalidProxyHeader("only TCP protocol is supported")
    addr = bytes(buf[16:total])
    if family == PPFamily.INET:
        if length < 12:
            raise InvalidProxyHeader("insufficient address data for IPv4")
        src = socket.inet_ntop(socket.AF_INET, addr[0:4])
        dst = socket.inet_ntop(socket.AF_INET, addr[4:8])
        sport, dport = struct.unpack(">HH", addr[8:12])
        return _info("TCP4", src, sport, dst, dport), total
    if family == PPFamily.INET6:
        if length < 36:
            raise InvalidProxyHeader("insufficient address data for IPv6")
        src = socket.inet_ntop(socket.AF_INET6, addr[0:16])
        dst = socket.inet_ntop(socket.AF_INET6, addr[16:32])
        sport, dport = struct.unpack(">HH", addr[32:36])
        return _info("TCP6", src, sport, dst, dport), total
    if family == PPFamily.UNSPEC:
        return _info("UNSPEC"), total
    raise InvalidProxyHeader("unsupported address family %d" % family)
