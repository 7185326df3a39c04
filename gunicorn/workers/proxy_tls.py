"""A PROXY protocol prefix ahead of a TLS handshake.

A proxy that speaks the PROXY protocol to a TLS listener (HAProxy
``send-proxy``/``send-proxy-v2`` with ``ssl``) writes the header in clear,
then the TLS ClientHello (HAProxy proxy-protocol.txt, section 2: the header
starts the TCP connection).  The header must therefore be read from the raw
socket before the handshake, and not one byte past it: what follows belongs
to TLS.

``ProxyPrefixReader`` does one step at a time (peek, then consume exactly
what belongs to the header) so that a non-blocking loop (gthread, asyncio)
can drive it on readiness; ``read_proxy_prefix`` drives it on a blocking or
cooperative socket (sync, gevent, eventlet) within a deadline.

A refused header (peer not in ``proxy_allow_ips``: 403; malformed: 400)
cannot be answered over HTTP before the handshake, and an answer in clear
would not be understood by a TLS client: the connection is closed and the
reason logged (``log_refused``).
"""

from __future__ import annotations

import socket
import time
from typing import Any, Callable

from gunicorn.http.core import settings_for
from gunicorn.http.core.proxy import parse_proxy_prefix
from gunicorn.http.errors import (
    ForbiddenProxyRequest,
    InvalidProxyHeader,
    InvalidProxyLine,
    NoMoreData,
)

__all__ = ["ProxyPrefixReader", "prefix_before_tls", "read_proxy_prefix", "log_refused",
           "raw_recv"]

# one peek looks at this many bytes at most: a v1 line is at most 107 bytes,
# a v2 header 16 bytes plus its address block and TLVs
_PEEK_SIZE = 4096
# seconds allowed for the prefix when the worker has no timeout configured
_DEFAULT_TIMEOUT = 30.0


def prefix_before_tls(cfg: Any) -> bool:
    """True when connections of *cfg* are TLS and may start with a PROXY
    header (``--proxy-protocol`` other than off): the header is then read
    before the TLS handshake."""
    return bool(cfg.is_ssl) and settings_for(cfg).proxy_protocol != "off"


def raw_recv(sock: Any) -> Callable[..., bytes]:
    """``recv(bufsize, flags=0)`` on the descriptor under *sock*, bypassing
    an ``ssl.SSLSocket`` whose handshake has not started (its own ``recv``
    would go through TLS)."""
    return lambda size, flags=0: socket.socket.recv(sock, size, flags)


class ProxyPrefixReader:
    """Reads an optional PROXY v1/v2 header off a socket, never past its end.

    Args:
        settings: the ``ParserSettings`` (``proxy_protocol`` mode "v1", "v2"
            or "auto"; ``policy.proxy_allowed``).
        peer_addr: the socket peer ((host, port), a UNIX path or None).

    Attributes:
        info: once done, the ``proxy_protocol_info`` dict, or None when the
            connection did not start with a PROXY header.
    """

    __slots__ = ("mode", "allowed", "host", "buf", "info")

    def __init__(self, settings: Any, peer_addr: Any) -> None:
        self.mode: str = settings.proxy_protocol
        self.allowed: bool = settings.policy.proxy_allowed(peer_addr)
        self.host = peer_addr[0] if isinstance(peer_addr, tuple) else peer_addr
        self.buf = bytearray()
        self.info: dict[str, Any] | None = None

    def step(self, recv: Callable[..., bytes]) -> bool:
        """Look at what arrived and consume what belongs to the header.

        Args:
            recv: ``recv(bufsize, flags)`` of the raw socket; ``MSG_PEEK`` is
                passed to look without consuming.

        Returns True once decided (``info`` set), False when the header is
        still incomplete (call again when the socket is readable).  Raises
        what *recv* raises (BlockingIOError on a non-blocking socket with
        nothing to read, TimeoutError), NoMoreData when the peer closed
        before the header ended, ForbiddenProxyRequest (peer not allowed),
        InvalidProxyLine / InvalidProxyHeader (malformed header).
        """
        data = recv(_PEEK_SIZE, socket.MSG_PEEK)
        if not data:
            raise NoMoreData(bytes(self.buf))
        buf = self.buf
        seen = len(buf)
        found = parse_proxy_prefix(buf + data, self.mode, self.allowed, self.host)
        if found is None:
            # every byte seen so far is part of an unfinished header
            self._consume(recv, len(data))
            return False
        info, consumed = found
        if not consumed:
            if seen:
                # bytes consumed as the start of a header were none after all
                raise InvalidProxyLine(bytes(buf[:_PEEK_SIZE]).decode("latin-1"))
            return True  # no PROXY header: the TLS bytes stay unread
        self._consume(recv, consumed - seen)
        self.info = info
        return True

    def _consume(self, recv: Callable[..., bytes], count: int) -> None:
        # the bytes were peeked, so they are there to read
        while count > 0:
            chunk = recv(count)
            if not chunk:
                raise NoMoreData(bytes(self.buf))
            self.buf += chunk
            count -= len(chunk)


def read_proxy_prefix(sock: Any, settings: Any, peer_addr: Any,
                      timeout: float | None) -> dict[str, Any] | None:
    """Read the optional PROXY header of a blocking (or cooperative) socket.

    Args:
        sock: the accepted socket, before any TLS wrapping.
        settings: the ``ParserSettings``; peer_addr: the socket peer.
        timeout: seconds the whole header may take (None or 0: 30 s).

    Returns the ``proxy_protocol_info`` dict, or None without a header.
    Raises TimeoutError past the deadline and the errors of
    ``ProxyPrefixReader.step``.  The socket's timeout is restored.
    """
    reader = ProxyPrefixReader(settings, peer_addr)
    deadline = time.monotonic() + (timeout or _DEFAULT_TIMEOUT)
    saved = sock.gettimeout()
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("PROXY header not received in time")
            sock.settimeout(left)
            if reader.step(sock.recv):
                return reader.info
    finally:
        sock.settimeout(saved)


def log_refused(log: Any, exc: BaseException, peer_addr: Any) -> None:
    """Log why a TLS connection was closed while its PROXY header was read.

    A forbidden peer (403) or a malformed header (400) is logged at info
    level: no HTTP answer can precede the TLS handshake, so closing is the
    only answer.  A peer that went away or stayed silent is a debug line.
    """
    if isinstance(exc, ForbiddenProxyRequest):
        log.info("Closing TLS connection from %s: PROXY header from a peer not in "
                 "proxy_allow_ips (403)", peer_addr)
    elif isinstance(exc, (InvalidProxyLine, InvalidProxyHeader)):
        log.info("Closing TLS connection from %s: invalid PROXY header (400): %s",
                 peer_addr, exc)
    else:
        log.debug("Closing TLS connection from %s before the handshake: %r", peer_addr, exc)


def attach_to_parser(parser: Any, cfg: Any, peer_addr: Any, info: dict[str, Any] | None) -> None:
    """Give the header read before the handshake to the HTTP/1.x connection
    a blocking ``RequestParser`` will read through (made here, kept on its
    unreader), so that no second header is expected inside TLS.

    Args:
        parser: from ``gunicorn.http.get_parser`` (``unreader``, ``source_addr``).
        cfg: the Config; peer_addr: the socket peer, the object given to the parser.
        info: what ``read_proxy_prefix`` returned.
    """
    from gunicorn.http.message import connection_for

    connection_for(cfg, parser.unreader, peer_addr).proxy_prefix_read(info)
