"""HTTP/2 in the greenlet workers (gevent, eventlet): one greenlet per stream.

``AsyncHTTP2Serving`` is mixed into ``AsyncWorker``.  A connection becomes
HTTP/2 when ALPN chose ``h2`` after the TLS handshake, when a trusted
cleartext peer starts with the client preface (prior knowledge, RFC 9113
section 3.3), or when its HTTP/1.1 request asks for ``Upgrade: h2c`` (RFC
7540 section 3.2).  It is then served by the one HTTP/2 layer through the
blocking driver ``HTTP2ServerConnection`` exactly as gthread uses it, with
greenlets in place of threads:

* the connection's own greenlet (the one ``AsyncWorker.handle`` runs in) is
  the reader: it waits until the socket is readable, feeds the protocol
  (``read_events``, non-blocking reads under the connection lock) and spawns
  one greenlet per request, which runs the application through
  ``run_wsgi_stream`` (the stream's ``HTTP2StreamIO`` grants WINDOW_UPDATE
  credit as ``wsgi.input`` is read);
* output the socket does not take at once stays queued in the driver; a
  writer greenlet, started on demand, writes it whenever the socket is
  writable again.

Monkey-patching makes ``threading.Lock``/``Condition`` green, so the
driver's lock and its waits suspend only the greenlet that waits.  The
socket is non-blocking: no greenlet ever blocks in a socket call while it
holds the lock (on TLS one ``SSLSocket`` is read and written by several
greenlets, one call at a time).

Lifecycle as on gthread: GOAWAY and close after ``keepalive`` idle seconds
without streams (``timeout`` when keep-alive is off), SETTINGS_TIMEOUT when
the peer never acknowledges our SETTINGS, and on a graceful stop GOAWAY
(NO_ERROR) to every connection, each closed once its streams are done.
Each stream counts toward ``max_requests``.

Stream greenlets and the writer greenlet are reused, parked between
their jobs (``green_parking``).

The worker class provides the green primitives of
``green_parking.GreenPrimitives``.
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
from gunicorn.workers.green_parking import GreenLink, StreamRunners

if TYPE_CHECKING:
    from gunicorn.http2.connection import OUTPUT_HIGH, OUTPUT_LOW, HTTP2ServerConnection
    from gunicorn.http2.core import (
        decode_http2_settings,
        detect_preface,
        h2c_allowed,
        h2c_upgrade_settings,
        inadequate_tls,
    )
    from gunicorn.workers.base_async import _shutdown_transport

__all__ = ["AsyncHTTP2Serving", "UPGRADE_CONTENT_LIMIT"]

#: most request content an ``Upgrade: h2c`` request may carry; a larger (or
#: chunked) one is answered over HTTP/1.1 (RFC 9113 section 3.1 allows it)
UPGRADE_CONTENT_LIMIT = 65536
#: shortest wait of the reader, in seconds (a deadline that is due now)
_MIN_WAIT = 0.01
class AsyncHTTP2Serving(StreamRunners):
    """Mixin for ``AsyncWorker``: serve HTTP/2 connections with greenlets.

    Needs the ``AsyncWorker`` attributes (``cfg``, ``log``, ``_call``,
    ``_waiting``, ``timeout_ctx``) and the green primitives ``green_spawn``
    and ``wait_socket`` of the worker class (which sets ``serves_http2``).
    """

    _h2_on = False
    _h2_only = False
    _h2c_prior = False
    _h2c_upgrade = False
    _h2_idle = 30.0
    _h2_live: dict[Any, GreenLink] = {}

    def h2_setup(self) -> None:
        """Read the HTTP/2 settings once, in the worker process (after fork:
        the arbiter never loads the HTTP/2 layer)."""
        cfg = self.cfg  # type: ignore[attr-defined]
        protocols = list(cfg.http_protocols or ())
        self._h2_live = {}
        if not getattr(self, "serves_http2", False) or "h2" not in protocols:
            return
        from gunicorn import http2

        if not http2.is_http2_available():
            return
        _load_http2_layer()
        self._h2_on = True
        self._h2_only, self._h2c_prior, self._h2c_upgrade, self._h2_idle = serving_modes(cfg)

    # -- choosing HTTP/2 -------------------------------------------------------

    def h2_after_handshake(self, sock: Any, client: Any, server: Any,
                           proxy_info: dict[str, Any] | None = None) -> bool:
        """TLS handshake done: True when the connection was served here (ALPN
        chose h2), or refused with a 505 because only ``h2`` is configured
        and the client did not offer it (RFC 9110 section 15.6.6).
        *proxy_info*: the PROXY header read before the handshake."""
        if not self._h2_on:
            return False
        if tls.is_http2_negotiated(sock):
            self.handle_http2(sock, client, server, proxy_info=proxy_info)
            return True
        if not self._h2_only:
            return False
        self.log.info("Refusing %s: it did not offer h2 (ALPN) and "  # type: ignore[attr-defined]
                      "http_protocols is h2 only", client)
        try:
            sock.sendall(H2_ONLY_RESPONSE)
        except (OSError, ValueError):
            pass
        return True

    def h2c_prior_knowledge(self, sock: Any, client: Any, server: Any, unreader: Any) -> bool:
        """Cleartext, first bytes of a connection: when a trusted peer sends
        the client preface, serve HTTP/2 and return True.  Also True when
        nothing arrived within ``idle_timeout`` (close quietly); False with
        the bytes read pushed back into *unreader* for the HTTP/1.x parser."""
        if not self._h2c_prior or not h2c_allowed(self.cfg, client)[0]:  # type: ignore[attr-defined]
            return False
        data = b""
        found = None
        waiting = self._waiting  # type: ignore[attr-defined]
        waiting.add(sock)  # idle: a graceful stop may end the wait
        try:
            with self.timeout_ctx():  # type: ignore[attr-defined]
                while found is None:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                    found = detect_preface(data)
        finally:
            waiting.discard(sock)
        if found:
            self.handle_http2(sock, client, server, data)
            return True
        if not data:
            return True
        unreader.unread(data)
        return False

    def h2c_upgrade(self, req: Any, sock: Any, client: Any, server: Any, unreader: Any) -> bool:
        """Cleartext: when the HTTP/1.1 request *req* of a trusted peer asks
        for ``Upgrade: h2c`` with a valid HTTP2-Settings value and at most
        ``UPGRADE_CONTENT_LIMIT`` octets of content, answer 101, serve the
        connection as HTTP/2 with *req* as stream 1 and return True; False to
        answer *req* over HTTP/1.1 (RFC 7540 section 3.2)."""
        if not self._h2c_upgrade or req.version != (1, 1):
            return False
        settings = h2c_upgrade_settings(req.headers)
        if settings is None or not h2c_allowed(self.cfg, client)[1]:  # type: ignore[attr-defined]
            return False
        try:
            decode_http2_settings(settings)
        except ValueError:
            return False
        for name, value in req.headers:
            if name == "TRANSFER-ENCODING" or (
                    name == "CONTENT-LENGTH" and int(value) > UPGRADE_CONTENT_LIMIT):
                return False
        # the whole content (b"" when none): the HTTP/1.1 exchange ends here
        body = req.body.read()
        self.handle_http2(sock, client, server, unreader.take_buffered(), (settings, req, body))
        return True

    # -- one HTTP/2 connection ------------------------------------------------

    def handle_http2(self, sock: Any, client: Any, server: Any, initial: bytes = b"",
                     upgrade: tuple[str, Any, bytes] | None = None, *,
                     proxy_info: dict[str, Any] | None = None) -> None:
        """Serve the connection *sock* as HTTP/2 until it ends; never raises
        ``Exception`` (the caller closes the socket).

        Args:
            sock: the connected socket (TLS-wrapped on TLS); client / server:
                the peer and listener addresses.
            initial: octets already read (h2c: the client preface...).
            upgrade: (HTTP2-Settings value, request, its content) of an
                ``Upgrade: h2c`` request, which becomes stream 1.
            proxy_info: the PROXY header read before a TLS handshake (its
                client becomes every stream's REMOTE_ADDR).
        """
        link = GreenLink(self, sock)
        try:
            h2c = HTTP2ServerConnection(self.cfg, sock, client,  # type: ignore[attr-defined]
                                        is_ssl=tls.is_tls_socket(sock),
                                        want_write=link.want_write, coalesce_writes=True)
            h2c.proxy_protocol_info = proxy_info
            jobs = h2c.initiate_upgrade(*upgrade) if upgrade is not None else []
        except (OSError, ValueError) as exc:
            self.log.debug("HTTP/2 start failed for %s: %r", client, exc)  # type: ignore[attr-defined]
            return
        self._h2_live[h2c] = link
        try:
            if upgrade is None:
                h2c.initiate_connection()
            if h2c.is_ssl:
                try:
                    version, cipher = sock.version(), sock.cipher()[0]
                except (OSError, TypeError, ValueError):
                    version = cipher = None
                if inadequate_tls(version, cipher):
                    h2c.close(HTTP2ErrorCode.INADEQUATE_SECURITY)
                    return
            self._h2_spawn(link, h2c, jobs, client, server)
            self._h2_read_loop(h2c, link, initial, client, server)
        except Exception as exc:
            self.log.debug("HTTP/2 connection from %s ended: %r", client, exc)  # type: ignore[attr-defined]
        finally:
            del self._h2_live[h2c]
            link.stop()
            self._h2_release_runners(link)
            with h2c.lock:
                h2c._flush_locked()  # best effort: the socket closes next
                h2c._fail_locked()  # wakes the streams still waiting

    def _h2_read_loop(self, h2c: Any, link: GreenLink, data: bytes, client: Any,
                      server: Any) -> None:
        wait = self.wait_socket
        while True:
            jobs, more = h2c.read_events(data)
            data = b""
            if jobs:
                self._h2_spawn(link, h2c, jobs, client, server)
            if h2c.finished:
                return
            if more:
                time.sleep(0)  # green: let other greenlets run, then read on
                continue
            if h2c.pending_output > OUTPUT_HIGH:
                self._h2_wait_drained(h2c)
                continue
            if not wait(link.fd, False, self._h2_next_check(h2c)) and self._h2_expired(h2c):
                return

    def _h2_wait_drained(self, h2c: Any) -> None:
        """Stop reading until the writer brought the output below
        ``OUTPUT_LOW`` (the peer does not read what we send)."""
        with h2c.lock:
            while h2c.pending_output > OUTPUT_LOW and not h2c.closed:
                if not h2c.wait_writable_locked(h2c.zero_window_timeout):
                    h2c._fail_locked()

    def _h2_next_check(self, h2c: Any) -> float:
        """Seconds until the idle or SETTINGS deadline of *h2c* may be due."""
        now = time.monotonic()
        wait = self._h2_idle
        if not h2c.active_streams:
            wait = self._h2_idle - (now - h2c.last_activity)
        if not h2c.protocol.settings_acknowledged:
            wait = min(wait, SETTINGS_TIMEOUT - (now - h2c.started))
        return max(wait, _MIN_WAIT)

    def _h2_expired(self, h2c: Any) -> bool:
        """True (after GOAWAY) when *h2c* has no stream and was idle for
        ``keepalive`` seconds, or never acknowledged our SETTINGS (RFC 9113
        section 6.5.3)."""
        if h2c.active_streams:
            return False
        now = time.monotonic()
        if not h2c.protocol.settings_acknowledged and now - h2c.started > SETTINGS_TIMEOUT:
            h2c.close(HTTP2ErrorCode.SETTINGS_TIMEOUT)
            return True
        if now - h2c.last_activity > self._h2_idle:
            h2c.close()
            return True
        return False

    def h2_close_idle(self) -> int:
        """Graceful stop (called repeatedly while the worker drains): GOAWAY
        (NO_ERROR) once to every HTTP/2 connection; those whose streams are
        done and output written are shut down, which ends their reader.
        Returns how many were shut."""
        shut = 0
        for h2c, link in list(self._h2_live.items()):
            if not link.goaway:
                link.goaway = True
                h2c.close()
            if h2c.finished:
                _shutdown_transport(link.sock)
                shut += 1
        return shut

    # -- one stream (its own greenlet) ------------------------------------------

    def handle_http2_request(self, h2c: Any, stream: Any, req: Any, client: Any,
                             server: Any) -> None:
        """Run the application for one stream (``HTTP2StreamIO`` *stream*,
        ``HTTP2Request`` *req*) of *h2c*; never raises ``Exception``."""
        run_wsgi_stream(self._call, self.log, h2c, stream, req, client,  # type: ignore[attr-defined]
                        server, self._h2_before_app)

    def _h2_before_app(self, resp: Any, environ: dict[str, Any]) -> None:
        """The HTTP/2 environ keys and the ``max_requests`` count (one per
        stream; the worker then drains, sending GOAWAY)."""
        environ["wsgi.multithread"] = True
        add_stream_environ(environ, resp.stream, resp)
        self.count_request()  # type: ignore[attr-defined]


def _load_http2_layer() -> None:
    """Import the HTTP/2 layer (and with it ``h2``) into this module, in the
    worker process only: the arbiter never carries h2, hpack and hyperframe."""
    global HTTP2ServerConnection, OUTPUT_HIGH, OUTPUT_LOW, _shutdown_transport
    global decode_http2_settings, detect_preface, h2c_allowed, h2c_upgrade_settings
    global inadequate_tls
    from gunicorn.http2 import connection, core
    from gunicorn.workers import base_async

    HTTP2ServerConnection = connection.HTTP2ServerConnection  # type: ignore[misc]
    OUTPUT_HIGH, OUTPUT_LOW = connection.OUTPUT_HIGH, connection.OUTPUT_LOW  # type: ignore[misc]
    decode_http2_settings, detect_preface = core.decode_http2_settings, core.detect_preface
    h2c_allowed, h2c_upgrade_settings = core.h2c_allowed, core.h2c_upgrade_settings
    inadequate_tls = core.inadequate_tls
    _shutdown_transport = base_async._shutdown_transport
