"""WebSocket over HTTP/2 for the ASGI worker (RFC 8441, extended CONNECT).

The asgi worker's HTTP/2 connections advertise
SETTINGS_ENABLE_CONNECT_PROTOCOL=1 (RFC 8441 section 3), so a client may
open a stream with ``:method CONNECT``, ``:protocol websocket``,
``:scheme``, ``:path`` and ``:authority`` (section 4).  That stream becomes
an ASGI ``websocket`` scope (``http_version`` "2", scheme ws/wss).
``websocket.accept`` answers HEADERS ``:status 200`` without END_STREAM;
from then on the stream's DATA frames carry the WebSocket byte stream in
both directions (section 5), parsed and framed by ``wsproto`` through the
shared ``WebSocketSession``.  There is no ``Sec-WebSocket-Key`` /
``Sec-WebSocket-Accept`` exchange over HTTP/2 (section 5).

Transport rules of this module: one writer task sends every frame in
order (a stream's DATA must not interleave); a reader task takes DATA only
while the application keeps up with ``receive()``, and taking it is what
returns flow-control credit to the client (RFC 9113 section 6.9); the end
of the closing handshake ends our side of the stream (END_STREAM), and a
client that does not end its side within ``CLOSE_TIMEOUT`` seconds gets
RST_STREAM(CANCEL); RST_STREAM from the client or a lost connection is
``websocket.disconnect`` (1006).
"""

from __future__ import annotations

import asyncio
from typing import Any

from gunicorn.http2.errors import HTTP2Error, HTTP2ErrorCode, StreamCancelled

from .websocket import CLOSE_TIMEOUT, QUEUE_HIGH, WebSocketSession

__all__ = ["HTTP2WebSocketCycle", "extended_connect_error"]

#: octets asked of the stream per read
READ_SIZE = 65536


def extended_connect_error(request: Any) -> tuple[int, list[tuple[str, str]]] | None:
    """Why an extended CONNECT request cannot open a WebSocket, as (status,
    headers), or None when it can.  A ``:protocol`` other than "websocket"
    is 501 (not a protocol this server tunnels); a ``Sec-WebSocket-Version``
    other than 13 is 400 naming 13 (RFC 6455 section 4.4, used unchanged
    by RFC 8441 section 5)."""
    if (request.protocol or "").lower() != "websocket":
        return 501, []
    version = request.get_header("SEC-WEBSOCKET-VERSION")
    if version is None or version.strip(" \t") != "13":
        return 400, [("Sec-WebSocket-Version", "13")]
    return None


