"""The gevent workers: ``GeventWorker`` (``-k gevent``) and
``GeventPyWSGIWorker`` (``-k gevent_wsgi`` / ``-k gevent_pywsgi``).

Both patch the standard library with ``gevent.monkey.patch_all()`` as the
first thing the worker process does after fork, then reinitialise the hub
(the parent's event loop must not be shared). Each listener gets a gevent
``StreamServer`` whose ``Pool(worker_connections)`` bounds the connections
served at once.

``GeventWorker`` answers connections with ``AsyncWorker.handle`` (our HTTP/1.1
protocol and WSGI layer). ``GeventPyWSGIWorker`` hands them to gevent's own
``gevent.pywsgi`` server and handler instead (gevent parses the requests);
the environ gains ``gunicorn.sock`` and ``RAW_URI`` and the access log goes
through the gunicorn logger.

Requires gevent >= 24.10.1 (RuntimeError at import otherwise).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from functools import partial
from typing import Any, ContextManager

import gevent
from gevent import hub, monkey, pywsgi
from gevent import socket as gsocket
from gevent.pool import Pool
from gevent.server import StreamServer

from gunicorn import SERVER_SOFTWARE, tls
from gunicorn.http.early_hints import encode_early_hints
from gunicorn.http.wsgi import base_environ
from gunicorn.workers.base_async import AsyncWorker, green_sendfile
from gunicorn.workers.netio import Listener

__all__ = ["GeventWorker", "GeventPyWSGIWorker", "GeventResponse",
           "PyWSGIHandler", "PyWSGIServer", "MIN_GEVENT"]

#: oldest gevent release these workers run on
MIN_GEVENT = (24, 10, 1)


def _release(version: str) -> tuple[int, ...]:
    """``"24.10.1"`` -> ``(24, 10, 1)``; stops at the first non-numeric part."""
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
        if not piece.isdigit():
            break
    return tuple(parts)


if _release(gevent.__version__) < MIN_GEVENT:
    raise RuntimeError("gevent worker requires gevent %s or newer (installed: %s)"
                       % (".".join(map(str, MIN_GEVENT)), gevent.__version__))


def _wait_writable(fd: int, timeout: float | None) -> None:
    gsocket.wait_write(fd, timeout=timeout, timeout_exc=TimeoutError("timed out"))



def _green_listener(info: Listener) -> Any:
    """A gevent socket over a duplicate of the listener's descriptor: the
    servers may close it without touching the arbiter's socket object."""
    sock = gsocket.socket(fileno=os.dup(info.fd))
    sock.setblocking(False)
    return sock


class GeventWorker(AsyncWorker):
    """``AsyncWorker`` over gevent ``StreamServer``s (``-k gevent``).

    Subclasses (e.g. third-party WebSocket workers) may set ``server_class``
    (a ``gevent.pywsgi.WSGIServer`` subclass) and ``wsgi_handler`` (its
    handler class) to serve through gevent's WSGI server instead.
    """

    server_class: Any = None
    wsgi_handler: Any = None
    #: HTTP/2 through ``AsyncHTTP2Serving`` (greenlets from green_spawn)
    serves_http2 = True

    def patch(self) -> None:
        """Make the standard library cooperative (sockets, ssl, time.sleep,
        threading...) for this process and the application it loads, and
        give gevent sockets a zero-copy ``sendfile`` (gevent's own one reads
        the file and sends the bytes)."""
        monkey.patch_all()
        gsocket.socket.sendfile = green_sendfile(_wait_writable)  # type: ignore[method-assign]

    def init_process(self) -> None:
        """After fork: patch, give this process its own hub, then the usual set-up."""
        self.patch()
        hub.reinit()
        super().init_process()

    def os_thread_starter(self) -> Any:
        """``_thread.start_new_thread`` as it was before ``patch_all``."""
        return monkey.get_original("_thread", "start_new_thread")

    def timeout_ctx(self) -> ContextManager[Any]:
        """``gevent.Timeout(idle_timeout)`` ending the block silently."""
        return gevent.Timeout(self.idle_timeout, False)

    def green_spawn(self, func: Any, *args: Any) -> Any:
        """``gevent.spawn``: a new greenlet (``kill()`` ends it)."""
        return gevent.spawn(func, *args)

    def green_park(self) -> Any:
        """Suspend this greenlet on the hub until it is switched to."""
        return gevent.get_hub().switch()

    def green_call_soon(self, func: Any, *args: Any) -> None:
        """Have the hub call ``func(*args)`` on its next turn."""
        gevent.get_hub().loop.run_callback(func, *args)

    def wait_socket(self, fd: int, write: bool, timeout: float | None) -> bool:
        """Wait on the hub until *fd* is readable (writable); False after *timeout* s."""
        try:
            (gsocket.wait_write if write else gsocket.wait_read)(
                fd, timeout=timeout, timeout_exc=TimeoutError)
        except TimeoutError:
            return False
        return True

    def handle_quit(self, sig: int, frame: Any) -> None:
        """SIGQUIT/SIGINT: exit from a greenlet, out of the signal handler,
        so that the worker_int hook may block."""
        gevent.spawn(super().handle_quit, sig, frame)

    def handle_usr1(self, sig: int, frame: Any) -> None:
        """SIGUSR1: reopen the log files from a greenlet."""
        gevent.spawn(super().handle_usr1, sig, frame)

    # -- serving -----------------------------------------------------------

    def _ssl_args(self) -> dict[str, Any]:
        if self.server_class is not None and self._is_ssl:
            # gevent's WSGI server wraps the sockets itself
            return {"ssl_context": tls.ssl_context(self.cfg)}
        return {}

    def make_server(self, info: Listener, pool: Pool) -> Any:
        """The gevent server for one listener (not started)."""
        listener = _green_listener(info)
        if self.server_class is not None:
            environ = base_environ(self.cfg)
            environ.update({"wsgi.multithread": True, "SERVER_SOFTWARE": SERVER_SOFTWARE})
            # gevent's handler calls the application itself (no ALREADY_HANDLED wrapper)
            app = getattr(self.wsgi, "__wrapped__", self.wsgi)
            server = self.server_class(listener, application=app, spawn=pool, log=self.log,
                                       handler_class=self.wsgi_handler, environ=environ,
                                       **self._ssl_args())
            server.gunicorn_worker = self
            return server
        server = StreamServer(listener, handle=partial(self._serve, info), spawn=pool)
        if self.cfg.workers > 1:
            # leave the other waiting connections to the other workers
            server.max_accept = 1
        return server

    def run(self) -> None:
        """Serve until ``alive`` turns False, then drain for up to ``graceful_timeout`` s."""
        servers = []
        for info in self.prepare_listeners():
            server = self.make_server(info, Pool(self.worker_connections))
            server.start()
            servers.append(server)
        interval = min(0.5, self.timeout or 0.5)
        while self.alive:
            self.notify()
            gevent.sleep(interval)
        self.notify()
        self._drain(servers, interval)

    def _drain(self, servers: list[Any], interval: float) -> None:
        """Stop accepting, let in-flight requests finish within ``graceful_timeout``
        seconds, then kill what is left."""
        for server in servers:
            server.close()
        deadline = time.monotonic() + float(self.cfg.graceful_timeout)
        while True:
            self.close_idle()
            busy = [s for s in servers if s.pool is not None and s.pool.free_count() != s.pool.size]
            if not busy:
                return
            if time.monotonic() >= deadline:
                break
            self.notify()
            gevent.sleep(min(0.05, interval))
        self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
        for server in servers:
            try:
                server.stop(timeout=1)
            except Exception:
                self.log.debug("error stopping a server", exc_info=True)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> bool:
        """As ``AsyncWorker.handle_request``; a greenlet killed on shutdown
        (GreenletExit) only ends its connection."""
        try:
            return super().handle_request(listener_name, req, sock, addr)
        except gevent.GreenletExit:
            return False


