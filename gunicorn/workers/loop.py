"""Event-loop building blocks: pollers, a wake-up queue, a thread pool and the
hand-off of work from the loop thread to that pool.

Nothing here knows HTTP. The gthread worker drives HTTP/1.x connections with
them; an HTTP/2 driver (several units of work per connection) and later
workers reuse the same pieces:

* a poller (:func:`make_poller`): epoll with one-shot client registrations on
  Linux, so whichever thread finishes with a connection re-arms it without
  waking the loop; ``selectors`` elsewhere, where arming is left to the loop;
* :class:`PollableMethodQueue`: any thread queues a callback for the loop
  thread and wakes it through a pipe;
* :class:`ThreadPool`: fixed daemon threads, ``submit`` only (no Future);
* :class:`PoolHandoff`: submits units of work and counts those in flight,
  which is what a graceful stop waits for.

A connection handed to a poller needs two attributes: ``fd`` (its
descriptor) and ``armed`` (set by the poller once registered);
:class:`LoopConn` is the transport side of one such connection.
"""

from __future__ import annotations

import os
import select
import selectors
import ssl
import struct
import threading
import time
from queue import SimpleQueue
from typing import Any, Callable, Protocol

from gunicorn import util

__all__ = [
    "BUSY", "CLOSED", "EPOLLIN", "EPOLLONESHOT", "EPOLLOUT", "EpollPoller", "HANDSHAKE", "IDLE",
    "LoopConn", "PollableMethodQueue", "PoolHandoff", "SelectorPoller", "ThreadPool",
    "make_poller", "timeval",
]

# event bits; the selector fallback maps them onto selectors.EVENT_*
EPOLLIN = getattr(select, "EPOLLIN", 1)
EPOLLOUT = getattr(select, "EPOLLOUT", 4)
EPOLLONESHOT = getattr(select, "EPOLLONESHOT", 1 << 30)

# Connection states: IDLE connections belong to the loop, BUSY ones to
# exactly one pool thread.
HANDSHAKE, IDLE, BUSY, CLOSED = 0, 1, 2, 3


class Armable(Protocol):
    """What a poller needs from a connection."""

    fd: int
    armed: bool


class LoopConn:
    """The transport side of one client connection of a loop worker.

    Args:
        cfg: the Config.
        sock: the accepted socket (TLS-wrapped, handshake pending, when TLS is on).
        client: the peer address (tuple, or str for unix sockets).
        server: the listener address.

    Attributes:
        fd: the socket's descriptor; armed: registered in the poller.
        timeout: monotonic deadline while the connection waits in the poller.
        state: HANDSHAKE, IDLE, BUSY or CLOSED.
        is_ssl: TLS connection; handshake_events: what the handshake waits for.
        http2: ALPN chose "h2".
    """

    __slots__ = ("cfg", "sock", "client", "server", "timeout", "state", "fd", "initialized",
                 "is_ssl", "armed", "handshake_events", "http2")

    def __init__(self, cfg: Any, sock: Any, client: Any, server: Any) -> None:
        self.cfg, self.sock = cfg, sock
        self.client, self.server = client, server
        self.timeout: float | None = None
        self.state = IDLE
        self.fd = sock.fileno()
        self.initialized = False
        self.is_ssl = isinstance(sock, ssl.SSLSocket)
        self.armed = False
        self.handshake_events = EPOLLIN
        self.http2 = False

    def init(self) -> None:
        """Prepare the connection for use in a pool thread (blocking I/O)."""
        self.initialized = True
        if self.is_ssl:
            self.sock.setblocking(True)

    def set_timeout(self, seconds: float | None = None) -> None:
        """Set the idle deadline ``seconds`` from now (keep-alive by default)."""
        self.timeout = time.monotonic() + (self.cfg.keepalive if seconds is None else seconds)

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self.state = CLOSED
        util.close(self.sock)

    def __repr__(self) -> str:
        return "<%s fd=%s peer=%r state=%d>" % (type(self).__name__, self.fd, self.client,
                                                 self.state)


class PollableMethodQueue:
    """Run callbacks on the event-loop thread, woken through a pipe.

    Any thread may call :meth:`defer`; the loop polls :meth:`fileno` and calls
    :meth:`run_callbacks` when it is readable.
    """

    def __init__(self) -> None:
        self.fds: tuple[int, int] | None = None
        self.method_queue: SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = SimpleQueue()

    def init(self) -> None:
        """Create the non-blocking, close-on-exec pipe (after fork)."""
        self.fds = os.pipe()
        for fd in self.fds:
            util.set_non_blocking(fd)
            util.close_on_exec(fd)

    def close(self) -> None:
        """Close the pipe (idempotent)."""
        if self.fds:
            for fd in self.fds:
                util.close_fd(fd)
            self.fds = None

    def fileno(self) -> int:
        """The read end of the pipe, to poll for readability."""
        assert self.fds is not None
        return self.fds[0]

    def _poke(self) -> None:
        if self.fds is not None:
            try:
                os.write(self.fds[1], b"0")
            except OSError:
                pass  # pipe full: the loop is awake already

    def defer(self, callback: Callable[..., Any], *args: Any) -> None:
        """Queue ``callback(*args)`` for the loop thread and wake it (any thread)."""
        self.method_queue.put((callback, args))
        self._poke()

    def run_callbacks(self, _fd: Any = None, max_callbacks_at_a_time: int = 64) -> None:
        """Loop thread: drain the pipe and run up to ``max_callbacks_at_a_time``
        callbacks in the order they were queued; wake again if more are left."""
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
            self._poke()