class HTTP2WebSocketCycle(WebSocketSession):
    """One WebSocket on one HTTP/2 stream (RFC 8441).

    Args:
        session: the connection's ``HTTP2Session`` (``worker``, ``peer``,
            ``cycle_done``).
        request: the extended CONNECT ``HTTP2Request`` (its
            ``stream.driver_data`` is the ``AsyncHTTP2Stream``).
        scope: the ``websocket`` scope.
    """

    def __init__(self, session: Any, request: Any, scope: dict[str, Any]) -> None:
        super().__init__(session, request, scope)
        self.stream = request.stream.driver_data
        self.stream_id: int = self.stream.stream_id
        self._out = bytearray()
        self._end_pending = False
        self._writer: asyncio.Task[Any] | None = None
        self._reader: asyncio.Task[Any] | None = None
        self._output = asyncio.Event()  # octets or the end wait for the writer
        self._sent = asyncio.Event()  # the writer has nothing left
        self._sent.set()
        self._input_ok = asyncio.Event()
        self._input_ok.set()
        self._timer: asyncio.TimerHandle | None = None

    # -- writing ---------------------------------------------------------------

    def _start_writer(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def _transmit(self, data: bytes) -> None:
        writer = self._writer
        if not data or (writer is not None and writer.done()):
            return  # nothing to send, or the stream is gone
        self._out += data
        self._sent.clear()
        self._output.set()
        self._start_writer()

    async def _write_loop(self) -> None:
        stream = self.stream
        try:
            while True:
                if self._out:
                    chunk = bytes(self._out)
                    self._out.clear()
                    await stream.send_data(chunk)
                    continue
                if self._end_pending:
                    await stream.end()
                    break
                self._sent.set()
                self._output.clear()
                await self._output.wait()
        except (StreamCancelled, HTTP2Error, OSError):
            self.lost()
        finally:
            self._out.clear()
            self._sent.set()

    async def _drain(self) -> None:
        await self._sent.wait()

    def _end_transport(self) -> None:
        writer = self._writer
        if not self._end_pending and (writer is None or not writer.done()):
            self._end_pending = True
            self._sent.clear()
            self._output.set()
            self._start_writer()

    def _close_later(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._close_timeout)

    def _close_timeout(self) -> None:
        self._timer = None
        if not self.stream.stream.is_closed:
            self.stream.reset(HTTP2ErrorCode.CANCEL)
        self.lost()

    # -- reading ---------------------------------------------------------------

    def _pause_input(self) -> None:
        self._input_ok.clear()

    def _want_input(self) -> None:
        self._input_ok.set()

    async def _read_loop(self) -> None:
        stream = self.stream
        try:
            while not self.disconnected:
                if len(self._inbox) > QUEUE_HIGH:
                    # the application is behind: leave the DATA unread, so
                    # the client runs out of flow-control credit
                    await self._input_ok.wait()
                    continue
                data = await stream.read(READ_SIZE, idle_ok=True)
                if not data:
                    # END_STREAM without a close frame (RFC 6455 7.1.5: 1006)
                    self._disconnect(self._close_code, "")
                    self._end_transport()
                    return
                self.feed(data)
        except (StreamCancelled, HTTP2Error, OSError):
            self.lost()
        except Exception as exc:
            self.proto.worker.log.debug("WebSocket stream %s failed: %r", self.stream_id, exc)
            self.stream.reset(HTTP2ErrorCode.PROTOCOL_ERROR)
            self.lost()

    # -- handshake ---------------------------------------------------------------

    def _accept_headers(self) -> list[tuple[str, str]]:
        return []

    async def _send_accept(self, headers: list[tuple[str, str]]) -> bytes:
        self.resp.status = 200
        try:
            await self.stream.send_head(200, headers)
        except StreamCancelled:
            self.lost()
            return b""
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())
        return b""

    async def _send_response_head(self, status: int, headers: list[tuple[str, str]],
                                  end: bool) -> None:
        try:
            await self.stream.send_head(status, headers, end=end)
        except StreamCancelled:
            self.lost()

    async def _send_response_body(self, body: bytes, end: bool) -> None:
        try:
            await self.stream.send_data(body, end_stream=end)
        except StreamCancelled:
            self.lost()

    def _abort_response(self) -> None:
        self.stream.abort()

    # -- the end -------------------------------------------------------------------

    def lost(self) -> None:
        super().lost()
        self._input_ok.set()
        if self._writer is None or self._writer.done():
            self._sent.set()  # nothing will ever be written: never block a send

    async def _settle(self) -> None:
        """After the application: let the closing handshake and both
        END_STREAMs finish (at most ``CLOSE_TIMEOUT`` seconds, then
        RST_STREAM(CANCEL)), then stop the tasks."""
        try:
            if self.accepted:
                # both END_STREAMs (or a reset) close the stream
                try:
                    await asyncio.wait_for(self.stream.wait_closed(), CLOSE_TIMEOUT)
                except asyncio.TimeoutError:
                    self.stream.reset(HTTP2ErrorCode.CANCEL)
            elif self._writer is not None and not self._writer.done():
                try:
                    await asyncio.wait_for(asyncio.shield(self._writer), CLOSE_TIMEOUT)
                except asyncio.TimeoutError:
                    pass
        except Exception:
            pass
        finally:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            for task in (self._reader, self._writer):
                if task is not None and not task.done():
                    task.cancel()
