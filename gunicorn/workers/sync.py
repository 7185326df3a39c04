"""``SyncWorker``: one connection at a time, one request per connection.

Every response is sent with ``Connection: close``. Listeners are
non-blocking; the worker accepts in a loop and sleeps in ``select`` on the
listeners plus its self-pipe, waking at least every ``timeout`` seconds to
send a heartbeat and check that its parent is alive.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import ssl
from datetime import datetime
from typing import Any

import gunicorn.http as http
import gunicorn.http.errors as http_errors
import gunicorn.http.wsgi as wsgi
from gunicorn import sock, util
from gunicorn.workers import base

# client went away: not worth more than a debug line
_PEER_GONE = frozenset((errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ECONNABORTED))
# nothing to accept right now
_ACCEPT_AGAIN = frozenset((errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK, errno.EPROTO))


class StopWaiting(Exception):
    """The self-pipe was closed under ``wait()``; the worker must stop."""


class SyncWorker(base.Worker):
    """The default pre-fork worker (``-k sync``)."""

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
        client, addr = listener.accept()
        client.setblocking(True)
        util.close_on_exec(client)
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
                if self.nr < 0:
                    return self.sockets
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

    def is_parent_alive(self) -> bool:
        """False (and a log line) once the master is gone."""
        if self.ppid != os.getppid():
            self.log.info("Parent changed, shutting down: %s", self)
            return False
        return True

    def run_for_one(self, timeout: float) -> None:
        """Serve a single listener: accept until EAGAIN, then wait."""
        listener = self.sockets[0]
        while self.alive:
            self.notify()
            try:
                self.accept(listener)
                continue
            except OSError as e:
                if e.errno not in _ACCEPT_AGAIN:
                    raise
            if not self.is_parent_alive():
                return
            try:
                self.wait(timeout)
            except StopWaiting:
                return

    def run_for_multiple(self, timeout: float) -> None:
        """Serve several listeners: wait, then accept on each readable one."""
        while self.alive:
            self.notify()
            try:
                ready = self.wait(timeout)
            except StopWaiting:
                return
            if ready is not None:
                for listener in ready:
                    if listener == self.PIPE[0]:
                        continue
                    try:
                        self.accept(listener)
                    except OSError as e:
                        if e.errno not in _ACCEPT_AGAIN:
                            raise
                    if not self.alive:
                        break
            if not self.is_parent_alive():
                return

    def run(self) -> None:
        # cache per-request config lookups
        self._is_ssl = self.cfg.is_ssl
        self._pre_request = self.cfg.pre_request
        self._post_request = self.cfg.post_request
        self._get_parser = getattr(http, "get_parser", None)

        timeout = self.timeout or 0.5
        for s in self.sockets:
            s.setblocking(False)
        if len(self.sockets) > 1:
            self.run_for_multiple(timeout)
        else:
            self.run_for_one(timeout)

    def _parser(self, client: Any, addr: Any) -> Any:
        if self._get_parser is not None:
            return self._get_parser(self.cfg, client, addr)
        return http.RequestParser(self.cfg, client, addr)

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        """Serve one request on ``client`` and close it; never raises."""
        req = None
        try:
            if self._is_ssl:
                client = sock.ssl_wrap_socket(client, self.cfg)
            parser = self._parser(client, addr)
            req = next(parser)
            self.handle_request(listener, req, client, addr)
        except StopIteration as e:
            self.log.debug("Closing connection. %s", e)
        except Exception as e:
            self._handle_exception(req, client, addr, e)
        finally:
            util.close(client)

    def _handle_exception(self, req: Any, client: Any, addr: Any, exc: Exception) -> None:
        if isinstance(exc, http_errors.NoMoreData):
            self.log.debug("Ignored premature client disconnection. %s", exc)
        elif isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)) or (
                isinstance(exc, ssl.SSLError) and exc.args and exc.args[0] == ssl.SSL_ERROR_EOF):
            self.log.debug("ssl connection closed")
        elif isinstance(exc, ssl.SSLError):
            self.handle_error(req, client, addr, exc)
        elif isinstance(exc, socket.timeout):
            self.log.debug("Socket timeout while serving %s", addr)
        elif isinstance(exc, OSError) and exc.errno in _PEER_GONE:
            self.log.debug("Ignoring connection error: %s", exc)
        else:
            # parse errors carry their status; app errors and the rest are a 500
            self.handle_error(req, client, addr, exc)

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> None:
        """Run the application for ``req`` and write its response.

        Raises the application's exception when no header was sent yet (the
        caller answers 500); after the headers it logs and closes.
        """
        environ: dict = {}
        resp = None
        try:
            self._pre_request(self, req)
            request_start = datetime.now()
            resp, environ = wsgi.create(req, client, addr, listener.getsockname(), self.cfg)
            # one request per connection
            resp.force_close()
            self.nr += 1
            if self.nr >= self.max_requests:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            respiter = self.wsgi(environ, resp.start_response)
            try:
                if isinstance(respiter, environ["wsgi.file_wrapper"]):
                    resp.write_file(respiter)
                else:
                    for item in respiter:
                        resp.write(item)
                resp.close()
            finally:
                self.log.access(resp, req, environ, datetime.now() - request_start)
                if hasattr(respiter, "close"):
                    respiter.close()
        except Exception as e:
            if resp is not None and resp.headers_sent:
                if isinstance(e, OSError) and e.errno in _PEER_GONE:
                    raise
                self.log.exception("Error handling request")
                try:
                    client.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            raise
        finally:
            try:
                self._post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")
