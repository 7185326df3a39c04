"""Iterators over the requests of one connection (blocking facade)."""

from __future__ import annotations

import ssl
import time
from typing import Any

from .message import Request
from .unreader import IterUnreader, SocketUnreader

__all__ = ["Parser", "RequestParser"]

_FIRST_DRAIN_STEP = 1024
_DRAIN_STEP = 65536
# Most body bytes drained under a deadline: a client trickling data just fast
# enough to beat the deadline must not hold the worker for ever.
_DRAIN_MAX_BYTES = 64 * 1024


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
        if hasattr(source, "recv"):
            self.unreader = SocketUnreader(source)
        else:
            self.unreader = IterUnreader(source)
        self.mesg: Any = None
        self.source_addr = source_addr
        self.req_count = 0

    def __iter__(self) -> Parser:
        return self

    def finish_body(self, deadline: float | None = None, max_bytes: int | None = None) -> bool:
        """Read and discard what is left of the current request body.

        *deadline* is an absolute ``time.monotonic()`` time in seconds: reads
        on a socket source then time out when it passes, and at most
        *max_bytes* bytes (default ``_DRAIN_MAX_BYTES``, only under a
        deadline) are drained.  Returns True when the body was read to its
        end, False when draining was given up (deadline, byte cap, timeout,
        no data ready on a non-blocking TLS socket) or reading the body had
        failed: the connection must then close.
        """
        mesg = self.mesg
        if mesg is None:
            return True
        body = getattr(mesg, "body", None)
        if body is None:
            return True
        if getattr(body, "failed", False) is True:
            return False
        if deadline is not None and max_bytes is None:
            max_bytes = _DRAIN_MAX_BYTES
        sock = getattr(self.unreader, "sock", None) if deadline is not None else None
        if sock is not None and not (hasattr(sock, "gettimeout") and hasattr(sock, "settimeout")):
            sock = None
        prior_timeout = sock.gettimeout() if sock is not None else None
        drained = 0
        # a small first read (most bodies are small or already consumed),
        # then large steps
        step = _FIRST_DRAIN_STEP
        try:
            while True:
                if sock is not None:
                    left = deadline - time.monotonic()  # type: ignore[operator]
                    if left <= 0:
                        return False
                    sock.settimeout(left)
                try:
                    data = body.read(step)
                except (ssl.SSLWantReadError, TimeoutError):
                    # no more data now (non-blocking TLS) or too slow: where
                    # the next request starts is unknown, so give up
                    return False
                if not data:
                    return getattr(body, "failed", False) is not True
                step = _DRAIN_STEP
                drained += len(data)
                if max_bytes is not None and drained >= max_bytes:
                    return False
        finally:
            if sock is not None:
                try:
                    sock.settimeout(prior_timeout)
                except OSError:
                    pass

    def __next__(self) -> Any:
        mesg = self.mesg
        if mesg is not None:
            if mesg.should_close():
                raise StopIteration()
            if not self.finish_body():
                # the next request's start is unknown
                raise StopIteration()
        self.req_count += 1
        self.mesg = self.mesg_class(self.cfg, self.unreader, self.source_addr, self.req_count)
        if not self.mesg:
            raise StopIteration()
        return self.mesg

    next = __next__


class RequestParser(Parser):
    """Parser of HTTP/1.x requests (``Request`` objects)."""

    mesg_class = Request
