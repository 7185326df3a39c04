"""``AsyncWorker``: the base of the greenlet workers (gevent, eventlet).

Each accepted connection is served by its own greenlet, at most
``worker_connections`` at a time (the subclass's pool). A connection runs a
keep-alive loop over the shared HTTP/1.1 protocol through the blocking
adapters every worker uses: ``gunicorn.http.get_parser`` yields
``message.Request`` objects read through the connection's
``ServerConnection`` (``gunicorn.http.core``), and each request is answered
by ``WSGICall`` exactly as the sync and gthread workers do. Sockets are
cooperative (monkey-patched), so a blocking read or write only suspends the
greenlet that made it.

HTTP/2 (ALPN ``h2``, h2c prior knowledge and ``Upgrade: h2c``) is served by
``async_http2.AsyncHTTP2Serving``: one greenlet per stream.

Subclasses provide the event library: ``timeout_ctx()``, the accept loop
(``run()``), process set-up after fork, and for HTTP/2 ``green_spawn`` and
``wait_socket`` (then they set ``serves_http2``).
"""

from __future__ import annotations

import os
import socket
from typing import Any, Callable, ContextManager

import gunicorn.http as http
from gunicorn import tls
from gunicorn.http.core import settings_for
from gunicorn.workers import base, proxy_tls
from gunicorn.workers.async_http2 import AsyncHTTP2Serving
from gunicorn.workers.netio import Listener
from gunicorn.workers.wsgi_call import WSGICall

__all__ = ["ALREADY_HANDLED", "AsyncWorker", "green_sendfile"]

#: an application returns this (instead of a body iterable) after it took
#: the socket over (``gunicorn.socket``), e.g. to speak WebSocket: the
#: worker then writes nothing more and closes the connection.
ALREADY_HANDLED = object()


# largest byte count one sendfile(2) call is asked for
_SENDFILE_BLOCK = 0x3FFFFFFF


def green_sendfile(wait_writable: Callable[[int, float | None], None]) -> Callable[..., int]:
    """A ``socket.sendfile`` method for a green socket class.

    Args:
        wait_writable: ``wait_writable(fd, timeout)`` suspends the calling
            greenlet until *fd* is writable (timeout in seconds, None for
            none), raising TimeoutError when it passes.

    The method ``sendfile(file, offset=0, count=None) -> int`` sends from a
    regular file opened in binary mode with ``os.sendfile`` (zero copy) on
    the socket's non-blocking descriptor, waiting through *wait_writable*
    while the send buffer is full. *count* None sends to the end of the
    file. Returns the bytes sent (fewer when the file is shorter); the file
    position is left after the last byte sent. Raises OSError from the
    socket (peer gone...) and TimeoutError past the socket's timeout.
    """

    def sendfile(self: Any, file: Any, offset: int = 0, count: int | None = None) -> int:
        sock_fd, file_fd = self.fileno(), file.fileno()
        if count is None:
            count = max(os.fstat(file_fd).st_size - offset, 0)
        timeout = self.gettimeout()
        total = 0
        try:
            while total < count:
                try:
                    sent = os.sendfile(sock_fd, file_fd, offset + total,
                                       min(count - total, _SENDFILE_BLOCK))
                except BlockingIOError:
                    wait_writable(sock_fd, timeout)
                    continue
                if sent == 0:
                    break  # end of file
                total += sent
        finally:
            if total:
                file.seek(offset + total)
        return total

    return sendfile


def _shutdown_transport(client: Any) -> None:
    """shutdown(2) the TCP connection under ``client`` through a duplicate
    descriptor: a TLS socket object stays intact for the greenlet reading it,
    which then sees the end of input."""
    try:
        dup = socket.socket(fileno=os.dup(client.fileno()))
    except (OSError, ValueError):
        return
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()


class _AlreadyHandled(Exception):
    """Raised through ``WSGICall`` when the application took the socket over."""


