"""The threaded worker (``-k gthread``): one event loop plus a thread pool.

The event loop thread owns the listeners and every connection that is not
currently being served: it accepts, drives TLS handshakes, reads request
heads without blocking, closes idle keep-alive connections, and keeps the
heartbeat going.  Once a connection holds a complete request head it is
handed to a pool thread, which builds the request, runs the application,
writes the response and then either re-arms the connection in the poller
(keep-alive) or closes it.

Why this shape:

* Slow or idle clients cost no thread: a request reaches the pool only once
  its head has fully arrived, so byte-by-byte senders cannot starve others.
* Client sockets are registered one-shot (``EPOLLONESHOT`` on Linux), so a
  pool thread re-arms its connection itself: no wake-up of the loop and no
  unregister/register pair per request.
* Each connection owns its unparsed bytes (``TConn.pending`` while in the
  loop, its ``SocketUnreader`` while a pool thread parses), so pipelined
  requests are answered in order from the leftover bytes.
* Dispatch (``enqueue_req``) is separate from the socket loop, so a protocol
  that multiplexes requests (HTTP/2) can submit several units of work for one
  connection.
"""

from __future__ import annotations

import errno
import os
import select
import selectors
import socket
import ssl
import sys
import threading
import time
from collections import deque
from queue import SimpleQueue
from typing import Any, Callable

from gunicorn import http, tls, util
from gunicorn import sock as sock_mod
from gunicorn.http.core import HeadParser, parse_proxy_prefix, settings_for
from gunicorn.http.errors import NoMoreData
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers import base
from gunicorn.workers.wsgi_call import PEER_GONE, WSGICall

__all__ = ["TConn", "PollableMethodQueue", "ThreadWorker"]

# Connection states.  IDLE connections belong to the event loop, BUSY ones
# to exactly one pool thread.
HANDSHAKE = 0
IDLE = 1
BUSY = 2
CLOSED = 3

_RECV_SIZE = 65536
# unread request body (bytes) we read and discard to keep a connection alive
_DRAIN_LIMIT = 8 * 1024 * 1024
_MSG_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
_EPOLLIN = getattr(select, "EPOLLIN", 1)
_EPOLLOUT = getattr(select, "EPOLLOUT", 4)
_EPOLLONESHOT = getattr(select, "EPOLLONESHOT", 1 << 30)
_EPOLLRDHUP = getattr(select, "EPOLLRDHUP", 0x2000)

# errno values that only mean the peer went away or timed out.
_QUIET_ERRNOS = PEER_GONE
# when the worker stops, an idle connection stays open this long (seconds) so a
# request the client already sent on it is still answered (with
# "Connection: close") instead of being cut off
_STOP_LINGER = 2.0
# accept() errors meaning only "this connection is gone": try the next one
_ACCEPT_SKIP = frozenset((errno.ECONNABORTED, errno.EPROTO))
# accept() errors meaning the process or system is out of descriptors or
# memory: the listener stays readable, so polling it again at once would spin
# (and log) without pause; accepting resumes after _ACCEPT_BACKOFF seconds
_ACCEPT_EXHAUSTED = frozenset((errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM))
_ACCEPT_BACKOFF = 0.5


def _take_buffered(reader: Any) -> bytes:
    """Bytes the parser read ahead and did not use (pipelined data)."""
    return reader.take_buffered()