class ThreadPool:
    """A fixed-size pool of daemon threads with ``submit(fn, *args)`` only.

    Lighter than ``concurrent.futures.ThreadPoolExecutor`` on the request
    path: no Future per unit of work. Daemon threads never hold up the
    process exit after the graceful timeout. An exception escaping ``fn`` is
    dropped: callers catch and log what they care about.

    Args:
        threads: number of threads (at least one is started).
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
        """Run ``fn(*args)`` on a pool thread (any thread may call this)."""
        self._queue.put((fn, args))

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Stop the threads after the queued work; with ``wait``, join them."""
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()


class PoolHandoff:
    """The one door from the loop thread to the pool: submits units of work
    and counts those not finished yet.

    A unit of work is whatever the protocol makes of a connection's bytes
    (an HTTP/1.1 request and what follows it, or one HTTP/2 stream); the
    code running it calls :meth:`done` exactly once when it is over.

    Args:
        pool: anything with ``submit(fn, *args)`` (``ThreadPool``,
            ``concurrent.futures.ThreadPoolExecutor`` ...).
    """

    __slots__ = ("_submit", "_lock", "busy")

    def __init__(self, pool: Any) -> None:
        self._submit = pool.submit
        self._lock = threading.Lock()
        # units of work submitted and not done yet
        self.busy = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Count one more unit in flight, then run ``fn(*args)`` on the pool."""
        with self._lock:
            self.busy += 1
        self._submit(fn, *args)

    def done(self) -> None:
        """One unit of work is over (called from the thread that ran it)."""
        with self._lock:
            self.busy -= 1


class EpollPoller:
    """epoll with one-shot client registrations (Linux).

    Listener and wake-up descriptors are level-triggered; connections are
    armed one-shot (``EPOLLONESHOT``), so whichever thread finishes with a
    connection can re-arm it directly: ``epoll_ctl`` is thread-safe.
    """

    threadsafe_arm = True

    def __init__(self) -> None:
        self._ep = select.epoll()

    def add_reader(self, fd: int) -> None:
        """Poll ``fd`` for readability until removed (level-triggered)."""
        self._ep.register(fd, EPOLLIN)

    def remove(self, fd: int) -> None:
        """Stop polling ``fd`` (missing or closed descriptors are fine)."""
        try:
            self._ep.unregister(fd)
        except (OSError, ValueError, KeyError):
            pass

    def arm(self, conn: Armable, events: int = EPOLLIN) -> None:
        """Report ``conn`` once when ``events`` (EPOLLIN / EPOLLOUT) happen."""
        events |= EPOLLONESHOT
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
        """Wait up to ``timeout`` seconds; ``[(fd, events), ...]``."""
        try:
            return self._ep.poll(timeout)
        except InterruptedError:
            return []

    def close(self) -> None:
        """Close the epoll descriptor."""
        self._ep.close()


class SelectorPoller:
    """Portable fallback over ``selectors``: not thread-safe, so connections
    are armed on the loop thread only and disarmed when reported."""

    threadsafe_arm = False

    def __init__(self) -> None:
        self._sel = selectors.DefaultSelector()

    def add_reader(self, fd: int) -> None:
        """Poll ``fd`` for readability until removed."""
        self._sel.register(fd, selectors.EVENT_READ)

    def remove(self, fd: int) -> None:
        """Stop polling ``fd`` (missing or closed descriptors are fine)."""
        try:
            self._sel.unregister(fd)
        except (KeyError, ValueError, OSError):
            pass

    def arm(self, conn: Armable, events: int = EPOLLIN) -> None:
        """Report ``conn`` when ``events`` happen (until :meth:`disarm`)."""
        mask = selectors.EVENT_WRITE if events & EPOLLOUT else selectors.EVENT_READ
        if conn.armed:
            self._sel.modify(conn.fd, mask)
        else:
            self._sel.register(conn.fd, mask)
            conn.armed = True

    def disarm(self, conn: Armable) -> None:
        """Stop reporting ``conn``."""
        if conn.armed:
            self.remove(conn.fd)
            conn.armed = False

    def poll(self, timeout: float) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds; ``[(fd, selector mask), ...]``."""
        return [(key.fd, mask) for key, mask in self._sel.select(timeout)]

    def close(self) -> None:
        """Close the selector."""
        self._sel.close()


def make_poller() -> EpollPoller | SelectorPoller:
    """The best poller for this platform."""
    if hasattr(select, "epoll"):
        return EpollPoller()
    return SelectorPoller()


def timeval(seconds: float) -> bytes:
    """A ``struct timeval`` for SO_RCVTIMEO/SO_SNDTIMEO (socket(7))."""
    whole = int(seconds)
    return struct.pack("@ll", whole, int((seconds - whole) * 1e6))
