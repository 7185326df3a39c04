"""WebSocket (RFC 6455) for the ASGI worker, through ``wsproto``.

``is_websocket_upgrade(head)`` tells an HTTP/1.1 opening handshake
(RFC 6455 section 4.2.1: GET, ``Upgrade: websocket``, ``Connection:
upgrade``, a ``Sec-WebSocket-Key`` and version 13).  ``WebSocketCycle``
then runs the application with a ``websocket`` scope (ASGI WebSocket spec
2.4): ``websocket.connect`` first; ``websocket.accept`` answers ``101
Switching Protocols`` (head built by the HTTP/1.1 core) with the chosen
subprotocol; ``websocket.close`` before accepting answers ``403``.  After
the handshake every frame goes through a ``wsproto`` connection: masking,
fragments, UTF-8 checks, ping/pong and the closing handshake are its rules.
Messages larger than ``websocket_max_message_size`` close the connection
with 1009 (RFC 6455 section 7.4.1).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
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
from wsproto.utilities import generate_accept_token

from .cycle import ASGICycle
from .scope import ASGIResponseInfo, check_response_headers

__all__ = ["is_websocket_upgrade", "handshake_error", "websocket_scope", "WebSocketCycle"]

#: received messages queued before reading from the client pauses
QUEUE_HIGH = 16
#: seconds to wait for the client's close frame after ours
CLOSE_TIMEOUT = 5.0


def is_websocket_upgrade(head: Any) -> bool:
    """True for an HTTP/1.1 GET asking to upgrade to WebSocket (RFC 6455 4.2.1)."""
    if head.method != "GET" or head.version != (1, 1) or not head.connection \
            or "upgrade" not in head.connection:
        return False
    for name, value in head.headers:
        if name == "UPGRADE" and value.strip(" \t").lower() == "websocket":
            return True
    return False


def handshake_error(head: Any) -> tuple[int, list[tuple[str, str]]] | None:
    """Why an upgrade request cannot open a WebSocket, as (status, headers),
    or None when it can: a ``Sec-WebSocket-Key`` that is not 16 octets in
    base64 is a 400, a version other than 13 a 426 naming 13 (RFC 6455
    sections 4.2.1 and 4.4)."""
    key = version = None
    for name, value in head.headers:
        if name == "SEC-WEBSOCKET-KEY":
            key = value.strip(" \t")
        elif name == "SEC-WEBSOCKET-VERSION":
            version = value.strip(" \t")
    try:
        valid_key = key is not None and len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid_key = False
    if not valid_key:
        return 400, []
    if version != "13":
        return 426, [("Sec-WebSocket-Version", "13")]
    return None


def websocket_scope(http_scope: dict[str, Any]) -> dict[str, Any]:
    """The ``websocket`` scope made from the request's ``http`` scope:
    scheme ws/wss, ``subprotocols`` from Sec-WebSocket-Protocol."""
    scope = dict(http_scope)
    scope["type"] = "websocket"
    scope["scheme"] = "wss" if http_scope["scheme"] == "https" else "ws"
    scope.pop("method", None)
    protocols: list[str] = []
    for name, value in http_scope["headers"]:
        if name == b"sec-websocket-protocol":
            protocols += [p.strip() for p in value.decode("latin-1").split(",") if p.strip()]
    scope["subprotocols"] = protocols
    scope["extensions"] = {}
    return scope


class WebSocketCycle(ASGICycle):
    """One WebSocket connection as its ASGI task sees it.

    Args:
        proto: the ``ASGIProtocol`` (``conn``, ``write``, ``close``,
            ``worker``, ``peer``).
        head: the upgrade request's ``RequestHead``.
        scope: the ``websocket`` scope.
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
        self.closed = False  # a close frame went out
        self.ws: Connection | None = None
        self.max_size = int(getattr(proto.worker.cfg, "websocket_max_message_size", 0) or 0)
        self._inbox: deque[dict[str, Any]] = deque([{"type": "websocket.connect"}])
        self._wake = asyncio.Event()
        self._parts: list[Any] = []
        self._size = 0
        self._close_code = 1006

    # -- from the protocol ---------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Frames from the client (after the 101)."""
        ws = self.ws
        if ws is None:
            return
        ws.receive_data(data)
        self._process()

    def lost(self) -> None:
        self.disconnected = True
        self._push({"type": "websocket.disconnect", "code": self._close_code, "reason": ""})

    def wake(self) -> None:
        self._wake.set()

    def _push(self, message: dict[str, Any]) -> None:
        self._inbox.append(message)
        self._wake.set()
        if len(self._inbox) > QUEUE_HIGH:
            self.proto.pause()

    def _process(self) -> None:
        ws = self.ws
        assert ws is not None
        for event in ws.events():
            if isinstance(event, Message):
                self._size += len(event.data)
                if self.max_size and self._size > self.max_size:
                    self._send_close(1009, "message too big")
                    self._push({"type": "websocket.disconnect", "code": 1009, "reason": ""})
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
                self.proto.write(ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                self._close_code = event.code
                if ws.state is ConnectionState.REMOTE_CLOSING:
                    self.proto.write(ws.send(event.response()))
                self._push({"type": "websocket.disconnect", "code": event.code,
                            "reason": event.reason or ""})
                self.disconnected = True
                self.proto.close()
                return

    # -- the application's side ---------------------------------------------

    async def receive(self) -> dict[str, Any]:
        """``websocket.connect``, then ``websocket.receive`` {text|bytes} and
        finally ``websocket.disconnect`` {code}."""
        while not self._inbox:
            self._wake.clear()
            await self._wake.wait()
        message = self._inbox.popleft()
        if len(self._inbox) <= QUEUE_HIGH // 2:
            self.proto.want_data()
        if message["type"] == "websocket.disconnect":
            # keep answering disconnect if asked again
            self._inbox.appendleft(message)
        return message

    async def send(self, message: dict[str, Any]) -> None:
        """``websocket.accept`` {subprotocol, headers}, ``websocket.send``
        {text|bytes}, ``websocket.close`` {code, reason}.  Raises
        RuntimeError for a message out of order; after a disconnect
        messages are dropped."""
        kind = message["type"]
        if kind == "websocket.accept":
            if self.accepted or self.closed:
                raise RuntimeError("websocket.accept not allowed now")
            self._accept(message)
        elif kind == "websocket.send":
            if not self.accepted:
                raise RuntimeError("websocket.send before websocket.accept")
            if self.disconnected or self.closed:
                return
            text = message.get("text")
            event = TextMessage(data=text) if text is not None else \
                BytesMessage(data=message.get("bytes") or b"")
            assert self.ws is not None
            self.proto.write(self.ws.send(event))
            await self.proto.drain()
        elif kind == "websocket.close":
            if not self.accepted:
                self._reject(403)
                return
            self._send_close(int(message.get("code", 1000)), message.get("reason") or "")
        else:
            raise ValueError("unknown ASGI message type %r" % (kind,))

    def _accept(self, message: dict[str, Any]) -> None:
        if self.disconnected:
            return
        head = self.head
        key = next((v for n, v in head.headers if n == "SEC-WEBSOCKET-KEY"), "")
        accept = generate_accept_token(key.encode("latin-1")).decode("ascii")
        headers = [("Upgrade", "websocket"), ("Sec-WebSocket-Accept", accept)]
        subprotocol = message.get("subprotocol")
        if subprotocol:
            headers.append(("Sec-WebSocket-Protocol", subprotocol))
        headers += check_response_headers(message.get("headers", ()))
        conn = self.proto.conn
        self.proto.write(conn.send_head(101, headers, upgrade=True))
        self.accepted = True
        self.complete = True
        self.resp.status = 101
        self.resp.headers = headers
        self.ws = Connection(ConnectionType.SERVER, trailing_data=conn.take_buffered())
        self._process()

    def _reject(self, status: int) -> None:
        """Refuse the handshake with an empty *status* response (RFC 6455 4.2.2)."""
        if self.complete or self.disconnected:
            return
        self.resp.status = status
        self.proto.write(self.proto.conn.send_head(status, [("Content-Length", "0")],
                                                   content_length=0, close=True, end=True))
        self.complete = True
        self.closed = True
        self.proto.close()

    def _send_close(self, code: int, reason: str) -> None:
        ws = self.ws
        if self.closed or ws is None or self.disconnected:
            return
        self.closed = True
        if ws.state is ConnectionState.OPEN:
            self.proto.write(ws.send(CloseConnection(code=code, reason=reason)))
        # the client answers with its close frame; do not wait for ever
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.proto.close)

    async def _abandon(self) -> None:
        if not self.accepted:
            self._reject(500)
        else:
            self._send_close(1011, "")

    async def run(self, app: Any) -> None:
        """Run *app*; on return the connection closes (1000 after accept,
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
            if not self.accepted:
                self._reject(403)
            else:
                self._send_close(1000, "")
        finally:
            self._finish(started_at)
