"""``SyncWorker``: one connection at a time, one request per connection.

Every response is sent with ``Connection: close``. Listeners are
non-blocking; the worker accepts in a loop and sleeps in ``select`` on the
listeners plus its self-pipe, waking at least every ``timeout`` seconds to
send a heartbeat and check that its parent is alive.

The per-connection path is kept to the syscalls it needs: accept, recv,
send, close (see ``sock.fast_acceptor``).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from typing import Any

import gunicorn.http as http
from gunicorn import sock
from gunicorn.http.core import settings_for
from gunicorn.workers import base, proxy_tls
from gunicorn.workers.netio import Listener
from gunicorn.workers.wsgi_call import WSGICall

# longest gap between heartbeats while busy, in seconds
_NOTIFY_INTERVAL = 1.0


def _set_nodelay(client: socket.socket) -> None:
    """TCP_NODELAY where accepted sockets do not inherit it; a connection
    already reset fails later, in ``handle``, like any other."""
    try:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


class StopWaiting(Exception):
    """The self-pipe was closed under ``wait()``; the worker must stop."""


class SyncWorker(base.Worker):
    """The default pre-fork worker (``-k sync``)."""

    # set in run(): listener -> what accepting from it needs
    _listener_info: dict[Any, Listener] = {}
    _call: WSGICall | None = None
    _is_ssl = False
    # TLS listener with --proxy-protocol: the header precedes the handshake
    _proxy_tls = False
    _proxy_info: dict[str, Any] | None = None
    # gunicorn.tls offers h2 through ALPN only to workers that serve it
    serves_http2 = False

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """Warn when HTTP/2 is configured: sync serves HTTP/1.1 only."""
        protocols = getattr(cfg, "http_protocols", None) or []
        if "h2" in protocols:
            log.warning("HTTP/2 is not supported by the sync worker; "
                        "use gthread, gevent or asgi. Serving HTTP/1.1 only.")

    def accept(self, listener: Any) -> None:
        """Accept one connection from ``listener`` and serve it.

        Raises OSError (EAGAIN...) when nothing is waiting.
        """
        info = self._listener_info.get(listener)
        if info is not None:
            client, addr = info.accept()
            if info.nodelay:
                _set_nodelay(client)
        else:
            client, addr = listener.accept()
            client.setblocking(True)
        self.handle(listener, client, addr)

    def wait(self, timeout: float) -> list[Any] | None:
        """Heartbeat, then sleep until a listener or the self-pipe is readable.

        Returns the readable objects (None on timeout). Raises StopWaiting
        when the pipe was closed.
        """
        try:
            self.notify()
            ready = select.select(self.wait_fds, [], [], timeout)[0]
        except OSError as e:
            if e.errno == errno.EINTR:
                return self.sockets
            if e.errno == errno.EBADF:
                raise StopWaiting()
            raise
        except ValueError:  # a closed fd in wait_fds
            raise StopWaiting()
        if ready and self.PIPE[0] in ready:
            try:
                while os.read(self.PIPE[0], 4096):
                    pass
            except OSError:
                pass
        return ready or None

    def run_for_one(self, timeout: float) -> None:
        """Serve a single listener: accept until EAGAIN, then wait.

        While connections keep coming the heartbeat is sent at most every
        ``_NOTIFY_INTERVAL`` s (well inside ``timeout``) instead of once per
        connection: it costs a syscall.
        """
        listener = self.sockets[0]
        info = self._listener_info.get(listener)
        accept = info.accept if info is not None else sock.fast_acceptor(listener)
        nodelay = info is not None and info.nodelay
        handle = self.handle
        monotonic = time.monotonic
        interval = min(_NOTIFY_INTERVAL, timeout)
        next_notify = 0.0
        while self.alive:
            now = monotonic()
            if now >= next_notify:
                self.notify()
                next_notify = now + interval
            try:
                client, addr = accept()
            except BlockingIOError:
                # idle: sleep in select (which sends the heartbeat too)
                if not self._idle(timeout):
                    return
                next_notify = monotonic() + interval
                continue
            except OSError as e:
                self._pause(self.handle_accept_error(e))
                continue
            if nodelay:
                _set_nodelay(client)
            handle(listener, client, addr)

    def _idle(self, timeout: float) -> bool:
        """Wait for work; False when the worker must stop (master gone, pipe closed)."""
        if not self.is_parent_alive():
            return False
        try:
            self.wait(timeout)
        except StopWaiting:
            return False
        return True

    @staticmethod
    def _pause(seconds: float) -> None:
        """Stop accepting ``seconds`` (from ``handle_accept_error``): one
        connection at a time, so the worker simply sleeps."""
        if seconds > 0:
            time.sleep(seconds)

    def _accept_ready(self, listener: Any) -> None:
        """accept() on a listener select() reported; losing the race is fine."""
        try:
            self.accept(listener)
        except BlockingIOError:
            return
        except OSError as e:
            self._pause(self.handle_accept_error(e))

    def run_for_multiple(self, timeout: float) -> None:
        """Serve several listeners: wait, then accept on each readable one."""
        while self.alive and self.is_parent_alive():
            try:
                ready = self.wait(timeout)  # also the heartbeat
            except StopWaiting:
                return
            pipe = self.PIPE[0]
            for listener in ready or ():
                if listener != pipe:
                    self._accept_ready(listener)
                if not self.alive:
                    break

    def run(self) -> None:
        """Serve until ``alive`` turns False (or the master goes away)."""
        # read once what every request needs (settings cannot change
        # without a new worker)
        self._is_ssl = bool(self.cfg.is_ssl)
        self._proxy_tls = proxy_tls.prefix_before_tls(self.cfg)
        self._get_parser = getattr(http, "get_parser", None)
        self._call = WSGICall(self)
        self._listener_info = {info.sock: info for info in self.setup_listeners()}

        serve = self.run_for_multiple if len(self.sockets) > 1 else self.run_for_one
        serve(self.timeout or 0.5)

    def _parser(self, client: Any, addr: Any) -> Any:
        get_parser = getattr(self, "_get_parser", None)
        if get_parser is not None:
            return get_parser(self.cfg, client, addr)
        return http.RequestParser(self.cfg, client, addr)

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        """Serve one request on ``client`` and close it; never raises.

        Errors are sorted by ``Worker.handle_connection_error``: a client
        that went away costs a debug line, anything else gets its error page.
        """
        req = None
        try:
            if self._is_ssl:
                if self._proxy_tls:
                    if not self._read_proxy_prefix(client, addr):
                        return
                client = sock.ssl_wrap_socket(client, self.cfg)
            parser = self._parser(client, addr)
            if self._proxy_tls:
                proxy_tls.attach_to_parser(parser, self.cfg, addr, self._proxy_info)
            req = next(parser)
            self.handle_request(listener, req, client, addr)
        except Exception as e:
            self.handle_connection_error(req, client, addr, e)
        finally:
            try:
                client.close()
            except OSError:
                pass

    def _read_proxy_prefix(self, client: Any, addr: Any) -> bool:
        """TLS listener: read the PROXY header sent in clear before the
        handshake into ``_proxy_info``; False (logged) when the connection
        must be closed.  ``self.timeout`` (half ``--timeout``) bounds it, so
        a silent client is dropped before the arbiter would kill the worker."""
        self._proxy_info = None
        try:
            self._proxy_info = proxy_tls.read_proxy_prefix(
                client, settings_for(self.cfg), addr, self.timeout)
        except Exception as exc:
            proxy_tls.log_refused(self.log, exc, addr)
            return False
        return True

    def _before_app(self, resp: Any, environ: dict[str, Any]) -> None:
        """One request per connection; count it against max_requests."""
        resp.force_close()
        self.count_request()

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> None:
        """Run the application for ``req`` and write its response.

        Raises the application's exception when no header was sent yet (the
        caller answers 500); after the headers it logs and closes.
        """
        call = self._call
        if call is None:
            call = self._call = WSGICall(self)
        info = self._listener_info.get(listener)
        server = info.server if info is not None else listener.getsockname()
        call(req, client, addr, server, self._before_app)
