"""Iterators over the requests of one connection (blocking facade).

``RequestParser`` reads from a socket or an iterable and feeds the
connection's ``ServerConnection`` through its ``Request`` objects; the
connection decides where each request ends and whether another may follow.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Callable
from typing import Any

from .core.connection import DRAIN_LIMIT
from .message import Request
from .unreader import IterUnreader, SocketUnreader

__all__ = ["Parser", "RequestParser"]

_FIRST_DRAIN_STEP = 1024
_DRAIN_STEP = 65536
# Most unread body bytes discarded to reuse the connection: the connection's
# one drain policy (a client trickling data just fast enough to beat a
# deadline must not hold the worker for ever either).
_DRAIN_MAX_BYTES = DRAIN_LIMIT


class Parser:
    """Yield ``mesg_class`` objects read from *source*.

    *source* is a socket (anything with ``recv``) or an iterable of bytes;
    *source_addr* the peer address ((host, port) tuple, a UNIX path, or None,
    which counts as trusted).  Iteration stops (StopIteration) when the peer
    closes between requests or after a message that must close the
    connection.  The unread body of the previous request is drained first.
    """

    mesg_class: Any = None

    def __init__(self, cfg: Any, source: Any, source_addr: Any) -> None:
        self.cfg = cfg
        self.source_addr = source_addr
        # Sockets are read with recv(); anything else is an iterable of chunks.
        reader_class = SocketUnreader if hasattr(source, "recv") else IterUnreader
        self.unreader = reader_class(source)
        self.req_count = 0
        self.mesg: Any = None

    def __iter__(self) -> Parser:
        return self

    def finish_body(self, deadline: float | None = None, max_bytes: int | None = None) -> bool:
        """Read and discard what is left of the current request body.

        *deadline* is an absolute ``time.monotonic()`` time in seconds: reads
        on a socket source then time out when it passes.  At most
        *max_bytes* bytes (default: the connection's drain limit,
        ``gunicorn.http.core.connection.DRAIN_LIMIT``) are drained.  Returns
        True when the body was read to its end, False when draining was
        given up (deadline, byte cap, timeout, no data ready on a
        non-blocking TLS socket) or reading the body had failed: the
        connection must then close.
        """
        body = getattr(self.mesg, "body", None)
        if body is None:
            return True
        if _body_failed(body):
            return False
        budget = _DRAIN_MAX_BYTES if max_bytes is None else max_bytes
        if deadline is None:
            return _discard(body, budget, None)
        sock = _timeout_socket(self.unreader)
        if sock is None:
            return _discard(body, budget, None)
        saved_timeout = sock.gettimeout()
        try:
            return _discard(body, budget, lambda: _arm_timeout(sock, deadline))
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(saved_timeout)

    def __next__(self) -> Any:
        previous = self.mesg
        # After a message that must close the connection, or one whose body
        # could not be skipped, nobody knows where a next request would start.
        if previous is not None and (previous.should_close() or not self.finish_body()):
            raise StopIteration()
        self.req_count += 1
        current = self.mesg_class(self.cfg, self.unreader, self.source_addr, self.req_count)
        self.mesg = current
        if current:
            return current
        raise StopIteration()

    next = __next__


def _body_failed(body: Any) -> bool:
    return getattr(body, "failed", False) is True


def _timeout_socket(unreader: Any) -> Any:
    """The unreader's socket when per-read timeouts can be set on it, else None."""
    sock = getattr(unreader, "sock", None)
    if hasattr(sock, "gettimeout") and hasattr(sock, "settimeout"):
        return sock
    return None


def _arm_timeout(sock: Any, deadline: float) -> bool:
    """Let the next read wait only until *deadline*; False once it has passed."""
    left = deadline - time.monotonic()
    if left > 0:
        sock.settimeout(left)
    return left > 0


def _discard(body: Any, budget: float, before_read: Callable[[], bool] | None) -> bool:
    """Read *body* to its end, giving up after *budget* bytes or when
    *before_read* says no; True only when the end was reached cleanly."""
    # A small first read (most bodies are small or already consumed), then
    # large steps.
    size = _FIRST_DRAIN_STEP
    while before_read is None or before_read():
        try:
            chunk = body.read(size)
        except (ssl.SSLWantReadError, TimeoutError):
            # Too slow, or no data now on a non-blocking TLS socket: the
            # rest of the body is still in flight, so the stream is lost.
            return False
        if not chunk:
            return not _body_failed(body)
        budget -= len(chunk)
        if budget <= 0:
            return False
        size = _DRAIN_STEP
    return False


class RequestParser(Parser):
    """Parser of HTTP/1.x requests (``Request`` objects)."""

    mesg_class = Request
