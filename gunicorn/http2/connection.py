"""The threaded HTTP/2 driver: ``HTTP2ServerConnection`` and its stream adapter.

One ``HTTP2ServerConnection`` runs one ``core.HTTP2ServerProtocol`` over one
socket for several threads at once:

* the event-loop thread reads (``read_events``: non-blocking reads fed to
  the protocol) and writes what is left over when the socket is writable
  again (``on_writable``);
* each stream's application runs in a pool thread behind an
  ``HTTP2StreamIO`` (a ``gunicorn.http.stream.Stream``): it reads the request
  content and sends its response through the connection.

Every protocol call and every socket call happens under the connection's one
lock, and the socket is non-blocking.  So with TLS a read and a write never
run at the same time on the one ``SSLSocket`` (OpenSSL objects are not safe
for that), and no thread ever blocks on the socket while holding the lock:
output the socket does not take at once (and with ``coalesce_writes`` what
the streams send, up to 1 MiB) stays in ``_out``, a queue of buffers in which
DATA payloads of ``bytes`` are referenced rather than copied, and is written
by the loop when the socket reports writable (``want_write`` callback).  Threads
wait on ``threading.Condition`` objects built on that lock: per stream (data,
window credit, reset) and per connection (output drained below a bound).

Used without a loop (gunicorn 25 style) on a blocking socket, the same object
works too: ``receive_data()`` reads from the socket, and ``send_*`` write.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.http.stream import Stream

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
from .request import HTTP2Body

__all__ = ["HTTP2ServerConnection", "HTTP2StreamIO", "StreamCancelled", "READ_BUFFER_SIZE"]

READ_BUFFER_SIZE = 65536
#: octets one ``send_data`` step may take before other streams get a turn
SEND_QUANTUM = 65536
#: unwritten output above this stops reading and makes senders wait
OUTPUT_HIGH = 1 << 20
#: senders waiting for the output to drain resume below this
OUTPUT_LOW = 256 * 1024
#: most octets given to one ``send()`` call.  A join larger than glibc's
#: trim threshold (128 KiB) is carved from the top of the heap and given
#: back on free: one brk() pair per send (seen on gevent, 64 KiB responses)
_SEND_CHUNK = 64 * 1024
#: most octets read per readiness report before other connections get a turn
_READ_BUDGET = 1 << 20
_RETRY = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)

E = HTTP2ErrorCode


class HTTP2StreamIO(Stream):
    """A ``gunicorn.http.stream.Stream`` over one HTTP/2 stream, for the pool
    thread that runs the application.

    Args:
        conn: the ``HTTP2ServerConnection``.
        stream: the protocol's ``HTTP2Stream``.

    ``read(size)`` blocks until content arrives (its consumption grants the
    peer WINDOW_UPDATE credit); ``send_data`` blocks while the peer's window
    is closed (at most ``conn.zero_window_timeout`` seconds, then the stream
    is reset with CANCEL) and while the socket does not take the output.
    Every method raises ``StreamCancelled`` once the stream is reset.
    """

    __slots__ = ("conn", "stream", "stream_id", "request", "cond", "waiting", "trailers",
                 "length", "_continued")

    def __init__(self, conn: HTTP2ServerConnection, stream: Any) -> None:
        self.conn = conn
        self.stream = stream
        self.stream_id = stream.stream_id
        self.request = stream.request
        # made on the first wait: most streams never wait
        self.cond: threading.Condition | None = None
        self.waiting = False
        #: response trailers set through ``gunicorn.http2.send_trailers``
        self.trailers: list[tuple[str, str]] | None = None
        self.length = getattr(self.request, "content_length", None)
        self._continued = False

    # -- helpers (lock held) ---------------------------------------------------

    def _check(self) -> None:
        conn = self.conn
        if conn.closed or conn.protocol.is_closed:
            raise StreamCancelled(self.stream_id, "the connection is closed", E.CANCEL)
        stream = self.stream
        if stream.reset_code is not None or not stream.can_send:
            raise StreamCancelled(self.stream_id, "stream reset or closed",
                                  stream.reset_code if stream.reset_code is not None else E.CANCEL)

    def _wait(self, timeout: float) -> bool:
        cond = self.cond
        if cond is None:
            cond = self.cond = threading.Condition(self.conn.lock)
        self.waiting = True
        try:
            return cond.wait(timeout)
        finally:
            self.waiting = False

    # -- request content -------------------------------------------------------

    @property
    def socket(self) -> Any:
        """The connection's socket (``gunicorn.socket``); never write to it."""
        return self.conn.sock

    def read(self, size: int = -1) -> bytes:
        """Up to *size* octets of request content (all buffered when negative),
        b"" at its end.  Blocks until some arrive; the octets returned are
        acknowledged (WINDOW_UPDATE, RFC 9113 section 6.9).

        Raises StreamCancelled when the stream is reset before the content
        ended, and the trailer policy error at the end when it failed.
        """
        conn = self.conn
        deadline = None
        with conn.lock:
            if not self._continued:
                # a client waiting for 100 Continue gets it on the first read
                self._continued = True
                if not conn.closed and not conn.protocol.is_closed:
                    self.stream.send_continue()
            while True:
                if conn.closed:
                    raise StreamCancelled(self.stream_id, "the connection is closed", E.CANCEL)
                try:
                    data = self.stream.read_body(size)
                except HTTP2StreamError as exc:
                    raise StreamCancelled(self.stream_id, str(exc), exc.error_code) from None
                if data is not None:
                    if data:
                        conn._flush_locked()  # the WINDOW_UPDATE it produced
                    return data
                if deadline is None:
                    deadline = time.monotonic() + conn.read_timeout
                left = deadline - time.monotonic()
                if left <= 0:
                    conn.protocol.reset_stream(self.stream_id, E.CANCEL)
                    conn._flush_locked()
                    raise StreamCancelled(self.stream_id, "request content timed out", E.CANCEL)
                conn._flush_locked()  # a 100 Continue, credit for earlier reads
                self._wait(left)

    def send_continue(self) -> None:
        """Send ``:status 100`` now if the client asked for it (RFC 9110
        section 10.1.1) and nothing was sent yet."""
        conn = self.conn
        with conn.lock:
            self._continued = True
            if not conn.closed and not conn.protocol.is_closed:
                self.stream.send_continue()
                conn._flush_locked()

    # -- response ---------------------------------------------------------------

    def send_informational(self, status_code: int, headers: list[tuple[str, str]]) -> None:
        """Send a 1xx HEADERS frame (e.g. ``:status 103``, RFC 8297) now."""
        conn = self.conn
        with conn.lock:
            self._check()
            conn.protocol.send_informational(self.stream_id, status_code, headers)
            conn._flush_locked()

    def send_head(self, status_code: int, headers: list[tuple[str, str]],
                  reason: str | None = None, content_length: int | None = None,
                  close: bool = False, upgrade: bool = False, server: str | None = None,
                  end: bool = False, data: bytes = b"") -> int:
        """Send the final head (HEADERS; END_STREAM with *end*) and *data*.

        Hop-by-hop fields are dropped and names lowercased by the protocol
        (RFC 9113 section 8.2.2); *reason*, *close* and *upgrade* have no
        HTTP/2 meaning (upgrade raises StreamCancelled: there is no 101).
        Returns the octets of *data* taken.
        """
        conn = self.conn
        fields = list(headers)
        if content_length is not None and not any(
                n.lower() == "content-length" for n, _v in fields):
            fields.append(("content-length", str(content_length)))
        if server:
            fields.append(("server", server))
        with conn.lock:
            self._check()
            if upgrade:
                conn.protocol.reset_stream(self.stream_id, E.INTERNAL_ERROR)
                conn._flush_locked()
                raise StreamCancelled(self.stream_id, "HTTP/2 cannot switch protocols",
                                      E.INTERNAL_ERROR)
            end_now = end and not self.trailers
            proto = conn.protocol
            proto.send_headers(self.stream_id, status_code, fields, end_stream=end_now)
            if data and len(data) <= SEND_QUANTUM:
                # the usual small response: head and content in one lock
                # hold and one write, END_STREAM on the DATA when it
                # completes the Content-Length
                stream = self.stream
                limit = stream.response_length
                last = (limit is not None and not self.trailers
                        and stream.sent + len(data) >= limit)
                taken = proto.send_data(self.stream_id, data, end_stream=last)
                conn._flush_soon_locked()
                if taken >= len(data):
                    return len(data)
                data = memoryview(data)[taken:]  # type: ignore[assignment]
            elif not data:
                conn._flush_locked()
        if end and not end_now:
            self.end()
        if data:
            return self.send_data(data)
        return 0

    def send_data(self, data: Any, end_stream: bool = False) -> int:
        """Send *data* in DATA frames as the peer's windows allow, blocking
        until all was taken; returns ``len(data)``.

        Each step takes at most ``SEND_QUANTUM`` octets so that streams
        sharing the connection take turns.  Raises StreamCancelled when the
        stream is reset (by the peer or after ``zero_window_timeout`` seconds
        without credit).
        """
        conn = self.conn
        proto = conn.protocol
        sid = self.stream_id
        view = memoryview(data)
        total = len(view)
        off = 0
        deadline = None
        stream = self.stream
        limit = stream.response_length
        if (limit is not None and not end_stream and not self.trailers
                and stream.sent + total >= limit):
            # the content completes the declared length: END_STREAM rides on
            # the last DATA frame instead of an empty frame from end()
            end_stream = True
        while True:
            with conn.lock:
                self._check()
                while conn._out_size > OUTPUT_HIGH and not conn.closed:
                    # the socket does not take what we have: wait for the loop
                    if not conn.wait_writable_locked(conn.zero_window_timeout):
                        conn._fail_locked()
                    self._check()
                step = view[off:off + SEND_QUANTUM]
                last = off + len(step) >= total
                taken = proto.send_data(sid, step, end_stream=end_stream and last)
                if taken:
                    off += taken
                    deadline = None
                    conn._flush_soon_locked()
                    if off >= total:
                        return total
                else:
                    if total == 0:
                        conn._flush_locked()
                        return 0
                    if deadline is None:
                        deadline = time.monotonic() + conn.zero_window_timeout
                    left = deadline - time.monotonic()
                    if left <= 0:
                        proto.reset_stream(sid, E.CANCEL)
                        conn._flush_locked()
                        raise StreamCancelled(sid, "no flow-control credit in time", E.CANCEL)
                    # HEADERS are not flow-controlled (RFC 9113 section 6.9):
                    # a head held for the first DATA goes out while we wait
                    conn._flush_locked()
                    self._wait(left)

    def sendfile(self, file: Any, offset: int, count: int) -> None:
        """None: content goes through DATA frames (the caller reads the file)."""
        return None

    def can_sendfile(self) -> bool:
        """False (see ``sendfile``)."""
        return False

    def flush(self) -> None:
        """Write what the protocol has queued (HEADERS go out at once anyway)."""
        conn = self.conn
        with conn.lock:
            conn._flush_locked()

    def end(self, trailers: Iterable[tuple[str, str]] | None = None) -> None:
        """End the response: END_STREAM, or a trailer HEADERS frame when
        *trailers* (or those set through ``set_trailers``) has fields."""
        conn = self.conn
        stream = self.stream
        if stream.response_complete:
            # set under the lock by this thread's last send: nothing to do
            return
        trailers = list(trailers) if trailers else self.trailers
        with conn.lock:
            if stream.response_complete:
                return
            self._check()
            conn.protocol.end_stream(self.stream_id, trailers or None)
            conn._flush_locked()

    def set_trailers(self, trailers: Iterable[tuple[str, str]]) -> None:
        """``gunicorn.http2.send_trailers``: fields sent after the content, in a
        final HEADERS frame (RFC 9113 section 8.1).  Raises HTTP2Error for
        pseudo-header or non-(name, value) fields."""
        pairs = []
        for pair in trailers:
            name, value = pair
            if not isinstance(name, str) or not isinstance(value, str) or name.startswith(":"):
                raise HTTP2Error("invalid trailer field %r" % (name,))
            pairs.append((name.lower(), value))
        self.trailers = pairs

    def request_trailers(self) -> list[tuple[str, str]]:
        """The request's trailer fields ((UPPERCASE name, value)), complete
        once ``wsgi.input`` returned its end."""
        return list(getattr(self.request, "trailers", None) or ())

    def send_error(self, status: int, message: str | None = None) -> None:
        """Answer with a short text/plain response when no head was sent yet;
        otherwise reset the stream (INTERNAL_ERROR)."""
        conn = self.conn
        with conn.lock:
            if conn.closed or not self.stream.can_send:
                return
            if self.stream.response_headers_sent:
                conn.protocol.reset_stream(self.stream_id, E.INTERNAL_ERROR)
                conn._flush_locked()
                return
            rest = conn.protocol.send_error(self.stream_id, status, message)
            conn._flush_locked()
        if rest:
            self.send_data(rest, end_stream=True)

    def abort(self) -> None:
        """The response cannot be completed (the application failed after
        the head went out): reset the stream with INTERNAL_ERROR (RFC 9113
        section 8.1); the other streams of the connection go on."""
        self.reset(E.INTERNAL_ERROR)

    def shutdown(self, how: int = 2) -> None:
        """Same as ``abort`` (for code that treats the stream as a socket)."""
        self.reset(E.INTERNAL_ERROR)

    def reset(self, error_code: int = E.CANCEL) -> None:
        """RST_STREAM with *error_code* (no-op once the stream is closed)."""
        conn = self.conn
        with conn.lock:
            if not conn.closed:
                conn.protocol.reset_stream(self.stream_id, error_code)
                conn._flush_locked()

    def plan_response(self, status_code: int, content_length: int | None) -> tuple[int, bool]:
        """(framing, keep_alive): see ``HTTP2Stream.plan_response``."""
        return self.stream.plan_response(status_code, content_length)[0], True

    def response_framing(self, status_code: int, content_length: int | None) -> int:
        """The framing (``core.framing.BODY_*``) a response would get."""
        return self.stream.plan_response(status_code, content_length)[0]

    @property
    def keep_alive(self) -> bool:
        """True: one stream never decides for its connection."""
        return True

    def request_close(self) -> None:
        """Ignored: a stream cannot close a multiplexed connection."""

    @property
    def response_started(self) -> bool:
        """True once the final head was sent."""
        return bool(self.stream.response_headers_sent)


