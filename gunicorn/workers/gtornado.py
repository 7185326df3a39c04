"""``TornadoWorker`` (``-k tornado``): each worker serves through tornado's HTTPServer.

A ``tornado.web.Application`` is served natively; any other application is
taken to be a WSGI callable and runs inside :class:`WSGIContainer` (a
``tornado.wsgi.WSGIContainer``), on the event-loop thread, one request at a
time: a blocking application stops the heartbeat, so the arbiter's
``timeout`` still catches a hung worker.  HTTP/1.x only: tornado has no
HTTP/2 server, so ALPN never offers h2 (``serves_http2``), and interim
responses (103 Early Hints) cannot be sent (``wsgi.early_hints`` is a no-op).

Requires tornado >= 6.5 (the ``tornado`` extra).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

try:
    import tornado
    import tornado.web
    from tornado import httputil
    from tornado.httpserver import HTTPServer
    from tornado.ioloop import PeriodicCallback
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise RuntimeError("the tornado worker needs tornado >= 6.5: "
                       "pip install 'gunicorn[tornado]'") from exc

from gunicorn import tls
from gunicorn.workers import base
from gunicorn.workers.gtornado_wsgi import SERVER_HEADER, Logged, WSGIContainer, elapsed

__all__ = ["SERVER_HEADER", "TornadoWorker", "WSGIContainer"]

# longest gap between heartbeats, seconds (shorter when the timeout is)
_WATCHDOG_INTERVAL = 1.0
# seconds between checks for finished requests while draining
_DRAIN_POLL = 0.05
# seconds a graceful stop leaves an idle connection open (gthread's value)
_STOP_LINGER = 2.0
# seconds the drain ends before graceful_timeout (at most a quarter of it):
# time for the process to exit before the arbiter's SIGKILL
_DRAIN_MARGIN = 1.0


class _Tracked(httputil.HTTPMessageDelegate):
    """Forwards one request's events; its head arriving marks the connection busy."""

    def __init__(self, inner: httputil.HTTPMessageDelegate, server: _Server,
                 conn: Any) -> None:
        self.inner, self.server, self.conn = inner, server, conn

    def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders) -> Any:
        self.server.request_started(self.conn)
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()


class _Server(HTTPServer):
    """HTTPServer that knows which connections are idle, for a graceful stop.

    A connection is busy from the arrival of a request head until tornado
    asks for the delegate of its next request (the response was flushed) or
    it closes; ``idle_since`` maps each idle connection to the loop time it
    became idle.  ``on_request`` is called for each request head.
    """

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.busy: set[Any] = set()
        self.idle_since: dict[Any, float] = {}
        self.on_request: Callable[[], None] = lambda: None

    def start_request(self, server_conn: Any, request_conn: Any) -> httputil.HTTPMessageDelegate:
        self.busy.discard(server_conn)
        self.idle_since[server_conn] = server_conn.stream.io_loop.time()
        return _Tracked(super().start_request(server_conn, request_conn), self, server_conn)

    def on_close(self, server_conn: Any) -> None:
        self.busy.discard(server_conn)
        self.idle_since.pop(server_conn, None)
        super().on_close(server_conn)

    def request_started(self, server_conn: Any) -> None:
        self.idle_since.pop(server_conn, None)
        self.busy.add(server_conn)
        self.on_request()

    def close_idle(self, before: float) -> None:
        """Close the connections idle since before loop time ``before``."""
        for conn, since in list(self.idle_since.items()):
            if since <= before:
                conn.stream.close()

    def close_all(self) -> None:
        """Close every open connection, busy or idle."""
        for conn in [*self.busy, *self.idle_since]:
            conn.stream.close()


def _patch_server_header() -> None:
    """Make ``RequestHandler.clear`` (which sets the default ``Server`` field)
    write :data:`SERVER_HEADER`.  Idempotent; a handler's own ``set_header``
    still wins."""
    handler = tornado.web.RequestHandler
    original = handler.clear
    if getattr(original, "_gunicorn_patched", False):
        return

    def clear(self: tornado.web.RequestHandler) -> None:
        original(self)
        self.set_header("Server", SERVER_HEADER)

    clear._gunicorn_patched = True  # type: ignore[attr-defined]
    handler.clear = clear  # type: ignore[method-assign]


