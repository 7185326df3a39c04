"""The arbiter: the master process that binds listeners and supervises workers.

Signals are handled in two halves. The handlers only put the signal number
on ``SIG_QUEUE`` (a ``queue.SimpleQueue``, safe to use from a handler), and
``signal.set_wakeup_fd`` writes a byte to the self-pipe at C level so the
main loop, sleeping in ``select``, wakes at once. All real work happens in
the main loop in ``handle_<name>`` methods.
"""

from __future__ import annotations

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
from typing import Any

from gunicorn import SERVER_SOFTWARE, __version__, sock, systemd, util
from gunicorn.errors import AppImportError, HaltServer
from gunicorn.pidfile import Pidfile


def _signal_names() -> dict[int, str]:
    # built from dir() order like upstream, so aliases win (17 -> "cld", 6 -> "iot")
    names = {}
    for name in dir(signal):
        if name[:3] == "SIG" and name[3] != "_":
            value = getattr(signal, name)
            if isinstance(value, int):
                names[int(value)] = name[3:].lower()
    return names


def _close_fd(fd: int) -> None:
    """Close a raw file descriptor, ignoring EBADF and friends."""
    try:
        os.close(fd)
    except OSError:
        pass


def _address_str(addr: Any, is_ssl: bool) -> str:
    """Display form of a parsed bind address (used when the master binds nothing)."""
    if isinstance(addr, tuple):
        scheme = "https" if is_ssl else "http"
        host = "[%s]" % addr[0] if util.is_ipv6(addr[0]) else addr[0]
        return "%s://%s:%s" % (scheme, host, addr[1])
    if isinstance(addr, int):
        return "fd://%d" % addr
    return "unix:%s" % addr


