"""The arbiter: the master process that binds listeners and supervises workers.

Signals are handled in two halves. The handlers only put the signal number
on ``SIG_QUEUE`` (a ``queue.SimpleQueue``, safe to use from a handler), and
``signal.set_wakeup_fd`` writes a byte to the self-pipe at C level so the
main loop, sleeping in ``select``, wakes at once. All real work happens in
the main loop in ``handle_<name>`` methods.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import random
import select
import signal
import socket
import sys
import time
import traceback
from typing import Any, NoReturn

from gunicorn import SERVER_SOFTWARE, __version__, sock, systemd, util
from gunicorn.errors import AppImportError, HaltServer
from gunicorn.pidfile import Pidfile

# the signals the master acts on (SIGCHLD is installed separately)
_MASTER_SIGNALS = ("HUP", "QUIT", "INT", "TERM", "TTIN", "TTOU", "USR1", "USR2", "WINCH")

# signals whose "Handling signal" line is logged at debug level
_QUIET_SIGNALS = frozenset((signal.SIGCHLD,))

# signals that must not interrupt the child between fork() and its own init_signals()
_CHILD_IGNORED = frozenset(("SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"))

# how a worker death by signal is reported: signal -> (log level, hint)
_DEATH_REPORT: dict[int, tuple[str, str]] = {
    signal.SIGKILL: ("error", " Perhaps out of memory?"),
    signal.SIGTERM: ("info", ""),
}

# the upgrade child marks its names and pidfile with this suffix until promoted
_UPGRADE_SUFFIX = ".2"

# a quick stop requested during a graceful one may take at most this long (s)
_QUICK_STOP_LIMIT = 2.0

# logged at start when --reload is on
_RELOAD_WARNING = ("Code reloading is on (--reload): workers restart whenever a watched "
                   "file changes. The reloader is for development only; do not use it "
                   "in production.")


def _signal_names() -> dict[int, str]:
    # walked in dir() order so aliases win (17 -> "cld", 6 -> "iot"), as upstream
    table = {}
    for attr in dir(signal):
        if not attr.startswith("SIG") or attr.startswith("SIG_"):
            continue
        number = getattr(signal, attr)
        if isinstance(number, int):
            table[int(number)] = attr[3:].lower()
    return table


def _address_str(addr: Any, is_ssl: bool) -> str:
    """Display form of a parsed bind address (used when the master binds nothing)."""
    if isinstance(addr, int):
        return "fd://%d" % addr
    if not isinstance(addr, tuple):
        return "unix:%s" % addr
    host, port = addr[0], addr[1]
    if util.is_ipv6(host):
        host = "[%s]" % host
    return "%s://%s:%s" % ("https" if is_ssl else "http", host, port)


def _describe_death(pid: int, status: int) -> tuple[int | None, str | None, str]:
    """Turn a waitpid() status into (exit code, log level, message).

    The level is None when a clean exit (code 0) needs no log line.
    """
    try:
        code = os.waitstatus_to_exitcode(status)
    except ValueError:  # stopped/continued: not an exit at all
        return None, None, ""
    if code >= 0:
        if code == 0:
            return 0, None, ""
        return code, "error", "Worker (pid:%s) exited with code %s" % (pid, code)
    signum = -code
    try:
        label = signal.Signals(signum).name
    except ValueError:
        label = "signal %d" % signum
    level, hint = _DEATH_REPORT.get(signum, ("warning", ""))
    return None, level, "Worker (pid:%s) was sent %s!%s" % (pid, label, hint)


class Arbiter:
    """Supervise a pool of worker processes.

    Args:
        app: a ``gunicorn.app.base.BaseApplication``; ``app.cfg`` is the Config.

    Class constants: ``WORKER_BOOT_ERROR`` (3) and ``APP_LOAD_ERROR`` (4) are
    the worker exit codes that halt the master; ``SIGNALS`` are the signals
    the master handles; ``SIG_NAMES`` maps numbers to lowercase names.
    """

    WORKER_BOOT_ERROR = 3
    APP_LOAD_ERROR = 4

    START_CTX: dict = {}

    LISTENERS: list = []
    WORKERS: dict = {}

    WAKEUP_REQUEST = signal.NSIG

    SIGNALS = [signal.Signals["SIG" + _name] for _name in _MASTER_SIGNALS]
    SIG_NAMES = _signal_names()

    def __init__(self, app: Any) -> None:
        os.environ["SERVER_SOFTWARE"] = SERVER_SOFTWARE

        # per-instance copies of the class-level containers
        self.LISTENERS = []
        self.WORKERS = {}
        self.PIPE: list[int] = []
        self.SIG_QUEUE: queue.SimpleQueue = queue.SimpleQueue()
        # pid -> monotonic time after which a TERMed worker gets SIGKILL
        self._term_deadlines: dict[int, float] = {}
        self._num_workers: int | None = None
        self._last_logged_active_worker_count: int | None = None
        self.log: Any = None

        self.setup(app)

        # who we are; start() adjusts this in an upgrade (USR2) child
        self.pid = os.getpid()
        self.master_pid = 0
        self.master_name = "Master"
        self.reexec_pid = 0
        self.worker_age = 0
        self.systemd = False
        self.pidfile: Pidfile | None = None
        self.dirty_arbiter = None
        self.dirty_arbiter_pid = 0

        # setproctitle must read the original environment before it changes
        with contextlib.suppress(Exception):
            util.getproctitle()

        # sys.orig_argv keeps "-m gunicorn" and interpreter options for a re-exec
        python = sys.executable
        command = list(getattr(sys, "orig_argv", None) or [python, *sys.argv])
        self.START_CTX = {0: python, "args": [python, *command[1:]], "cwd": util.getcwd()}

    # -- worker count -------------------------------------------------------------------

    @property
    def num_workers(self) -> int:
        """Target number of workers; assignment runs the nworkers_changed hook."""
        return self._num_workers  # type: ignore[return-value]

    @num_workers.setter
    def num_workers(self, value: int) -> None:
        previous, self._num_workers = self._num_workers, value
        self.cfg.nworkers_changed(self, value, previous)

    # -- lifecycle ----------------------------------------------------------------------

    def setup(self, app: Any) -> None:
        """(Re)read everything the arbiter needs from ``app.cfg``.

        Creates the logger once, exports raw_env and preloads the app when
        ``preload_app`` is set. Raises ConfigError for a setting this release
        does not support yet (``Config.check_supported``), also when an
        embedding application changed ``cfg`` after it was validated.
        """
        cfg = app.cfg
        check_supported = getattr(cfg, "check_supported", None)
        if check_supported is not None:
            check_supported()
        self.app, self.cfg = app, cfg
        if self.log is None:
            self.log = cfg.logger_class(cfg)
        if "GUNICORN_PID" in os.environ:
            # a re-exec'd master reopens files the old one may have rotated
            self.log.reopen_files()

        self.worker_class = cfg.worker_class
        self.address = cfg.address
        self.num_workers = cfg.workers
        self.timeout, self.proc_name = cfg.timeout, cfg.proc_name

        dump = ["  %s: %s" % (key, cfg.settings[key].value) for key in sorted(cfg.settings)]
        self.log.debug("Current configuration:\n%s", "\n".join(dump))

        os.environ.update(cfg.env or {})
        if cfg.preload_app:
            app.wsgi()

    def start(self) -> None:
        """Write the pidfile, install signals, bind or inherit listeners, log
        ``Listening at:``, notify systemd and call when_ready."""
        self.log.info("Starting gunicorn %s", __version__)

        old_master = os.environ.get("GUNICORN_PID")
        if old_master is not None:
            # we are the new master of a USR2 upgrade
            self.master_pid = int(old_master)
            self.proc_name += _UPGRADE_SUFFIX
            self.master_name = "Master" + _UPGRADE_SUFFIX

        self.pid = os.getpid()
        self._create_pidfile()
        self.cfg.on_starting(self)
        self.init_signals()
        if not self.LISTENERS:
            self._open_listeners()

        self.log.debug("Arbiter booted")
        self.log.info("Listening at: %s (%s)", self._listening_at(), self.pid)
        self.log.info("Using worker: %s", self.cfg.worker_class_str)
        if self.cfg.reload:
            self.log.warning(_RELOAD_WARNING)
        systemd.sd_notify("READY=1\nSTATUS=Gunicorn arbiter booted", self.log)

        check_config = getattr(self.worker_class, "check_config", None)
        if check_config is not None:
            check_config(self.cfg, self.log)
        self.cfg.when_ready(self)

    def _workers_bind_own(self) -> bool:
        """True when reuse_port is on and supported: each worker binds its listeners."""
        return bool(self.cfg.reuse_port) and hasattr(socket, "SO_REUSEPORT")

    def _create_pidfile(self) -> None:
        """Write ``cfg.pidfile`` (``.2`` appended while an upgrade child)."""
        path = self.cfg.pidfile
        if path is None:
            return
        if self.master_pid:
            path += _UPGRADE_SUFFIX
        self.pidfile = Pidfile(path)
        self.pidfile.create(self.pid)

    def _inherited_fds(self) -> list[int] | None:
        """Listener fds handed over by systemd (LISTEN_FDS) or an old master (GUNICORN_FD)."""
        count = systemd.listen_fds()
        if count:
            self.systemd = True
            first = systemd.SD_LISTEN_FDS_START
            return list(range(first, first + count))
        if not self.master_pid:
            return None
        passed = os.environ.pop("GUNICORN_FD", "")
        return [int(part) for part in passed.split(",") if part] or None

    def _open_listeners(self) -> None:
        fds = self._inherited_fds()
        if not self._workers_bind_own():
            self.LISTENERS = sock.create_sockets(self.cfg, self.log, fds)

    def _listening_at(self) -> str:
        if self.LISTENERS:
            return ",".join(str(listener) for listener in self.LISTENERS)
        # reuse_port: the workers bind, so show the configured addresses
        is_ssl = self.cfg.is_ssl
        return ",".join(_address_str(addr, is_ssl) for addr in self.cfg.address)

    def init_signals(self) -> None:
        """Create the self-pipe and install the (enqueue-only) signal handlers."""
        for stale in self.PIPE:
            util.close_fd(stale)
        read_end, write_end = os.pipe()
        for end in (read_end, write_end):
            util.set_non_blocking(end)
            util.close_on_exec(end)
        self.PIPE = [read_end, write_end]

        self.log.close_on_exec()

        for signum in self.SIGNALS:
            signal.signal(signum, self.signal)
        signal.signal(signal.SIGCHLD, self.signal_chld)
        handled = [*self.SIGNALS, signal.SIGCHLD]
        signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        # a blocked mask is inherited through exec: a master started that way
        # would never hear TERM or CHLD
        signal.pthread_sigmask(signal.SIG_UNBLOCK, handled)

    def signal(self, sig: int, frame: Any) -> None:
        """Signal handler: enqueue only (async-signal-safe)."""
        self.SIG_QUEUE.put_nowait(sig)

    def signal_chld(self, sig: int, frame: Any) -> None:
        """SIGCHLD handler: enqueue only, like :meth:`signal`; the main loop
        reaps in ``handle_chld``. A separate method so subclasses can hook
        child exits alone (gunicorn 25.0 name)."""
        self.SIG_QUEUE.put_nowait(sig)

    def wakeup(self) -> None:
        """Wake the main loop from another thread."""
        self.SIG_QUEUE.put_nowait(self.WAKEUP_REQUEST)
        with contextlib.suppress(OSError, IndexError):
            os.write(self.PIPE[1], b".")

    def run(self) -> None:
        """Start, spawn the workers and supervise them until told to stop."""
        self.start()
        self._retitle()
        try:
            self.manage_workers()
            while True:
                self._tick()
        except (Exception, KeyboardInterrupt, HaltServer) as exc:
            self._leave_main_loop(exc)

    def _tick(self) -> None:
        """One round of the main loop (about one second when idle)."""
        self.maybe_promote_master()
        for sig in self.wait_for_signals(timeout=1.0):
            self.dispatch_signal(sig)
        self.murder_workers()
        self.manage_workers()
        self.manage_dirty_arbiter()

    def _leave_main_loop(self, exc: BaseException) -> NoReturn:
        if isinstance(exc, HaltServer):
            self.halt(reason=exc.reason, exit_status=exc.exit_status)
        if isinstance(exc, (StopIteration, KeyboardInterrupt)):
            self.halt()
        self.log.error("Unhandled exception in main loop", exc_info=exc)
        self.stop(False)
        self._drop_pidfile()
        sys.exit(-1)

    def _drop_pidfile(self) -> None:
        if self.pidfile is not None:
            self.pidfile.unlink()

    def _retitle(self) -> None:
        util._setproctitle("master [%s]" % self.proc_name)

    def dispatch_signal(self, sig: int) -> None:
        """Run ``handle_<name>`` for ``sig`` (logs ``Handling signal: <name>``)."""
        if sig == self.WAKEUP_REQUEST:
            return
        name = self.SIG_NAMES.get(sig)
        handler = getattr(self, "handle_" + name, None) if name else None
        if handler is not None:
            # SIGCHLD comes for every exiting worker: keep it out of the info log
            if sig in _QUIET_SIGNALS:
                self.log.debug("Handling signal: %s", name)
            else:
                self.log.info("Handling signal: %s", name)
            handler()
        elif name is None:
            self.log.info("Ignoring unknown signal: %s", sig)
        else:
            self.log.error("Unhandled signal: %s", name)

    def wait_for_signals(self, timeout: float = 1.0) -> list[int]:
        """Return the queued signals (never ``WAKEUP_REQUEST``), sleeping up to
        ``timeout`` s for the first."""
        pending = self._drain_queue()
        if not pending:
            try:
                readable, _, _ = select.select([self.PIPE[0]], [], [], timeout)
            except OSError as e:
                if e.errno not in (errno.EINTR, errno.EAGAIN):
                    raise
                readable = []
            if readable:
                self._drain_pipe()
            pending = self._drain_queue()
        return [sig for sig in pending if sig != self.WAKEUP_REQUEST]

    def _drain_queue(self) -> list[int]:
        taken = []
        with contextlib.suppress(queue.Empty):
            while True:
                taken.append(self.SIG_QUEUE.get_nowait())
        return taken

    def _drain_pipe(self) -> None:
        try:
            while os.read(self.PIPE[0], 4096):
                pass
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EINTR):
                raise

    def halt(self, reason: str | None = None, exit_status: int = 0) -> NoReturn:
        """Stop everything, log ``Shutting down``, run on_exit and exit."""
        systemd.sd_notify("STOPPING=1", self.log)
        self.stop()

        farewell = [("Shutting down: %s", self.master_name)]
        if reason is not None:
            farewell.append(("Reason: %s", reason))
        emit = self.log.error if exit_status else self.log.info
        for fmt, value in farewell:
            emit(fmt, value)

        self._drop_pidfile()
        self.cfg.on_exit(self)
        sys.exit(exit_status)

    def stop(self, graceful: bool = True) -> None:
        """Close the listeners and stop the workers.

        Graceful: SIGTERM, then wait up to ``graceful_timeout`` s. Quick:
        SIGQUIT. A SIGINT/SIGQUIT received during a graceful wait switches to a
        quick stop bounded by 2 s. Whatever is left gets SIGKILL.
        """
        # socket files belong to whoever outlives us in an upgrade, to systemd,
        # or to the workers (reuse_port): only a plain master removes them
        unlink = not (self.reexec_pid or self.master_pid or self.systemd or self.cfg.reuse_port)
        sock.close_sockets(self.LISTENERS, unlink)
        self.LISTENERS = []

        self.kill_workers(signal.SIGTERM if graceful else signal.SIGQUIT)
        limit = time.monotonic() + self.cfg.graceful_timeout
        while self.WORKERS:
            self._reap(halt_on_boot_error=False)
            remaining = limit - time.monotonic()
            if not self.WORKERS or remaining <= 0:
                break
            if not self.PIPE:
                time.sleep(0.1)
                continue
            arrived = self.wait_for_signals(timeout=min(remaining, 0.1))
            if graceful and (signal.SIGINT in arrived or signal.SIGQUIT in arrived):
                graceful = False
                self.kill_workers(signal.SIGQUIT)
                limit = min(limit, time.monotonic() + _QUICK_STOP_LIMIT)

        self.kill_workers(signal.SIGKILL)
        give_up = time.monotonic() + 1.0
        while self.WORKERS and time.monotonic() < give_up:
            self._reap(halt_on_boot_error=False)
            if self.WORKERS:
                time.sleep(0.01)

    def _restore_env(self) -> None:
        """Undo what raw_env changed in os.environ (back to the launch values)."""
        original = self.cfg.env_orig
        for key in self.cfg.env:
            if key in original:
                os.environ[key] = original[key]
            else:
                os.environ.pop(key, None)

    def _reconfigure_logger(self, previous_cfg: Any) -> None:
        """Apply the reloaded logging settings; on failure keep the previous ones.

        A broken ``logconfig``/``logconfig_dict`` must not take the master
        down: the error goes to stderr and to the (restored) error log.
        """
        apply = getattr(self.log, "setup", None)
        if apply is None:
            return
        try:
            apply(self.cfg)
        except Exception as exc:
            problem = "reloading the logger configuration failed, keeping the previous one: %s" % exc
            print(problem, file=sys.stderr, flush=True)
            try:
                apply(previous_cfg)
            except Exception:
                traceback.print_exc()
            self.log.error(problem)

    def reload(self) -> None:
        """SIGHUP: reload the configuration and replace every worker.

        New workers are spawned before the old ones get SIGTERM, so requests
        keep being served. When the configuration cannot be loaded, the error
        is logged and the server keeps running with the previous one.
        """
        old_cfg = self.cfg
        old_address = old_cfg.address
        self._restore_env()  # setup() applies the new raw_env
        try:
            self.app.reload()
        except (Exception, SystemExit) as e:
            # a broken config file must not take the running server down
            self.app.cfg = old_cfg
            os.environ.update(old_cfg.env or {})
            self.log.error("Reload failed, keeping the current configuration (%s: %s)",
                           type(e).__name__, e)
            return

        self.setup(self.app)
        if self.master_pid:
            # still the new master of an upgrade: keep the ".2" names
            self.proc_name += _UPGRADE_SUFFIX

        self._reconfigure_logger(old_cfg)
        self.log.reopen_files()

        # with reuse_port every new worker binds the new addresses itself
        if self.cfg.address != old_address and not self._workers_bind_own():
            for stale in self.LISTENERS:
                stale.close()
            self.LISTENERS = sock.create_sockets(self.cfg, self.log)
            self.log.info("Listening at: %s", self._listening_at())

        self.cfg.on_reload(self)

        # the pidfile setting may have changed too
        self._drop_pidfile()
        self.pidfile = None
        self._create_pidfile()

        self._retitle()
        for _ in range(self.cfg.workers):
            self.spawn_worker()
        self.manage_workers()

    # -- signal handlers (run in the main loop, not in signal context) ------------------

    def handle_chld(self) -> None:
        """SIGCHLD: reap exited workers."""
        self.reap_workers()

    handle_cld = handle_chld

    def handle_hup(self) -> None:
        """SIGHUP: reload configuration and gracefully replace the workers."""
        self.log.info("Hang up: %s", self.master_name)
        self.reload()

    def handle_term(self) -> None:
        """SIGTERM: graceful shutdown."""
        raise StopIteration

    def handle_int(self) -> None:
        """SIGINT: quick shutdown."""
        self.stop(False)
        raise StopIteration

    handle_quit = handle_int

    def handle_ttin(self) -> None:
        """SIGTTIN: one more worker."""
        self._resize_pool(+1)

    def handle_ttou(self) -> None:
        """SIGTTOU: one worker fewer (never below one)."""
        self._resize_pool(-1)

    def _resize_pool(self, delta: int) -> None:
        wanted = self.num_workers + delta
        if wanted >= 1:
            self.num_workers = wanted
            self.manage_workers()

    def handle_usr1(self) -> None:
        """SIGUSR1: reopen log files here and in every worker."""
        self.log.reopen_files()
        self.kill_workers(signal.SIGUSR1)

    def handle_usr2(self) -> None:
        """SIGUSR2: start a new master from the current binary (upgrade)."""
        self.reexec()

    def handle_winch(self) -> None:
        """SIGWINCH: when daemonised, stop all workers gracefully (upgrade step)."""
        if not self.cfg.daemon:
            self.log.debug("SIGWINCH ignored. Not daemonized")
            return
        self.log.info("graceful stop of workers")
        self.num_workers = 0
        self.kill_workers(signal.SIGTERM)

    # -- re-exec (USR2) ----------------------------------------------------------------

    def maybe_promote_master(self) -> None:
        """In a re-exec'd master: once the old master has exited, take over its
        name, proc title and pidfile."""
        if not self.master_pid or self.master_pid == os.getppid():
            return
        self.log.info("Master has been promoted.")
        os.environ.pop("GUNICORN_PID", None)
        self.master_pid = 0
        self.master_name = "Master"
        self.proc_name = self.cfg.proc_name
        if self.pidfile is not None and self.cfg.pidfile is not None:
            self.pidfile.rename(self.cfg.pidfile)
        self._retitle()

    def reexec(self) -> None:
        """Fork and exec a new master that inherits the listeners
        (``GUNICORN_FD``, or ``LISTEN_FDS`` under systemd).

        Only ``os.fork`` and ``os.execvpe`` start the new process.
        """
        if self.reexec_pid:
            refusal = "USR2 signal ignored. Child exists."
        elif self.master_pid:
            refusal = "USR2 signal ignored. Parent exists."
        else:
            refusal = None
        if refusal is not None:
            self.log.warning(refusal)
            return

        old_master = os.getpid()
        self.reexec_pid = os.fork()
        if self.reexec_pid:
            return
        try:
            self._exec_new_master(old_master)
        except BaseException:
            # never fall back into a copy of the master's main loop
            traceback.print_exc()
            os._exit(1)

    def _exec_new_master(self, old_master: int) -> None:
        """In the fork made by reexec(): replace this process with a new master."""
        signal.set_wakeup_fd(-1)
        self.cfg.pre_exec(self)

        env = dict(self.cfg.env_orig)
        env["GUNICORN_PID"] = str(old_master)
        fds = [listener.fileno() for listener in self.LISTENERS]
        if self.systemd:
            self._renumber_for_systemd(fds)
            env["LISTEN_PID"] = str(os.getpid())
            env["LISTEN_FDS"] = str(len(fds))
        else:
            env["GUNICORN_FD"] = ",".join(map(str, fds))

        os.chdir(self.START_CTX["cwd"])
        # exec resets handlers but keeps the signal mask
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.execvpe(self.START_CTX[0], self.START_CTX["args"], env)

    @staticmethod
    def _renumber_for_systemd(fds: list[Any]) -> None:
        """sd_listen_fds(3) numbers listeners from 3 without gaps; after a HUP
        rebind ours may not be, so move them there (dup first: no clobbering)."""
        first = systemd.SD_LISTEN_FDS_START
        wanted = list(range(first, first + len(fds)))
        if fds == wanted or not all(isinstance(fd, int) for fd in fds):
            return
        copies = [os.dup(fd) for fd in fds]
        for target, fd in zip(wanted, copies, strict=True):
            os.dup2(fd, target, inheritable=True)

    # -- workers ------------------------------------------------------------------------

    def _heartbeat_late(self, worker: Any, now: float) -> bool:
        try:
            return now - worker.tmp.last_update() > self.timeout
        except (OSError, ValueError):  # heartbeat file already closed
            return False

    def murder_workers(self) -> None:
        """Abort workers whose heartbeat is older than ``timeout`` (SIGABRT,
        then SIGKILL next round) and kill workers still alive after their
        graceful-stop deadline."""
        now = time.monotonic()
        for pid, deadline in list(self._term_deadlines.items()):
            if pid in self.WORKERS and now <= deadline:
                continue
            del self._term_deadlines[pid]
            if pid in self.WORKERS:
                self.kill_worker(pid, signal.SIGKILL)

        if not self.timeout:
            return
        late = [(pid, w) for pid, w in self.WORKERS.items() if self._heartbeat_late(w, now)]
        for pid, worker in late:
            if worker.aborted:
                # SIGABRT did not end it last round
                self.kill_worker(pid, signal.SIGKILL)
                continue
            self.log.critical("WORKER TIMEOUT (pid:%s)", pid)
            worker.aborted = True
            self.kill_worker(pid, signal.SIGABRT)

    def reap_workers(self) -> None:
        """Collect exited children.

        Raises:
            HaltServer: a worker exited with 3 ("Worker failed to boot.") or
                4 ("App failed to load.").
        """
        self._reap(halt_on_boot_error=True)

    def _exited_children(self) -> Any:
        """Yield (pid, status) of every child that has exited, without blocking."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                return
            yield pid, status

    def _reap(self, halt_on_boot_error: bool) -> None:
        fatal = {
            self.WORKER_BOOT_ERROR: "Worker failed to boot.",
            self.APP_LOAD_ERROR: "App failed to load.",
        }
        for pid, status in self._exited_children():
            if pid == self.reexec_pid:
                self.reexec_pid = 0
                continue
            self._term_deadlines.pop(pid, None)
            worker = self.WORKERS.pop(pid, None)
            if worker is None:
                # not one of ours (e.g. an orphan adopted while we run as PID 1)
                self.log.debug("Reaped unknown child process (pid:%s, status %s)", pid, status)
                continue

            code, level, message = _describe_death(pid, status)
            if level is not None:
                getattr(self.log, level)(message)
            worker.tmp.close()
            try:
                self.cfg.child_exit(self, worker)
            except Exception:
                # a faulty hook must not take the master (and every worker) down
                self.log.exception("Exception in child_exit hook")

            if halt_on_boot_error and code in fatal:
                raise HaltServer(fatal[code], code)

    def manage_workers(self) -> None:
        """Spawn workers up to ``num_workers``; SIGTERM the oldest extras."""
        if len(self.WORKERS) < self.num_workers:
            self.spawn_workers()

        # workers already told to stop do not count
        running = sorted(
            (w.age, pid) for pid, w in self.WORKERS.items() if pid not in self._term_deadlines)
        surplus = max(len(running) - self.num_workers, 0)
        for _, pid in running[:surplus]:
            self._term_deadlines[pid] = time.monotonic() + self.cfg.graceful_timeout
            self.kill_worker(pid, signal.SIGTERM)

        active = len(running) - surplus
        if active != self._last_logged_active_worker_count:
            self._last_logged_active_worker_count = active
            gauge = {"metric": "gunicorn.workers", "value": active, "mtype": "gauge"}
            self.log.debug("%s workers", active, extra=gauge)

        if getattr(self.cfg, "enable_backlog_metric", False):
            self._log_backlog()

    def _log_backlog(self) -> None:
        queued = 0
        for listener in self.LISTENERS:
            measure = getattr(listener, "get_backlog", None)
            if measure is not None:
                queued += measure() or 0
        if queued >= 0:
            sample = {"metric": "gunicorn.backlog", "value": queued, "mtype": "histogram"}
            self.log.debug("socket backlog: %s", queued, extra=sample)

    def manage_dirty_arbiter(self) -> None:
        """Dirty arbiters are not supported; kept for interface compatibility."""

    def spawn_worker(self) -> int:
        """Fork one worker. Returns its pid in the master; never returns in the child."""
        self.worker_age += 1
        worker = self.worker_class(self.worker_age, self.pid, self.LISTENERS,
                                   self.app, self.timeout / 2.0, self.cfg, self.log)
        self.cfg.pre_fork(self, worker)

        # block our signals across fork so the child cannot run the master's handlers
        saved_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {*self.SIGNALS, signal.SIGCHLD})
        try:
            pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, saved_mask)
            raise
        if pid == 0:
            self._become_worker(saved_mask)
            self._worker_main(worker)
        signal.pthread_sigmask(signal.SIG_SETMASK, saved_mask)
        worker.pid = pid
        self.WORKERS[pid] = worker
        return pid

    def _worker_main(self, worker: Any) -> NoReturn:
        """Body of a freshly forked worker process; always ends in sys.exit."""
        for sibling in self.WORKERS.values():
            sibling.tmp.close()
        self.WORKERS = {}
        worker.pid = os.getpid()

        status = 0
        try:
            util._setproctitle("worker [%s]" % self.proc_name)
            self.log.info("Booting worker with pid: %s", worker.pid)
            if self._workers_bind_own():
                worker.sockets = sock.create_sockets(self.cfg, self.log)
            self.cfg.post_fork(self, worker)
            worker.init_process()
        except SystemExit:
            raise
        except BaseException as exc:
            status = self._boot_failure_status(worker, exc)
        finally:
            self._worker_finished(worker)
        sys.exit(status)

    def _boot_failure_status(self, worker: Any, exc: BaseException) -> int:
        """Log why a worker died and pick its exit status (called in ``except``)."""
        if isinstance(exc, AppImportError):
            self.log.debug("Exception while loading the application", exc_info=True)
            sys.stderr.write("%s\n" % exc)
            sys.stderr.flush()
            return self.APP_LOAD_ERROR
        self.log.exception("Exception in worker process")
        return -1 if worker.booted else self.WORKER_BOOT_ERROR

    def _worker_finished(self, worker: Any) -> None:
        self.log.info("Worker exiting (pid: %s)", worker.pid)
        try:
            self._release(worker)
        except Exception:
            self.log.warning("Exception during worker exit:\n%s", traceback.format_exc())

    def _become_worker(self, saved_mask: Any) -> None:
        """In a fresh child: drop the master's signal plumbing, then unblock."""
        signal.set_wakeup_fd(-1)
        for fd in self.PIPE:
            util.close_fd(fd)
        self.PIPE = []
        self.SIG_QUEUE = queue.SimpleQueue()
        for signum in [*self.SIGNALS, signal.SIGCHLD]:
            ignored = signal.Signals(signum).name in _CHILD_IGNORED
            signal.signal(signum, signal.SIG_IGN if ignored else signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, saved_mask)

    def spawn_workers(self) -> None:
        """Spawn workers until there are ``num_workers``, pausing 0-0.1 s between them."""
        missing = self.num_workers - len(self.WORKERS)
        while missing > 0:
            self.spawn_worker()
            missing -= 1
            time.sleep(random.uniform(0, 0.1))

    def kill_workers(self, sig: int) -> None:
        """Send ``sig`` to every worker."""
        for pid in [*self.WORKERS]:
            self.kill_worker(pid, sig)

    def kill_worker(self, pid: int, sig: int) -> None:
        """Send ``sig`` to worker ``pid``; a vanished worker (ESRCH) is forgotten."""
        try:
            os.kill(pid, sig)
            return
        except ProcessLookupError:
            pass
        self._term_deadlines.pop(pid, None)
        gone = self.WORKERS.pop(pid, None)
        if gone is None:
            return
        with contextlib.suppress(Exception):
            self._release(gone)

    def _release(self, worker: Any) -> None:
        """Close a finished worker's heartbeat file and run the worker_exit hook."""
        worker.tmp.close()
        self.cfg.worker_exit(self, worker)