class HTTP2ServerConnection(DriverAttributes):
    """One HTTP/2 server connection shared by a loop thread and pool threads.

    Args:
        cfg: the Config (``http2_*`` settings, ``timeout`` for waits).
        sock: the connected socket (TLS-wrapped when TLS is on); made
            non-blocking when *want_write* is given, else left as it is.
        client_addr: the peer address.
        is_ssl: the connection scheme (default: ``sock`` is an SSLSocket).
        want_write: ``want_write(conn)``, called (lock held) when output is
            left unwritten: the caller must call ``on_writable`` once the
            socket is writable.
        coalesce_writes: with *want_write*, a stream that sends (its
            head with content, DATA, or its end) leaves its frames queued,
            while less than *coalesce_limit* octets are queued, and calls
            *want_write* instead of writing them: the caller's writer sends
            what every stream queued meanwhile in one write (in the
            greenlet workers the stream greenlets of one read all run
            before the writer does).
        coalesce_limit: octets (default 1 MiB) queued at which a sending
            stream writes itself, with *coalesce_writes*.

    Attributes (gunicorn 25 names): ``cfg, sock, client_addr, streams``
    (stream id -> HTTP2Stream), ``initial_window_size,
    max_concurrent_streams, max_frame_size, max_header_list_size, h2_conn``;
    ``protocol`` (the HTTP2ServerProtocol), ``lock``.
    """

    READ_BUFFER_SIZE = READ_BUFFER_SIZE

    def __init__(self, cfg: Any, sock: Any, client_addr: Any, *, is_ssl: bool | None = None,
                 want_write: Callable[[HTTP2ServerConnection], None] | None = None,
                 coalesce_writes: bool = False, coalesce_limit: int = OUTPUT_HIGH) -> None:
        self.cfg = cfg
        self.sock = sock
        self.client_addr = client_addr
        if is_ssl is None:
            is_ssl = isinstance(sock, ssl.SSLSocket)
        self.is_ssl = is_ssl
        self.protocol = HTTP2ServerProtocol(cfg, client_addr, is_ssl=is_ssl)
        self.lock = threading.Lock()
        self._writable = threading.Condition(self.lock)
        # threads waiting on _writable: a notify without waiters costs
        # (green Conditions are pure Python)
        self._write_waiters = 0
        #: output not written yet: bytes-like objects in order (DATA payloads
        #: may be views of the application's bytes), and their total size
        self._out: deque[Any] = deque()
        self._out_size = 0
        self._want_write = want_write
        self._coalesce = coalesce_writes and want_write is not None
        self._coalesce_limit = coalesce_limit
        #: for a driver that polls the socket: the events (a poller mask)
        #: armed and not reported yet, so *want_write* need not arm again
        self.armed_events = 0
        if want_write is not None:
            sock.setblocking(False)
        self.closed = False
        timeout = float(getattr(cfg, "timeout", 30) or 30)
        self.read_timeout = timeout
        self.zero_window_timeout = timeout
        #: streams whose application runs (stream id -> HTTP2StreamIO)
        self.adapters: dict[int, HTTP2StreamIO] = {}
        self.last_activity = time.monotonic()
        self.started = self.last_activity

    # -- gunicorn 25 attributes -------------------------------------------------

    @property
    def pending_output(self) -> int:
        """Octets queued for the socket and not written yet."""
        return self._out_size

    # -- writing (lock held) ------------------------------------------------------

    def _take_output_locked(self) -> None:
        """Queue what the protocol produced."""
        chunks = self.protocol.take_output()
        if chunks:
            self._out.extend(chunks)
            self._out_size += sum(map(len, chunks))

    def _flush_locked(self) -> None:
        """Write what the protocol produced, as far as the socket takes it now."""
        self._take_output_locked()
        out = self._out
        if not out or self.closed:
            return
        send = self.sock.send
        try:
            while out:
                buf = take_write(out, _SEND_CHUNK)
                size = len(buf)
                try:
                    n = send(buf)
                except BaseException:
                    out.appendleft(buf)  # a retry sends the same octets first
                    raise
                self._out_size -= n
                if n < size:
                    # gevent's non-blocking SSLSocket returns 0 where the
                    # standard library raises SSLWantWriteError
                    out.appendleft(memoryview(buf)[n:] if n else buf)
                    break
        except _RETRY:
            pass
        except (OSError, ValueError):
            self._fail_locked()
            return
        if out and self._want_write is not None:
            self._want_write(self)
        if self._write_waiters and self._out_size < OUTPUT_LOW:
            self._writable.notify_all()

    def wait_writable_locked(self, timeout: float) -> bool:
        """Lock held: wait until a write brought the queued output below
        ``OUTPUT_LOW`` or the connection failed; False after *timeout*
        seconds without that."""
        self._write_waiters += 1
        try:
            return self._writable.wait(timeout)
        finally:
            self._write_waiters -= 1

    def _flush_soon_locked(self) -> None:
        """``_flush_locked``, or with ``coalesce_writes`` queue the frames
        and leave the write to the caller's writer."""
        if not self._coalesce:
            self._flush_locked()
            return
        self._take_output_locked()
        if self._out_size >= self._coalesce_limit:
            self._flush_locked()
        elif self._out and not self.closed:
            assert self._want_write is not None  # coalescing needs a writer
            self._want_write(self)

    def _fail_locked(self) -> None:
        """The socket is unusable: wake every waiting thread (they raise)."""
        if self.closed:
            return
        self.closed = True
        self._out.clear()
        self._out_size = 0
        self._writable.notify_all()
        for adapter in self.adapters.values():
            if adapter.waiting:
                assert adapter.cond is not None  # created before waiting is set
                adapter.cond.notify_all()

    def _send_pending_data(self) -> None:
        """Write queued output now (gunicorn 25 name)."""
        with self.lock:
            self._flush_locked()

    # -- the loop thread ----------------------------------------------------------

    def initiate_connection(self) -> None:
        """Queue and write our SETTINGS (RFC 9113 section 3.4)."""
        with self.lock:
            self.protocol.initiate_connection()
            self._flush_locked()

    def initiate_upgrade(self, settings_header: str, request: Any, body: bytes = b""
                         ) -> list[tuple[HTTP2StreamIO, Any]]:
        """Loop thread: take the connection over after ``Upgrade: h2c`` (RFC
        7540 section 3.2): queue the 101 answer and our SETTINGS; the
        HTTP/1.1 *request* (a ``RequestHead``, its whole *body* read) becomes
        stream 1.  Returns that stream's job, as ``read_events`` does.
        Raises ValueError for an invalid HTTP2-Settings value (before
        anything is queued: serve the request as HTTP/1.1 then)."""
        with self.lock:
            events = self.protocol.initiate_upgrade_connection(settings_header, request, body)
            self._out.appendleft(H2C_SWITCHING_PROTOCOLS)
            self._out_size += len(H2C_SWITCHING_PROTOCOLS)
            jobs = self._handle_events_locked(events)
            self._flush_locked()
            return jobs

    def read_events(self, initial: bytes = b"", rearm: Callable[[], None] | None = None
                    ) -> tuple[list[tuple[HTTP2StreamIO, Any]], bool]:
        """Loop thread: read what the socket holds (non-blocking), feed it to
        the protocol, write the answers.

        Args:
            initial: bytes already read from the socket (an h2c preface).
            rearm: called with the lock held before it is released when the
                connection goes on (re-arm the poller).

        Returns:
            (jobs, more): *jobs* are (HTTP2StreamIO, request) pairs whose
            application must run now; *more* is True when input may be left
            in the TLS layer (read again without waiting for the poller).
            The connection may be over afterwards: check ``is_closed``.
        """
        with self.lock:
            if self.closed:
                return [], False
            more = False
            chunks = [initial] if initial else []
            if self._out_size <= OUTPUT_HIGH:
                total = len(initial)
                recv = self.sock.recv
                eof = False
                while True:
                    try:
                        data = recv(READ_BUFFER_SIZE)
                    except _RETRY:
                        break
                    except (OSError, ValueError):
                        eof = True
                        break
                    if not data:
                        eof = True
                        break
                    chunks.append(data)
                    total += len(data)
                    if total >= _READ_BUDGET:
                        more = True
                        break
                    if not self.is_ssl and len(data) < READ_BUFFER_SIZE:
                        break
                if eof:
                    if chunks:
                        self._handle_events_locked(self.protocol.receive_data(b"".join(chunks)))
                    self._fail_locked()
                    return [], False
            if not chunks:
                if rearm is not None and not self.finished:
                    rearm()
                return [], more
            self.last_activity = time.monotonic()
            events = self.protocol.receive_data(chunks[0] if len(chunks) == 1
                                                else b"".join(chunks))
            jobs = self._handle_events_locked(events)
            self._flush_locked()
            if rearm is not None and not jobs and not self.finished:
                rearm()
            return jobs, more

    def on_writable(self) -> bool:
        """Loop thread: the socket is writable again; write what is queued.
        Returns True while output is still left."""
        with self.lock:
            self._flush_locked()
            return bool(self._out) and not self.closed

    def _handle_events_locked(self, events: list[Event]) -> list[tuple[HTTP2StreamIO, Any]]:
        jobs: list[tuple[HTTP2StreamIO, Any]] = []
        adapters = self.adapters
        proto = self.protocol
        for ev in events:
            cls = type(ev)
            if cls is RequestReceived:
                received: RequestReceived = ev  # type: ignore[assignment]
                req = received.request
                adapter = HTTP2StreamIO(self, req.stream)
                req.stream.driver_data = adapter
                adapters[received.stream_id] = adapter
                req.body = HTTP2Body(adapter)
                jobs.append((adapter, req))
            elif cls is DataReceived or cls is StreamEnded or cls is StreamReset:
                waiter = adapters.get(ev.stream_id)  # type: ignore[attr-defined]
                if waiter is not None and waiter.waiting:
                    assert waiter.cond is not None  # created before waiting is set
                    waiter.cond.notify()
            elif cls is WindowUpdated:
                updated_id = ev.stream_id  # type: ignore[attr-defined]
                if updated_id:
                    waiter = adapters.get(updated_id)
                    if waiter is not None and waiter.waiting:
                        assert waiter.cond is not None  # created before waiting is set
                        waiter.cond.notify()
                else:
                    for adapter in adapters.values():
                        if adapter.waiting:
                            assert adapter.cond is not None  # created before waiting is set
                            adapter.cond.notify()
            elif cls is RequestRejected:
                proto.answer_rejected(ev)  # type: ignore[arg-type]
            elif cls is ConnectionTerminated:
                for adapter in adapters.values():
                    if adapter.waiting:
                        assert adapter.cond is not None  # created before waiting is set
                        adapter.cond.notify_all()
                self._writable.notify_all()
        if jobs:
            # a stream reset in the same read (rapid reset, CVE-2023-44487)
            # never reaches the application
            live = []
            for job in jobs:
                if job[0].stream.can_send:
                    live.append(job)
                else:
                    adapters.pop(job[0].stream_id, None)
            jobs = live
        return jobs

    # -- stream bookkeeping -------------------------------------------------------

    def stream_done(self, adapter: HTTP2StreamIO) -> None:
        """Pool thread: the application of *adapter*'s stream is over; reset
        the stream (CANCEL) if its response was left unfinished."""
        with self.lock:
            self.adapters.pop(adapter.stream_id, None)
            self.last_activity = time.monotonic()
            if self.closed:
                return
            stream = adapter.stream
            if stream.can_send:
                self.protocol.reset_stream(adapter.stream_id,
                                           E.CANCEL if stream.response_headers_sent
                                           else E.INTERNAL_ERROR)
            stream.release()
            # the request's body reads through the adapter: break that cycle
            adapter.request = None
            self._flush_soon_locked()

    @property
    def finished(self) -> bool:
        """True when the socket can be closed: the connection failed or ended
        with an error, or a graceful GOAWAY went out, no stream is left and
        all output was written."""
        if self.closed or self.protocol.is_closed:
            return True
        return self.protocol.draining and not self.active_streams and not self._out

    def drain_output(self, timeout: float) -> None:
        """Write what is still queued, blocking up to *timeout* seconds
        (used when the worker stops)."""
        with self.lock:
            self._flush_locked()
            if self.closed or not self._out:
                return
            try:
                self.sock.settimeout(timeout)
                self.sock.sendall(b"".join(self._out))
            except (OSError, ValueError):
                pass
            self._out.clear()
            self._out_size = 0

    # -- gunicorn 25 methods --------------------------------------------------------

    def receive_data(self, data: bytes | None = None) -> list[Any]:
        """Feed *data* (or one blocking read of the socket) to the protocol;
        return the HTTP2Requests that arrived.  An empty read closes the
        connection.  Raises HTTP2ConnectionError when the socket fails."""
        if data is None:
            try:
                data = self.sock.recv(READ_BUFFER_SIZE)
            except _RETRY:
                return []
            except OSError as exc:
                with self.lock:
                    self._fail_locked()
                raise HTTP2ConnectionError(str(exc)) from exc
            if not data:
                with self.lock:
                    self._fail_locked()
                return []
        with self.lock:
            jobs = self._handle_events_locked(self.protocol.receive_data(data))
            self._flush_locked()
        return [req for _adapter, req in jobs]

    def _adapter(self, stream_id: int) -> HTTP2StreamIO:
        adapter = self.adapters.get(stream_id)
        if adapter is None:
            stream = self.protocol.streams.get(stream_id)
            if stream is None:
                raise HTTP2StreamError(stream_id, "no such stream", E.STREAM_CLOSED)
            adapter = self.adapters[stream_id] = HTTP2StreamIO(self, stream)
        return adapter

    def send_informational(self, stream_id: int, status: int,
                           headers: Iterable[tuple[str, str]]) -> None:
        """Send a 1xx HEADERS frame on *stream_id* (HTTP2Error outside 1xx)."""
        if not 100 <= int(status) < 200:
            raise HTTP2Error("informational status must be 1xx, not %s" % (status,))
        self._adapter(stream_id).send_informational(status, list(headers))

    def send_response(self, stream_id: int, status: int, headers: Iterable[tuple[str, str]],
                      body: bytes | None = None) -> bool:
        """Send a whole response (END_STREAM on HEADERS when *body* is empty)."""
        adapter = self._adapter(stream_id)
        if body:
            adapter.send_head(status, list(headers))
            adapter.send_data(body, end_stream=True)
        else:
            adapter.send_head(status, list(headers), end=True)
        return True

    def send_data(self, stream_id: int, data: bytes, end_stream: bool = False) -> bool:
        """Send DATA on *stream_id*, waiting for flow-control credit."""
        self._adapter(stream_id).send_data(data, end_stream=end_stream)
        return True

    def send_trailers(self, stream_id: int, trailers: Iterable[tuple[str, str]]) -> None:
        """End *stream_id* with a trailer HEADERS frame (no pseudo-headers)."""
        adapter = self._adapter(stream_id)
        adapter.set_trailers(trailers)
        adapter.end()

    def send_error(self, stream_id: int, status_code: int, message: str | None = None) -> None:
        """Answer *stream_id* with a text/plain error response."""
        self._adapter(stream_id).send_error(status_code, message)

    def reset_stream(self, stream_id: int, error_code: int = E.CANCEL) -> None:
        """RST_STREAM on *stream_id*."""
        with self.lock:
            self.protocol.reset_stream(stream_id, error_code)
            self._flush_locked()

    def close(self, error_code: int = E.NO_ERROR, last_stream_id: int | None = None) -> None:
        """Send GOAWAY (graceful with NO_ERROR: running streams finish)."""
        with self.lock:
            if self.closed:
                return
            self.protocol.close(error_code, last_stream_id)
            self._flush_locked()
            if error_code != E.NO_ERROR:
                for adapter in self.adapters.values():
                    if adapter.waiting:
                        assert adapter.cond is not None  # created before waiting is set
                        adapter.cond.notify_all()

    def cleanup_stream(self, stream_id: int) -> None:
        """Forget *stream_id*'s adapter."""
        with self.lock:
            self.adapters.pop(stream_id, None)

