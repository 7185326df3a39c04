"""WebSocket (RFC 6455) for the ASGI worker, through ``wsproto``.

``WebSocketSession`` holds every ASGI WebSocket rule (ASGI WebSocket spec
2.4), whatever carries the frames: ``websocket.connect`` first;
``websocket.accept`` opens the WebSocket with the chosen subprotocol;
``websocket.close`` before accepting refuses the handshake with 403; the
``websocket.http.response`` extension (``websocket.http.response.start`` /
``.body`` before accepting) refuses it with the application's own HTTP
response.  After the handshake every frame goes through a ``wsproto``
frame-layer ``Connection``: masking, fragments, UTF-8 checks, ping/pong,
permessage-deflate (RFC 7692, when the client offers it) and the closing
handshake are its rules.  Messages larger than ``websocket_max_message_size``
close the WebSocket with 1009 (RFC 6455 section 7.4.1).

Two transports subclass it: ``gunicorn.asgi.websocket_h1.WebSocketCycle``
(HTTP/1.1 ``Upgrade``, RFC 6455 section 4: ``101 Switching Protocols``, then
the connection's bytes) and ``gunicorn.asgi.websocket_h2.HTTP2WebSocketCycle`` (extended
CONNECT on one HTTP/2 stream, RFC 8441).  A transport provides the hooks
listed in ``WebSocketSession``; it never decides what a message means.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import deque
from datetime import datetime
from typing import Any

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    TextMessage,
)
from wsproto.extensions import Extension, PerMessageDeflate
from wsproto.frame_protocol import CloseReason
from wsproto.handshake import server_extensions_handshake

from .cycle import ASGICycle
from .scope import ASGIResponseInfo, check_response_headers, response_start

__all__ = ["websocket_scope", "negotiate_extensions", "WebSocketSession", "WEBSOCKET_EXTENSIONS",
           "BoundedPerMessageDeflate"]

#: received messages queued before reading from the client pauses
QUEUE_HIGH = 16
#: seconds to wait for the client's close frame after ours
CLOSE_TIMEOUT = 5.0

#: the server extensions a ``websocket`` scope offers (ASGI WebSocket spec:
#: the denial response extension)
WEBSOCKET_EXTENSIONS: dict[str, dict[str, Any]] = {"websocket.http.response": {}}


def websocket_scope(http_scope: dict[str, Any]) -> dict[str, Any]:
    """The ``websocket`` scope made from the request's ``http`` scope:
    scheme ws/wss, ``subprotocols`` from Sec-WebSocket-Protocol, the
    ``websocket.http.response`` extension offered."""
    scope = dict(http_scope)
    scope["type"] = "websocket"
    scope["scheme"] = "wss" if http_scope["scheme"] == "https" else "ws"
    scope.pop("method", None)
    protocols: list[str] = []
    for name, value in http_scope["headers"]:
        if name == b"sec-websocket-protocol":
            protocols += [p.strip() for p in value.decode("latin-1").split(",") if p.strip()]
    scope["subprotocols"] = protocols
    scope["extensions"] = WEBSOCKET_EXTENSIONS
    return scope


class BoundedPerMessageDeflate(PerMessageDeflate):
    """permessage-deflate (RFC 7692) that never inflates more than
    *max_size* octets of one message.

    Args:
        max_size: the largest inflated message in octets
            (``websocket_max_message_size``); 0 means no bound.

    wsproto's ``PerMessageDeflate`` inflates whatever compressed octets a
    read delivered in one ``zlib`` call, so a few hundred octets of a
    "deflate bomb" would become megabytes before the message size could be
    checked.  Here each call asks zlib for at most the rest of the budget
    plus one octet; getting more than the budget fails the WebSocket with
    1009 "message too big" (RFC 6455 section 7.4.1) through wsproto's
    extension error path, before the rest is ever inflated.
    """

    def __init__(self, max_size: int = 0) -> None:
        super().__init__()
        self.max_size = max_size
        self._inflated = 0  # octets of the current message inflated so far

    def frame_inbound_payload_data(self, proto: Any, data: bytes) -> bytes | CloseReason:
        max_size = self.max_size
        if not max_size or not self._inbound_compressed or not self._inbound_is_compressible:
            return super().frame_inbound_payload_data(proto, data)
        decompressor = self._decompressor
        assert decompressor is not None
        budget = max_size - self._inflated
        try:
            # max_length 0 would mean "no limit": budget + 1 is at least 1
            out = decompressor.decompress(data, budget + 1)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        if len(out) > budget:
            return CloseReason.MESSAGE_TOO_BIG
        self._inflated += len(out)
        return out

    def frame_inbound_complete(self, proto: Any, fin: bool) -> bytes | CloseReason | None:
        max_size = self.max_size
        if (not max_size or not fin or not self._inbound_compressed
                or not self._inbound_is_compressible):
            if fin:
                self._inflated = 0
            return super().frame_inbound_complete(proto, fin)
        decompressor = self._decompressor
        assert decompressor is not None
        budget = max_size - self._inflated
        self._inflated = 0
        try:
            # the empty stored block the sender removed (RFC 7692 section 7.2.2)
            out = decompressor.decompress(b"\x00\x00\xff\xff", budget + 1)
            if len(out) > budget or decompressor.unconsumed_tail:
                return CloseReason.MESSAGE_TOO_BIG
            out += decompressor.flush()
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        if len(out) > budget:
            return CloseReason.MESSAGE_TOO_BIG
        takeover_off = (self.server_no_context_takeover if proto.client
                        else self.client_no_context_takeover)
        if takeover_off:
            self._decompressor = None
        self._inbound_compressed = None
        return out


def negotiate_extensions(headers: list[tuple[bytes, bytes]],
                         max_size: int = 0) -> tuple[list[Extension], str | None]:
    """The WebSocket extensions to use and the ``Sec-WebSocket-Extensions``
    response value (None: none agreed), from the offers of the request's
    ``sec-websocket-extensions`` fields (RFC 6455 section 9.1).  Only
    permessage-deflate (RFC 7692) is supported; wsproto checks its
    parameters and leaves out an offer it cannot honour.  *max_size* (octets,
    0: no bound) caps what one compressed message may inflate to
    (``BoundedPerMessageDeflate``)."""
    offers: list[str] = []
    for name, value in headers:
        if name == b"sec-websocket-extensions":
            offers += [o.strip() for o in value.decode("latin-1").split(",") if o.strip()]
    if not offers:
        return [], None
    deflate = BoundedPerMessageDeflate(max_size)
    agreed = server_extensions_handshake(offers, [deflate])
    if agreed is None:
        return [], None
    return [deflate], agreed.decode("ascii")


class WebSocketSession(ASGICycle):
    """The ASGI side of one WebSocket, shared by its transports.

    Args:
        proto: the connection's protocol object (``worker``, ``peer``,
            ``cycle_done``).
        head: the opening request (``RequestHead`` or ``HTTP2Request``).
        scope: the ``websocket`` scope.

    A transport subclass implements: ``_transmit(data)`` (queue frame
    octets, never waits), ``_drain()`` (wait while the peer is behind),
    ``_pause_input()`` / ``_want_input()`` (stop / resume reading frames),
    ``_send_accept(headers)`` (the handshake's success response; returns
    octets already received after it, for wsproto), ``_send_response_head
    (status, headers, end)`` and ``_send_response_body(body, end)`` (an
    HTTP response refusing the handshake; *end* ends it and the exchange),
    ``_abort_response()`` (such a response cannot be completed),
    ``_end_transport()`` (the closing handshake is over or the peer left:
    end the byte stream), ``_close_later()`` (our close frame went out: end
    the byte stream if the peer does not answer in ``CLOSE_TIMEOUT``
    seconds), ``_accept_headers(subprotocol)`` (the handshake fields the
    transport adds) and ``_settle()`` (awaited after the application
    returned, before the access log).
    """

    def __init__(self, proto: Any, head: Any, scope: dict[str, Any]) -> None:
        self.proto = proto
        self.head = head
        self.scope = scope
        self.resp = ASGIResponseInfo()
        self.complete = False
        self.disconnected = False
        self.task: asyncio.Task[Any] | None = None
        self.accepted = False
        self.closed = False  # a close frame or a refusal went out
        self.ws: Connection | None = None
        self.max_size = int(getattr(proto.worker.cfg, "websocket_max_message_size", 0) or 0)
        self._inbox: deque[dict[str, Any]] = deque([{"type": "websocket.connect"}])
        self._wake = asyncio.Event()
        self._parts: list[Any] = []
        self._size = 0
        self._close_code = 1006
        self._gone = False  # websocket.disconnect queued
        # websocket.http.response: the recorded start, whether its head went out
        self._deny: tuple[int, list[tuple[str, str]]] | None = None
        self._deny_sent = False

    # -- frames from the peer ------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Octets of the WebSocket byte stream from the client (after the handshake)."""
        ws = self.ws
        if ws is None:
            return
        ws.receive_data(data)
        self._process()

    def lost(self) -> None:
        """The transport is gone: ``websocket.disconnect`` (1006 unless a
        close frame said otherwise)."""
        self._disconnect(self._close_code, "")

    def wake(self) -> None:
        self._wake.set()

    def _disconnect(self, code: int, reason: str) -> None:
        self.disconnected = True
        if not self._gone:
            self._gone = True
            self._push({"type": "websocket.disconnect", "code": code, "reason": reason})

    def _push(self, message: dict[str, Any]) -> None:
        self._inbox.append(message)
        self._wake.set()
        if len(self._inbox) > QUEUE_HIGH:
            self._pause_input()

    def _process(self) -> None:
        ws = self.ws
        assert ws is not None
        for event in ws.events():
            if isinstance(event, Message):
                self._size += len(event.data)
                if self.max_size and self._size > self.max_size:
                    self._send_close(1009, "message too big")
                    self._disconnect(1009, "")
                    return
                self._parts.append(event.data)
                if event.message_finished:
                    data = self._parts[0] if len(self._parts) == 1 else \
                        ("" if isinstance(event, TextMessage) else b"").join(self._parts)
                    self._parts = []
                    self._size = 0
                    key = "text" if isinstance(event, TextMessage) else "bytes"
                    self._push({"type": "websocket.receive", key: data})
            elif isinstance(event, Ping):
                self._transmit(ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                self._close_code = event.code
                if ws.state is ConnectionState.REMOTE_CLOSING:
                    self._transmit(ws.send(event.response()))
                elif ws.state is ConnectionState.OPEN:
                    # wsproto failed the connection itself (a framing error,
                    # 1002/1007, or a compressed message over the limit,
                    # 1009): tell the peer why before closing (RFC 6455
                    # section 7.1.7)
                    reason = "message too big" if event.code == 1009 else ""
                    self._transmit(ws.send(CloseConnection(code=event.code, reason=reason)))
                self.closed = True
                self._disconnect(event.code, event.reason or "")
                self._end_transport()
                return

    # -- the application's side ---------------------------------------------

    async def receive(self) -> dict[str, Any]:
        """``websocket.connect``, then ``websocket.receive`` {text|bytes} and
        finally ``websocket.disconnect`` {code, reason}."""
        while not self._inbox:
            self._wake.clear()
            await self._wake.wait()
        message = self._inbox.popleft()
        if len(self._inbox) <= QUEUE_HIGH // 2:
            self._want_input()
        if message["type"] == "websocket.disconnect":
            # keep answering disconnect if asked again
            self._inbox.appendleft(message)
        return message

    async def send(self, message: dict[str, Any]) -> None:
        """``websocket.accept`` {subprotocol, headers}, ``websocket.send``
        {text|bytes}, ``websocket.close`` {code, reason} and, before
        accepting, ``websocket.http.response.start`` {status, headers} and
        ``websocket.http.response.body`` {body, more_body}.  Raises
        RuntimeError for a message out of order, ValueError for an unknown
        type or a bad status, ``InvalidHeader``/``InvalidHeaderName`` for a
        bad field; after a disconnect messages are dropped."""
        kind = message["type"]
        if kind == "websocket.send":
            if not self.accepted:
                raise RuntimeError("websocket.send before websocket.accept")
            if self.disconnected or self.closed:
                return
            text = message.get("text")
            event = TextMessage(data=text) if text is not None else \
                BytesMessage(data=message.get("bytes") or b"")
            assert self.ws is not None
            self._transmit(self.ws.send(event))
            await self._drain()
        elif kind == "websocket.accept":
            if self.accepted or self.closed or self._deny is not None:
                raise RuntimeError("websocket.accept not allowed now")
            await self._accept(message)
        elif kind == "websocket.close":
            if self._deny is not None and not self.accepted:
                raise RuntimeError("websocket.close after websocket.http.response.start")
            if not self.accepted:
                await self._reject(403)
                return
            self._send_close(int(message.get("code", 1000)), message.get("reason") or "")
        elif kind == "websocket.http.response.start":
            if self.accepted or self.closed or self._deny is not None:
                raise RuntimeError("websocket.http.response.start not allowed now")
            status, headers, _trailers = response_start(message)
            self._deny = (status, headers)
            self.resp.status = status
            self.resp.headers = headers
        elif kind == "websocket.http.response.body":
            if self._deny is None or self.complete:
                raise RuntimeError("websocket.http.response.body not allowed now")
            await self._deny_body(message.get("body", b""), bool(message.get("more_body", False)))
        else:
            raise ValueError("unknown ASGI message type %r" % (kind,))

    async def _accept(self, message: dict[str, Any]) -> None:
        if self.disconnected:
            return
        extensions, agreed = negotiate_extensions(self.scope["headers"], self.max_size)
        headers = self._accept_headers()
        subprotocol = message.get("subprotocol")
        if subprotocol:
            headers.append(("Sec-WebSocket-Protocol", subprotocol))
        if agreed:
            headers.append(("Sec-WebSocket-Extensions", agreed))
        headers += check_response_headers(message.get("headers", ()))
        self.resp.headers = headers
        self.accepted = True
        self.complete = True
        trailing = await self._send_accept(headers)
        self.ws = Connection(ConnectionType.SERVER, extensions=extensions, trailing_data=trailing)
        if trailing:
            self._process()

    async def _deny_body(self, body: bytes, more: bool) -> None:
        """One ``websocket.http.response.body``: the refusal's head with the
        first one, the content, and the end of the exchange without *more*."""
        assert self._deny is not None
        if not more:
            self.complete = True
            self.closed = True
        if self.disconnected:
            return
        if not self._deny_sent:
            self._deny_sent = True
            status, headers = self._deny
            await self._send_response_head(status, headers, not more and not body)
            if not more and not body:
                self._disconnect(1006, "")
                return
        self.resp.sent += len(body)
        await self._send_response_body(body, not more)
        if not more:
            self._disconnect(1006, "")

    async def _reject(self, status: int) -> None:
        """Refuse the handshake with an empty *status* response (RFC 6455 4.2.2)."""
        if self.complete or self.disconnected:
            return
        self.resp.status = status
        self.resp.headers = []
        self.complete = True
        self.closed = True
        await self._send_response_head(status, [("Content-Length", "0")], True)
        self._disconnect(1006, "")

    def _send_close(self, code: int, reason: str) -> None:
        ws = self.ws
        if self.closed or ws is None or self.disconnected:
            return
        self.closed = True
        if ws.state is ConnectionState.OPEN:
            self._transmit(ws.send(CloseConnection(code=code, reason=reason)))
        # the client answers with its close frame; do not wait for ever
        self._close_later()

    async def _abandon(self) -> None:
        if self.accepted:
            self._send_close(1011, "")
        elif self._deny_sent:
            self._abort_response()
        else:
            await self._reject(500)

    async def run(self, app: Any) -> None:
        """Run *app*; on return the WebSocket closes (1000 after accept,
        403 without it), on failure 500 or close code 1011."""
        worker = self.proto.worker
        started_at = datetime.now()
        try:
            await app(self.scope, self.receive, self.send)
        except BaseException as exc:
            if not (isinstance(exc, asyncio.CancelledError) and self.disconnected):
                worker.log.exception("Error handling websocket %s", self.head.uri)
            await self._abandon()
            if not isinstance(exc, Exception):
                raise
        else:
            if self.accepted:
                self._send_close(1000, "")
            elif self._deny is not None and not self.complete:
                worker.log.error("ASGI application returned without completing its "
                                 "websocket.http.response to %s", self.head.uri)
                await self._abandon()
            else:
                await self._reject(403)
        finally:
            try:
                await self._settle()
            finally:
                self._finish(started_at)

    # -- transport hooks -------------------------------------------------------

    def _transmit(self, data: bytes) -> None:
        raise NotImplementedError

    async def _drain(self) -> None:
        raise NotImplementedError

    def _pause_input(self) -> None:
        raise NotImplementedError

    def _want_input(self) -> None:
        raise NotImplementedError

    def _accept_headers(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    async def _send_accept(self, headers: list[tuple[str, str]]) -> bytes:
        raise NotImplementedError

    async def _send_response_head(self, status: int, headers: list[tuple[str, str]],
                                  end: bool) -> None:
        raise NotImplementedError

    async def _send_response_body(self, body: bytes, end: bool) -> None:
        raise NotImplementedError

    def _abort_response(self) -> None:
        raise NotImplementedError

    def _end_transport(self) -> None:
        raise NotImplementedError

    def _close_later(self) -> None:
        raise NotImplementedError

    async def _settle(self) -> None:
        return None
