"""WebSocket over HTTP/1.1 (RFC 6455 section 4) for the ASGI worker.

The opening handshake checks (``is_websocket_upgrade``, ``handshake_error``)
and ``WebSocketCycle``, the HTTP/1.1 transport of
``gunicorn.asgi.websocket.WebSocketSession``: ``101 Switching Protocols``,
then the connection's bytes carry the frames.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

from wsproto.utilities import generate_accept_token

from gunicorn.http.core import Response
from gunicorn.http.errors import InvalidHeader

from .websocket import CLOSE_TIMEOUT, WebSocketSession

__all__ = ["is_websocket_upgrade", "handshake_error", "WebSocketCycle"]


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



class WebSocketCycle(WebSocketSession):
    """A WebSocket opened by an HTTP/1.1 ``Upgrade`` (RFC 6455 section 4).

    Args:
        proto: the ``ASGIProtocol`` (``conn``, ``write``, ``drain``,
            ``pause``, ``want_data``, ``close``, ``worker``, ``peer``).
        head: the upgrade request's ``RequestHead``.
        scope: the ``websocket`` scope.
    """

    def _transmit(self, data: bytes) -> None:
        self.proto.write(data)

    async def _drain(self) -> None:
        await self.proto.drain()

    def _pause_input(self) -> None:
        self.proto.pause()

    def _want_input(self) -> None:
        self.proto.want_data()

    def _accept_headers(self) -> list[tuple[str, str]]:
        key = next((v for n, v in self.head.headers if n == "SEC-WEBSOCKET-KEY"), "")
        accept = generate_accept_token(key.encode("latin-1")).decode("ascii")
        return [("Upgrade", "websocket"), ("Sec-WebSocket-Accept", accept)]

    async def _send_accept(self, headers: list[tuple[str, str]]) -> bytes:
        conn = self.proto.conn
        self.proto.write(conn.send_head(101, headers, upgrade=True))
        self.resp.status = 101
        return bytes(conn.take_buffered())

    async def _send_response_head(self, status: int, headers: list[tuple[str, str]],
                                  end: bool) -> None:
        # the connection never goes back to HTTP after a refused upgrade
        conn = self.proto.conn
        conn.request_close()
        try:
            data = conn.send(Response(status, headers))
        except ValueError:
            # a Content-Length that is not a number: nothing went out
            raise InvalidHeader("content-length") from None
        if end:
            data += conn.send_end()
        self.proto.write(data)
        if end:
            self.proto.close()

    async def _send_response_body(self, body: bytes, end: bool) -> None:
        conn = self.proto.conn
        parts: list[Any] = []
        if body:
            parts += conn.frame_data(body)
        if end:
            parts.append(conn.send_end())
        self.proto.write(b"".join(parts))
        if end:
            self.proto.close()
        else:
            await self.proto.drain()

    def _abort_response(self) -> None:
        self.proto.conn.send_failed()
        self.proto.close()

    def _end_transport(self) -> None:
        self.proto.close()

    def _close_later(self) -> None:
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.proto.close)