class AsyncWorker(AsyncHTTP2Serving, base.Worker):
    """One greenlet per connection, keep-alive and pipelining (HTTP/1.x); on
    HTTP/2 (``AsyncHTTP2Serving``) one more greenlet per stream.

    Constructed like every worker (``Worker(age, ppid, sockets, app,
    timeout, cfg, log)``); ``worker_connections`` (``cfg.worker_connections``)
    bounds the connections served at once.
    """

    # gunicorn.tls offers h2 through ALPN only to workers that serve it: the
    # subclasses that provide green_spawn and wait_socket (gevent, eventlet)
    serves_http2 = False
    #: ``wsgi.multithread``: several requests of one process run at once
    #: (in greenlets), as gunicorn's async workers announce it
    multithread = True
    #: the values an application may return instead of a body to say it
    #: wrote the response itself (subclasses add their library's sentinel)
    already_handled: tuple[Any, ...] = (ALREADY_HANDLED,)

    _call: WSGICall | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.cfg.reload:
            # here, before the fork and the monkey-patching: the inotify
            # engine must bind the real select.poll for its OS thread
            import gunicorn.reloader  # noqa: F401
        self.worker_connections: int = self.cfg.worker_connections
        self._keepalive = float(self.cfg.keepalive or 0)
        # longest wait for a request head (and a TLS handshake), in seconds:
        # the keep-alive idle time; without keep-alive only the first head is
        # awaited, bounded by the worker timeout (None: no bound)
        self.idle_timeout: float | None = (
            self._keepalive or float(self.cfg.timeout or 0) or None)
        self._is_ssl = bool(self.cfg.is_ssl)
        # TLS with --proxy-protocol: the header precedes the handshake
        self._proxy_tls = proxy_tls.prefix_before_tls(self.cfg)
        self._listener_info: dict[Any, Listener] = {}
        # connections waiting for their next request head
        self._waiting: set[Any] = set()

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """Warn when HTTP/2 is configured for a worker class that does not
        serve it (ALPN does not offer h2 to it, see ``serves_http2``)."""
        protocols = getattr(cfg, "http_protocols", None) or []
        if "h2" in protocols and not cls.serves_http2:
            log.warning("HTTP/2 is not supported by the %s worker; use gevent, "
                        "gthread or asgi. Serving HTTP/1.1 only.", cfg.worker_class_str)

    # -- what the event library provides -----------------------------------

    def timeout_ctx(self) -> ContextManager[Any]:
        """A context manager that silently ends its block once ``idle_timeout``
        seconds (``cfg.keepalive``, or ``cfg.timeout`` when keep-alive is
        off) have passed; the TLS handshake and the wait for each request
        head run inside it."""
        raise NotImplementedError()

    def os_thread_starter(self) -> Callable[..., Any] | None:
        """The unpatched ``_thread.start_new_thread`` of the event library
        (None: threads are OS threads already)."""
        return None

    def start_reloader(self) -> None:
        """Run the code reloader's watch loop on an OS thread: a green thread
        blocked in its reads (inotify) would stop the whole worker."""
        start = self.os_thread_starter()
        if start is None:
            super().start_reloader()
        else:
            start(self.reloader.run, ())

    def is_already_handled(self, respiter: Any) -> bool:
        """True when the application returned a sentinel of ``already_handled``
        instead of a body (it wrote the response on ``gunicorn.socket`` itself)."""
        return any(respiter is sentinel for sentinel in self.already_handled)

    # -- set-up ------------------------------------------------------------

    def load_wsgi(self) -> None:
        """Load the application, and let it return ``ALREADY_HANDLED``."""
        super().load_wsgi()
        app = self.wsgi
        is_handled = self.is_already_handled

        def application(environ: dict[str, Any], start_response: Any) -> Any:
            body = app(environ, start_response)
            if is_handled(body):
                raise _AlreadyHandled()
            return body

        application.__wrapped__ = app  # type: ignore[attr-defined]
        self.wsgi = application

    def prepare_listeners(self) -> list[Listener]:
        """``setup_listeners()`` and remember each one's address (``Listener.server``)."""
        infos = self.setup_listeners()
        self._listener_info = {info.sock: info for info in infos}
        self._call = WSGICall(self)
        self.h2_setup()
        return infos

    def server_address(self, listener: Any) -> Any:
        """The listener address put in ``SERVER_NAME``/``SERVER_PORT``."""
        info = self._listener_info.get(listener)
        if info is not None:
            return info.server
        if isinstance(listener, Listener):
            return listener.server
        try:
            return listener.getsockname()
        except (OSError, AttributeError):
            return None

    # -- one connection ----------------------------------------------------

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        """Serve every request of the connection ``client`` and close it; never raises.

        Args:
            listener: the listener (or its ``Listener``) it was accepted on.
            client: the connected socket, cooperative and blocking.
            addr: the peer address ((host, port) or a unix path).

        With TLS and ``--proxy-protocol`` the PROXY header, sent in clear,
        is read first (``proxy_tls``; a refused one closes the connection).
        With TLS the socket is wrapped and the handshake done explicitly
        before ALPN is read: ``h2`` goes to ``handle_http2``, as do h2c
        prior knowledge and ``Upgrade: h2c`` on cleartext when configured.
        The handshake and each request head are awaited for at most
        ``idle_timeout`` seconds (``timeout_ctx``); a PROXY header read with the first request
        describes the whole connection and is given to the later ones.
        Errors are sorted by ``Worker.handle_connection_error``.
        """
        req = None
        server = self.server_address(listener)
        waiting = self._waiting
        prefix_info = None
        try:
            if self._is_ssl:
                if self._proxy_tls:
                    waiting.add(client)  # close_idle() may end the wait
                    try:
                        prefix_info = proxy_tls.read_proxy_prefix(
                            client, settings_for(self.cfg), addr, self.idle_timeout)
                    except Exception as exc:
                        proxy_tls.log_refused(self.log, exc, addr)
                        return
                    finally:
                        waiting.discard(client)
                client = tls.ssl_wrap_socket(client, self.cfg, do_handshake_on_connect=False)
                done = False
                with self.timeout_ctx():
                    client.do_handshake()
                    done = True
                if not done:
                    return  # the client never finished the handshake
                if self.h2_after_handshake(client, addr, server, prefix_info):
                    return  # HTTP/2 (or refused): async_http2
            parser = http.get_parser(self.cfg, client, addr)
            if self._proxy_tls:
                proxy_tls.attach_to_parser(parser, self.cfg, addr, prefix_info)
            if self._h2c_prior and self.h2c_prior_knowledge(client, addr, server,
                                                             parser.unreader):
                return  # HTTP/2, or nothing came
            proxy_info = None
            while True:
                req = None
                # idle until the head is here: close_idle() may end the wait
                waiting.add(client)
                try:
                    with self.timeout_ctx():
                        req = next(parser)
                finally:
                    waiting.discard(client)
                if req is None:
                    break  # idle past keepalive: close quietly
                if req.proxy_protocol_info is not None:
                    proxy_info = req.proxy_protocol_info
                elif proxy_info is not None:
                    req.proxy_protocol_info = proxy_info
                if self._h2c_upgrade and self.h2c_upgrade(req, client, addr, server,
                                                          parser.unreader):
                    break  # served as HTTP/2 (Upgrade: h2c)
                if not self.handle_request(server, req, client, addr):
                    break
        except StopIteration:
            pass  # the peer closed between requests, or the last one said close
        except _AlreadyHandled:
            pass
        except Exception as e:
            self.handle_connection_error(req, client, addr, e)
        finally:
            try:
                client.close()
            except OSError:
                pass

    def close_idle(self) -> int:
        """Shut down every connection that waits for a request head (keep-alive
        idle or not yet sent): its greenlet sees the end of input and closes
        quietly. Called on graceful stop so that idle connections do not hold
        the worker for ``keepalive`` seconds. HTTP/2 connections get GOAWAY
        and are shut once their streams are done. Returns how many were shut.
        """
        idle = list(self._waiting)
        for client in idle:
            _shutdown_transport(client)
        return len(idle) + self.h2_close_idle()

    def _before_app(self, resp: Any, environ: dict[str, Any]) -> None:
        """Count the request; decide whether its connection may stay open."""
        environ["wsgi.multithread"] = self.multithread
        if self.count_request() or not self.alive or not self._keepalive:
            resp.force_close()

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> bool:
        """Run the application for ``req`` and write its response.

        Args:
            listener_name: the listener address (tuple or unix path).
            req: the parsed ``Request``; sock: the client socket; addr: the peer.

        Returns True when the connection may carry another request.
        Raises the application's exception when nothing was sent yet (the
        caller answers 500), the client-gone errors of ``netio``, and
        ``_AlreadyHandled`` when the application took the socket over.
        """
        call = self._call
        if call is None:
            call = self._call = WSGICall(self)
        resp = call(req, sock, addr, listener_name, self._before_app)
        return resp is not None and not resp.should_close()

    def _serve(self, info: Any, client: Any, addr: Any) -> None:
        """Green thread of one accepted connection from listener *info*
        (a ``netio.Listener``): blocking mode (the hub makes it cooperative),
        TCP_NODELAY where the listener asks for it, then ``handle``."""
        client.setblocking(True)
        if info.nodelay:
            self.set_nodelay(client)
        self.handle(info.sock, client, addr)

    @staticmethod
    def set_nodelay(client: Any) -> None:
        """TCP_NODELAY on an accepted socket that did not inherit it."""
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