class TConn:
    """One client connection of the threaded worker.

    Args:
        cfg: the Config.
        sock: the accepted socket (already TLS-wrapped by the worker when TLS
            is on).
        client: the peer address (tuple, or str for unix sockets).
        server: the listener address.

    Attributes:
        timeout: monotonic deadline while the connection waits in the poller.
        parser: the connection's ``SocketUnreader``; it holds bytes while a
            pool thread parses, and is empty whenever the loop owns the
            connection.
        pending: bytes the loop received that no request consumed yet.
        state: HANDSHAKE, IDLE, BUSY or CLOSED.
        req_count: requests started on this connection.
    """

    __slots__ = (
        "cfg", "sock", "client", "server", "timeout", "parser", "reader", "pending", "state",
        "req_count", "fd", "initialized", "is_ssl", "armed", "scan_from",
        "proxy_protocol_info", "handshake_events", "http2", "head_check",
    )

    def __init__(self, cfg: Any, sock: Any, client: Any, server: Any) -> None:
        self.cfg, self.sock = cfg, sock
        # peer and listener addresses, as accept() and getsockname() gave them
        self.client, self.server = client, server
        self.timeout: float | None = None
        self.reader = SocketUnreader(sock, _RECV_SIZE)
        self.parser = self.reader
        self.pending = bytearray()
        self.state = IDLE
        self.req_count = 0
        self.fd = sock.fileno()
        self.initialized = False
        self.is_ssl = isinstance(sock, ssl.SSLSocket)
        self.armed = False
        self.scan_from = 0
        self.proxy_protocol_info: Any = None
        self.handshake_events = _EPOLLIN
        self.http2 = False
        # sans-IO head parser checking limits on a partial head (loop side)
        self.head_check: HeadParser | None = None

    def init(self) -> None:
        """Prepare the connection for use in a pool thread (blocking I/O)."""
        self.initialized = True
        if self.is_ssl:
            self.sock.setblocking(True)

    def set_timeout(self, seconds: float | None = None) -> None:
        """Set the idle deadline ``seconds`` from now (keep-alive by default)."""
        if seconds is None:
            seconds = self.cfg.keepalive
        self.timeout = time.monotonic() + seconds

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self.state = CLOSED
        util.close(self.sock)

    def __repr__(self) -> str:
        return "<TConn fd=%s peer=%r state=%d>" % (self.fd, self.client, self.state)


class PollableMethodQueue:
    """Run callbacks on the event-loop thread, woken through a pipe.

    Any thread may call :meth:`defer`; the loop polls :meth:`fileno` and calls
    :meth:`run_callbacks` when it is readable.
    """

    def __init__(self) -> None:
        self.fds: tuple[int, int] | None = None
        self.method_queue: SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = SimpleQueue()

    def init(self) -> None:
        """Create the non-blocking, close-on-exec pipe."""
        self.fds = os.pipe()
        for fd in self.fds:
            util.set_non_blocking(fd)
            util.close_on_exec(fd)

    def close(self) -> None:
        """Close the pipe."""
        if self.fds:
            for fd in self.fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.fds = None

    def fileno(self) -> int:
        """The read end of the pipe."""
        assert self.fds is not None
        return self.fds[0]

    def defer(self, callback: Callable[..., Any], *args: Any) -> None:
        """Queue ``callback(*args)`` for the loop thread and wake it."""
        self.method_queue.put((callback, args))
        if self.fds is not None:
            try:
                os.write(self.fds[1], b"0")
            except OSError:
                pass  # pipe full: the loop is already awake

    def run_callbacks(self, _fd: Any = None, max_callbacks_at_a_time: int = 64) -> None:
        """Drain the pipe and run up to ``max_callbacks_at_a_time`` callbacks."""
        assert self.fds is not None
        try:
            os.read(self.fds[0], max_callbacks_at_a_time)
        except OSError:
            pass
        q = self.method_queue
        for _ in range(max_callbacks_at_a_time):
            if q.empty():
                break
            callback, args = q.get_nowait()
            callback(*args)
        if not q.empty():
            # more left: make sure the loop comes back soon
            try:
                os.write(self.fds[1], b"0")
            except OSError:
                pass


class _ThreadPool:
    """A minimal fixed-size pool of daemon threads (``submit`` only).

    Lighter than ``concurrent.futures.ThreadPoolExecutor`` on the request
    path: no Future per request.  Daemon threads never block process exit
    after the graceful timeout.
    """

    def __init__(self, threads: int) -> None:
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name="gthread-%d" % i, daemon=True)
            for i in range(max(1, threads))
        ]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        get = self._queue.get
        while True:
            item = get()
            if item is None:
                return
            fn, args = item
            try:
                fn(*args)
            except BaseException:  # noqa: B036 - a pool thread must survive anything
                pass

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on a pool thread."""
        self._queue.put((fn, args))

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Stop the threads after the queued work; optionally wait for them."""
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()


