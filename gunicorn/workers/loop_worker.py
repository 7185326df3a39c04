"""``LoopWorker``: a worker process built on one event loop plus a thread pool.

The loop thread owns the listeners and every connection not given to a
pool thread. This class does the scheduling every such worker shares and
knows nothing of HTTP: accepting (up to ``worker_connections``, pausing on
descriptor exhaustion), the heartbeat, idle and read deadlines, handing a
connection to the pool (``_dispatch``) and taking it back (``finish_request``:
re-arm in the poller or close), and the graceful drain. Subclasses (the
gthread worker) set connections up, read from them and run the protocol:
``_setup_client`` and ``on_client_socket_readable``.

Connection ownership: a connection is in ``_idle`` (the loop owns it) or
BUSY (exactly one pool thread owns it); ``_handoff.busy`` counts the units of
work in flight, and a connection is counted done only once it is back in
``_idle`` or closed, so the drain never misses one.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable

from gunicorn import util
from gunicorn.workers import base
from gunicorn.workers.loop import (
    BUSY,
    EPOLLIN,
    IDLE,
    PollableMethodQueue,
    PoolHandoff,
    ThreadPool,
    make_poller,
)
from gunicorn.workers.netio import Listener, prepare_listener

__all__ = ["LoopWorker"]

# when the worker stops, an idle connection stays open this long (seconds) so a
# request the client already sent on it is still answered (with
# "Connection: close") instead of being cut off
STOP_LINGER = 2.0


class LoopWorker(base.Worker):
    """Event loop + pool scheduling shared by loop-driven workers.

    ``--worker-connections`` caps open connections (accepting pauses at the
    cap), ``--keep-alive`` is the idle timeout between requests, and at most
    ``worker_connections - threads`` connections are kept alive at once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cfg = self.cfg
        self.worker_connections: int = cfg.worker_connections
        self.max_keepalived: int = cfg.worker_connections - cfg.threads
        self.tpool: Any = None
        self.poller: Any = None
        self.method_queue = PollableMethodQueue()
        self._handoff: Any = None
        self._conns: dict[int, Any] = {}
        self._idle: set[Any] = set()
        self._accepting = False
        # monotonic time before which accepting stays paused (see accept())
        self._accept_resume_at = 0.0
        self._listeners: dict[int, Listener] = {}
        self._acceptors: dict[Any, Listener] = {}
        # read on every request: cached (settings change only with a new worker)
        self._keepalive = cfg.keepalive
        self._read_timeout = float(cfg.timeout) if cfg.timeout > 0 else 30.0
        self._selector_fallback = False
        self._queue_fd = -1

    # -- setup and signals ---------------------------------------------------

    def init_process(self) -> None:
        """Create the pool, the poller and the wake-up queue, then boot."""
        self.tpool = self.get_thread_pool()
        self.poller = make_poller()
        self.method_queue.init()
        super().init_process()

    def get_thread_pool(self) -> Any:
        """Return the pool that runs requests; anything with ``submit(fn, *args)``.

        Override to use, e.g., a ``concurrent.futures.ThreadPoolExecutor``.
        """
        return ThreadPool(self.cfg.threads)

    def handle_exit(self, sig: int, frame: Any) -> None:
        """SIGTERM: stop accepting and drain (graceful); wake the poller.

        The base class also bounds the drain when SIGTERM is the
        parent-death signal (the master is gone).
        """
        was_alive = self.alive
        super().handle_exit(sig, frame)
        if was_alive:
            self._wake()  # poll() is restarted after a signal (PEP 475)

    def handle_quit(self, sig: int, frame: Any) -> None:
        """SIGQUIT/SIGINT: run the worker_int hook and exit at once.

        The pool is deliberately not shut down here: this runs in the loop
        thread between two bytecodes, possibly inside ``tpool.submit``, and a
        ``ThreadPoolExecutor`` takes the same non-reentrant lock in
        ``submit`` and ``shutdown`` (a deadlock). Our own pool threads are
        daemons, so they do not hold up the exit.
        """
        super().handle_quit(sig, frame)

    # -- accept --------------------------------------------------------------

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
        the listener's setting is inherited, as on Linux). accept() errors go
        through ``Worker.handle_accept_error``: a lost connection is skipped,
        exhaustion pauses accepting for the time it returns.
        """
        info = self._acceptors.get(listener)
        if info is None:
            info = self._acceptors[listener] = prepare_listener(listener)
        accept = info.accept
        conns, limit = self._conns, self.worker_connections
        for _ in range(32):
            full = len(conns) >= limit
            if full and not self._idle:
                # every connection is being served: wait for one to finish
                self.set_accept_enabled(False)
                return
            try:
                sock, client = accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                pause = self.handle_accept_error(e)
                if pause:
                    self.set_accept_enabled(False)
                    self._accept_resume_at = time.monotonic() + pause
                    return
                continue
            if full:
                # make room for it (only now that a client is really waiting)
                self._evict_idle()
            self._setup_client(sock, client, server, is_tcp)

    def _evict_idle(self) -> bool:
        """At the ``worker_connections`` cap: close the waiting connection
        nearest its deadline (an idle keep-alive one before one still sending
        its request) so that a new client is admitted; False when every
        connection is being served. Slow or silent clients thus cannot keep
        new ones out (RFC 9112 section 9.6 lets a server close idle
        connections at any time)."""
        victim = None
        due = float("inf")
        for conn in self._idle:
            deadline = conn.timeout
            if conn.state != BUSY and deadline is not None and deadline < due:
                victim, due = conn, deadline
        if victim is None:
            return False
        self.log.debug("worker_connections reached: closing waiting connection from %s",
                       victim.client)
        self._close_loop(victim)
        return True

    def start_serving(self) -> None:
        """Called by :meth:`run` once the loop is set up, before the first
        accept: build what serving needs (protocol drivers ...)."""

    def _setup_client(self, sock: Any, client: Any, server: Any, is_tcp: bool) -> None:
        """Loop thread: register a just-accepted socket (subclasses implement)."""
        raise NotImplementedError()

    def on_client_socket_readable(self, conn: Any, events: int = EPOLLIN) -> None:
        """Loop thread: the poller reported ``conn`` (subclasses implement)."""
        raise NotImplementedError()

    # -- the loop ------------------------------------------------------------

    def _dispatch(self, conn: Any, fn: Callable[..., None], *args: Any) -> None:
        """Give ``conn`` to a pool thread running ``fn(conn, *args)``.

        ``fn`` must end with ``finish_request`` (which also counts the unit
        of work done).
        """
        conn.state = BUSY
        self._handoff.submit(fn, conn, *args)

    def _close_loop(self, conn: Any) -> None:
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
                    info = listeners[fd]
                    self.accept(info.sock, info.server, info.nodelay)
            elif fd == self._queue_fd:
                self.method_queue.run_callbacks()

    @property
    def nr_conns(self) -> int:
        """Open client connections in this worker."""
        return len(self._conns)

    @property
    def keepalived_conns(self) -> deque[Any]:
        """Snapshot of the connections waiting in the poller."""
        return deque(self._idle)

    def _wake(self) -> None:
        self.method_queue.defer(_noop)

    def run(self) -> None:
        """Serve until stopped, then drain in-flight requests gracefully."""
        for info in self.setup_listeners():
            self._listeners[info.fd] = self._acceptors[info.sock] = info
        self._queue_fd = self.method_queue.fileno()
        self._selector_fallback = not self.poller.threadsafe_arm
        self.poller.add_reader(self._queue_fd)
        self._handoff = PoolHandoff(self.tpool)
        self.start_serving()
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
            if not self._accepting and (len(self._conns) < self.worker_connections
                                        or self._idle):
                if now >= self._accept_resume_at:
                    self.set_accept_enabled(True)
                else:
                    wake_at = min(wake_at, self._accept_resume_at)
            self.wait_for_and_dispatch_events(max(0.0, wake_at - now))
            if time.monotonic() >= self._next_sweep:
                self.murder_keepalived()
        self._graceful_stop()

    def _graceful_stop(self) -> None:
        """Stop accepting, finish in-flight requests within graceful_timeout.

        Idle connections (fresh ones, and kept-alive ones whose last response
        promised to keep them open) are given ``STOP_LINGER`` seconds: a
        request arriving meanwhile is served with ``Connection: close``
        (RFC 9112 section 9.6). Silent ones are closed after that.
        """
        self.alive = False
        self.set_accept_enabled(False)
        for info in self._listeners.values():
            util.close(info.sock)
        deadline = time.monotonic() + self.cfg.graceful_timeout
        # when the drain first saw each connection idle
        idle_since: dict[Any, float] = {}
        while True:
            now = time.monotonic()
            lingering = False
            for conn in list(self._idle):
                if conn.state == BUSY:
                    continue
                if now - idle_since.setdefault(conn, now) < STOP_LINGER:
                    lingering = True
                    continue
                self._close_loop(conn)
            if now >= deadline or (self._handoff.busy <= 0 and not lingering):
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

    # -- back from the pool --------------------------------------------------

    def finish_request(self, conn: Any, fs: Any) -> None:
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
        # counted done only now, so the drain never sees this connection in
        # neither the busy count nor the idle set
        self._handoff.done()
        if not keepalive:
            self._close_pool(conn)

    def _rearm(self, conn: Any) -> None:
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

    def _close_pool(self, conn: Any) -> None:
        """Close a connection owned by a pool thread."""
        # forget the fd before closing it so the loop cannot see it reused
        self._conns.pop(conn.fd, None)
        conn.close()
        if not self._accepting or not self.alive:
            self._wake()


def _noop() -> None:
    return None
