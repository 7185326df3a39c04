"""``ASGIProtocol``: the ``asyncio.Protocol`` of one client connection.

It moves bytes between the transport and a ``ServerConnection`` (the one
HTTP/1.1 core; this module parses and frames nothing) and runs one task per
request (``HTTP1Cycle``).  It also decides what only the I/O side can:

* the keep-alive idle timeout (``keepalive`` seconds between requests; the
  first request head must arrive within ``timeout`` seconds);
* backpressure: reading pauses while request bytes the application has not
  asked for pile up (``READ_HIGH``), and ``drain()`` waits while the
  transport's write buffer is full;
* a malformed request head is answered with the core's error page (the same
  bytes as the WSGI workers) and the connection closed;
* ALPN ``h2`` (TLS) and the h2c prior-knowledge preface of a trusted peer
  hand the connection to ``gunicorn.asgi.http2``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gunicorn.http.core import NEED_DATA, LocalProtocolError, RequestHead, ServerConnection
from gunicorn.http2 import H2_ONLY_RESPONSE
from gunicorn.workers import netio

from .cycle import HTTP1Cycle
from .h2c import maybe_h2c, maybe_h2c_upgrade
from .scope import HTTP_VERSIONS, http_scope

__all__ = ["ASGIProtocol", "READ_HIGH", "H2_ONLY_RESPONSE"]

#: buffered request bytes above which reading pauses until the app receives
READ_HIGH = 256 * 1024


_EXTENSIONS_H1: dict[str, dict[str, Any]] = {"http.response.trailers": {}, "http.response.informational": {},
                  "http.response.early_hint": {}}


class ASGIProtocol(asyncio.Protocol):
    """One accepted connection of an ``ASGIWorker``.

    Args:
        worker: the ``ASGIWorker`` (``asgi``, ``cfg``, ``log``, ``state``,
            ``h1_settings``, ``connection_opened``/``connection_closed``,
            ``count_request``, ``alive``).
    """

    #: PROXY header read ahead of the TLS handshake (``proxy_tls.PrefixServer``), and its info
    proxy_prefix_done = False
    proxy_info: dict[str, Any] | None = None
    #: whether returning True from eof_received keeps the transport open
    half_close = True

    def __init__(self, worker: Any) -> None:
        self.worker = worker
        self.transport: Any = None
        self.conn: Any = None
        self.cycle: Any = None
        self.peer: Any = None
        self.server: Any = None
        self.closed = False
        self._eof = False
        self._paused = False
        self._write_paused: asyncio.Future[None] | None = None
        # the next request waits for the transport's buffer to drain
        self._next_on_resume = False
        # the idle bound: a deadline (loop time, None while busy) and at most
        # one timer, re-armed lazily instead of once per request
        self._idle: asyncio.TimerHandle | None = None
        self._idle_deadline: float | None = None
        self._h2: Any = None
        self._ws: Any = None
        self._close_waiters: list[asyncio.Future[None]] = []

    # -- asyncio.Protocol --------------------------------------------------

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        self.transport = transport
        worker = self.worker
        self.peer = transport.get_extra_info("peername")
        self.server = transport.get_extra_info("sockname")
        if not worker.connection_opened(self):
            self.closed = True
            transport.abort()
            return
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self.half_close = False  # asyncio's TLS transports cannot stay half-open
            if ssl_object.selected_alpn_protocol() == "h2":
                self.start_h2(b"")
                return
            if worker.h2_only:
                # --http-protocols h2 alone: an HTTP/1.x client is told why
                # it is refused (RFC 9110 section 15.6.6)
                worker.log.info("Refusing %s: it did not offer h2 (ALPN) and "
                                "http_protocols is h2 only", self.peer)
                self.write(H2_ONLY_RESPONSE)
                self.close()
                return
        self.conn = ServerConnection(worker.h1_settings, self.peer)
        if self.proxy_prefix_done:
            self.conn.proxy_prefix_read(self.proxy_info)
        self._arm_idle(worker.first_request_timeout)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        if self._h2 is not None:
            self._h2.feed(data)
            return
        ws = self._ws
        if ws is not None and ws.ws is not None:
            ws.feed(data)
            return
        conn = self.conn
        if self.worker.h2c_prior and conn.req_number == 0 and self.cycle is None \
                and maybe_h2c(self, data):
            return
        conn.receive_data(data)
        cycle = self.cycle
        if cycle is None:
            self._next_request()
            return
        if conn.buffered > READ_HIGH and not self._paused:
            self._paused = True
            self.transport.pause_reading()
        cycle.wake()

    def eof_received(self) -> bool:
        if self.closed:
            return False
        if self._h2 is not None:
            self._h2.feed_eof()
            return self.half_close
        # the client closed its side.  A head still incomplete gets its
        # answer from the core (nothing for a clean close).  While the
        # application still reads the body, it learns from the core whether
        # the body was cut short (http.disconnect) or malformed (the error
        # page goes out first).  Otherwise the request sees http.disconnect
        # once the transport closes (as other ASGI servers treat a half-close).
        self._eof = True
        self.conn.receive_data(b"")
        cycle = self.cycle
        if cycle is None:
            self._next_request()
            return False
        if type(cycle) is HTTP1Cycle and cycle.reading_body:
            cycle.wake()
            return self.half_close
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        self._stop_idle()
        if self._h2 is not None:
            self._h2.lost(exc)
        if self.cycle is not None:
            self.cycle.lost()
            self.worker.cycle_lost(self.cycle)
        waiter = self._write_paused
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        for waiter in self._close_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.worker.connection_closed(self)

    def pause_writing(self) -> None:
        if self._write_paused is None or self._write_paused.done():
            # the worker's loop: asyncio.get_running_loop() costs a getpid()
            self._write_paused = self.worker.loop.create_future()

    def resume_writing(self) -> None:
        waiter = self._write_paused
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self._next_on_resume:
            self._next_on_resume = False
            if not self.closed:
                self.want_data()
                self._next_request()

    # -- used by the cycle -------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue *data* on the transport (dropped once the connection is closed)."""
        if data and not self.closed:
            self.transport.write(data)

    def write_parts(self, parts: list[bytes]) -> None:
        """Queue the concatenation of *parts* (dropped once the connection is
        closed).  A large part is not copied into a joined buffer: uvloop
        writes the parts with one ``writev``; asyncio joins them itself."""
        if not self.closed:
            self.transport.writelines(parts)

    async def drain(self) -> None:
        """Wait while the transport's write buffer is above its high-water mark."""
        waiter = self._write_paused
        if waiter is not None and not waiter.done():
            await waiter

    def pause(self) -> None:
        """Stop reading until ``want_data()`` (the application is behind)."""
        if not self._paused and not self.closed:
            self._paused = True
            self.transport.pause_reading()

    def want_data(self) -> None:
        """The application waits for request bytes: read again."""
        if self._paused and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        """Close after the queued bytes are written."""
        if not self.closed:
            self.closed = True
            self._stop_idle()
            self.transport.close()

    # -- requests ----------------------------------------------------------

    def _next_request(self) -> None:
        """Look for the next request head; start its task when it is here.

        While the transport's buffer is above its high-water mark (the
        client does not read the last response), reading stops and the next
        request waits for ``resume_writing``: pipelined requests do not pile
        up responses."""
        paused = self._write_paused
        if paused is not None and not paused.done():
            self._next_on_resume = True
            if not self._paused:
                self._paused = True
                self.transport.pause_reading()
            return
        conn = self.conn
        try:
            event = conn.next_event()
        except Exception as exc:
            self._bad_request(exc)
            return
        if event is NEED_DATA:
            if self._eof:
                self.close()
            elif self._idle_deadline is None:
                self._arm_idle(self.worker.keepalive_timeout)
            return
        if not isinstance(event, RequestHead):
            # CONNECTION_CLOSED: the peer is done or the unread body was too big
            self.close()
            return
        self._cancel_idle()
        self._start_cycle(event)

    def _start_cycle(self, head: RequestHead) -> None:
        worker = self.worker
        conn = self.conn
        if worker.count_request() or not worker.alive or not worker.keepalive_timeout:
            conn.request_close()
        state = worker.state
        client, server = self.peer, self.server
        uwsgi_vars = head.uwsgi_vars
        root_path = worker.cfg.root_path or ""
        if uwsgi_vars is not None:
            # a uWSGI packet: the front end's vars name the client and server,
            # and SCRIPT_NAME the root path
            from .uwsgi import uwsgi_addresses, uwsgi_root_path

            client, server = uwsgi_addresses(uwsgi_vars, client, server)
            root_path = uwsgi_root_path(uwsgi_vars, root_path)
        else:
            info = conn.proxy_protocol_info
            if info is not None and info.get("client_addr") is not None:
                # a PROXY header names the original client (LOCAL carries none)
                client = (info["client_addr"], info.get("client_port") or 0)
        scope = http_scope(
            head, http_version=HTTP_VERSIONS.get(head.version, "1.1"), scheme=head.scheme,
            client=client, server=server, root_path=root_path,
            state=dict(state) if state is not None else None, extensions=_EXTENSIONS_H1)
        if worker.h2c_upgrade and head.connection and maybe_h2c_upgrade(self, head):
            return
        # the first test of is_websocket_upgrade, here so that wsproto is not
        # imported for every request that carries a Connection field
        if head.connection and "upgrade" in head.connection and self._start_websocket(head, scope):
            return
        cycle = self.cycle = HTTP1Cycle(self, head, scope)
        worker.spawn_cycle(cycle)

    def _start_websocket(self, head: RequestHead, scope: dict[str, Any]) -> bool:
        """A WebSocket upgrade (RFC 6455 section 4.2): its task, or the refusal
        of a bad handshake.  False when the request does not ask for one.
        wsproto is imported here, on the first upgrade: a worker that never
        serves a WebSocket does not hold it in memory (about 1.3 MB)."""
        from .websocket import websocket_scope
        from .websocket_h1 import WebSocketCycle, handshake_error, is_websocket_upgrade

        if not is_websocket_upgrade(head):
            return False
        worker = self.worker
        refused = handshake_error(head)
        if refused is not None:
            status, fields = refused
            worker.log.debug("Refusing WebSocket handshake from %s: %s", self.peer, status)
            self.write(self.conn.send_head(status, [*fields, ("Content-Length", "0")],
                                           content_length=0, close=True, end=True))
            self.close()
            return True
        ws = self.cycle = self._ws = WebSocketCycle(self, head, websocket_scope(scope))
        ws.task = worker.spawn(ws.run(worker.asgi))
        return True

    def _bad_request(self, exc: BaseException) -> None:
        """A request head the core rejected: its error page, then close."""
        worker = self.worker
        reason = netio.disconnect_reason(exc)
        if reason is not None:
            worker.log.debug("%s (peer %s): %r", reason, self.peer, exc)
        else:
            worker.log.warning("Invalid request from ip=%s: %s", netio.peer_ip(self.peer), exc)
            try:
                self.write(self.conn.send_error(exc))
            except LocalProtocolError:
                pass
        self.close()

    def cycle_done(self, cycle: Any) -> None:
        """The request task ended: go on with the next request, or close."""
        self.cycle = None
        if self.closed:
            return
        if cycle is self._ws:
            # a WebSocket never goes back to HTTP: closed now, or once the
            # client answered our close frame
            if not cycle.closed or cycle.disconnected or cycle.ws is None:
                self.close()
            return
        conn = self.conn
        if not self.worker.alive:
            conn.request_close()
        if not cycle.complete or not conn.keep_alive:
            self.close()
            return
        try:
            conn.start_next_cycle()
        except LocalProtocolError:
            self.close()
            return
        self.want_data()
        self._next_request()

    def shutdown(self) -> None:
        """Graceful stop: close when idle, else after the current response."""
        if self._h2 is not None:
            self._h2.shutdown()
        elif self._ws is not None:
            if self._ws.accepted:
                self._ws._send_close(1001, "server shutting down")
            else:
                self.conn.request_close()
        elif self.cycle is None:
            self.close()
        else:
            self.conn.request_close()

    @property
    def idle(self) -> bool:
        """True between requests (no request task running)."""
        return self.cycle is None and self._h2 is None

    # -- idle timeout ------------------------------------------------------

    def _arm_idle(self, seconds: float) -> None:
        """Close the connection if it stays idle for *seconds* from now."""
        if seconds <= 0:
            self._idle_deadline = None
            return
        loop = asyncio.get_running_loop()
        deadline = self._idle_deadline = loop.time() + seconds
        timer = self._idle
        if timer is not None:
            if timer.when() <= deadline:
                return  # it fires first and re-arms itself for the rest
            timer.cancel()
        self._idle = loop.call_at(deadline, self._idle_expired)

    def _cancel_idle(self) -> None:
        # busy: a pending timer finds no deadline and lapses
        self._idle_deadline = None

    def _stop_idle(self) -> None:
        self._idle_deadline = None
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _idle_expired(self) -> None:
        self._idle = None
        deadline = self._idle_deadline
        if deadline is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() < deadline:
            self._idle = loop.call_at(deadline, self._idle_expired)
            return
        self._idle_deadline = None
        if self.cycle is None and self._h2 is None:
            self.worker.log.debug("Closing idle connection from %s", self.peer)
            self.close()

    # -- HTTP/2 ------------------------------------------------------------

    def start_h2(self, data: bytes, upgrade: Any = None) -> None:
        """Hand the connection to HTTP/2 (ALPN h2, or h2c: see ``.h2c``):
        *data* is what the client sent so far, *upgrade* the (HTTP2-Settings
        value, request head) of an ``Upgrade: h2c`` request, else None."""
        from .http2 import HTTP2Session

        self._stop_idle()
        self._h2 = HTTP2Session(self, data, upgrade)

    # -- StreamWriter support (HTTP/2 writes through asyncio.StreamWriter) ---

    async def _drain_helper(self) -> None:
        if self.closed and self.transport.is_closing():
            raise ConnectionResetError("Connection lost")
        await self.drain()

    def _get_close_waiter(self, stream: Any) -> asyncio.Future[None]:
        waiter = asyncio.get_running_loop().create_future()
        if self.closed:
            waiter.set_result(None)
        else:
            self._close_waiters.append(waiter)
        return waiter