class _EpollPoller:
    """epoll with one-shot client registrations (Linux).

    Listener and wake-up descriptors are level-triggered; client sockets are
    armed one-shot so whichever thread finishes with a connection can re-arm
    it directly (epoll_ctl is thread-safe).
    """

    threadsafe_arm = True

    def __init__(self) -> None:
        self._ep = select.epoll()

    def add_reader(self, fd: int) -> None:
        self._ep.register(fd, _EPOLLIN)

    def remove(self, fd: int) -> None:
        try:
            self._ep.unregister(fd)
        except (OSError, ValueError, KeyError):
            pass

    def arm(self, conn: TConn, events: int = _EPOLLIN) -> None:
        events |= _EPOLLONESHOT
        if conn.armed:
            try:
                self._ep.modify(conn.fd, events)
            except FileNotFoundError:
                self._ep.register(conn.fd, events)
            return
        # mark first: once registered, another thread may own the connection
        conn.armed = True
        try:
            self._ep.register(conn.fd, events)
        except FileExistsError:
            self._ep.modify(conn.fd, events)

    def poll(self, timeout: float) -> list[tuple[int, int]]:
        try:
            return self._ep.poll(timeout)
        except InterruptedError:
            return []

    def close(self) -> None:
        self._ep.close()


class _SelectorPoller:
    """Portable fallback over ``selectors``: arming happens on the loop thread."""

    threadsafe_arm = False

    def __init__(self) -> None:
        self._sel = selectors.DefaultSelector()

    def add_reader(self, fd: int) -> None:
        self._sel.register(fd, selectors.EVENT_READ)

    def remove(self, fd: int) -> None:
        try:
            self._sel.unregister(fd)
        except (KeyError, ValueError, OSError):
            pass

    def arm(self, conn: TConn, events: int = _EPOLLIN) -> None:
        mask = selectors.EVENT_WRITE if events & _EPOLLOUT else selectors.EVENT_READ
        if conn.armed:
            self._sel.modify(conn.fd, mask)
        else:
            self._sel.register(conn.fd, mask)
            conn.armed = True

    def poll(self, timeout: float) -> list[tuple[int, int]]:
        out = []
        for key, _mask in self._sel.select(timeout):
            out.append((key.fd, _mask))
        return out

    def disarm(self, conn: TConn) -> None:
        if conn.armed:
            self.remove(conn.fd)
            conn.armed = False

    def close(self) -> None:
        self._sel.close()


def _make_poller() -> _EpollPoller | _SelectorPoller:
    if hasattr(select, "epoll"):
        return _EpollPoller()
    return _SelectorPoller()


def _message_class(cfg: Any) -> Any:
    """The request class the configured protocol parses into."""
    try:
        return http.get_parser(cfg, iter(()), None).mesg_class
    except Exception:
        from gunicorn.http.message import Request

        return Request


def _uwsgi_head_end(buf: bytes) -> bool:
    """True when a whole uWSGI header packet (4 bytes + vars) is buffered."""
    return len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[1:3], "little")