class GeventResponse:
    """What the access log needs of a response served by gevent's handler.

    Args:
        status: the status line, e.g. "200 OK".
        headers: the response header pairs.
        sent: content bytes written (int), or None.
    """

    __slots__ = ("status", "headers", "sent")

    def __init__(self, status: Any, headers: Any, sent: Any) -> None:
        self.status, self.headers, self.sent = status, headers, sent


class PyWSGIHandler(pywsgi.WSGIHandler):
    """gevent's WSGI handler, logging through the gunicorn logger and
    adding ``gunicorn.sock`` (the client socket) and ``RAW_URI`` (the
    request-target as sent) to the environ."""

    def _worker(self) -> Any:
        return getattr(self.server, "gunicorn_worker", None)

    def read_requestline(self) -> Any:
        """gevent's read of the request line, counted as idle: it gives up
        (the connection closes) after the worker's ``idle_timeout`` seconds
        (``keepalive``), and a graceful stop may end the wait."""
        worker = self._worker()
        if worker is None:
            return super().read_requestline()
        line = None
        worker._waiting.add(self.socket)
        try:
            with gevent.Timeout(worker.idle_timeout, False):
                line = super().read_requestline()
        finally:
            worker._waiting.discard(self.socket)
        return line

    def handle_one_response(self) -> Any:
        """Count the request against ``max_requests``; the connection closes
        after it once the budget is used up or the worker stops."""
        worker = self._worker()
        if worker is not None and (worker.count_request() or not worker.alive
                                   or not worker._keepalive):
            self.close_connection = True
        return super().handle_one_response()

    def log_request(self) -> None:
        """One access-log line through ``server.log.access`` (our atoms)."""
        start = datetime.fromtimestamp(self.time_start)
        finish = datetime.fromtimestamp(self.time_finish)
        resp = GeventResponse(self.status, getattr(self, "response_headers", None) or [],
                              self.response_length)
        headers = getattr(self, "headers", None)
        req_headers = list(headers.items()) if headers is not None else []
        self.server.log.access(resp, req_headers, self.environ, finish - start)

    def get_environ(self) -> dict[str, Any]:
        """gevent's environ plus ``gunicorn.sock``, ``RAW_URI`` and
        ``wsgi.early_hints``."""
        env = super().get_environ()
        env["gunicorn.sock"] = self.socket
        env["RAW_URI"] = self.path
        env["wsgi.early_hints"] = self.send_early_hints
        return env

    def send_early_hints(self, headers: Any) -> None:
        """``wsgi.early_hints``: a ``103 Early Hints`` response (RFC 8297)
        written before gevent's response head; validated like on the other
        workers (InvalidEarlyHint, a ValueError, before anything is sent),
        and skipped for HTTP/1.0 clients and once the response started."""
        block = encode_early_hints(headers)
        if self.request_version != "HTTP/1.1" or self.headers_sent:
            return
        self._sendall(b"HTTP/1.1 103 Early Hints\r\n" + block + b"\r\n")


class PyWSGIServer(pywsgi.WSGIServer):
    """gevent's WSGI server (the class third-party workers replace)."""


class GeventPyWSGIWorker(GeventWorker):
    """gevent's own WSGI server and parser (``-k gevent_pywsgi``): HTTP/1.1
    only (ALPN never offers h2 to it; ``check_config`` warns)."""

    server_class = PyWSGIServer
    wsgi_handler = PyWSGIHandler
    serves_http2 = False
