"""The request side of one HTTP/1.1 connection as an event state machine.

Modelled on h11: feed bytes with ``receive_data`` (b"" means the peer closed),
then call ``next_event`` until it returns ``NEED_DATA`` or ``PAUSED``.
Events, in order for each request: a ``RequestHead``, zero or more ``Data``,
one ``EndOfMessage``.  After EndOfMessage the reader is ``PAUSED`` until the
driver calls ``start_next_request()`` (once the response is complete and the
connection is kept alive).  ``CLOSED`` means the peer closed cleanly between
requests.  Protocol violations raise the errors of ``gunicorn.http.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import NoMoreData
from .chunked import ChunkedDecoder
from .head import HeadParser, RequestHead
from .proxy import parse_proxy_prefix
from .settings import ParserSettings

__all__ = ["RequestReader", "Data", "EndOfMessage", "NEED_DATA", "PAUSED", "CLOSED"]


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NEED_DATA = _Sentinel("NEED_DATA")
PAUSED = _Sentinel("PAUSED")
CLOSED = _Sentinel("CLOSED")


@dataclass(frozen=True)
class Data:
    """A piece of the request body (decoded when chunked)."""

    data: bytes


@dataclass(frozen=True)
class EndOfMessage:
    """The request body is complete; *trailers* as (UPPERCASE name, value) pairs."""

    trailers: list[tuple[str, str]] = field(default_factory=list)


_PROXY, _HEAD, _LENGTH, _CHUNKED, _END, _PAUSED = range(6)


class RequestReader:
    """Sans-IO reader of the requests on one connection.

    *settings* come from ``ParserSettings(cfg)`` (build once per worker and
    share); *peer_addr* is the socket peer ((host, port), a UNIX path or None).
    Attributes: ``proxy_protocol_info`` (dict or None), ``req_number``
    (1-based count of heads returned), ``head`` (the current RequestHead).
    """

    def __init__(self, settings: ParserSettings, peer_addr: Any = None) -> None:
        self.settings = settings
        self.peer_addr = peer_addr
        policy = settings.policy
        self._head_parser = HeadParser(settings, policy.forwarded_trusted(peer_addr))
        self._buf = bytearray()
        self._eof = False
        self._state = _PROXY if settings.proxy_protocol != "off" else _HEAD
        self._remaining = 0
        self._decoder: ChunkedDecoder | None = None
        self.proxy_protocol_info: dict[str, Any] | None = None
        self.req_number = 0
        self.head: RequestHead | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet consumed (use it to pause reading)."""
        return len(self._buf)

    def receive_data(self, data: bytes) -> None:
        """Add bytes from the peer; b"" records end of input."""
        if data:
            self._buf += data
        else:
            self._eof = True

    def start_next_request(self) -> None:
        """Leave PAUSED after a complete request to read the next head."""
        if self._state == _PAUSED:
            self._state = _HEAD
            self._head_parser.reset()

    def next_event(self) -> Any:
        """Return the next event, NEED_DATA, PAUSED or CLOSED (see module doc)."""
        state = self._state
        buf = self._buf
        if state == _HEAD:
            head = self._head_parser.parse(buf) if buf else None
            if head is None:
                if self._eof:
                    if not buf:
                        return CLOSED
                    raise NoMoreData(bytes(buf))
                return NEED_DATA
            del buf[:head.end]
            self.req_number += 1
            self.head = head
            if head.chunked:
                self._decoder = ChunkedDecoder(self.settings)
                self._state = _CHUNKED
            elif head.content_length:
                self._remaining = head.content_length
                self._state = _LENGTH
            else:
                self._state = _END
            return head
        if state == _LENGTH:
            if buf:
                take = min(self._remaining, len(buf))
                data = bytes(buf[:take])
                del buf[:take]
                self._remaining -= take
                if not self._remaining:
                    self._state = _END
                return Data(data)
            if self._eof:
                raise NoMoreData(b"")
            return NEED_DATA
        if state == _CHUNKED:
            decoder = self._decoder
            assert decoder is not None
            if buf:
                data = decoder.feed(bytes(buf))
                buf.clear()
                if decoder.done:
                    buf += decoder.unused
                    self._state = _END
                if data:
                    return Data(data)
                if decoder.done:
                    return self.next_event()
            if self._eof:
                decoder.eof()
            return NEED_DATA
        if state == _END:
            self._state = _PAUSED
            trailers = self._decoder.trailers if self._decoder is not None else None
            self._decoder = None
            return EndOfMessage(trailers or [])
        if state == _PAUSED:
            return PAUSED
        # _PROXY: only before the first request
        policy = self.settings.policy
        peer = self.peer_addr
        host = peer[0] if isinstance(peer, tuple) else peer
        result = parse_proxy_prefix(buf, self.settings.proxy_protocol,
                                    policy.proxy_allowed(peer), host) if buf else None
        if result is None:
            if self._eof:
                if not buf:
                    return CLOSED
                raise NoMoreData(bytes(buf))
            return NEED_DATA
        info, consumed = result
        self.proxy_protocol_info = info
        del buf[:consumed]
        self._state = _HEAD
        return self.next_event()
