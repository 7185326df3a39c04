"""HTTP/2 for the ASGI worker: one ``AsyncHTTP2Connection`` per connection
and one task per stream (``HTTP2Cycle``).

``HTTP2Session`` takes over an ``ASGIProtocol`` after ALPN chose ``h2`` (or
a trusted peer sent the h2c preface): the protocol's ``data_received`` feeds
an ``asyncio.StreamReader`` and the driver writes through a
``StreamWriter`` over the same transport (the protocol provides the
``_drain_helper`` that ``StreamWriter.drain`` needs).  Every HTTP/2 rule
(flow control, SETTINGS, RST_STREAM, GOAWAY, limits) is the driver's and its
protocol core's; this module only runs the read loop and the streams' tasks.

``receive()`` reads request content through the stream handle, which grants
WINDOW_UPDATE credit as the application takes it (backpressure, RFC 9113
section 6.9); a reset stream or a lost connection is ``http.disconnect``.
On a graceful stop the session sends GOAWAY and lets running streams end
(WebSocket streams are told 1001 first).

The connection advertises SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): an
extended CONNECT stream with ``:protocol websocket`` runs as a WebSocket
(``gunicorn.asgi.websocket_h2``) instead of an ``http`` request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gunicorn.http2.async_connection import AsyncHTTP2Connection
from gunicorn.http2.errors import HTTP2ConnectionError, HTTP2Error, StreamCancelled

from .cycle import ASGICycle, take_start
from .scope import ASGIResponseInfo, check_response_headers, http_scope

__all__ = ["HTTP2Session", "HTTP2Cycle"]

#: request content octets asked of the stream per ``receive()``
RECEIVE_SIZE = 65536

_EXTENSIONS_H2: dict[str, dict[str, Any]] = {"http.response.trailers": {}, "http.response.informational": {},
                  "http.response.early_hint": {}}


class HTTP2Session:
    """The HTTP/2 side of one ``ASGIProtocol``.

    Args:
        proto: the connection's protocol (transport, worker, peer, server).
        data: octets already received (the h2c preface), or b"".
        upgrade: ``(HTTP2-Settings value, RequestHead)`` when an HTTP/1.1
            ``Upgrade: h2c`` request starts the connection (it becomes
            stream 1 after ``101 Switching Protocols``), else None.
    """

    def __init__(self, proto: Any, data: bytes, upgrade: Any = None) -> None:
        self.proto = proto
        self.worker = proto.worker
        self.peer = proto.peer
        # a PROXY header read before the TLS handshake names the client
        info = getattr(proto, "proxy_info", None)
        self.client = ((info["client_addr"], info.get("client_port") or 0)
                       if info and info.get("client_addr") is not None else proto.peer)
        loop = asyncio.get_running_loop()
        transport = proto.transport
        self.reader = asyncio.StreamReader(limit=1 << 20, loop=loop)
        self.reader.set_transport(transport)
        self.writer = asyncio.StreamWriter(transport, proto, self.reader, loop)
        is_ssl = transport.get_extra_info("ssl_object") is not None
        # the asgi worker serves WebSocket: it offers extended CONNECT (RFC 8441)
        self.conn = AsyncHTTP2Connection(self.worker.cfg, self.reader, self.writer, proto.peer,
                                         is_ssl=is_ssl, enable_connect_protocol=True)
        cfg = self.worker.cfg
        keepalive = cfg.keepalive
        self.idle = float(keepalive) if keepalive and keepalive > 0 else \
            float(cfg.timeout if cfg.timeout > 0 else 30)
        self._stopping = False
        #: the running WebSocket streams (told 1001 on a graceful stop)
        self.websockets: set[Any] = set()
        self.task = self.worker.spawn(self._run(data, upgrade))

    # -- from the protocol ---------------------------------------------------

    def feed(self, data: bytes) -> None:
        self.reader.feed_data(data)

    def feed_eof(self) -> None:
        self.reader.feed_eof()

    def lost(self, exc: BaseException | None) -> None:
        if not self.reader.at_eof():
            self.reader.feed_eof()
        self.conn.abort()

    def shutdown(self) -> None:
        """Graceful stop: GOAWAY now, close once the running streams ended."""
        if not self._stopping:
            self._stopping = True
            for ws in list(self.websockets):
                if ws.accepted:
                    ws._send_close(1001, "server shutting down")
            self.worker.spawn(self._goaway())

    async def _goaway(self) -> None:
        conn = self.conn
        if await conn.goaway():
            await conn.close()

    # -- the read loop -------------------------------------------------------

    async def _run(self, data: bytes, upgrade: Any) -> None:
        conn = self.conn
        log = self.worker.log
        try:
            if upgrade is not None:
                settings, head = upgrade
                self._start(await conn.initiate_upgrade(settings, head, b""))
            else:
                await conn.initiate_connection()
            if data:
                self._start(await conn.receive_data(data=data))
            while not conn.finished:
                try:
                    requests = await conn.receive_data(timeout=self.idle)
                except asyncio.TimeoutError:
                    if not conn.adapters:
                        log.debug("Closing idle HTTP/2 connection from %s", self.peer)
                        break
                    continue
                self._start(requests)
                if self._stopping and not self.worker.alive and conn.finished:
                    break
        except HTTP2ConnectionError as exc:
            log.debug("HTTP/2 connection from %s failed: %r", self.peer, exc)
        except Exception:
            log.exception("HTTP/2 connection error (peer %s)", self.peer)
        finally:
            await conn.close()

    def _start(self, requests: list[Any]) -> None:
        worker = self.worker
        state = worker.state
        for request in requests:
            if worker.count_request() and not self._stopping:
                self.shutdown()
            scope = http_scope(
                request, http_version="2", scheme=request.scheme, client=self.client,
                server=self.proto.server, root_path=worker.cfg.root_path or "",
                state=dict(state) if state is not None else None, extensions=_EXTENSIONS_H2)
            if request.protocol is not None:
                self._start_websocket(request, scope)
                continue
            cycle = HTTP2Cycle(self, request, scope)
            worker.spawn_cycle(cycle)

    def _start_websocket(self, request: Any, scope: dict[str, Any]) -> None:
        """An extended CONNECT stream (RFC 8441 section 4): a WebSocket task,
        or an error response when the request cannot open one.  wsproto is
        imported on the first one (see ``ASGIProtocol._start_websocket``)."""
        from .websocket import websocket_scope
        from .websocket_h2 import HTTP2WebSocketCycle, extended_connect_error

        refused = extended_connect_error(request)
        if refused is not None:
            status, fields = refused
            self.worker.log.debug("Refusing extended CONNECT from %s: %s", self.peer, status)
            self.worker.spawn(self._refuse(request.stream.driver_data, status, fields))
            return
        worker = self.worker
        cycle = HTTP2WebSocketCycle(self, request, websocket_scope(scope))
        self.websockets.add(cycle)
        cycle.task = worker.spawn(cycle.run(worker.asgi))

    async def _refuse(self, stream: Any, status: int, fields: list[tuple[str, str]]) -> None:
        try:
            await stream.send_head(status, [*fields, ("content-length", "0")], end=True)
        except (StreamCancelled, HTTP2Error):
            pass
        finally:
            if self.conn.stream_done(stream.stream_id):
                await self.conn.close()

    def cycle_done(self, cycle: Any) -> None:
        """A stream's task ended: forget it, close when it was the last one
        after GOAWAY."""
        self.websockets.discard(cycle)
        if self.conn.stream_done(cycle.stream_id):
            self.worker.spawn(self.conn.close())


class HTTP2Cycle(ASGICycle):
    """One HTTP/2 stream as its ASGI task sees it.

    Args:
        session: the connection's ``HTTP2Session``.
        request: the ``HTTP2Request`` (its ``stream.driver_data`` is the
            ``AsyncHTTP2Stream``).
        scope: the request's ASGI scope.
    """

    __slots__ = ("proto", "head", "scope", "resp", "complete", "disconnected", "stream",
                 "stream_id", "task", "_start", "_head_sent", "_trailers", "_body_ended",
                 "_request_done", "_received", "_pending_trailers")

    def __init__(self, session: HTTP2Session, request: Any, scope: dict[str, Any]) -> None:
        self.proto = session
        self.head = request
        self.scope = scope
        self.resp = ASGIResponseInfo()
        self.complete = False
        self.disconnected = False
        self.stream = request.stream.driver_data
        self.stream_id: int = self.stream.stream_id
        self.task: asyncio.Task[Any] | None = None
        self._start: tuple[int, list[tuple[str, str]]] | None = None
        self._head_sent = False
        self._trailers = False
        self._body_ended = False
        self._request_done = False
        self._received = 0
        self._pending_trailers: list[tuple[str, str]] = []

    async def receive(self) -> dict[str, Any]:
        """``http.request`` pieces as the stream delivers them (reading
        gives the client flow-control credit back), then ``http.disconnect``
        once the response is complete or the stream is reset/closed."""
        stream = self.stream
        if not self._request_done and not self.disconnected:
            try:
                # bounded here, not by the driver, so that a stalled body
                # ends as on HTTP/1.1 (``ASGICycle._body_wait``)
                data = await self._body_wait(stream.read(RECEIVE_SIZE, idle_ok=True))
            except (StreamCancelled, HTTP2Error, OSError):
                self.disconnected = True
            except Exception as exc:  # the request trailer policy refused them
                self.proto.worker.log.debug("request content of stream %s refused: %r",
                                            self.stream_id, exc)
                self.disconnected = True
            else:
                self._received += len(data)
                length = stream.length
                if not data or (length is not None and self._received >= length):
                    self._request_done = True
                return {"type": "http.request", "body": data, "more_body": not self._request_done}
        if not self.complete and not self.disconnected:
            try:
                await stream.wait_closed()
            except Exception:
                pass
            self.disconnected = not self.complete
        return {"type": "http.disconnect"}

    def _body_stalled(self) -> None:
        """No request content for ``--timeout`` seconds (30 when 0) while the
        application waits in ``receive()``, as the WSGI workers bound a
        blocking read: the stream is reset with CANCEL (RFC 9113 section
        8.1, the client stopped sending) and ``receive()`` returns
        ``http.disconnect``.  The connection and its other streams go on."""
        if self._request_done or self.disconnected:
            return
        worker = self.proto.worker
        worker.log.info("Request body from %s stalled for %ss: resetting HTTP/2 stream %d",
                        self.proto.peer, worker.first_request_timeout, self.stream_id)
        self.disconnected = True
        # wakes the read, which raises StreamCancelled
        self.stream.reset()

    async def send(self, message: dict[str, Any]) -> None:
        """The messages of ``HTTP1Cycle.send``, sent as HEADERS, DATA and
        trailer HEADERS frames (RFC 9113 section 8.1).  Messages after the
        stream was reset are dropped."""
        kind = message["type"]
        stream = self.stream
        try:
            if kind == "http.response.body":
                if self._start is None or self._body_ended:
                    raise RuntimeError("%s not allowed now" % kind)
                body = message.get("body", b"")
                more = message.get("more_body", False)
                self._body_ended = not more
                if self.disconnected:
                    return
                end = not more and not self._trailers
                if not self._head_sent:
                    self._head_sent = True
                    status, headers = self._start
                    await stream.send_head(status, headers, end=end and not body)
                    if end and not body:
                        self._completed()
                        return
                if body or end:
                    await stream.send_data(body, end_stream=end)
                    self.resp.sent += len(body)
                if end:
                    self._completed()
            elif kind == "http.response.start":
                take_start(self, message)
            elif kind == "http.response.trailers":
                if not self._trailers or not self._body_ended or self.complete:
                    raise RuntimeError("http.response.trailers not allowed now")
                self._pending_trailers += check_response_headers(message.get("headers", ()))
                if not message.get("more_trailers", False) and not self.disconnected:
                    await stream.end(self._pending_trailers)
                    self._completed()
            elif kind in ("http.response.informational", "http.response.early_hint"):
                if self._start is not None:
                    raise RuntimeError("%s after http.response.start" % kind)
                if kind == "http.response.early_hint":
                    status = 103
                    headers = check_response_headers(
                        ("link", link) for link in message.get("links", ()))
                else:
                    status = message.get("status", 103)
                    if type(status) is not int or not 100 <= status < 200 or status == 101:
                        raise ValueError("invalid informational status %r" % (status,))
                    headers = check_response_headers(message.get("headers", ()))
                if not self.disconnected and status != 100:
                    await stream.send_informational(status, headers)
            else:
                raise ValueError("unknown ASGI message type %r" % (kind,))
        except StreamCancelled:
            self.disconnected = True

    def _completed(self) -> None:
        self.complete = True

    async def _abandon(self) -> None:
        if self.complete or self.disconnected:
            return
        if not self._head_sent:
            self.resp.status = 500
            self.resp.headers = []
            await self.stream.send_error(500)
            self.complete = True
        else:
            self.stream.abort()
