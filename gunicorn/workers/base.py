"""``Worker``: the base class every worker type (and third-party workers) builds on.

It owns signal handling, the heartbeat, ``max_requests`` with jitter,
parent-death detection, the code reloader, application loading, the error
response sent for a bad request, and what every worker shares about sockets:
listener setup, accept() errors, and the one classification of the errors
that end a connection (tables in ``gunicorn.workers.netio``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import sys
import threading
import time
from datetime import datetime
from typing import Any

from gunicorn import util
from gunicorn.http.core.serialize import reason_phrase
from gunicorn.workers import netio
from gunicorn.workers.process import (
    arm_exit_deadline,
    request_budget,
    set_parent_death_signal,
    syntax_error_page,
    thread_stacks,
)
from gunicorn.workers.workertmp import WorkerTmp

# worker signal -> name of the Worker method that handles it
_SIGNAL_METHODS = (
    ("SIGQUIT", "handle_quit"),
    ("SIGTERM", "handle_exit"),
    ("SIGINT", "handle_quit"),
    ("SIGWINCH", "handle_winch"),
    ("SIGUSR1", "handle_usr1"),
    ("SIGABRT", "handle_abort"),
)

# signals whose handler must not make a blocking call in the app fail with EINTR
_RESTARTING = ("SIGTERM", "SIGUSR1")


class Worker:
    """Base worker. Subclasses implement ``run()``.

    Constructed in the master before fork with
    ``Worker(age, ppid, sockets, app, timeout, cfg, log)``:

    Args:
        age: spawn counter (higher is younger).
        ppid: pid of the master.
        sockets: listener objects (``gunicorn.sock.BaseSocket``).
        app: the application object (``BaseApplication``); ``app.wsgi()`` loads the callable.
        timeout: heartbeat interval in seconds (the arbiter passes ``cfg.timeout / 2``).
        cfg: the Config.
        log: the Logger.
    """

    SIGNALS = [signal.Signals["SIG" + _name] for _name in
               ("ABRT", "HUP", "QUIT", "INT", "TERM", "USR1", "USR2", "WINCH", "CHLD")]

    PIPE: list[int] = []
    # set once the master is found dead (see _arm_orphan_deadline)
    _orphan_deadline: float | None = None
    # guards ``nr`` (pool threads count requests); __init__ gives each worker its own
    _nr_lock = threading.Lock()

    def __init__(self, age: int, ppid: int, sockets: list[Any], app: Any, timeout: float,
                 cfg: Any, log: Any) -> None:
        # what the arbiter hands over
        self.age, self.ppid = age, ppid
        self.sockets = sockets
        self.app, self.cfg, self.log = app, cfg, log
        self.timeout = timeout
        # state; the pid is known only after fork
        self.pid: Any = "[booting]"
        self.alive = True
        self.booted = self.aborted = False
        self.nr = 0
        self.max_requests = request_budget(cfg)
        self.tmp = WorkerTmp(cfg)
        self.reloader: Any = None
        self.wsgi: Any = None
        self.wait_fds: list[Any] = []
        self._orphan_deadline: float | None = None
        self._nr_lock = threading.Lock()

    def __str__(self) -> str:
        return "<Worker %s>" % self.pid

    def _master_vanished(self) -> bool:
        """True (after a log line) when our parent is no longer the master."""
        if os.getppid() == self.ppid:
            return False
        self.log.info("Parent changed, shutting down: %s", self)
        return True

    def notify(self) -> None:
        """Heartbeat: tell the arbiter we are alive. Call at least every ``self.timeout`` s.

        Also notices a dead master (parent pid changed): the worker then stops
        (``alive = False``) and is guaranteed to exit within ``graceful_timeout`` s.
        """
        self.tmp.notify()
        if self._orphan_deadline is None and self._master_vanished():
            self.alive = False
            self._arm_orphan_deadline(in_signal_handler=False)

    def is_parent_alive(self) -> bool:
        """False (and a log line) once the master is gone (our parent pid changed)."""
        return not self._master_vanished()

    def _arm_orphan_deadline(self, in_signal_handler: bool) -> None:
        """The master is gone, so nobody enforces timeouts any more: make sure
        this process ends at most ``graceful_timeout`` s from now (see
        ``process.arm_exit_deadline``)."""
        if self._orphan_deadline is None:
            delay = max(float(self.cfg.graceful_timeout), 0.01)
            self._orphan_deadline = arm_exit_deadline(delay, in_signal_handler)

    def run(self) -> None:
        """The main loop; exits when ``self.alive`` turns False. Subclasses implement it."""
        raise NotImplementedError()

    def init_process(self) -> None:
        """Set up the forked worker, load the app and call ``run()``.

        Order: environment (raw_env), user/group, random seed, self-pipe,
        close-on-exec, signals, reloader, ``load_wsgi()``, post_worker_init
        hook, ``booted = True``, ``run()``.
        """
        cfg = self.cfg
        os.environ.update(cfg.env or {})
        util.set_owner_process(cfg.uid, cfg.gid, initgroups=cfg.initgroups)
        # after any uid change: changing credentials clears the parent-death signal
        set_parent_death_signal(signal.SIGTERM)
        if os.getppid() != self.ppid:
            self.alive = False
        util.seed()

        self._open_self_pipe()
        self._keep_fds_from_children()
        self.wait_fds = [*self.sockets, self.PIPE[0]]
        self.init_signals()

        if cfg.reload:
            from gunicorn.reloader import reloader_engines  # lazily: inotify loads ctypes
            engine: Any = reloader_engines[cfg.reload_engine]
            self.reloader = engine(extra_files=cfg.reload_extra_files,
                                   callback=self._source_changed)
        self.load_wsgi()
        if self.reloader:
            self.start_reloader()

        cfg.post_worker_init(self)
        self.booted = True
        self.run()

    def start_reloader(self) -> None:
        """Start ``self.reloader`` (a thread). Workers whose threads are green
        threads override it to run the watcher on an OS thread."""
        self.reloader.start()

    def _open_self_pipe(self) -> None:
        """(Re)create PIPE: signals write to it to wake a sleeping loop."""
        for old in self.PIPE:
            util.close_fd(old)
        pipe = list(os.pipe())
        for end in pipe:
            util.set_non_blocking(end)
            util.close_on_exec(end)
        self.PIPE = pipe

    def _keep_fds_from_children(self) -> None:
        """Processes the application spawns must not inherit listeners or logs."""
        for fd_owner in [*self.sockets, self.tmp.fileno()]:
            util.close_on_exec(fd_owner)
        self.log.close_on_exec()

    def _source_changed(self, fname: str) -> None:
        """Reloader callback (its own thread): a watched file changed."""
        self.log.info("Worker reloading: %s modified", fname)
        self.alive = False
        with contextlib.suppress(OSError):
            os.write(self.PIPE[1], b"1")
        self._exit_now(self.cfg.worker_int, 0, pause=0.1)

    def _exit_now(self, hook: Any, status: int, pause: float = 0.0) -> None:
        """Stop serving, run ``hook(self)`` and leave the process with ``status``.

        ``pause`` gives log handlers a moment before the exit.
        """
        self.alive = False
        hook(self)
        if pause:
            time.sleep(pause)
        sys.exit(status)

    def load_wsgi(self) -> None:
        """Set ``self.wsgi`` to ``self.app.wsgi()``.

        With ``--reload``, a SyntaxError in the application is logged, the
        bad file is added to the reloader, and a 500 text/plain application
        showing the traceback is served until the file is fixed.
        """
        try:
            self.wsgi = self.app.wsgi()
            return
        except SyntaxError as exc:
            if not self.cfg.reload:
                raise
            broken = exc
        self.log.exception(broken)
        if broken.filename and self.reloader is not None:
            self.reloader.add_extra_file(broken.filename)
        self.wsgi = util.make_fail_app(syntax_error_page(broken))

    def init_signals(self) -> None:
        """Reset SIGNALS to default, then install the worker handlers.

        QUIT/INT: quick exit, TERM: graceful, USR1: reopen logs, WINCH: ignored,
        ABRT: abort after dumping thread stacks. Signals write to ``PIPE[1]``
        (``signal.set_wakeup_fd``) to wake a sleeping loop.
        """
        for signum in self.SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        for name, method in _SIGNAL_METHODS:
            signal.signal(getattr(signal, name), getattr(self, method))
        for name in _RESTARTING:
            signal.siginterrupt(getattr(signal, name), False)
        signal.set_wakeup_fd(self.PIPE[1])

    def handle_usr1(self, sig: int, frame: Any) -> None:
        """SIGUSR1: reopen log files."""
        self.log.reopen_files()

    def handle_exit(self, sig: int, frame: Any) -> None:
        """SIGTERM: stop after the current work (graceful).

        SIGTERM is also the parent-death signal; when the master is gone the
        drain is bounded by ``graceful_timeout`` as it would be under a master.
        """
        self.alive = False
        if os.getppid() != self.ppid:
            self._arm_orphan_deadline(in_signal_handler=True)

    def handle_quit(self, sig: int, frame: Any) -> None:
        """SIGQUIT/SIGINT: run the worker_int hook and exit at once."""
        self._exit_now(self.cfg.worker_int, 0, pause=0.1)

    def handle_abort(self, sig: int, frame: Any) -> None:
        """SIGABRT (sent by the arbiter on timeout): log every thread's stack,
        run the worker_abort hook and exit 1."""
        self.alive = False
        with contextlib.suppress(Exception):
            self.log.error("Worker (pid:%s) aborted; thread stacks:\n%s",
                           os.getpid(), thread_stacks(frame))
        self._exit_now(self.cfg.worker_abort, 1)

    def handle_winch(self, sig: int, fname: Any) -> None:
        """SIGWINCH: ignored by workers."""
        self.log.debug("worker: SIGWINCH ignored.")

    # -- shared by every worker: requests, listeners, accept, connection errors

    def count_request(self) -> bool:
        """Count one started request against ``max_requests``; thread-safe.

        Returns True once the budget is used up: the request must be the last
        on its connection. The first time, ``Autorestarting worker after
        current request.`` is logged and ``alive`` turns False, so the worker
        drains and the arbiter starts a fresh one.
        """
        with self._nr_lock:
            self.nr = served = self.nr + 1
            if served < self.max_requests:
                return False
            first, self.alive = self.alive, False
        if first:
            self.log.info("Autorestarting worker after current request.")
        return True

    def setup_listeners(self) -> list[netio.Listener]:
        """Make every listener non-blocking and read its address, acceptor and
        TCP_NODELAY needs once (``netio.Listener``), in ``self.sockets`` order."""
        return [netio.prepare_listener(s) for s in self.sockets]

    def handle_accept_error(self, exc: OSError) -> float:
        """Decide what a failed accept() means for the accepting loop.

        Returns 0.0 when only that connection was lost (ECONNABORTED, EPROTO):
        accept the next one. Returns ``netio.ACCEPT_BACKOFF`` seconds, after a
        warning, when the process or system is out of descriptors or memory
        (EMFILE, ENFILE, ENOBUFS, ENOMEM): stop accepting that long, since the
        listener stays readable. Raises ``exc`` for any other error.
        """
        if exc.errno in netio.ACCEPT_SKIP:
            return 0.0
        if exc.errno in netio.ACCEPT_EXHAUSTED:
            self.log.warning("accept() failed: %s", exc)
            return netio.ACCEPT_BACKOFF
        raise exc

    def handle_connection_error(self, req: Any, client: Any, addr: Any,
                                exc: BaseException) -> None:
        """Deal with the exception that ended the serving of a connection.

        A client that went away (``netio.disconnect_reason``: peer reset or
        close, timeouts, TLS EOF) costs one debug line. Anything else goes to
        :meth:`handle_error` (parse errors with their status, other TLS
        errors 403, the rest 500 with a logged traceback). Never raises.
        """
        reason = netio.disconnect_reason(exc)
        if reason is not None:
            self.log.debug("%s (peer %s): %r", reason, addr, exc)
            return
        try:
            self.handle_error(req, client, addr, exc)
        except Exception:
            self.log.exception("Error while answering a failed request")

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """Answer a failed request with an HTML error page and log it.

        The status comes from the exception: gunicorn parse errors carry
        ``status_code`` and ``reason`` (reference 4.3); a non-EOF
        ``ssl.SSLError`` gives 403; anything else is a 500 whose traceback is
        logged and never sent. Client errors log ``Invalid request from
        ip=<ip>: <exc>`` at warning. An access-log line is written when a
        request object exists.
        """
        request_start = datetime.now()
        addr = addr or ("", -1)
        status_code = getattr(type(exc), "status_code", None)
        if isinstance(status_code, int) and type(exc).__module__.startswith("gunicorn."):
            reason = getattr(exc, "reason", None) or _REASONS.get(status_code, "Bad Request")
            mesg = str(exc)
            if req is None:
                req = getattr(exc, "req", None)
            # 501 is the client's fault (an unsupported transfer coding); other
            # 5xx from our own errors mean the app or the server misbehaved.
            if status_code >= 500 and status_code != 501:
                self.log.exception("Error handling request %s", getattr(req, "uri", ""))
            else:
                self.log.warning("Invalid request from ip=%s: %s", netio.peer_ip(addr), exc)
        elif isinstance(exc, ssl.SSLError):
            status_code, reason = 403, "Forbidden"
            mesg = "'%s'" % str(exc)
            self.log.warning("Invalid request from ip=%s: %s", netio.peer_ip(addr), exc)
        else:
            status_code, reason, mesg = 500, "Internal Server Error", ""
            uri = getattr(req, "uri", _NO_URI)
            if uri is _NO_URI:
                self.log.exception("Error handling request (no URI read)")
            else:
                self.log.exception("Error handling request %s", uri)

        if req is not None and hasattr(req, "method"):
            try:
                from gunicorn.http import wsgi

                environ = wsgi.default_environ(req, client, self.cfg)
                environ["REMOTE_ADDR"] = netio.peer_ip(addr)
                environ["REMOTE_PORT"] = str(addr[1]) if isinstance(addr, tuple) else ""
                resp = wsgi.Response(req, client, self.cfg)
                resp.status = "%s %s" % (status_code, reason)
                resp.response_length = len(mesg)
                self.log.access(resp, req, environ, datetime.now() - request_start)
            except Exception:
                self.log.debug("Failed to log access for an error response", exc_info=True)

        try:
            util.write_error(client, status_code, reason, mesg)
        except Exception:
            self.log.debug("Failed to send error message.")


_NO_URI = object()

# the statuses our errors answer with; any other falls back to Bad Request
_REASONS = {code: reason_phrase(code) for code in (400, 403, 413, 414, 417, 431, 500, 501)}

# gunicorn 25.0 names other code imports from this module
from gunicorn.http.errors import ConfigurationProblem, ExpectationFailed, ForbiddenProxyRequest, InvalidHeader, InvalidHeaderName, InvalidHTTPVersion, InvalidProxyHeader, InvalidProxyLine, InvalidRequestLine, InvalidRequestMethod, InvalidSchemeHeaders, LimitRequestHeaders, LimitRequestLine, ObsoleteFolding, UnsupportedTransferCoding  # noqa: E402, F401, I001


def __getattr__(name: str) -> Any:
    # ``Response`` and ``default_environ`` load the WSGI modules on first use:
    # the arbiter and the asgi worker never use them
    if name in ("Response", "default_environ"):
        from gunicorn.http import wsgi

        return getattr(wsgi, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
