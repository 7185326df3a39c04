"""The threaded worker (``-k gthread``): one event loop plus a thread pool.

The loop thread owns the listeners and every connection not being served:
it accepts, drives TLS handshakes, reads what clients send without blocking,
closes idle keep-alive connections and keeps the heartbeat going. A pool
thread takes a connection once the protocol has a unit of work for it (a
complete request head), runs it, and gives the connection back to the poller
(keep-alive) or closes it. Slow or idle clients thus cost no thread.

The worker only does I/O and scheduling. It meets the protocol at two points:

* bytes in -> protocol: :meth:`ThreadWorker._data_received` (loop thread),
  called after every read that fed bytes to the connection's sans-IO
  ``ServerConnection`` (``TConn.h1``);
* protocol -> pool: ``_dispatch`` (``LoopWorker``) submits a unit of work
  (``handle``, ``handle_http2``, an early error answer) through the one
  ``PoolHandoff``; :meth:`ThreadWorker.enqueue_req` is the request door.

The HTTP/1.x protocol itself is ``gthread_http1.HTTP1Driver``; accepting,
deadlines, the hand-off and the graceful drain are ``loop_worker.LoopWorker``;
pollers, the wake-up queue and the pool are in ``gunicorn.workers.loop``.
"""

from __future__ import annotations

import socket
import ssl
import sys
from typing import Any

from gunicorn import tls, util
from gunicorn.http.core import EndOfMessage, RequestHead, ServerConnection, settings_for
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers import proxy_tls
from gunicorn.workers.gthread_http1 import CLOSE, READY, RECV_SIZE, HTTP1Driver
from gunicorn.workers.gthread_http2 import HTTP2Serving
from gunicorn.workers.loop import (  # noqa: F401 - BUSY, CLOSED: the states, re-exported
    BUSY,
    CLOSED,
    EPOLLIN,
    EPOLLOUT,
    HANDSHAKE,
    IDLE,
    LoopConn,
    PollableMethodQueue,
    timeval,
)
from gunicorn.workers.loop_worker import LoopWorker
from gunicorn.workers.wsgi_call import WSGICall

__all__ = ["TConn", "PollableMethodQueue", "ThreadWorker"]

_MSG_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)


class TConn(LoopConn):
    """One client connection of the threaded worker: the transport
    (``loop.LoopConn``) plus what HTTP/1.x keeps between reads.

    Args:
        cfg: the Config.
        sock: the accepted socket (TLS-wrapped, handshake pending, when TLS is on).
        client: the peer address (tuple, or str for unix sockets).
        server: the listener address.

    Attributes:
        h1: the connection's ``ServerConnection`` (the HTTP/1.x protocol; the
            loop feeds it, the pool thread serving a request reads the rest
            of a body into it through ``reader``).
        reader (also ``parser``): the blocking ``SocketUnreader`` a pool
            thread reads request content from.
        head: the parsed ``RequestHead`` waiting for a pool thread.
        preload, preload_size, preload_end: chunked content the loop decoded
            before dispatching (list of bytes, their size, the EndOfMessage).
        current_req: the request a pool thread is serving (error reports).
        proxy_reader: the ``ProxyPrefixReader`` while a PROXY header is read
            before the TLS handshake (state HANDSHAKE), else None.
    """

    __slots__ = ("h1", "parser", "reader", "head", "preload", "preload_size", "preload_end",
                 "current_req", "proxy_reader")

    def __init__(self, cfg: Any, sock: Any, client: Any, server: Any,
                 h1: ServerConnection | None = None) -> None:
        super().__init__(cfg, sock, client, server)
        self.h1 = h1 if h1 is not None else HTTP1Driver(cfg).connection(client)
        self.reader = self.parser = SocketUnreader(sock, RECV_SIZE)
        self.head: RequestHead | None = None
        self.preload: list[bytes] | None = None
        self.preload_size = 0
        self.preload_end: EndOfMessage | None = None
        self.current_req: Any = None
        self.proxy_reader: Any = None

    @property
    def req_count(self) -> int:
        """Requests started on this connection."""
        return self.h1.req_number


