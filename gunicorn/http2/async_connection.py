"""The asyncio HTTP/2 driver: ``AsyncHTTP2Connection`` and its stream handle.

One ``AsyncHTTP2Connection`` runs one ``core.HTTP2ServerProtocol`` over an
asyncio ``(StreamReader, StreamWriter)`` pair for several tasks at once:

* one task, the connection's read loop, calls ``receive_data`` again and
  again: it reads, feeds the protocol, writes what the protocol answers
  (SETTINGS ACK, PING ACK, RST_STREAM, GOAWAY ...) and wakes the tasks that
  wait on a stream;
* each stream's application runs in a task of its own behind an
  ``AsyncHTTP2Stream``: ``await read()`` takes request content (taking it is
  what gives the peer WINDOW_UPDATE credit back, RFC 9113 section 6.9) and
  the ``send_*`` coroutines send the response, waiting for flow-control
  credit and for the transport to drain.

Everything runs on the event loop's one thread, and all output goes through
the protocol's single output buffer, so frames leave in the order the
protocol made them and HPACK state stays in step without a lock.  What the
streams produce during one turn of the loop is written at the end of that
turn (``_flush_soon``), joined into writes of up to 64 KiB (DATA payloads
of bytes wait by reference, not copied, until then); the read loop's
answers and GOAWAY are written at once.  Waits use ``asyncio.Event``
objects made on first use: per stream one for request content and one for
send credit.  Every HTTP/2 rule
lives in ``core``; this module only moves bytes, waits and wakes.

Typical use by a worker::

    conn = AsyncHTTP2Connection(cfg, reader, writer, peer)
    await conn.initiate_connection()
    try:
        while not conn.finished:
            for request in await conn.receive_data(timeout=keepalive):
                task = asyncio.create_task(run(conn, request.stream.driver_data, request))
    finally:
        await conn.close()

    # run() ends with:  if conn.stream_done(stream_id): await conn.close()
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from .core import H2C_SWITCHING_PROTOCOLS, HTTP2ServerProtocol
from .driver_base import DriverAttributes, take_write
from .errors import (
    HTTP2ConnectionError,
    HTTP2Error,
    HTTP2ErrorCode,
    HTTP2StreamError,
    StreamCancelled,
)
from .events import (
    ConnectionTerminated,
    DataReceived,
    Event,
    RequestReceived,
    RequestRejected,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)

__all__ = [
    "AsyncHTTP2Connection",
    "AsyncHTTP2Stream",
    "StreamCancelled",
    "READ_BUFFER_SIZE",
    "SEND_QUANTUM",
    "OUTPUT_HIGH",
]

#: octets asked of the reader per read
READ_BUFFER_SIZE = 65536
#: octets one ``send_data`` step may take before other streams get a turn
SEND_QUANTUM = 65536
#: unwritten output (octets in the transport) above which the read loop
#: stops reading until the peer takes some
OUTPUT_HIGH = 1 << 20
#: DATA octets queued in one turn of the loop after which ``_flush_soon``
#: writes at once.  Payloads of bytes wait by reference (``take_output``), so
#: a turn's worth costs little memory, and fewer, larger writes wake the peer
#: less often (64 KiB responses, h2load -c10 -m10: 1.4x the throughput of a
#: 64 KiB limit)
_COALESCE_LIMIT = OUTPUT_HIGH
#: octets joined for one transport write: TLS cannot gather, and pieces of
#: this size keep the joined copies small (256 KiB pieces cost 2 MiB more
#: peak memory under h2load -c10 -m10)
_WRITE_PIECE = 65536
#: seconds ``close()`` lets the last frames (GOAWAY) drain before aborting
CLOSE_TIMEOUT = 5.0
#: the transport's pause threshold when it does not report one (asyncio's default)
_DEFAULT_HIGH_WATER = 65536

E = HTTP2ErrorCode


async def _wait(event: asyncio.Event, timeout: float) -> None:
    """Wait until *event* is set, at most *timeout* seconds (no error on timeout)."""
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except asyncio.TimeoutError:
        pass


class AsyncHTTP2Stream:
    """One HTTP/2 stream as the task running its application sees it.

    Args:
        conn: the ``AsyncHTTP2Connection``.
        stream: the protocol's ``HTTP2Stream``.

    ``await read(size)`` waits for request content; the octets it returns
    are acknowledged (WINDOW_UPDATE), so a task that stops reading stops the
    peer.  ``await send_data(...)`` waits while the peer's flow-control
    window is closed, at most ``conn.zero_window_timeout`` seconds, then
    resets the stream with CANCEL.  Every method raises ``StreamCancelled``
    (a ``ConnectionResetError``) once the stream was reset or the connection
    is gone.

    Attributes: ``conn``, ``stream``, ``stream_id``, ``request`` (the
    HTTP2Request), ``trailers`` (response trailer fields set through
    ``set_trailers``), ``length`` (the request's declared content-length or
    None).
    """

    __slots__ = ("conn", "stream", "stream_id", "request", "trailers", "length",
                 "_data", "_credit", "_continued")

    def __init__(self, conn: AsyncHTTP2Connection, stream: Any) -> None:
        self.conn = conn
        self.stream = stream
        self.stream_id: int = stream.stream_id
        self.request = stream.request
        self.trailers: list[tuple[str, str]] | None = None
        self.length: int | None = getattr(self.request, "content_length", None)
        # made on the first wait: most streams never wait
        self._data: asyncio.Event | None = None
        self._credit: asyncio.Event | None = None
        self._continued = False

    def __repr__(self) -> str:
        return "<AsyncHTTP2Stream %d>" % self.stream_id

    # -- helpers --------------------------------------------------------------

    def _check(self) -> None:
        """Raise StreamCancelled when nothing can be sent on the stream any more."""
        conn = self.conn
        if conn.closed or conn.protocol.is_closed:
            raise StreamCancelled(self.stream_id, "the connection is closed", E.CANCEL)
        stream = self.stream
        if stream.reset_code is not None or not stream.can_send:
            raise StreamCancelled(self.stream_id, "stream reset or closed",
                                  stream.reset_code if stream.reset_code is not None else E.CANCEL)

    def _wake_data(self) -> None:
        if self._data is not None:
            self._data.set()

    def _wake_credit(self) -> None:
        if self._credit is not None:
            self._credit.set()

    def _wake(self) -> None:
        if self._data is not None:
            self._data.set()
        if self._credit is not None:
            self._credit.set()

    # -- request content ---------------------------------------------------------

    @property
    def response_started(self) -> bool:
        """True once the final response head was sent."""
        return bool(self.stream.response_headers_sent)

    @property
    def window(self) -> int:
        """Octets of DATA the peer's windows allow on this stream now."""
        return int(self.stream.window_size)

    def send_continue(self) -> None:
        """Send ``:status 100`` now if the client asked for it (RFC 9110
        section 10.1.1) and nothing was sent yet; never waits."""
        self._continued = True
        conn = self.conn
        if not conn.is_closed:
            self.stream.send_continue()
            conn._flush_soon()

    async def read(self, size: int = -1, *, idle_ok: bool = False) -> bytes:
        """Up to *size* octets of request content (all that is buffered when
        negative), b"" at its end.

        Waits until some arrive, at most ``conn.read_timeout`` seconds (then
        the stream is reset with CANCEL); with *idle_ok* it waits without
        limit (a tunnel such as an extended CONNECT WebSocket, RFC 8441,
        may stay quiet for long).  The octets returned are
        acknowledged: WINDOW_UPDATE credit goes back to the peer (RFC 9113
        section 6.9).  A client waiting for ``100 Continue`` gets it on the
        first call.

        Raises StreamCancelled when the stream is reset before its content
        ended, and the trailer policy error (a ``gunicorn.http.errors``
        exception) at the end when the request trailers were refused.
        """
        conn = self.conn
        if not self._continued:
            self.send_continue()
        deadline = None
        while True:
            if conn.closed or (idle_ok and conn.protocol.is_closed):
                raise StreamCancelled(self.stream_id, "the connection is closed", E.CANCEL)
            try:
                data = self.stream.read_body(size)
            except HTTP2StreamError as exc:
                raise StreamCancelled(self.stream_id, str(exc), exc.error_code) from None
            if data is not None:
                if data:
                    conn._flush_soon()  # the WINDOW_UPDATE this produced
                return data
            event = self._data
            if event is None:
                event = self._data = asyncio.Event()
            event.clear()
            if idle_ok:
                await event.wait()
                continue
            now = time.monotonic()
            if deadline is None:
                deadline = now + conn.read_timeout
            left = deadline - now
            if left <= 0:
                conn.protocol.reset_stream(self.stream_id, E.CANCEL)
                conn._flush()
                self._wake()
                raise StreamCancelled(self.stream_id, "request content timed out", E.CANCEL)
            await _wait(event, left)

    async def wait_closed(self) -> None:
        """Wait until the stream is over: reset by either side, ended both
        ways, or its connection gone (what ASGI calls ``http.disconnect``).
        Never times out; cancel the task to stop waiting."""
        conn = self.conn
        while not (conn.is_closed or self.stream.is_closed):
            event = self._data
            if event is None:
                event = self._data = asyncio.Event()
            event.clear()
            await event.wait()

    def _closed_locally(self) -> None:
        # our last frame may have closed the stream: wake ``wait_closed``
        if self._data is not None and self.stream.is_closed:
            self._data.set()

    def request_trailers(self) -> list[tuple[str, str]]:
        """The request trailer fields ((UPPERCASE name, value)), complete
        once ``read`` returned b""."""
        return list(getattr(self.request, "trailers", None) or ())

    # -- response --------------------------------------------------------------------

    async def send_informational(self, status_code: int,
                                 headers: Iterable[tuple[str, str]] = ()) -> None:
        """Send a 1xx response head, e.g. ``103 Early Hints`` (RFC 8297);
        may repeat before the final head.

        Raises HTTP2Error for a status outside 1xx (or 101), HTTP2StreamError
        after the final head, StreamCancelled once the stream is gone.
        """
        self._check()
        self.conn.protocol.send_informational(self.stream_id, status_code, headers)
        await self.conn._send_soon()

    async def send_head(self, status_code: int, headers: Iterable[tuple[str, str]] = (), *,
                        content_length: int | None = None, server: str | None = None,
                        end: bool = False) -> None:
        """Send the final response head (HEADERS; END_STREAM with *end*).

        Args:
            status_code: 200..999.
            headers: (name, value) pairs; connection-specific fields are
                dropped and names lowercased by the protocol (RFC 9113 8.2.2).
            content_length: a Content-Length (octets) added when *headers*
                lack one; the protocol then bounds the DATA to it.
            server: a Server field value to add, or None.
            end: the response has no content.

        Raises HTTP2Error for an invalid status or field, HTTP2StreamError
        when the head was already sent, StreamCancelled once the stream is gone.
        """
        self._check()
        self.stream.send_head(status_code, headers, content_length=content_length,
                              server=server, end=end)
        if end:
            self._closed_locally()
        await self.conn._send_soon()

    async def send_data(self, data: bytes | bytearray | memoryview,
                        end_stream: bool = False) -> int:
        """Send *data* in DATA frames as the peer's windows allow; returns
        ``len(data)`` once all was taken.

        Waits for WINDOW_UPDATE while a window is closed, at most
        ``conn.zero_window_timeout`` seconds without any credit: then the
        stream is reset with CANCEL and StreamCancelled is raised (also when
        the peer resets the stream meanwhile).  Each step takes at most
        ``SEND_QUANTUM`` octets and then lets other tasks run, so streams
        sharing the connection take turns; when several wait for connection
        credit the one served longest ago goes first.  Also waits while the
        transport holds more than its high-water mark of unwritten output.
        A zero-length *data* with *end_stream* just ends the stream.
        """
        conn = self.conn
        proto = conn.protocol
        sid = self.stream_id
        waiters = conn._credit_waiters
        view = memoryview(data)
        total = len(view)
        off = 0
        deadline = None
        try:
            while True:
                self._check()
                step = view[off:off + SEND_QUANTUM]
                last = off + len(step) >= total
                taken = proto.send_data(sid, step, end_stream=end_stream and last)
                if taken:
                    waiters.pop(sid, None)
                    off += taken
                    deadline = None
                    conn._flush_soon(taken)
                    if off >= total:
                        if end_stream:
                            self._closed_locally()
                        await conn._drain()
                        return total
                    if not await conn._drain():
                        await asyncio.sleep(0)  # let the other streams send
                    continue
                if total == 0:
                    conn._flush_soon()
                    self._closed_locally()
                    return 0
                now = time.monotonic()
                if deadline is None:
                    deadline = now + conn.zero_window_timeout
                left = deadline - now
                if left <= 0:
                    proto.reset_stream(sid, E.CANCEL)
                    conn._flush()
                    self._wake()
                    raise StreamCancelled(sid, "no flow-control credit in time", E.CANCEL)
                if sid not in waiters:
                    waiters[sid] = self
                event = self._credit
                if event is None:
                    event = self._credit = asyncio.Event()
                event.clear()
                await _wait(event, left)
        finally:
            waiters.pop(sid, None)

    def set_trailers(self, trailers: Iterable[tuple[str, str]]) -> None:
        """Fields for the trailer section that ``end()`` sends (RFC 9113
        section 8.1); the protocol checks them then (HTTP2Error for a
        pseudo-header)."""
        self.trailers = list(trailers)

    async def end(self, trailers: Iterable[tuple[str, str]] | None = None) -> None:
        """End the response: END_STREAM, or a trailer HEADERS frame when
        *trailers* (or those given to ``set_trailers``) has fields.

        A no-op when the response already ended.  Raises HTTP2Error for a
        pseudo-header in the trailers, HTTP2StreamError before the head,
        StreamCancelled once the stream is gone.
        """
        if self.stream.response_complete:
            return
        self._check()
        fields = list(trailers) if trailers else self.trailers
        self.conn.protocol.end_stream(self.stream_id, fields or None)
        self._closed_locally()
        await self.conn._send_soon()

    async def send_error(self, status: int, message: str | None = None) -> None:
        """Answer with a short text/plain response when no head was sent
        yet; otherwise reset the stream with INTERNAL_ERROR.  Does nothing
        once the stream is gone."""
        conn = self.conn
        if conn.is_closed or not self.stream.can_send:
            return
        proto = conn.protocol
        if self.stream.response_headers_sent:
            proto.reset_stream(self.stream_id, E.INTERNAL_ERROR)
            conn._flush()
            self._wake()
            return
        rest = proto.send_error(self.stream_id, status, message)
        conn._flush_soon()
        if rest:
            await self.send_data(rest, end_stream=True)
        else:
            self._closed_locally()
            await conn._drain()

    def reset(self, error_code: int = E.CANCEL) -> None:
        """RST_STREAM with *error_code* now (no-op once the stream is closed);
        other tasks waiting on this stream wake up and raise StreamCancelled."""
        conn = self.conn
        if not conn.closed:
            conn.protocol.reset_stream(self.stream_id, error_code)
            conn._flush()
        self._wake()

    def abort(self) -> None:
        """The response cannot be completed (the application failed after
        its head went out): reset with INTERNAL_ERROR (RFC 9113 section 8.1)."""
        self.reset(E.INTERNAL_ERROR)