# signals that must not interrupt the child between fork() and its own init_signals()
_CHILD_IGNORED = ("SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH")


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

    SIGNALS = [getattr(signal, "SIG%s" % x) for x in
               "HUP QUIT INT TERM TTIN TTOU USR1 USR2 WINCH".split()]
    SIG_NAMES = _signal_names()

    def __init__(self, app: Any) -> None:
        os.environ["SERVER_SOFTWARE"] = SERVER_SOFTWARE

        self._num_workers: int | None = None
        self._last_logged_active_worker_count: int | None = None
        self.log: Any = None
        self.LISTENERS = []
        self.WORKERS = {}
        self.SIG_QUEUE: queue.SimpleQueue = queue.SimpleQueue()
        self.PIPE: list[int] = []
        self._term_deadlines: dict[int, float] = {}

        self.setup(app)

        self.pidfile: Pidfile | None = None
        self.systemd = False
        self.worker_age = 0
        self.reexec_pid = 0
        self.master_pid = 0
        self.master_name = "Master"
        self.pid = os.getpid()
        self.dirty_arbiter = None
        self.dirty_arbiter_pid = 0

        # initialise setproctitle before anything touches the environment
        getproctitle = getattr(util, "getproctitle", None)
        if getproctitle is not None:
            try:
                getproctitle()
            except Exception:
                pass

        cwd = util.getcwd()
        # sys.orig_argv keeps "-m gunicorn" and interpreter options for a re-exec
        argv = list(getattr(sys, "orig_argv", [sys.executable] + sys.argv)[1:])
        self.START_CTX = {
            "args": [sys.executable] + argv,
            "cwd": cwd,
            0: sys.executable,
        }

    # -- worker count -------------------------------------------------------------------

    @property
    def num_workers(self) -> int:
        """Target number of workers; assignment runs the nworkers_changed hook."""
        return self._num_workers  # type: ignore[return-value]

    @num_workers.setter
    def num_workers(self, value: int) -> None:
        old_value = self._num_workers
        self._num_workers = value
        self.cfg.nworkers_changed(self, value, old_value)

    # -- lifecycle ----------------------------------------------------------------------

    def setup(self, app: Any) -> None:
        """(Re)read everything the arbiter needs from ``app.cfg``.

        Creates the logger once, exports raw_env and preloads the app when
        ``preload_app`` is set.
        """
        self.app = app
        self.cfg = app.cfg

        if self.log is None:
            self.log = self.cfg.logger_class(app.cfg)

        # a re-exec'd master reopens files the old one may have rotated
        if "GUNICORN_PID" in os.environ:
            self.log.reopen_files()

        self.worker_class = self.cfg.worker_class
        self.address = self.cfg.address
        self.num_workers = self.cfg.workers
        self.timeout = self.cfg.timeout
        self.proc_name = self.cfg.proc_name

        self.log.debug("Current configuration:\n%s", "\n".join(
            "  %s: %s" % (name, setting.value)
            for name, setting in sorted(self.cfg.settings.items())))

        if self.cfg.env:
            for k, v in self.cfg.env.items():
                os.environ[k] = v

        if self.cfg.preload_app:
            self.app.wsgi()

    def start(self) -> None:
        """Write the pidfile, install signals, bind or inherit listeners, log
        ``Listening at:``, notify systemd and call when_ready."""
        self.log.info("Starting gunicorn %s", __version__)

        if "GUNICORN_PID" in os.environ:
            self.master_pid = int(os.environ["GUNICORN_PID"])
            self.proc_name = self.proc_name + ".2"
            self.master_name = "Master.2"

        self.pid = os.getpid()
        if self.cfg.pidfile is not None:
            pidname = self.cfg.pidfile
            if self.master_pid != 0:
                pidname += ".2"
            self.pidfile = Pidfile(pidname)
            self.pidfile.create(self.pid)
        self.cfg.on_starting(self)

        self.init_signals()

        if not self.LISTENERS:
            fds = None
            listen_fds = systemd.listen_fds()
            if listen_fds:
                self.systemd = True
                fds = range(systemd.SD_LISTEN_FDS_START,
                            systemd.SD_LISTEN_FDS_START + listen_fds)
            elif self.master_pid and os.environ.get("GUNICORN_FD"):
                fds = [int(fd) for fd in os.environ.pop("GUNICORN_FD").split(",") if fd]

            if not (self.cfg.reuse_port and hasattr(socket, "SO_REUSEPORT")):
                self.LISTENERS = sock.create_sockets(self.cfg, self.log, fds)

        if self.LISTENERS:
            listeners_str = ",".join(str(lnr) for lnr in self.LISTENERS)
        else:
            # reuse_port: each worker binds its own listeners
            listeners_str = ",".join(_address_str(a, self.cfg.is_ssl) for a in self.cfg.address)
        self.log.debug("Arbiter booted")
        self.log.info("Listening at: %s (%s)", listeners_str, self.pid)
        self.log.info("Using worker: %s", self.cfg.worker_class_str)
        systemd.sd_notify("READY=1\nSTATUS=Gunicorn arbiter booted", self.log)

        if hasattr(self.worker_class, "check_config"):
            self.worker_class.check_config(self.cfg, self.log)

        self.cfg.when_ready(self)

    def init_signals(self) -> None:
        """Create the self-pipe and install the (enqueue-only) signal handlers."""
        for fd in self.PIPE:
            _close_fd(fd)
        self.PIPE = list(os.pipe())
        for fd in self.PIPE:
            util.set_non_blocking(fd)
            util.close_on_exec(fd)

        self.log.close_on_exec()

        for s in self.SIGNALS:
            signal.signal(s, self.signal)
        signal.signal(signal.SIGCHLD, self.signal)
        signal.set_wakeup_fd(self.PIPE[1], warn_on_full_buffer=False)

    def signal(self, sig: int, frame: Any) -> None:
        """Signal handler: enqueue only (async-signal-safe)."""
        self.SIG_QUEUE.put_nowait(sig)

    def wakeup(self) -> None:
        """Wake the main loop from another thread."""
        self.SIG_QUEUE.put_nowait(self.WAKEUP_REQUEST)
        try:
            os.write(self.PIPE[1], b".")
        except (OSError, IndexError):
            pass

    def run(self) -> None:
        """Start, spawn the workers and supervise them until told to stop."""
        self.start()
        util._setproctitle("master [%s]" % self.proc_name)

        try:
            self.manage_workers()

            while True:
                self.maybe_promote_master()

                for sig in self.wait_for_signals(timeout=1.0):
                    self.dispatch_signal(sig)

                self.murder_workers()
                self.manage_workers()
                self.manage_dirty_arbiter()
        except (StopIteration, KeyboardInterrupt):
            self.halt()
        except HaltServer as inst:
            self.halt(reason=inst.reason, exit_status=inst.exit_status)
        except SystemExit:
            raise
        except Exception:
            self.log.error("Unhandled exception in main loop", exc_info=True)
            self.stop(False)
            if self.pidfile is not None:
                self.pidfile.unlink()
            sys.exit(-1)

    def dispatch_signal(self, sig: int) -> None:
        """Run ``handle_<name>`` for ``sig`` (logs ``Handling signal: <name>``)."""
        if sig == self.WAKEUP_REQUEST:
            return
        signame = self.SIG_NAMES.get(sig)
        if signame is None:
            self.log.info("Ignoring unknown signal: %s", sig)
            return
        handler = getattr(self, "handle_%s" % signame, None)
        if handler is None:
            self.log.error("Unhandled signal: %s", signame)
            return
        if sig == signal.SIGCHLD:
            self.log.debug("Handling signal: %s", signame)
        else:
            self.log.info("Handling signal: %s", signame)
        handler()

    def wait_for_signals(self, timeout: float = 1.0) -> list[int]:
        """Return the queued signals, sleeping up to ``timeout`` s for the first."""
        signals = self._drain_queue()
        if signals:
            return signals
        try:
            ready = select.select([self.PIPE[0]], [], [], timeout)[0]
        except OSError as e:
            if e.errno not in (errno.EINTR, errno.EAGAIN):
                raise
            ready = []
        if ready:
            self._drain_pipe()
        return self._drain_queue()

    def _drain_queue(self) -> list[int]:
        signals = []
        while True:
            try:
                signals.append(self.SIG_QUEUE.get_nowait())
            except queue.Empty:
                return signals

    def _drain_pipe(self) -> None:
        try:
            while os.read(self.PIPE[0], 4096):
                pass
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EINTR):
                raise

    def halt(self, reason: str | None = None, exit_status: int = 0) -> None:
        """Stop everything, log ``Shutting down``, run on_exit and exit."""
        systemd.sd_notify("STOPPING=1", self.log)
        self.stop()

        log_func = self.log.info if exit_status == 0 else self.log.error
        log_func("Shutting down: %s", self.master_name)
        if reason is not None:
            log_func("Reason: %s", reason)

        if self.pidfile is not None:
            self.pidfile.unlink()
        self.cfg.on_exit(self)
        sys.exit(exit_status)

    def stop(self, graceful: bool = True) -> None:
        """Close the listeners and stop the workers.

        Graceful: SIGTERM, then wait up to ``graceful_timeout`` s. Quick:
        SIGQUIT. A SIGINT/SIGQUIT received during a graceful wait switches to a
        quick stop bounded by 2 s. Whatever is left gets SIGKILL.
        """
        unlink = (self.reexec_pid == self.master_pid == 0
                  and not self.systemd and not self.cfg.reuse_port)
        sock.close_sockets(self.LISTENERS, unlink)
        self.LISTENERS = []

        sig = signal.SIGTERM if graceful else signal.SIGQUIT
        limit = time.monotonic() + self.cfg.graceful_timeout
        self.kill_workers(sig)
        while self.WORKERS:
            self._reap(halt_on_boot_error=False)
            if not self.WORKERS:
                break
            left = limit - time.monotonic()
            if left <= 0:
                break
            pending = self.wait_for_signals(timeout=min(left, 0.1)) if self.PIPE else []
            if graceful and any(s in (signal.SIGINT, signal.SIGQUIT) for s in pending):
                graceful = False
                self.kill_workers(signal.SIGQUIT)
                limit = min(limit, time.monotonic() + 2.0)
            if not self.PIPE:
                time.sleep(0.1)

        self.kill_workers(signal.SIGKILL)
        deadline = time.monotonic() + 1.0
        while self.WORKERS and time.monotonic() < deadline:
            self._reap(halt_on_boot_error=False)
            if self.WORKERS:
                time.sleep(0.01)

    def reload(self) -> None:
        """SIGHUP: reload the configuration and replace every worker.

        New workers are spawned before the old ones get SIGTERM, so requests
        keep being served. When the configuration cannot be loaded, the error
        is logged and the server keeps running with the previous one.
        """
        old_address = self.cfg.address

        # restore the variables raw_env changed; setup() applies the new raw_env
        for k in self.cfg.env:
            if k in self.cfg.env_orig:
                os.environ[k] = self.cfg.env_orig[k]
            else:
                os.environ.pop(k, None)

        old_cfg = self.cfg
        try:
            self.app.reload()
        except (Exception, SystemExit) as e:
            # a broken config file must not take the running server down
            self.app.cfg = old_cfg
            if old_cfg.env:
                for k, v in old_cfg.env.items():
                    os.environ[k] = v
            self.log.error("Reload failed, keeping the current configuration (%s: %s)",
                           type(e).__name__, e)
            return
        self.setup(self.app)
        if self.master_pid != 0:
            # still the new master of an upgrade: keep the ".2" names
            self.proc_name = self.proc_name + ".2"

        # the logger may have new settings (level, files)
        setup_log = getattr(self.log, "setup", None)
        if setup_log is not None:
            setup_log(self.cfg)
        self.log.reopen_files()

        reuse_port = self.cfg.reuse_port and hasattr(socket, "SO_REUSEPORT")
        # with reuse_port every new worker binds the new addresses itself
        if old_address != self.cfg.address and not reuse_port:
            for lnr in self.LISTENERS:
                lnr.close()
            self.LISTENERS = sock.create_sockets(self.cfg, self.log)
            listeners_str = ",".join(str(lnr) for lnr in self.LISTENERS)
            self.log.info("Listening at: %s", listeners_str)

        self.cfg.on_reload(self)

        if self.pidfile is not None:
            self.pidfile.unlink()
            self.pidfile = None
        if self.cfg.pidfile is not None:
            pidname = self.cfg.pidfile
            if self.master_pid != 0:
                pidname += ".2"
            self.pidfile = Pidfile(pidname)
            self.pidfile.create(self.pid)

        util._setproctitle("master [%s]" % self.proc_name)

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

    def handle_quit(self) -> None:
        """SIGQUIT: quick shutdown."""
        self.stop(False)
        raise StopIteration

    def handle_ttin(self) -> None:
        """SIGTTIN: one more worker."""
        self.num_workers += 1
        self.manage_workers()

    def handle_ttou(self) -> None:
        """SIGTTOU: one worker fewer (never below one)."""
        if self.num_workers <= 1:
            return
        self.num_workers -= 1
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
        if self.cfg.daemon:
            self.log.info("graceful stop of workers")
            self.num_workers = 0
            self.kill_workers(signal.SIGTERM)
        else:
            self.log.debug("SIGWINCH ignored. Not daemonized")

    # -- re-exec (USR2) ----------------------------------------------------------------

    def maybe_promote_master(self) -> None:
        """In a re-exec'd master: once the old master has exited, take over its
        name, proc title and pidfile."""
        if self.master_pid == 0:
            return
        if self.master_pid != os.getppid():
            self.log.info("Master has been promoted.")
            self.master_name = "Master"
            self.master_pid = 0
            self.proc_name = self.cfg.proc_name
            os.environ.pop("GUNICORN_PID", None)
            if self.pidfile is not None and self.cfg.pidfile is not None:
                self.pidfile.rename(self.cfg.pidfile)
            util._setproctitle("master [%s]" % self.proc_name)

    def reexec(self) -> None:
        """Fork and exec a new master that inherits the listeners
        (``GUNICORN_FD``, or ``LISTEN_FDS`` under systemd)."""
        if self.reexec_pid != 0:
            self.log.warning("USR2 signal ignored. Child exists.")
            return
        if self.master_pid != 0:
            self.log.warning("USR2 signal ignored. Parent exists.")
            return

        master_pid = os.getpid()
        self.reexec_pid = os.fork()
        if self.reexec_pid != 0:
            return

        try:
            signal.set_wakeup_fd(-1)
            self.cfg.pre_exec(self)

            environ = self.cfg.env_orig.copy()
            environ["GUNICORN_PID"] = str(master_pid)

            if self.systemd:
                # sd_listen_fds(3) numbers the fds from 3 with no gaps; after a HUP
                # rebind ours may not be, so renumber them (dup first: no clobbering)
                fds = [os.dup(lnr.fileno()) for lnr in self.LISTENERS]
                for i, fd in enumerate(fds):
                    os.dup2(fd, systemd.SD_LISTEN_FDS_START + i, inheritable=True)
                environ["LISTEN_PID"] = str(os.getpid())
                environ["LISTEN_FDS"] = str(len(fds))
            else:
                environ["GUNICORN_FD"] = ",".join(str(lnr.fileno()) for lnr in self.LISTENERS)

            os.chdir(self.START_CTX["cwd"])
            # handlers are reset by exec, but the signal mask is not
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            os.execvpe(self.START_CTX[0], self.START_CTX["args"], environ)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(1)

    # -- workers ------------------------------------------------------------------------

    def murder_workers(self) -> None:
        """Abort workers whose heartbeat is older than ``timeout`` (SIGABRT,
        then SIGKILL next round) and kill workers still alive after their
        graceful-stop deadline."""
        now = time.monotonic()
        for pid, deadline in list(self._term_deadlines.items()):
            if pid not in self.WORKERS:
                del self._term_deadlines[pid]
            elif now > deadline:
                del self._term_deadlines[pid]
                self.kill_worker(pid, signal.SIGKILL)

        if not self.timeout:
            return
        for pid, worker in list(self.WORKERS.items()):
            try:
                if time.monotonic() - worker.tmp.last_update() <= self.timeout:
                    continue
            except (OSError, ValueError):
                continue

            if not worker.aborted:
                self.log.critical("WORKER TIMEOUT (pid:%s)", pid)
                worker.aborted = True
                self.kill_worker(pid, signal.SIGABRT)
            else:
                self.kill_worker(pid, signal.SIGKILL)

    def reap_workers(self) -> None:
        """Collect exited children.

        Raises:
            HaltServer: a worker exited with 3 ("Worker failed to boot.") or
                4 ("App failed to load.").
        """
        self._reap(halt_on_boot_error=True)

    def _reap(self, halt_on_boot_error: bool) -> None:
        try:
            while True:
                wpid, status = os.waitpid(-1, os.WNOHANG)
                if not wpid:
                    break
                if self.reexec_pid == wpid:
                    self.reexec_pid = 0
                    continue
                worker = self.WORKERS.pop(wpid, None)
                self._term_deadlines.pop(wpid, None)
                exitcode = None
                if os.WIFEXITED(status):
                    exitcode = os.WEXITSTATUS(status)
                    if exitcode != 0:
                        self.log.error("Worker (pid:%s) exited with code %s", wpid, exitcode)
                elif os.WIFSIGNALED(status):
                    sig = os.WTERMSIG(status)
                    try:
                        sig_name = signal.Signals(sig).name
                    except ValueError:
                        sig_name = "signal %d" % sig
                    msg = "Worker (pid:%s) was sent %s!" % (wpid, sig_name)
                    if sig == signal.SIGKILL:
                        self.log.error(msg + " Perhaps out of memory?")
                    elif sig == signal.SIGTERM:
                        self.log.info(msg)
                    else:
                        self.log.warning(msg)

                if worker is None:
                    # not one of ours (e.g. an adopted orphan when running as PID 1)
                    continue
                worker.tmp.close()
                self.cfg.child_exit(self, worker)

                if halt_on_boot_error:
                    if exitcode == self.WORKER_BOOT_ERROR:
                        raise HaltServer("Worker failed to boot.", self.WORKER_BOOT_ERROR)
                    if exitcode == self.APP_LOAD_ERROR:
                        raise HaltServer("App failed to load.", self.APP_LOAD_ERROR)
        except ChildProcessError:
            pass

    def manage_workers(self) -> None:
        """Spawn workers up to ``num_workers``; SIGTERM the oldest extras."""
        if len(self.WORKERS) < self.num_workers:
            self.spawn_workers()

        # workers already told to stop do not count
        live = [(pid, w) for pid, w in self.WORKERS.items() if pid not in self._term_deadlines]
        live.sort(key=lambda item: item[1].age)
        while len(live) > self.num_workers:
            pid, _ = live.pop(0)
            self._term_deadlines[pid] = time.monotonic() + self.cfg.graceful_timeout
            self.kill_worker(pid, signal.SIGTERM)

        active = len(live)
        if self._last_logged_active_worker_count != active:
            self._last_logged_active_worker_count = active
            self.log.debug("%s workers", active,
                           extra={"metric": "gunicorn.workers", "value": active,
                                  "mtype": "gauge"})

        if getattr(self.cfg, "enable_backlog_metric", False):
            backlog = sum(lnr.get_backlog() or 0 for lnr in self.LISTENERS
                          if hasattr(lnr, "get_backlog"))
            if backlog >= 0:
                self.log.debug("socket backlog: %s", backlog,
                               extra={"metric": "gunicorn.backlog", "value": backlog,
                                      "mtype": "histogram"})

    def manage_dirty_arbiter(self) -> None:
        """Dirty arbiters are not supported; kept for interface compatibility."""

    def spawn_worker(self) -> int:
        """Fork one worker. Returns its pid in the master; never returns in the child."""
        self.worker_age += 1
        worker = self.worker_class(self.worker_age, self.pid, self.LISTENERS,
                                   self.app, self.timeout / 2.0, self.cfg, self.log)
        self.cfg.pre_fork(self, worker)

        # block our signals across fork so the child cannot run the master's handlers
        blocked = set(self.SIGNALS) | {signal.SIGCHLD}
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            raise
        if pid != 0:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            worker.pid = pid
            self.WORKERS[pid] = worker
            return pid

        # -- child --
        self._become_worker(old_mask)
        for sibling in self.WORKERS.values():
            sibling.tmp.close()
        self.WORKERS = {}

        worker.pid = os.getpid()
        try:
            util._setproctitle("worker [%s]" % self.proc_name)
            self.log.info("Booting worker with pid: %s", worker.pid)
            if self.cfg.reuse_port:
                worker.sockets = sock.create_sockets(self.cfg, self.log)
            self.cfg.post_fork(self, worker)
            worker.init_process()
            sys.exit(0)
        except SystemExit:
            raise
        except AppImportError as e:
            self.log.debug("Exception while loading the application", exc_info=True)
            print("%s" % e, file=sys.stderr)
            sys.stderr.flush()
            sys.exit(self.APP_LOAD_ERROR)
        except BaseException:
            self.log.exception("Exception in worker process")
            if not worker.booted:
                sys.exit(self.WORKER_BOOT_ERROR)
            sys.exit(-1)
        finally:
            self.log.info("Worker exiting (pid: %s)", worker.pid)
            try:
                worker.tmp.close()
                self.cfg.worker_exit(self, worker)
            except Exception:
                self.log.warning("Exception during worker exit:\n%s", traceback.format_exc())

    def _become_worker(self, old_mask: Any) -> None:
        """In a fresh child: drop the master's signal plumbing, then unblock."""
        signal.set_wakeup_fd(-1)
        for fd in self.PIPE:
            _close_fd(fd)
        self.PIPE = []
        self.SIG_QUEUE = queue.SimpleQueue()
        for s in self.SIGNALS + [signal.SIGCHLD]:
            name = signal.Signals(s).name
            signal.signal(s, signal.SIG_IGN if name in _CHILD_IGNORED else signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

    def spawn_workers(self) -> None:
        """Spawn workers until there are ``num_workers``, pausing 0-0.1 s between them."""
        for _ in range(self.num_workers - len(self.WORKERS)):
            self.spawn_worker()
            time.sleep(0.1 * random.random())

    def kill_workers(self, sig: int) -> None:
        """Send ``sig`` to every worker."""
        for pid in list(self.WORKERS.keys()):
            self.kill_worker(pid, sig)

    def kill_worker(self, pid: int, sig: int) -> None:
        """Send ``sig`` to worker ``pid``; a vanished worker (ESRCH) is forgotten."""
        try:
            os.kill(pid, sig)
        except OSError as e:
            if e.errno == errno.ESRCH:
                worker = self.WORKERS.pop(pid, None)
                self._term_deadlines.pop(pid, None)
                if worker is not None:
                    try:
                        worker.tmp.close()
                        self.cfg.worker_exit(self, worker)
                    except Exception:
                        pass
                return
            raise