class ThreadWorker(HTTP2Serving, LoopWorker):
    """Worker serving many connections with a pool of ``--threads`` threads.

    ``--worker-connections`` caps open connections (accepting pauses at the
    cap), ``--keep-alive`` is the idle timeout between requests (0 disables
    keep-alive), and at most ``worker_connections - threads`` connections are
    kept alive at once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_ssl = bool(self.cfg.is_ssl)
        self._proxy_tls = proxy_tls.prefix_before_tls(self.cfg)
        self._timeval = timeval(self._read_timeout)
        self._driver: Any = None
        self._max_read = 65536
        self._call: WSGICall | None = None

    # -- setup -----------------------------------------------------------

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """Warn when no connection could ever be kept alive."""
        if cfg.worker_connections - cfg.threads <= 0 and cfg.keepalive:
            log.warning(
                "No keep-alive connections can be held: worker_connections (%s) "
                "must be larger than threads (%s).", cfg.worker_connections, cfg.threads
            )

    def start_serving(self) -> None:
        """Build the protocol driver and the WSGI runner (``LoopWorker.run``)."""
        self._driver = HTTP1Driver(self.cfg)
        self._max_read = self._driver.max_read
        self._call = WSGICall(self)
        self.h2_setup()

    # -- connections (loop thread) -----------------------------------------

    def _setup_client(self, sock: socket.socket, client: Any, server: Any, is_tcp: bool) -> None:
        try:
            if is_tcp:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # bound blocking reads/writes inside pool threads: a client that
            # stalls mid-body or stops reading cannot hold a thread forever
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, self._timeval)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, self._timeval)
            if self._is_ssl:
                sock.setblocking(False)
        except OSError as e:
            self.log.debug("Failed to set up connection from %s: %s", client, e)
            util.close(sock)
            return
        if self._is_ssl:
            try:
                sock = tls.ssl_wrap_socket(sock, self.cfg, do_handshake_on_connect=False)
            except Exception:
                # the TLS context cannot be built: a configuration problem
                self.log.exception("TLS setup failed for a connection from %s", client)
                util.close(sock)
                return
        conn = TConn(self.cfg, sock, client, server, self._driver.connection(client))
        conn.set_timeout(self._read_timeout)
        self._conns[conn.fd] = conn
        self._idle.add(conn)
        if conn.is_ssl:
            conn.state = HANDSHAKE
            if self._proxy_tls:
                # the PROXY header comes in clear before the ClientHello
                conn.proxy_reader = proxy_tls.ProxyPrefixReader(settings_for(self.cfg), client)
            self._do_handshake(conn)
        else:
            # the request often arrives with the connection: read it now
            # rather than after a round through the poller
            self._read_available(conn)

    # -- reading (loop thread) ---------------------------------------------

    def _do_handshake(self, conn: TConn) -> None:
        """Advance a non-blocking TLS handshake (after the PROXY header
        when one is expected); read once it is done."""
        if conn.proxy_reader is not None and not self._proxy_prefix(conn):
            return
        try:
            conn.sock.do_handshake()
        except ssl.SSLWantReadError:
            conn.handshake_events = EPOLLIN
            self.poller.arm(conn, EPOLLIN)
            return
        except ssl.SSLWantWriteError:
            conn.handshake_events = EPOLLOUT
            self.poller.arm(conn, EPOLLOUT)
            return
        except (ssl.SSLError, OSError, ValueError) as e:
            # plain HTTP on a TLS port, bad client certificate, peer gone
            self.log.debug("TLS handshake failed with %s: %s", conn.client, e)
            self._close_loop(conn)
            return
        conn.state = IDLE
        if self.h2_after_handshake(conn):
            return  # HTTP/2 (or refused): gthread_http2
        self._read_available(conn)

    def _proxy_prefix(self, conn: TConn) -> bool:
        """Read what has arrived of the PROXY header without blocking; True
        once it is done (handed to ``conn.h1``).  The connection waits in the
        poller under its read deadline; a refused header closes it."""
        reader = conn.proxy_reader
        recv = proxy_tls.raw_recv(conn.sock)
        try:
            while not reader.step(recv):
                pass
        except (BlockingIOError, InterruptedError):
            conn.handshake_events = EPOLLIN
            self.poller.arm(conn, EPOLLIN)
            return False
        except Exception as exc:
            proxy_tls.log_refused(self.log, exc, conn.client)
            self._close_loop(conn)
            return False
        conn.proxy_reader = None
        conn.h1.proxy_prefix_read(reader.info)
        return True

    def on_client_socket_readable(self, conn: TConn, events: int = EPOLLIN) -> None:
        """Read what has arrived (or advance the TLS handshake)."""
        if conn.http2:
            self.h2_ready(conn, events)
            return
        state = conn.state
        if state == IDLE:
            self._read_available(conn)
        elif state == HANDSHAKE:
            self._do_handshake(conn)

    def _read_available(self, conn: TConn) -> None:
        """Feed what the socket holds to ``conn.h1`` without blocking."""
        sock = conn.sock
        h1 = conn.h1
        began = h1.buffered == 0 and conn.head is None
        got = False
        try:
            if conn.is_ssl:
                # drain the TLS layer: decrypted bytes it holds would not
                # wake the poller again
                while h1.buffered <= self._max_read:
                    try:
                        data = sock.recv(RECV_SIZE)
                    except ssl.SSLWantReadError:
                        break
                    h1.receive_data(data)
                    got = True
                    if not data:
                        break
            else:
                data = sock.recv(RECV_SIZE, _MSG_DONTWAIT)
                h1.receive_data(data)
                got = True
        except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError):
            if not got:
                self.poller.arm(conn)
                return
        except (OSError, ValueError) as e:
            self.log.debug("Closing connection from %s: %s", conn.client, e)
            self._close_loop(conn)
            return
        if got:
            self._data_received(conn, began)
        else:
            self.poller.arm(conn)

    # == bytes in -> protocol ==============================================

    def _data_received(self, conn: TConn, began: bool = False) -> None:
        """``conn.h1`` was fed: let the protocol decide if it holds a unit of
        work; dispatch it, answer an error the bytes prove, close, or wait
        for more. *began*: nothing was buffered before these bytes."""
        h1 = conn.h1
        if self._h2c_prior and not h1.req_number and conn.head is None and self.h2_preface(conn):
            return  # h2c prior knowledge (gthread_http2)
        try:
            found = self._driver.data_received(conn)
        except Exception as exc:
            # the bytes already break a rule or limit (or end mid-head):
            # answer now, as the sync worker would, instead of waiting
            self._idle.discard(conn)
            self._dispatch(conn, self._answer_error, exc)
            return
        if found is READY:
            if self._h2c_upgrade and self._upgrade_h2c(conn):
                return  # Upgrade: h2c (gthread_http2)
            self.enqueue_req(conn)
            return
        if found is CLOSE:
            self._close_loop(conn)
            return
        if h1.input_ended:
            # nothing more will arrive
            self._close_loop(conn)
            return
        if began and conn.head is None:
            # a request has begun: its head must arrive within the read
            # timeout, not the keep-alive one
            conn.set_timeout(self._read_timeout)
        self.poller.arm(conn)

    def _upgrade_h2c(self, conn: TConn) -> bool:
        try:
            return self.h2_upgrade(conn)
        except Exception as exc:
            # the content the switch needed is malformed: answer it
            self._idle.discard(conn)
            self._dispatch(conn, self._answer_error, exc)
            return True

    # == protocol -> pool: LoopWorker._dispatch, through enqueue_req ==========

    def enqueue_req(self, conn: TConn) -> None:
        """Hand ``conn`` (holding a complete request head) to the pool."""
        self._idle.discard(conn)
        self._dispatch(conn, self.handle)

    # -- pool thread side --------------------------------------------------

    def handle(self, conn: TConn) -> None:
        """Serve the buffered request(s) of ``conn``; runs in a pool thread.

        Errors are sorted by ``Worker.handle_connection_error``: a client
        that went away costs a debug line, anything else gets its error page.
        """
        keepalive = False
        try:
            if not conn.initialized:
                conn.init()
            elif conn.is_ssl:
                conn.sock.setblocking(True)
            keepalive = self._driver.serve(self, conn)
        except Exception as e:
            keepalive = False
            self.handle_connection_error(conn.current_req, conn.sock, conn.client, e)
        except BaseException:
            # SystemExit/KeyboardInterrupt from the app: close, then re-raise
            self.finish_request(conn, False)
            raise
        conn.current_req = None
        self.finish_request(conn, keepalive)

    def _answer_error(self, conn: TConn, exc: BaseException) -> None:
        """Pool thread: answer a parse error found by the loop, then close."""
        try:
            if conn.is_ssl:
                conn.sock.setblocking(True)
            self.handle_connection_error(None, conn.sock, conn.client, exc)
        except Exception:
            pass
        finally:
            self.finish_request(conn, False)

    def _before_app(self, resp: Any, environ: dict[str, Any]) -> None:
        """Count the request; decide whether its connection may stay open."""
        environ["wsgi.multithread"] = True
        if self.count_request():
            self._wake()  # the loop must notice alive turned False
            resp.force_close()
        elif not self.alive or not self._keepalive or len(self._idle) >= self.max_keepalived:
            resp.force_close()

    def handle_request(self, req: Any, conn: TConn) -> bool:
        """Run the application for one request; True to keep the connection.

        Raises the application's exception when no response has started (the
        caller answers 500); after headers were sent the connection is shut.
        """
        call = self._call
        if call is None:
            call = self._call = WSGICall(self)
        resp = call(req, conn.sock, conn.client, conn.server, self._before_app)
        return resp is not None and not resp.should_close()

    def handle_http2(self, conn: TConn) -> None:
        """Kept for subclasses written for gunicorn 25: HTTP/2 connections are
        served by the event loop (``gthread_http2.HTTP2Serving``), never by a
        pool thread, so this only closes a connection handed to it.
        """
        self.log.debug("handle_http2 is unused; closing %s", conn.client)
        self.finish_request(conn, False)

    def handle_http2_request(self, req: Any, conn: TConn, h2conn: Any) -> None:
        """Run the application for one HTTP/2 stream: not implemented yet.

        Raises NotImplementedError; kept so subclasses written for upstream's
        ThreadWorker find the method.
        """
        raise NotImplementedError("HTTP/2 is not supported by this worker yet")


if sys.platform == "win32":  # pragma: no cover - the server is UNIX only
    raise ImportError("gunicorn.workers.gthread needs a UNIX platform")