class AsyncHTTP2Connection(DriverAttributes):
    """One HTTP/2 server connection over an asyncio stream pair.

    Args:
        cfg: the Config (``http2_*`` settings, header policy; ``timeout``
            bounds the waits for request content, for flow-control credit
            and for the transport to drain, in seconds).
        reader: the connection's ``asyncio.StreamReader``.
        writer: its ``asyncio.StreamWriter``.
        client_addr: the peer address ((host, port), a UNIX path or None).
        is_ssl: the connection scheme (default: the transport has TLS).
        enable_connect_protocol: advertise and accept extended CONNECT
            (RFC 8441; see ``HTTP2ServerProtocol``); only for a worker that
            serves WebSocket.

    Attributes (gunicorn 25 names): ``cfg, reader, writer, client_addr,
    streams`` (stream id -> HTTP2Stream), ``initial_window_size,
    max_concurrent_streams, max_frame_size, max_header_list_size, h2_conn``;
    ours: ``protocol`` (the HTTP2ServerProtocol), ``adapters`` (stream id ->
    AsyncHTTP2Stream of the streams whose application runs), ``closed``,
    ``error`` (the HTTP2Error of a connection error we detected, or None),
    ``read_timeout`` and ``zero_window_timeout`` (seconds), ``last_activity``.

    Only one task may call ``receive_data``; any number of tasks may send.
    """

    READ_BUFFER_SIZE = READ_BUFFER_SIZE

    def __init__(self, cfg: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 client_addr: Any, *, is_ssl: bool | None = None,
                 enable_connect_protocol: bool = False) -> None:
        self.cfg = cfg
        self.reader = reader
        self.writer = writer
        self.client_addr = client_addr
        if is_ssl is None:
            is_ssl = writer.get_extra_info("ssl_object") is not None
        self.is_ssl = is_ssl
        self.protocol = HTTP2ServerProtocol(cfg, client_addr, is_ssl=is_ssl,
                                            enable_connect_protocol=enable_connect_protocol)
        self.closed = False
        self.error: HTTP2Error | None = None
        timeout = float(getattr(cfg, "timeout", 30) or 30)
        self.read_timeout = timeout
        self.zero_window_timeout = timeout
        #: streams whose application runs (stream id -> AsyncHTTP2Stream)
        self.adapters: dict[int, AsyncHTTP2Stream] = {}
        # streams waiting for send credit, least recently served first
        self._credit_waiters: dict[int, AsyncHTTP2Stream] = {}
        self._drain_lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_handle: asyncio.Handle | None = None
        self._soon_bytes = 0  # DATA octets queued since the last write
        self._writer_closed = False
        try:
            self._high_water = int(writer.transport.get_write_buffer_limits()[1])
        except (AttributeError, NotImplementedError, TypeError):
            self._high_water = _DEFAULT_HIGH_WATER
        self.last_activity = time.monotonic()
        self.started = self.last_activity

    # -- gunicorn 25 attributes ---------------------------------------------------

    @property
    def pending_output(self) -> int:
        """Octets written to the transport and not sent yet."""
        if self._writer_closed:
            return 0
        return int(self.writer.transport.get_write_buffer_size())

    @property
    def finished(self) -> bool:
        """True when the connection can be closed: it failed or ended with
        an error, or a graceful GOAWAY went either way and no stream is
        left.  (Output still in the transport is written by ``close()``.)"""
        if self.closed or self.protocol.is_closed:
            return True
        return self.protocol.draining and not self.active_streams

    # -- writing ------------------------------------------------------------------------

    def _flush(self) -> None:
        """Hand what the protocol produced to the transport now (never waits)."""
        chunks = self.protocol.take_output()
        if not chunks or self.closed:
            return
        if self.writer.transport.is_closing():
            self._fail()
            return
        write = self.writer.write
        if len(chunks) == 1:
            write(chunks[0])
            return
        out = deque(chunks)
        while out:
            write(take_write(out, _WRITE_PIECE))

    def _flush_soon(self, queued: int = 0) -> None:
        """``_flush`` once the running task yields: what all the streams
        produce in one turn of the loop goes out together.  *queued*:
        octets of DATA just queued; once 1 MiB waits, it is handed to the
        transport now, so that ``_drain`` sees it (backpressure, memory)
        instead of every stream queueing its whole response."""
        if queued:
            self._soon_bytes += queued
            if self._soon_bytes >= _COALESCE_LIMIT:
                self._soon_bytes = 0
                self._flush()
                return
        if self._flush_handle is None and not self.closed:
            loop = self._loop
            if loop is None:
                loop = self._loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_soon(self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        self._flush_handle = None
        self._soon_bytes = 0
        self._flush()

    async def _send_soon(self) -> None:
        """``_flush_soon``, then wait while the transport is above its
        high-water mark."""
        self._flush_soon()
        await self._drain()

    async def _drain(self, limit: int | None = None) -> bool:
        """Wait while the transport holds more than *limit* octets (default:
        its high-water mark); True when it waited.  Fails the connection
        when the peer takes nothing for ``zero_window_timeout`` seconds."""
        if self.closed:
            return False
        size = self.writer.transport.get_write_buffer_size()
        if size <= (self._high_water if limit is None else limit):
            return False
        await self._wait_drained()
        return True

    async def _wait_drained(self) -> None:
        lock = self._drain_lock
        if lock is None:
            lock = self._drain_lock = asyncio.Lock()
        try:
            await asyncio.wait_for(self._drain_locked(lock), self.zero_window_timeout)
        except asyncio.TimeoutError:
            self._fail(abort=True)
        except Exception:
            # the transport is gone (reset, closed)
            self._fail()

    async def _drain_locked(self, lock: asyncio.Lock) -> None:
        # one drain at a time: StreamWriter.drain takes one waiter on older Pythons
        async with lock:
            await self.writer.drain()

    def _fail(self, abort: bool = False) -> None:
        """The transport is unusable: wake every waiting task (they raise)."""
        if self.closed:
            return
        self.closed = True
        if abort:
            self.writer.transport.abort()
        for adapter in self.adapters.values():
            adapter._wake()

    async def _send_pending_data(self) -> None:
        """Write what the protocol queued and wait for the transport to drain
        below its high-water mark (gunicorn 25 name)."""
        self._flush()
        await self._drain()

    def abort(self) -> None:
        """The transport was lost (``connection_lost``): mark the connection
        closed and wake every waiting task."""
        self._fail()

    # -- starting -------------------------------------------------------------------------

    async def initiate_connection(self) -> None:
        """Send our SETTINGS (the server connection preface, RFC 9113 section 3.4)."""
        self.protocol.initiate_connection()
        await self._send_pending_data()

    async def initiate_upgrade(self, settings_header: str | bytes, request: Any,
                               body: bytes = b"") -> list[Any]:
        """Take the connection over after ``Upgrade: h2c`` (RFC 7540 section 3.2).

        Writes ``101 Switching Protocols`` and our SETTINGS.  The HTTP/1.1
        *request* (method, uri, path, query, fragment, headers as (UPPERCASE
        name, value), scheme), its whole *body* read, becomes stream 1.
        Returns [the HTTP2Request of stream 1], as ``receive_data`` does.
        Raises ValueError for an invalid HTTP2-Settings value, before
        anything is written (serve the request as HTTP/1.1 then).
        """
        events = self.protocol.initiate_upgrade_connection(settings_header, request, body)
        if not self.closed:
            self.writer.write(H2C_SWITCHING_PROTOCOLS)
        requests = self._handle_events(events)
        await self._send_pending_data()
        return requests

    # -- reading --------------------------------------------------------------------------

    async def receive_data(self, timeout: float | None = None, *,
                           data: bytes | None = None) -> list[Any]:
        """Read once (at most ``READ_BUFFER_SIZE`` octets), feed the protocol,
        write its answers; return the HTTP2Requests that arrived.

        Args:
            timeout: seconds to wait for input; None waits without limit.
            data: octets already read (e.g. an h2c preface) to feed instead
                of reading.

        Each request's application may start at once: its
        ``request.stream.driver_data`` (also ``get_stream(stream_id)``) is
        its AsyncHTTP2Stream, from which it reads the content as it arrives.
        The end of input marks the connection closed and returns [].  A
        protocol error of the peer sends GOAWAY with its code (RFC 9113
        section 5.4.1) and returns; ``is_closed`` is then True and ``error``
        says why.  Waits while more than ``OUTPUT_HIGH`` octets are unwritten.

        Raises asyncio.TimeoutError when *timeout* passes without input (the
        connection stays usable), HTTP2ConnectionError when reading fails.
        """
        if data is None:
            if self.is_closed:
                return []
            read = self.reader.read(READ_BUFFER_SIZE)
            try:
                if timeout is None:
                    data = await read
                else:
                    data = await asyncio.wait_for(read, timeout)
            except asyncio.TimeoutError:
                # also an OSError since Python 3.11: not a transport failure
                raise
            except OSError as exc:
                self._fail()
                raise HTTP2ConnectionError(str(exc)) from exc
            if not data:
                self._fail()
                return []
        self.last_activity = time.monotonic()
        requests = self._handle_events(self.protocol.receive_data(data))
        self._flush()
        await self._drain(OUTPUT_HIGH)
        return requests

    def _handle_events(self, events: list[Event]) -> list[Any]:
        """Create the stream handles of new requests, wake waiting tasks."""
        requests: list[Any] = []
        adapters = self.adapters
        proto = self.protocol
        for ev in events:
            cls = type(ev)
            if cls is RequestReceived:
                received: RequestReceived = ev  # type: ignore[assignment]
                req = received.request
                adapter = AsyncHTTP2Stream(self, req.stream)
                req.stream.driver_data = adapter
                adapters[received.stream_id] = adapter
                requests.append(req)
            elif cls is DataReceived or cls is StreamEnded:
                waiter = adapters.get(ev.stream_id)  # type: ignore[attr-defined]
                if waiter is not None:
                    waiter._wake_data()
            elif cls is StreamReset:
                waiter = adapters.get(ev.stream_id)  # type: ignore[attr-defined]
                if waiter is not None:
                    waiter._wake()
            elif cls is WindowUpdated:
                updated_id = ev.stream_id  # type: ignore[attr-defined]
                if updated_id:
                    waiter = adapters.get(updated_id)
                    if waiter is not None:
                        waiter._wake_credit()
                else:
                    # in waiting order: the stream served longest ago resumes first
                    for waiter in self._credit_waiters.values():
                        waiter._wake_credit()
            elif cls is RequestRejected:
                proto.answer_rejected(ev)  # type: ignore[arg-type]
            elif cls is ConnectionTerminated:
                terminated: ConnectionTerminated = ev  # type: ignore[assignment]
                if terminated.error is not None:
                    self.error = terminated.error
                for waiter in adapters.values():
                    waiter._wake()
        if requests:
            # a stream reset in the same read (rapid reset, CVE-2023-44487)
            # never reaches the application
            live = []
            for req in requests:
                if req.stream.can_send:
                    live.append(req)
                else:
                    adapters.pop(req.stream.stream_id, None)
            requests = live
        return requests

    # -- stream bookkeeping -----------------------------------------------------------------

    def get_stream(self, stream_id: int) -> AsyncHTTP2Stream:
        """The AsyncHTTP2Stream of *stream_id* (made for an open stream that
        has none).  Raises HTTP2StreamError(STREAM_CLOSED) for an unknown
        or closed stream."""
        adapter = self.adapters.get(stream_id)
        if adapter is None:
            stream = self.protocol.streams.get(stream_id)
            if stream is None:
                raise HTTP2StreamError(stream_id, "no such stream", E.STREAM_CLOSED)
            adapter = self.adapters[stream_id] = AsyncHTTP2Stream(self, stream)
            stream.driver_data = adapter
        return adapter

    def stream_done(self, stream_id: int) -> bool:
        """The application of *stream_id* is over: forget its handle and
        reset the stream (CANCEL, or INTERNAL_ERROR before any head) if its
        response was left unfinished.  Never waits.

        Returns ``finished``: when True (e.g. the last stream after a
        graceful GOAWAY) the caller should ``await close()``, which also
        ends the read loop waiting in ``receive_data``.
        """
        adapter = self.adapters.pop(stream_id, None)
        self._credit_waiters.pop(stream_id, None)
        self.last_activity = time.monotonic()
        if adapter is not None:
            stream = adapter.stream
            # the request's body reads through the adapter: break that cycle
            adapter.request = None
        else:
            stream = self.protocol.streams.get(stream_id)
        if self.closed:
            return True
        if stream is not None:
            if stream.can_send:
                self.protocol.reset_stream(stream_id, E.CANCEL if stream.response_headers_sent
                                           else E.INTERNAL_ERROR)
            stream.release()
        self._flush_soon()
        return self.finished

    def cleanup_stream(self, stream_id: int) -> None:
        """Forget *stream_id*'s handle (gunicorn 25 name; see ``stream_done``)."""
        self.adapters.pop(stream_id, None)
        self._credit_waiters.pop(stream_id, None)

    # -- gunicorn 25 methods ------------------------------------------------------------------

    async def read_body(self, stream_id: int, size: int = -1) -> bytes:
        """``get_stream(stream_id).read(size)``: request content as it is
        consumed (b"" at its end)."""
        return await self.get_stream(stream_id).read(size)

    async def send_informational(self, stream_id: int, status: int,
                                 headers: Iterable[tuple[str, str]]) -> None:
        """Send a 1xx HEADERS frame on *stream_id* (e.g. 103 Early Hints,
        RFC 8297); HTTP2Error for a status outside 1xx."""
        await self.get_stream(stream_id).send_informational(status, list(headers))

    async def send_headers(self, stream_id: int, status: int,
                           headers: Iterable[tuple[str, str]], end_stream: bool = False) -> None:
        """Send the final response head on *stream_id* (DATA may follow)."""
        await self.get_stream(stream_id).send_head(status, list(headers), end=end_stream)

    async def send_response(self, stream_id: int, status: int, headers: Iterable[tuple[str, str]],
                            body: bytes | None = None) -> bool:
        """Send a whole response (END_STREAM on HEADERS when *body* is empty),
        waiting for flow-control credit as ``send_data`` does."""
        adapter = self.get_stream(stream_id)
        if body:
            await adapter.send_head(status, list(headers))
            await adapter.send_data(body, end_stream=True)
        else:
            await adapter.send_head(status, list(headers), end=True)
        return True

    async def send_data(self, stream_id: int, data: bytes, end_stream: bool = False) -> bool:
        """Send DATA on *stream_id*, waiting for flow-control credit
        (``AsyncHTTP2Stream.send_data``)."""
        await self.get_stream(stream_id).send_data(data, end_stream=end_stream)
        return True

    async def send_trailers(self, stream_id: int, trailers: Iterable[tuple[str, str]]) -> None:
        """End *stream_id* with a trailer HEADERS frame (HTTP2Error for a
        pseudo-header)."""
        await self.get_stream(stream_id).end(list(trailers))

    async def send_error(self, stream_id: int, status_code: int,
                         message: str | None = None) -> None:
        """Answer *stream_id* with a text/plain error response (or reset it
        with INTERNAL_ERROR when its head already went out)."""
        await self.get_stream(stream_id).send_error(status_code, message)

    async def reset_stream(self, stream_id: int, error_code: int = E.CANCEL) -> None:
        """RST_STREAM on *stream_id* (no-op once it is closed)."""
        adapter = self.adapters.get(stream_id)
        if adapter is not None:
            adapter.reset(error_code)
        elif not self.closed:
            self.protocol.reset_stream(stream_id, error_code)
            self._flush()
        await self._drain()

    async def goaway(self, error_code: int = E.NO_ERROR, last_stream_id: int | None = None
                     ) -> bool:
        """Send GOAWAY without closing (RFC 9113 section 6.8).  With NO_ERROR
        this is a graceful shutdown: streams up to *last_stream_id* finish,
        newer ones are refused, and ``stream_done`` returns True for the
        last one.  Any other code ends every stream at once.

        Returns ``finished``: True when no stream runs, so ``close()`` may
        follow at once (the read loop is not woken by this call).
        """
        if self.closed:
            return True
        self.protocol.close(error_code, last_stream_id)
        await self._send_pending_data()
        if error_code != E.NO_ERROR:
            for adapter in self.adapters.values():
                adapter._wake()
        return self.finished

    async def close(self, error_code: int = E.NO_ERROR, last_stream_id: int | None = None
                    ) -> None:
        """Send GOAWAY (unless the protocol already ended) and close the writer.

        Tasks still waiting on a stream raise StreamCancelled.  The GOAWAY
        gets up to ``CLOSE_TIMEOUT`` seconds to drain, then the transport is
        aborted.  For a graceful stop that lets running streams finish, call
        ``goaway()`` first and ``close()`` once ``finished``.
        """
        if self._writer_closed:
            return
        if not self.closed:
            self.protocol.close(error_code, last_stream_id)
            self._flush()
        self._fail()
        self._writer_closed = True
        writer = self.writer
        transport = writer.transport
        if not transport.is_closing() and transport.get_write_buffer_size():
            lock = self._drain_lock
            if lock is None:
                lock = self._drain_lock = asyncio.Lock()
            try:
                await asyncio.wait_for(self._drain_locked(lock), CLOSE_TIMEOUT)
            except asyncio.TimeoutError:
                transport.abort()
            except Exception:
                pass  # the transport is gone already
        writer.close()