class TornadoWorker(base.Worker):
    """The ``tornado`` worker: an asyncio event loop running tornado's HTTPServer
    on the inherited listeners (see the module docstring)."""

    # gunicorn.tls offers h2 through ALPN only to workers that serve it
    serves_http2 = False
    # tornado's HTTPServer cannot read uWSGI packets (config.check_supported)
    serves_uwsgi = False
    server: _Server | None = None

    @classmethod
    def setup(cls) -> None:
        """Called when the class is loaded: patch tornado's ``Server`` field."""
        _patch_server_header()

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """Warn when HTTP/2 is configured: tornado serves HTTP/1.x only."""
        if "h2" in (getattr(cfg, "http_protocols", None) or []):
            log.warning("HTTP/2 is not supported by the tornado worker; "
                        "use gthread. Serving HTTP/1.1 only.")

    def run(self) -> None:
        """Serve until ``alive`` turns False (TERM, max_requests, master gone),
        then drain for at most ``graceful_timeout`` seconds."""
        self._route_tornado_logs()
        asyncio.run(self._serve())

    def _route_tornado_logs(self) -> None:
        """Tornado's own messages go to the error log unless logging was configured."""
        tornado_log = logging.getLogger("tornado")
        error_log = getattr(self.log, "error_log", None)
        if error_log is None or tornado_log.handlers or logging.getLogger().handlers:
            return
        for handler in error_log.handlers:
            tornado_log.addHandler(handler)
        tornado_log.setLevel(error_log.level)
        tornado_log.propagate = False

    def _make_server(self) -> _Server:
        app = self.wsgi
        callback: Any
        if isinstance(app, tornado.web.Application):
            if "log_function" not in app.settings:
                app.settings["log_function"] = self._log_handler
            callback = app
        else:
            callback = WSGIContainer(app, self)
        keepalive = self.cfg.keepalive
        return _Server(callback, no_keep_alive=keepalive <= 0,
                       ssl_options=tls.ssl_context(self.cfg) if self.cfg.is_ssl else None,
                       # the wait for a request head, first or next (seconds)
                       idle_connection_timeout=keepalive if keepalive > 0 else None)

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        server = self.server = self._make_server()
        server.on_request = self._count_request
        server.add_sockets([info.sock for info in self.setup_listeners()])
        # signals write to PIPE[1] (set_wakeup_fd): react at once, not at the next tick
        loop.add_reader(self.PIPE[0], self._on_wakeup)
        interval = min(_WATCHDOG_INTERVAL, self.timeout or _WATCHDOG_INTERVAL)
        watchdog = PeriodicCallback(self._watchdog, interval * 1000)
        watchdog.start()
        try:
            self._watchdog()
            while self.alive:
                await self._wake.wait()
                self._wake.clear()
            await self._drain(server)
        finally:
            watchdog.stop()
            loop.remove_reader(self.PIPE[0])

    def _watchdog(self) -> None:
        """Heartbeat (also notices a vanished master), stop check, and the TLS
        certificate refresh (``tls.ssl_context`` rebuilds it when the files change)."""
        self.notify()
        if not self.alive:
            self._wake.set()
        server = self.server
        if server is not None and server.ssl_options is not None:
            try:
                server.ssl_options = tls.ssl_context(self.cfg)
            except Exception as exc:
                self.log.warning("TLS context refresh failed, keeping the old one: %s", exc)

    def _on_wakeup(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self.PIPE[0], 4096):
                pass
        self._wake.set()

    def _count_request(self) -> None:
        if self.count_request():
            self._wake.set()

    async def _drain(self, server: _Server) -> None:
        """Stop accepting and let requests in progress finish within
        ``graceful_timeout`` seconds (less a small margin, so the worker ends
        before the arbiter's SIGKILL), then close what is left.

        Idle connections stay open ``_STOP_LINGER`` seconds, as on gthread: a
        request the client already sent is answered with ``Connection:
        close`` (RFC 9112 section 9.6) instead of being cut off.
        """
        server.stop()
        server.conn_params.no_keep_alive = True
        loop = asyncio.get_running_loop()
        start = loop.time()
        grace = max(float(self.cfg.graceful_timeout), 0.0)
        deadline = start + grace - min(_DRAIN_MARGIN, grace / 4)
        while loop.time() < deadline:  # the watchdog keeps the heartbeat going
            now = loop.time()
            if now - start >= _STOP_LINGER:
                server.close_idle(before=now - _STOP_LINGER)
            if not server.busy and not server.idle_since:
                break
            await asyncio.sleep(_DRAIN_POLL)
        if server.busy:
            self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
        server.close_all()
        await asyncio.sleep(0)

    def _log_handler(self, handler: tornado.web.RequestHandler) -> None:
        """Access log for a native Application (its ``log_function`` unless it
        has one): status and timing; the body size is not known (``-``)."""
        request = handler.request
        environ = {
            "REQUEST_METHOD": request.method, "RAW_URI": request.uri,
            "PATH_INFO": request.path, "QUERY_STRING": request.query,
            "SERVER_PROTOCOL": request.version, "REMOTE_ADDR": request.remote_ip,
        }
        for name, value in request.headers.get_all():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        self.log.access(Logged(handler.get_status(), None, []), request, environ,
                        elapsed(request))
