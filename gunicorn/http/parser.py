"""Iterators over the requests of one connection (blocking facade)."""

from __future__ import annotations

import ssl
from typing import Any

from .message import Request
from .unreader import IterUnreader, SocketUnreader

__all__ = ["Parser", "RequestParser"]

_DRAIN_STEP = 65536


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

    def finish_body(self) -> None:
        """Read and discard what is left of the previous request body."""
        body = self.mesg.body
        while True:
            try:
                if not body.read(_DRAIN_STEP):
                    return
            except ssl.SSLWantReadError:
                continue

    def __next__(self) -> Any:
        mesg = self.mesg
        if mesg is not None:
            if mesg.should_close():
                raise StopIteration()
            self.finish_body()
        self.req_count += 1
        self.mesg = self.mesg_class(self.cfg, self.unreader, self.source_addr, self.req_count)
        if not self.mesg:
            raise StopIteration()
        return self.mesg

    next = __next__


class RequestParser(Parser):
    """Parser of HTTP/1.x requests (``Request`` objects)."""

    mesg_class = Request