class ThreadWorker(base.Worker):
    """Worker serving many connections with a pool of ``--threads`` threads.

    ``--worker-connections`` caps open connections (accepting pauses at the
    cap), ``--keep-alive`` is the idle timeout between requests (0 disables
    keep-alive), and at most ``worker_connections - threads`` connections are
    kept alive at once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.worker_connections: int = self.cfg.worker_connections
        self.max_keepalived: int = self.cfg.worker_connections - self.cfg.threads
        self.tpool: Any = None
        self.poller: Any = None
        self.method_queue = PollableMethodQueue()
        self._conns: dict[int, TConn] = {}
        self._idle: set[TConn] = set()
        self._accepting = False
        # monotonic time before which accepting stays paused (see accept())
        self._accept_resume_at = 0.0
        self._listeners: dict[int, tuple[Any, Any, bool]] = {}
        self._acceptors: dict[Any, Callable[[], tuple[Any, Any]]] = {}
        self._lock = threading.Lock()
        self._busy = 0
        # settings read on every request, cached (they cannot change without
        # a new worker)
        self._keepalive = self.cfg.keepalive
        self._read_timeout = float(self.cfg.timeout) if self.cfg.timeout > 0 else 30.0
        self._is_ssl = bool(self.cfg.is_ssl)
        self._timeval = _timeval(self._read_timeout)
        self._selector_fallback = False
        self._queue_fd = -1
        self._call: WSGICall | None = None

    # -- setup -----------------------------------------------------------

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """Warn when no connection could ever be kept alive."""
        max_keepalived = cfg.worker_connections - cfg.threads
        if max_keepalived <= 0 and cfg.keepalive:
            log.warning(
                "No keep-alive connections can be held: worker_connections (%s) "
                "must be larger than threads (%s).", cfg.worker_connections, cfg.threads
            )

    def init_process(self) -> None:
        """Create the pool, the poller and the wake-up queue, then boot."""
        self.tpool = self.get_thread_pool()
        self.poller = _make_poller()
        self.method_queue.init()
        super().init_process()

    def get_thread_pool(self) -> Any:
        """Return the pool that runs requests; anything with ``submit(fn, *args)``.

        Override to use, e.g., a ``concurrent.futures.ThreadPoolExecutor``.
        """
        return _ThreadPool(self.cfg.threads)

    # -- signals ---------------------------------------------------------

    def handle_exit(self, sig: int, frame: Any) -> None:
        """SIGTERM: stop accepting and drain (graceful); wake the poller.

        The base class also bounds the drain when SIGTERM is the
        parent-death signal (the master is gone).
        """
        was_alive = self.alive
        super().handle_exit(sig, frame)
        if was_alive:
            # poll() is restarted after a signal (PEP 475): make it return
            self._wake()

    def handle_quit(self, sig: int, frame: Any) -> None:
        """SIGQUIT/SIGINT: run the worker_int hook and exit at once.

        The pool is deliberately not shut down here: this runs in the loop
        thread between two bytecodes, possibly inside ``tpool.submit``, and a
        ``ThreadPoolExecutor`` takes the same non-reentrant lock in
        ``submit`` and ``shutdown`` (a deadlock). Our own pool threads are
        daemons, so they do not hold up the exit.
        """
        super().handle_quit(sig, frame)

    # -- accept ----------------------------------------------------------

    def set_accept_enabled(self, enabled: bool) -> None:
        """Start or stop polling the listeners for new connections."""
        if enabled == self._accepting:
            return
        for fd in self._listeners:
            if enabled:
                self.poller.add_reader(fd)
            else:
                self.poller.remove(fd)
        self._accepting = enabled

    def accept(self, listener: Any, server: Any = None, is_tcp: bool = False) -> None:
        """Accept pending connections from ``listener`` (up to the cap).

        ``is_tcp`` asks for TCP_NODELAY on each connection (not needed when
        the listener's setting is inherited, as on Linux).  When accept()
        fails for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
        ENOMEM), a warning is logged and accepting pauses for
        ``_ACCEPT_BACKOFF`` seconds; other OSErrors propagate.
        """
        accept = self._acceptors.get(listener)
        if accept is None:
            accept = self._acceptors[listener] = sock_mod.fast_acceptor(listener)
        conns, limit = self._conns, self.worker_connections
        for _ in range(32):
            if len(conns) >= limit:
                self.set_accept_enabled(False)
                return
            try:
                sock, client = accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno in _ACCEPT_SKIP:
                    continue
                if e.errno in _ACCEPT_EXHAUSTED:
                    self.log.warning("accept() failed: %s", e)
                    self.set_accept_enabled(False)
                    self._accept_resume_at = time.monotonic() + _ACCEPT_BACKOFF
                    return
                raise
            self._setup_client(sock, client, server, is_tcp)

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
        conn = TConn(self.cfg, sock, client, server)
        conn.set_timeout(self._read_timeout)
        self._conns[conn.fd] = conn
        self._idle.add(conn)
        if conn.is_ssl:
            conn.state = HANDSHAKE
            self._do_handshake(conn)
        else:
            # the request often arrives with the connection: read it now
            # rather than after a round through the poller
            self._read_available(conn)

    # -- event loop side ---------------------------------------------------

    def _do_handshake(self, conn: TConn) -> None:
        """Advance a non-blocking TLS handshake; dispatch once it is done."""
        try:
            conn.sock.do_handshake()
        except ssl.SSLWantReadError:
            conn.handshake_events = _EPOLLIN
            self.poller.arm(conn, _EPOLLIN)
            return
        except ssl.SSLWantWriteError:
            conn.handshake_events = _EPOLLOUT
            self.poller.arm(conn, _EPOLLOUT)
            return
        except (ssl.SSLError, OSError, ValueError) as e:
            # plain HTTP on a TLS port, bad client certificate, peer gone
            self.log.debug("TLS handshake failed with %s: %s", conn.client, e)
            self._close_loop(conn)
            return
        conn.state = IDLE
        if tls.is_http2_negotiated(conn.sock):
            conn.http2 = True
            self._idle.discard(conn)
            self._dispatch(conn, self.handle_http2)
            return
        self._read_available(conn)

    def on_client_socket_readable(self, conn: TConn, events: int = _EPOLLIN) -> None:
        """Read what has arrived; dispatch once a request head is complete."""
        state = conn.state
        if state == IDLE:
            self._read_available(conn)
        elif state == HANDSHAKE:
            self._do_handshake(conn)

    def _read_available(self, conn: TConn) -> None:
        sock = conn.sock
        pending = conn.pending
        try:
            if conn.is_ssl:
                # drain the TLS layer: decrypted bytes it holds would not
                # wake the poller again
                eof = False
                while True:
                    try:
                        data = sock.recv(_RECV_SIZE)
                    except ssl.SSLWantReadError:
                        break
                    if not data:
                        eof = True
                        break
                    pending += data
                    if len(pending) > self._max_head:
                        break
                if eof:
                    self._on_eof(conn)
                    return
            else:
                data = sock.recv(_RECV_SIZE, _MSG_DONTWAIT)
                if not data:
                    self._on_eof(conn)
                    return
                pending += data
        except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError):
            self.poller.arm(conn)
            return
        except (OSError, ValueError) as e:
            self.log.debug("Closing connection from %s: %s", conn.client, e)
            self._close_loop(conn)
            return
        if not pending:
            self.poller.arm(conn)
            return
        try:
            ready = self._head_ready(conn)
        except Exception as exc:
            # the partial head already breaks a rule or limit: answer now,
            # as the sync worker would, instead of waiting for its end
            self._idle.discard(conn)
            self._dispatch(conn, self._answer_error, exc)
            return
        if ready:
            self._idle.discard(conn)
            self._dispatch(conn, self.handle)
            return
        if conn.scan_from == 0:
            # first bytes of a request: from now on the head must arrive
            # within the read timeout, not the keep-alive one
            conn.set_timeout(self._read_timeout)
        conn.scan_from = max(0, len(pending) - 3)
        self.poller.arm(conn)

    def _on_eof(self, conn: TConn) -> None:
        """The peer closed (or half-closed) while the loop owned ``conn``.

        Nothing pending: a clean close.  A partial request left behind goes
        to a pool thread, whose parser then meets the same end of input as
        the sync worker's would (an error answer, or a quiet NoMoreData).
        """
        if not conn.pending:
            self._close_loop(conn)
            return
        self._idle.discard(conn)
        self._dispatch(conn, self.handle)

    def _head_ready(self, conn: TConn) -> bool:
        """True once ``conn.pending`` holds a full request head (or is too big to wait).

        While the head is incomplete, the bytes so far go through the shared
        sans-IO ``HeadParser``, so limits and malformed lines are found as
        they arrive (RFC 9112 sections 2.2, 3 and 5).  Raises that parser's
        errors: LimitRequestLine (414), LimitRequestHeaders (431),
        InvalidRequestLine / InvalidHeader (400) and the PROXY prefix errors.
        """
        buf = conn.pending
        if self._uwsgi:
            return _uwsgi_head_end(buf) or len(buf) >= self._max_head
        start = conn.scan_from
        # CRLF CRLF, or a bare-LF blank line the parser will reject
        if buf.find(b"\n\r\n", start) >= 0 or buf.find(b"\n\n", start) >= 0:
            return True
        if len(buf) >= self._max_head:
            return True
        return self._check_partial_head(conn)

    def _check_partial_head(self, conn: TConn) -> bool:
        """Feed the incomplete head in ``conn.pending`` to the core parser.

        Returns True if the parser finds it complete after all, False when it
        needs more bytes; raises the parse error the bytes already prove.
        """
        buf = conn.pending
        start = 0
        if conn.req_count == 0 and self._proxy_mode != "off":
            # PROXY header first (first request only), exactly as the parser does
            peer = conn.client
            host = peer[0] if isinstance(peer, tuple) else peer
            found = parse_proxy_prefix(buf, self._proxy_mode,
                                       self._parser_settings.policy.proxy_allowed(peer), host)
            if found is None:
                return False
            start = found[1]
        parser = conn.head_check
        if parser is None:
            # partial checks never look at forwarded fields: trust is moot
            parser = conn.head_check = HeadParser(self._parser_settings, False)
        return parser.parse(buf, start) is not None

    def _dispatch(self, conn: TConn, fn: Callable[..., None], *args: Any) -> None:
        conn.state = BUSY
        conn.scan_from = 0
        conn.head_check = None
        with self._lock:
            self._busy += 1
        self.tpool.submit(fn, conn, *args)

    def _answer_error(self, conn: TConn, exc: BaseException) -> None:
        """Pool thread: answer a parse error found by the loop, then close."""
        try:
            if conn.is_ssl:
                conn.sock.setblocking(True)
            self._safe_handle_error(None, conn, exc)
        except Exception:
            pass
        finally:
            self.finish_request(conn, False)

    def enqueue_req(self, conn: TConn) -> None:
        """Hand ``conn`` (holding a complete request head) to the pool."""
        self._idle.discard(conn)
        self._dispatch(conn, self.handle)

    def _close_loop(self, conn: TConn) -> None:
        """Close a connection owned by the loop thread."""
        if self._selector_fallback and conn.armed:
            self.poller.disarm(conn)
        self._idle.discard(conn)
        self._conns.pop(conn.fd, None)
        conn.close()

    def murder_keepalived(self) -> None:
        """Close connections whose idle or head-read deadline has passed."""
        now = time.monotonic()
        next_due = now + self._sweep_interval
        for conn in list(self._idle):
            deadline = conn.timeout
            if deadline is None:
                continue
            if deadline <= now:
                if conn.state != BUSY:
                    self._close_loop(conn)
            elif deadline < next_due:
                next_due = deadline
        self._next_sweep = next_due

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """Poll once and run the handlers of every ready descriptor."""
        events = self.poller.poll(timeout)
        conns = self._conns
        listeners = self._listeners
        for fd, ev in events:
            conn = conns.get(fd)
            if conn is not None:
                if self._selector_fallback:
                    self.poller.disarm(conn)
                self.on_client_socket_readable(conn, ev)
            elif fd in listeners:
                if self._accepting and self.alive:
                    self.accept(*listeners[fd])
            elif fd == self._queue_fd:
                self.method_queue.run_callbacks()

    @property
    def nr_conns(self) -> int:
        """Open client connections in this worker."""
        return len(self._conns)

    @property
    def keepalived_conns(self) -> deque[TConn]:
        """Snapshot of the connections waiting in the poller."""
        return deque(self._idle)

    def _wake(self) -> None:
        self.method_queue.defer(_noop)

    def run(self) -> None:
        """Serve until stopped, then drain in-flight requests gracefully."""
        for listener in self.sockets:
            listener.setblocking(False)
            fd = listener.fileno()
            try:
                server = listener.getsockname()
            except OSError:
                server = None
            is_tcp = getattr(listener, "family", None) in (socket.AF_INET, socket.AF_INET6)
            if is_tcp and _inherits_nodelay(listener):
                is_tcp = False  # every accepted socket already has TCP_NODELAY
            self._listeners[fd] = (listener, server, is_tcp)
            self._acceptors[listener] = sock_mod.fast_acceptor(listener)
        self._queue_fd = self.method_queue.fileno()
        self._selector_fallback = not self.poller.threadsafe_arm
        self.poller.add_reader(self._queue_fd)
        self._msg_class = _message_class(self.cfg)
        self._uwsgi = getattr(self.cfg, "protocol", "http") == "uwsgi"
        # shared with every parser of this worker; limits already normalised
        self._parser_settings = ps = settings_for(self.cfg)
        self._proxy_mode = ps.proxy_protocol
        self._max_head = max(65536, (ps.limit_request_line or 8190) + ps.max_buffer_headers)
        self._pre_request = self.cfg.pre_request
        self._post_request = self.cfg.post_request
        self._call = WSGICall(self)
        ka = self._keepalive if self._keepalive > 0 else self._read_timeout
        self._sweep_interval = min(1.0, ka, self._read_timeout)
        self._next_sweep = time.monotonic() + self._sweep_interval
        hb = self.timeout / 2.0 if self.timeout and self.timeout > 0 else 1.0
        notify_every = max(0.05, min(1.0, hb))
        self.set_accept_enabled(True)

        next_notify = 0.0
        while self.alive:
            now = time.monotonic()
            if now >= next_notify:
                self.notify()
                next_notify = now + notify_every
                if not self.is_parent_alive():
                    break
            wake_at = min(next_notify, self._next_sweep)
            if not self._accepting and len(self._conns) < self.worker_connections:
                if now >= self._accept_resume_at:
                    self.set_accept_enabled(True)
                else:
                    wake_at = min(wake_at, self._accept_resume_at)
            timeout = wake_at - now
            self.wait_for_and_dispatch_events(max(0.0, timeout))
            if time.monotonic() >= self._next_sweep:
                self.murder_keepalived()
        self._graceful_stop()

    def _graceful_stop(self) -> None:
        """Stop accepting, finish in-flight requests within graceful_timeout.

        Idle connections (fresh ones, and kept-alive ones whose last response
        promised to keep them open) are given ``_STOP_LINGER`` seconds: a
        request arriving meanwhile is served with ``Connection: close``
        (RFC 9112 section 9.6). Silent ones are closed after that.
        """
        self.alive = False
        self.set_accept_enabled(False)
        for listener, _server, _tcp in self._listeners.values():
            try:
                listener.close()
            except OSError:
                pass
        deadline = time.monotonic() + self.cfg.graceful_timeout
        # when the drain first saw each connection idle
        idle_since: dict[TConn, float] = {}
        while True:
            now = time.monotonic()
            lingering = False
            for conn in list(self._idle):
                if conn.state == BUSY:
                    continue
                if now - idle_since.setdefault(conn, now) < _STOP_LINGER:
                    lingering = True
                    continue
                self._close_loop(conn)
            if now >= deadline or (self._busy <= 0 and not lingering):
                break
            self.notify()
            self.wait_for_and_dispatch_events(min(0.1, max(0.0, deadline - now)))
        for conn in list(self._conns.values()):
            if conn.state != BUSY:
                self._close_loop(conn)
        try:
            self.tpool.shutdown(False)
        except Exception:
            pass

    # -- pool thread side --------------------------------------------------

    def finish_request(self, conn: TConn, fs: Any) -> None:
        """Keep ``conn`` alive (re-arm it in the poller) or close it.

        Args:
            conn: the connection a pool thread just finished with.
            fs: True/False for keep-alive, or a ``concurrent.futures.Future``
                whose result is that value.
        """
        if isinstance(fs, bool):
            keepalive = fs
        else:
            try:
                keepalive = not fs.cancelled() and bool(fs.result())
            except Exception:
                keepalive = False
        # a response that announced keep-alive keeps its connection open even
        # when the worker is stopping: the drain loop lingers on it
        if keepalive and conn.state == BUSY:
            if conn.is_ssl:
                try:
                    conn.sock.setblocking(False)
                except OSError:
                    keepalive = False
            if keepalive:
                conn.set_timeout(self._keepalive)
                conn.state = IDLE
                self._idle.add(conn)
                # from here on the loop owns the connection
                if self._selector_fallback:
                    self.method_queue.defer(self._rearm, conn)
                else:
                    try:
                        self.poller.arm(conn)
                    except (OSError, ValueError):
                        self._idle.discard(conn)
                        keepalive = False
        # counted down only now, so the drain never sees this connection in
        # neither the busy count nor the idle set
        with self._lock:
            self._busy -= 1
        if not keepalive:
            self._close_pool(conn)

    def _rearm(self, conn: TConn) -> None:
        """Loop thread (selector fallback): arm a connection a pool thread kept alive.

        The connection may have been closed since the pool thread queued this
        (idle deadline, worker stop); its fd number may even belong to a new
        connection by now, so only the same, still idle object is armed.
        """
        if conn.state != IDLE or self._conns.get(conn.fd) is not conn:
            return
        try:
            self.poller.arm(conn)
        except (OSError, ValueError, KeyError):
            self._close_loop(conn)

    def _close_pool(self, conn: TConn) -> None:
        """Close a connection owned by a pool thread."""
        # forget the fd before closing it so the loop cannot see it reused
        self._conns.pop(conn.fd, None)
        conn.close()
        if not self._accepting or not self.alive:
            self._wake()

    def handle(self, conn: TConn) -> None:
        """Serve the buffered request(s) of ``conn``; runs in a pool thread."""
        keepalive = False
        req = None
        try:
            if not conn.initialized:
                conn.init()
            elif conn.is_ssl:
                conn.sock.setblocking(True)
            reader = conn.reader
            pending = conn.pending
            reader.unread(bytes(pending))
            del pending[:]
            while True:
                conn.req_count += 1
                req = self._msg_class(self.cfg, reader, conn.client, conn.req_count)
                if conn.req_count == 1:
                    conn.proxy_protocol_info = getattr(req, "proxy_protocol_info", None)
                elif conn.proxy_protocol_info is not None and req.proxy_protocol_info is None:
                    req.proxy_protocol_info = conn.proxy_protocol_info
                keepalive = self.handle_request(req, conn)
                if not keepalive:
                    break
                # drain what the application left unread (RFC 9112 section 9.3);
                # past _DRAIN_LIMIT closing is cheaper than reading on
                body_read = req.body.read
                drained = 0
                while drained <= _DRAIN_LIMIT:
                    data = body_read(_RECV_SIZE)
                    if not data:
                        break
                    drained += len(data)
                else:
                    keepalive = False
                    break
                req = None
                # bytes read past this request belong to the next one
                leftover = _take_buffered(reader)
                if not leftover:
                    break
                pending += leftover
                # pipelined (also while stopping: that answer says close):
                # answer the next request now if its head is here
                conn.scan_from = 0
                conn.head_check = None
                if not self._head_ready(conn):
                    break
                conn.head_check = None
                reader.unread(bytes(pending))
                del pending[:]
        except StopIteration:
            self.log.debug("Connection from %s closed before a request", conn.client)
            keepalive = False
        except NoMoreData as e:
            self.log.debug("Ignored premature client disconnection. %s", e)
            keepalive = False
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            # SO_RCVTIMEO/SO_SNDTIMEO expired on a stalled TLS peer
            self.log.debug("TLS connection from %s timed out", conn.client)
            keepalive = False
        except ssl.SSLError as e:
            keepalive = False
            if tls.is_tls_eof(e):
                self.log.debug("ssl connection closed")
            else:
                self.log.debug("Error processing SSL request.")
                self._safe_handle_error(req, conn, e)
        except OSError as e:
            keepalive = False
            if e.errno in _QUIET_ERRNOS or isinstance(e, TimeoutError):
                self.log.debug("Ignoring connection error: %s", e)
            else:
                # raised by the application (e.g. a missing file): answer 500
                self._safe_handle_error(req, conn, e)
        except Exception as e:
            keepalive = False
            self._safe_handle_error(req, conn, e)
        except BaseException:
            # SystemExit/KeyboardInterrupt from the app: close, then re-raise
            self.finish_request(conn, False)
            raise
        self.finish_request(conn, keepalive)

    def _safe_handle_error(self, req: Any, conn: TConn, exc: BaseException) -> None:
        try:
            self.handle_error(req, conn.sock, conn.client, exc)
        except Exception:
            self.log.exception("Error while answering a failed request")

    def _before_app(self, resp: Any, environ: dict[str, Any]) -> None:
        """Count the request; decide whether its connection may stay open."""
        environ["wsgi.multithread"] = True
        with self._lock:
            self.nr += 1
            nr = self.nr
        if nr >= self.max_requests:
            if self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
                self._wake()
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
        """Serve an ALPN-negotiated HTTP/2 connection (pool thread).

        HTTP/2 is not implemented yet: ``gunicorn.tls`` offers ``h2`` in ALPN
        only once the ``gunicorn.http2`` package exists, so no client reaches
        this today. Should one insist, the connection is closed.
        """
        self.log.debug("HTTP/2 is not supported yet; closing %s", conn.client)
        self.finish_request(conn, False)

    def handle_http2_request(self, req: Any, conn: TConn, h2conn: Any) -> None:
        """Run the application for one HTTP/2 stream: not implemented yet.

        Raises NotImplementedError; kept so subclasses written for upstream's
        ThreadWorker find the method.
        """
        raise NotImplementedError("HTTP/2 is not supported by this worker yet")


def _noop() -> None:
    return None


def _inherits_nodelay(listener: Any) -> bool:
    """True when sockets accepted from ``listener`` get its TCP_NODELAY (Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    except (OSError, AttributeError):
        return False


def _timeval(seconds: float) -> bytes:
    """A ``struct timeval`` for SO_RCVTIMEO/SO_SNDTIMEO."""
    import struct

    whole = int(seconds)
    return struct.pack("@ll", whole, int((seconds - whole) * 1e6))


if sys.platform == "win32":  # pragma: no cover - the server is UNIX only
    raise ImportError("gunicorn.workers.gthread needs a UNIX platform")
