"""Socket policy every worker shares: listeners, accept() errors, and what an
exception that ended a connection means.

One table each, so the sync and gthread workers (and later ones) cannot
disagree on whether a client that went away is worth more than a debug line.
``Worker`` (``gunicorn.workers.base``) wraps these with its logger.
"""

from __future__ import annotations

import errno
import socket
import ssl
import sys
from typing import Any, Callable

from gunicorn import sock as sock_mod
from gunicorn.http.errors import NoMoreData

__all__ = [
    "ACCEPT_BACKOFF", "ACCEPT_EXHAUSTED", "ACCEPT_SKIP", "PEER_GONE", "Listener",
    "disconnect_reason", "is_client_disconnect", "is_tls_eof", "peer_ip", "prepare_listener",
]

# errno values that only mean the client went away (or stalled past the socket
# timeout): send(2)/recv(2) on a peer that reset or closed, EAGAIN from a
# SO_RCVTIMEO/SO_SNDTIMEO expiry on a blocking socket
PEER_GONE = frozenset((
    errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ECONNABORTED, errno.ESHUTDOWN,
    errno.EAGAIN, errno.ETIMEDOUT,
))

# accept(2) errors that concern only the connection being accepted (it was
# reset while queued): go on with the next one
ACCEPT_SKIP = frozenset((errno.ECONNABORTED, errno.EPROTO))
# accept(2) errors meaning the process or system is out of descriptors or
# memory: the listener stays readable, so accepting again at once would spin
ACCEPT_EXHAUSTED = frozenset((errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM))
# seconds accepting pauses after an ACCEPT_EXHAUSTED error
ACCEPT_BACKOFF = 0.5

# ssl.SSLError.reason when OpenSSL 3 saw the TCP stream end without close_notify
_UNEXPECTED_EOF = "UNEXPECTED_EOF_WHILE_READING"


def is_tls_eof(exc: BaseException) -> bool:
    """True for a TLS error that only means the peer closed the transport.

    Covers ``SSLEOFError`` (no close_notify, RFC 8446 section 6.1),
    ``SSLZeroReturnError`` (close_notify received), and an ``SSLError``
    whose code is ``SSL_ERROR_EOF`` or whose reason is OpenSSL 3's
    ``UNEXPECTED_EOF_WHILE_READING``.
    """
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return True
    if not isinstance(exc, ssl.SSLError):
        return False
    return bool(exc.args and exc.args[0] == ssl.SSL_ERROR_EOF) or (
        getattr(exc, "reason", None) == _UNEXPECTED_EOF)


def disconnect_reason(exc: BaseException) -> str | None:
    """Why ``exc`` is a quiet end of a connection, or None when it is not.

    Quiet (worth a debug line, never an error page): the client closed before
    sending a request (StopIteration from a parser), closed mid-request
    (``NoMoreData``), closed the TLS session with or without close_notify,
    let a blocking TLS read or write time out (``SSLWantReadError`` /
    ``SSLWantWriteError`` after SO_RCVTIMEO/SO_SNDTIMEO), let a socket time
    out (``TimeoutError``), or reset/closed the TCP connection (errno in
    ``PEER_GONE``). Any other ``SSLError`` (bad handshake, protocol
    violation) and every other exception are not quiet: the worker answers
    them through ``Worker.handle_error``.

    Returns:
        A short phrase for the log line, e.g. "ssl connection closed".
    """
    if isinstance(exc, ssl.SSLError):
        # checked first: an SSLError's errno is an SSL_ERROR_* code that
        # must not be read as a POSIX errno
        if is_tls_eof(exc):
            return "ssl connection closed"
        if isinstance(exc, (ssl.SSLWantReadError, ssl.SSLWantWriteError)):
            return "TLS connection timed out"
        return None
    if isinstance(exc, NoMoreData):
        return "Ignored premature client disconnection"
    if isinstance(exc, StopIteration):
        return "Connection closed before a request"
    if isinstance(exc, TimeoutError):  # socket.timeout is the same class
        return "Socket timeout"
    if isinstance(exc, OSError) and exc.errno in PEER_GONE:
        return "Ignoring connection error"
    return None


def peer_ip(addr: Any) -> str:
    """The host part of a peer address for log lines: ``("1.2.3.4", 5)`` ->
    ``"1.2.3.4"``; a unix socket path as is; "" when unknown."""
    if isinstance(addr, tuple) and addr:
        return str(addr[0])
    return str(addr) if addr else ""


def is_client_disconnect(exc: BaseException) -> bool:
    """True when ``exc``, raised by a read or write on a client socket (or by
    a body reader over one), only means the client went away: the quiet
    cases of :func:`disconnect_reason` other than "no request at all"."""
    return not isinstance(exc, StopIteration) and disconnect_reason(exc) is not None


class Listener:
    """What a worker keeps about one listening socket.

    Attributes:
        sock: the listener (a ``gunicorn.sock.BaseSocket`` or a socket), non-blocking.
        fd: its file descriptor.
        server: its address from ``getsockname()`` (tuple or path), or None.
        accept: ``accept() -> (client socket, peer address)``, see
            ``gunicorn.sock.fast_acceptor``; raises BlockingIOError when
            nothing waits.
        nodelay: True when accepted sockets need TCP_NODELAY set one by one
            (a TCP listener whose setting the kernel does not copy to them).
    """

    __slots__ = ("sock", "fd", "server", "accept", "nodelay")

    def __init__(self, sock: Any, fd: int, server: Any,
                 accept: Callable[[], tuple[socket.socket, Any]], nodelay: bool) -> None:
        self.sock, self.fd, self.server = sock, fd, server
        self.accept, self.nodelay = accept, nodelay

    def __repr__(self) -> str:
        return "<Listener fd=%s %r>" % (self.fd, self.server)


def _inherits_nodelay(listener: Any) -> bool:
    """True when sockets accepted from ``listener`` already have TCP_NODELAY.

    Linux copies the listener's TCP options to accepted sockets (tcp(7)), and
    ``TCPSocket`` sets TCP_NODELAY on the listener; elsewhere, or when the
    option cannot be read, a worker sets it on each connection itself.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    except (OSError, AttributeError):
        return False


def prepare_listener(listener: Any) -> Listener:
    """Make ``listener`` non-blocking and read once what every accept needs.

    Raises OSError when the descriptor cannot be made non-blocking.
    """
    listener.setblocking(False)
    try:
        server = listener.getsockname()
    except OSError:
        server = None
    is_tcp = getattr(listener, "family", None) in (socket.AF_INET, socket.AF_INET6)
    nodelay = is_tcp and not _inherits_nodelay(listener)
    return Listener(listener, listener.fileno(), server, sock_mod.fast_acceptor(listener), nodelay)
