"""HTTP/2 in the threaded worker: the loop side and the per-stream pool jobs.

``HTTP2Serving`` is mixed into ``ThreadWorker``.  An HTTP/2 connection
(ALPN ``h2`` after the TLS handshake, or the h2c client preface on a
cleartext connection from a trusted peer) never holds a pool thread while it
waits: the loop thread reads its socket without blocking and feeds the
protocol under the connection's lock (``HTTP2ServerConnection.read_events``);
each request that arrives becomes one pool job running the application
(``_h2_run_stream``), so the streams of one connection run concurrently and
share the pool fairly with every other connection, also with ``--threads 1``.

Application threads send through their stream's ``HTTP2StreamIO`` under the
same lock.  What they send is queued, up to 4 MiB per connection, and the
loop writes what every stream queued in one go on EPOLLOUT: a thread writing
it itself would hold the lock through the TLS write while the loop waits on
it, and would wake the peer once per response.  Past 4 MiB the sending
thread writes (non-blocking; the rest again on EPOLLOUT).  Above 1 MiB
queued the connection stops reading (no new streams) until the peer takes
some.  One lock for
reads and writes: on TLS the ``SSLSocket`` must never be read and written
by two threads at once.

Lifecycle: idle connections (no stream for ``keepalive`` seconds, or the
timeout when keep-alive is off) get GOAWAY and are closed; a peer that does
not acknowledge our SETTINGS within ``SETTINGS_TIMEOUT`` seconds gets GOAWAY
SETTINGS_TIMEOUT (RFC 9113 section 6.5.3); on a graceful stop every
connection gets GOAWAY(NO_ERROR) and is closed once its streams are done or
``graceful_timeout`` passed.  Each stream counts toward ``max_requests``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gunicorn import tls
from gunicorn.http2 import H2_ONLY_RESPONSE
from gunicorn.http2.driver_base import (
    SETTINGS_TIMEOUT,
    add_stream_environ,
    run_wsgi_stream,
    serving_modes,
)
from gunicorn.http2.errors import HTTP2ErrorCode
from gunicorn.workers.loop import BUSY, EPOLLIN, EPOLLOUT

if TYPE_CHECKING:
    from gunicorn.http2.connection import HTTP2ServerConnection, HTTP2StreamIO
    from gunicorn.http2.core import (
        decode_http2_settings,
        detect_preface,
        h2c_allowed,
        h2c_upgrade_settings,
        inadequate_tls,
    )

__all__ = ["HTTP2Serving", "SETTINGS_TIMEOUT"]


def _load_http2_layer() -> None:
    """Import the HTTP/2 layer (and with it ``h2``) into this module.

    Called from ``h2_setup`` in the worker process: the arbiter imports the
    worker class but never serves a connection, so it does not carry h2,
    hpack and hyperframe in its memory.
    """
    global HTTP2ServerConnection, HTTP2StreamIO, decode_http2_settings, detect_preface
    global h2c_allowed, h2c_upgrade_settings, inadequate_tls
    from gunicorn.http2 import connection, core

    HTTP2ServerConnection, HTTP2StreamIO = (  # type: ignore[misc]
        connection.HTTP2ServerConnection, connection.HTTP2StreamIO)
    decode_http2_settings, detect_preface = core.decode_http2_settings, core.detect_preface
    h2c_allowed, h2c_upgrade_settings = core.h2c_allowed, core.h2c_upgrade_settings
    inadequate_tls = core.inadequate_tls

#: octets queued for the socket above which the connection stops reading
_OUTPUT_HIGH = 1 << 20
#: octets queued at which a pool thread writes them itself instead of the
#: loop.  Queued output is not copied (views of the application's bytes),
#: and the loop is armed for EPOLLOUT from the first queued frame; this only
#: says who writes.  At 1 MiB a pool thread running 100 streams of one
#: connection (64 KiB responses, h2load -c1 -m100, --threads 1) reached it
#: before the loop thread got the GIL, held the lock through the TLS write
#: while the loop waited on it: 2.3 context switches per request.  At 4 MiB:
#: 0.4, and 20% less CPU time per request.
_COALESCE_LIMIT = 4 << 20


class HTTP2Serving:
    """Mixin for ``ThreadWorker``: serve HTTP/2 connections from the loop.

    Needs the ``LoopWorker`` attributes (``poller``, ``method_queue``,
    ``_handoff``, ``_conns``, ``_idle``, ``_close_loop``) and ``_call`` (the
    ``WSGICall``).
    """

    _h2conns: dict[Any, HTTP2ServerConnection]
    _h2c_prior: bool = False
    _h2c_upgrade: bool = False
    _h2_only: bool = False
    #: gunicorn.tls offers h2 in ALPN only to workers that serve it
    serves_http2 = True

    def h2_setup(self) -> None:
        """Read the HTTP/2 settings once (called from ``start_serving``)."""
        cfg = self.cfg  # type: ignore[attr-defined]
        self._h2conns = {}
        protocols = cfg.http_protocols or ()
        if "h2" in protocols:
            # only then: h2, hpack and hyperframe cost memory in every worker
            _load_http2_layer()
        self._h2_only, self._h2c_prior, self._h2c_upgrade, self._h2_idle = serving_modes(cfg)

    # -- starting ------------------------------------------------------------

    def h2_after_handshake(self, conn: Any) -> bool:
        """Loop thread, TLS handshake done: True when ``conn`` was taken over
        (ALPN chose h2), or refused because ``--http-protocols h2`` alone was
        configured and the client did not offer h2 (a 505 explains why, RFC
        9110 section 15.6.6); False to serve HTTP/1.x."""
        if tls.is_http2_negotiated(conn.sock):
            self.h2_start(conn)
            return True
        if not self._h2_only:
            return False
        self.log.info("Refusing %s: it did not offer h2 (ALPN) and "  # type: ignore[attr-defined]
                      "http_protocols is h2 only", conn.client)
        try:
            conn.sock.send(H2_ONLY_RESPONSE)
        except (OSError, ValueError):
            pass
        self._close_loop(conn)  # type: ignore[attr-defined]
        return True

    def h2_preface(self, conn: Any) -> bool:
        """Loop thread, cleartext: True when the bytes buffered in ``conn.h1``
        are (or may become) the HTTP/2 client preface of a trusted peer and
        were taken over here; False to parse them as HTTP/1.x (RFC 9113
        section 3.3)."""
        h1 = conn.h1
        data = h1.trailing_data[0]
        found = detect_preface(data)
        if found is False or not h2c_allowed(self.cfg, conn.client)[0]:  # type: ignore[attr-defined]
            return False
        if found is None:
            if h1.input_ended:
                return False  # the HTTP/1.x path ends it
            self.poller.arm(conn)  # type: ignore[attr-defined]
            return True
        h1.take_buffered()
        self.h2_start(conn, data)
        return True

    def h2_upgrade(self, conn: Any) -> bool:
        """Loop thread, cleartext: the HTTP/1.1 request of ``conn`` (complete)
        asks for ``Upgrade: h2c`` (RFC 7540 section 3.2). True when the
        connection switched to HTTP/2 with that request as stream 1; False
        to serve it as HTTP/1.1 (no such request, an untrusted peer, an
        invalid HTTP2-Settings value, or content not all received yet)."""
        head = conn.head
        if head.version != (1, 1):
            return False
        settings = h2c_upgrade_settings(head.headers)
        if settings is None or not h2c_allowed(self.cfg, conn.client)[1]:  # type: ignore[attr-defined]
            return False
        try:
            decode_http2_settings(settings)
        except ValueError:
            return False
        body = self._driver.take_content(conn)  # type: ignore[attr-defined]
        if body is None:
            return False
        conn.head = None
        # what follows the request (the client preface, frames) is HTTP/2
        self.h2_start(conn, conn.h1.take_buffered(), (settings, head, body))
        return True

    def h2_start(self, conn: Any, initial: bytes = b"",
                 upgrade: tuple[str, Any, bytes] | None = None) -> None:
        """Loop thread: serve ``conn`` as HTTP/2 from now on.

        *initial*: bytes already read (h2c); *upgrade*: (HTTP2-Settings value,
        request head, its body) of an ``Upgrade: h2c`` request, which becomes
        stream 1.
        """
        self._idle.discard(conn)  # type: ignore[attr-defined]
        conn.http2 = True
        # BUSY: the generic idle sweep and stop drain leave it to this mixin
        conn.state = BUSY
        conn.timeout = None
        try:
            h2c = HTTP2ServerConnection(self.cfg, conn.sock, conn.client,  # type: ignore[attr-defined]
                                        is_ssl=conn.is_ssl,
                                        want_write=lambda h, c=conn: self._h2_want_write(c, h),  # type: ignore[misc]
                                        coalesce_writes=True,
                                        coalesce_limit=_COALESCE_LIMIT)
            # a PROXY header read before the TLS handshake names the client
            h2c.proxy_protocol_info = conn.h1.proxy_protocol_info
            jobs = h2c.initiate_upgrade(*upgrade) if upgrade is not None else ()
        except (OSError, ValueError):
            self._close_loop(conn)  # type: ignore[attr-defined]
            return
        self._h2conns[conn] = h2c
        if upgrade is None:
            h2c.initiate_connection()
        submit = self._handoff.submit  # type: ignore[attr-defined]
        for adapter, req in jobs:
            submit(self._h2_run_stream, conn, h2c, adapter, req)
        if conn.is_ssl:
            try:
                version, cipher = conn.sock.version(), conn.sock.cipher()[0]
            except (OSError, TypeError, ValueError):
                version = cipher = None
            if inadequate_tls(version, cipher):
                h2c.close(HTTP2ErrorCode.INADEQUATE_SECURITY)
                self._h2_close(conn)
                return
        self._h2_serve(conn, initial)

    # -- loop thread -----------------------------------------------------------

    def h2_ready(self, conn: Any, events: int) -> None:
        """Loop thread: the poller reported an HTTP/2 connection."""
        h2c = self._h2conns.get(conn)
        if h2c is None:
            return
        h2c.armed_events = 0  # one-shot: this report used the arming up
        if events & EPOLLOUT and h2c.pending_output:
            h2c.on_writable()
        self._h2_serve(conn)

    def _h2_serve(self, conn: Any, initial: bytes = b"") -> None:
        h2c = self._h2conns.get(conn)
        if h2c is None:
            return
        jobs, more = h2c.read_events(initial, lambda: self._h2_arm_locked(conn, h2c))
        if jobs:
            submit = self._handoff.submit  # type: ignore[attr-defined]
            for adapter, req in jobs:
                submit(self._h2_run_stream, conn, h2c, adapter, req)
        if h2c.finished:
            self._h2_close(conn)
            return
        if more:
            self.method_queue.defer(self._h2_serve, conn)  # type: ignore[attr-defined]
        if jobs:
            # re-armed after submitting: the jobs' first writes do not wait
            # for the loop's epoll call
            self._h2_arm(conn, h2c)

    def _h2_arm(self, conn: Any, h2c: HTTP2ServerConnection) -> None:
        """Arm the poller for what the connection waits for (under its lock,
        so the last arm always reflects the current output state)."""
        with h2c.lock:
            self._h2_arm_locked(conn, h2c)

    def _h2_arm_locked(self, conn: Any, h2c: HTTP2ServerConnection) -> None:
        if h2c.closed:
            return
        pending = h2c.pending_output
        if pending > _OUTPUT_HIGH:
            events = EPOLLOUT  # stop reading until the peer takes our output
        else:
            events = EPOLLIN | EPOLLOUT if pending else EPOLLIN
        try:
            self.poller.arm(conn, events)  # type: ignore[attr-defined]
        except (OSError, ValueError):
            return
        h2c.armed_events = events

    def _h2_want_write(self, conn: Any, h2c: HTTP2ServerConnection) -> None:
        # lock held: output is left over, ask the poller for EPOLLOUT
        if self._selector_fallback:  # type: ignore[attr-defined]
            self.method_queue.defer(self._h2_arm, conn, h2c)  # type: ignore[attr-defined]
            return
        armed = h2c.armed_events
        if not armed & EPOLLOUT or (armed & EPOLLIN and h2c.pending_output > _OUTPUT_HIGH):
            # armed once until reported (then reading stops above
            # _OUTPUT_HIGH): each stream that ends in a burst would
            # otherwise pay an epoll_ctl, which also hands the GIL over
            self._h2_arm_locked(conn, h2c)

    def _h2_close(self, conn: Any) -> None:
        """Loop thread: flush what is queued (best effort) and close."""
        h2c = self._h2conns.pop(conn, None)
        if h2c is not None:
            with h2c.lock:
                h2c._flush_locked()
                h2c._fail_locked()
                self._close_loop(conn)  # type: ignore[attr-defined]
        elif self._conns.get(conn.fd) is conn:  # type: ignore[attr-defined]
            self._close_loop(conn)  # type: ignore[attr-defined]

    def _h2_check(self, conn: Any) -> None:
        """Loop thread: a stream ended; close a draining connection now idle."""
        h2c = self._h2conns.get(conn)
        if h2c is not None and h2c.finished:
            self._h2_close(conn)

    def murder_keepalived(self) -> None:
        """Also close idle HTTP/2 connections (GOAWAY first) and those whose
        peer never acknowledged our SETTINGS."""
        super().murder_keepalived()  # type: ignore[misc]
        if not self._h2conns:
            return
        now = time.monotonic()
        for conn, h2c in list(self._h2conns.items()):
            if h2c.active_streams:
                continue
            if not h2c.protocol.settings_acknowledged and now - h2c.started > SETTINGS_TIMEOUT:
                h2c.close(HTTP2ErrorCode.SETTINGS_TIMEOUT)
            elif now - h2c.last_activity > self._h2_idle:
                h2c.close()
            else:
                continue
            self._h2_close(conn)

    def _graceful_stop(self) -> None:
        """GOAWAY(NO_ERROR) to every HTTP/2 connection, close those without
        streams, drain the rest with the HTTP/1 connections, close them all."""
        for conn, h2c in list(self._h2conns.items()):
            h2c.close()
            if h2c.finished:
                self._h2_close(conn)
        super()._graceful_stop()  # type: ignore[misc]
        for conn, h2c in list(self._h2conns.items()):
            h2c.drain_output(1.0)  # the end of responses still queued
            self._h2_close(conn)

    # -- pool thread -------------------------------------------------------------

    def _h2_before_app(self, resp: Any, environ: dict[str, Any]) -> None:
        """The HTTP/2 environ keys (early hints as 103 HEADERS, trailers) and
        the ``max_requests`` count (one per stream)."""
        environ["wsgi.multithread"] = True
        add_stream_environ(environ, resp.stream, resp)
        if self.count_request():  # type: ignore[attr-defined]
            self._wake()  # type: ignore[attr-defined]

    def _h2_run_stream(self, conn: Any, h2c: HTTP2ServerConnection, adapter: HTTP2StreamIO,
                       req: Any) -> None:
        """Pool thread: run the application for one stream."""
        try:
            run_wsgi_stream(self._call, self.log, h2c, adapter, req,  # type: ignore[attr-defined]
                            conn.client, conn.server, self._h2_before_app)
        finally:
            self._handoff.done()  # type: ignore[attr-defined]
            if h2c.draining or h2c.is_closed:
                self.method_queue.defer(self._h2_check, conn)  # type: ignore[attr-defined]

