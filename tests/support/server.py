"""Start a real server process for a test and always stop it.

The server runs as ``python -m gunicorn`` bound to an ephemeral port; the port
is read back from the ``Listening at:`` log line.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal as signals
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LISTEN_RE = re.compile(r"Listening at: (\S+) \((\d+)\)")

# Command-line arguments selecting each WSGI worker; behaviour tests of the
# server run on every one.
WORKER_ARGS: dict[str, tuple[str, ...]] = {
    "sync": ("--worker-class", "sync"),
    "gthread": ("--worker-class", "gthread", "--threads", "4"),
    "gevent": ("--worker-class", "gevent"),
    "gevent_pywsgi": ("--worker-class", "gevent_pywsgi"),
    "eventlet": ("--worker-class", "eventlet"),
}

# Workers that hand connections to another project's HTTP/1.1 server
# (gevent.pywsgi): gunicorn's parser, response framing and environ builder
# do not run there, so tests of those skip them (see skip_foreign_http).
FOREIGN_HTTP_WORKERS = frozenset({"gevent_pywsgi"})


def skip_foreign_http(worker: str, behaviour: str) -> None:
    """pytest.skip() when *worker* serves HTTP through gevent's pywsgi, which
    does not have *behaviour* (a short phrase naming what the test checks)."""
    if worker in FOREIGN_HTTP_WORKERS:
        import pytest

        pytest.skip("%s parses and answers requests with gevent.pywsgi's own handler, "
                    "which does not do this: %s" % (worker, behaviour))


class ServerError(RuntimeError):
    """The server did not start, or did not stop, as the test expected."""


class GunicornServer:
    """A running server process.

    Attributes:
        proc: the ``subprocess.Popen`` of the master.
        pid: master pid.
        url: ``http://HOST:PORT`` of the first TCP listener (None for unix-only binds).
        host, port: the first TCP listener's address.
        urls: every listener URL printed by the master.
    """

    def __init__(
        self,
        args: list[str],
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        bind: str | None = "127.0.0.1:0",
        python: str | None = None,
        module_args: list[str] | None = None,
    ) -> None:
        cmd = [python or sys.executable] + (module_args or ["-m", "gunicorn"])
        if bind:
            cmd += ["--bind", bind]
        cmd += list(args)
        self.cmd = cmd
        full_env = dict(os.environ)
        full_env.pop("GUNICORN_CMD_ARGS", None)
        full_env["PYTHONUNBUFFERED"] = "1"
        pp = full_env.get("PYTHONPATH")
        full_env["PYTHONPATH"] = ROOT + (os.pathsep + pp if pp else "")
        if env:
            full_env.update(env)
        self._buf: list[str] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd or ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        self.url: str | None = None
        self.urls: list[str] = []
        self.host: str | None = None
        self.port: int | None = None
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            with self._cond:
                self._buf.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def output(self) -> str:
        """Everything the master and its workers printed so far."""
        with self._lock:
            return "".join(self._buf)

    def wait_for_output(self, pattern: str, timeout: float = 10.0, start: int = 0) -> re.Match[str]:
        """Wait until ``pattern`` (a regex) appears in the output; return the match.

        ``start`` is a character offset into the output to search from.
        Raises ServerError on timeout or when the process exits first.
        """
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search("".join(self._buf), start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self.proc.poll() is not None and not self._reader.is_alive():
                    break
                self._cond.wait(min(left, 0.2))
        raise ServerError(
            "pattern %r not seen within %.1fs (exit=%r); output:\n%s"
            % (pattern, timeout, self.proc.poll(), self.output())
        )

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Wait for the ``Listening at:`` line and record the address."""
        self.wait_for_output(r"Listening at: ", timeout)
        # all listeners are printed on one line, comma separated
        m = re.search(r"Listening at: (.+) \((\d+)\)", self.output())
        assert m is not None
        self.urls = [u.strip() for u in m.group(1).split(",")]
        for u in self.urls:
            if u.startswith(("http://", "https://")):
                self.url = u
                hostport = u.split("://", 1)[1]
                host, _, port = hostport.rpartition(":")
                self.host = host.strip("[]")
                self.port = int(port)
                break

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the master."""
        os.kill(self.pid, sig)

    def worker_pids(self) -> list[int]:
        """Pids of the master's live child processes (from /proc)."""
        return children_of(self.pid)

    def wait_workers(self, count: int, timeout: float = 10.0) -> list[int]:
        """Wait until the master has exactly ``count`` children; return their pids."""
        deadline = time.monotonic() + timeout
        pids = self.worker_pids()
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == count:
                return pids
            time.sleep(0.05)
        raise ServerError("expected %d workers, have %r; output:\n%s" % (count, pids, self.output()))

    def stop(self, sig: int = signals.SIGTERM, timeout: float = 10.0) -> int:
        """Signal the master and wait for it; SIGKILL the group after ``timeout``.

        Returns the exit code.
        """
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reader.join(2)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the master's process group (only processes this test started)."""
        pids = [self.pid] + self.worker_pids()
        try:
            os.killpg(self.pid, signals.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in pids:
            try:
                os.kill(pid, signals.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


def children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (Linux /proc)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                data = f.read()
        except OSError:
            continue
        # the command name may hold spaces; fields follow the last ')'
        rest = data[data.rfind(b")") + 2:].split()
        if len(rest) > 1 and int(rest[1]) == pid and rest[0] != b"Z":
            out.append(int(name))
    return sorted(out)


@contextlib.contextmanager
def run_server(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    bind: str | None = "127.0.0.1:0",
    ready_timeout: float = 15.0,
    wait_ready: bool = True,
    python: str | None = None,
    module_args: list[str] | None = None,
) -> Iterator[GunicornServer]:
    """Run ``python -m gunicorn --bind BIND *args`` for the duration of the block.

    The process (and its process group) is always stopped on exit.
    With ``wait_ready`` the block starts once ``Listening at:`` and the first
    worker boot have been logged.
    """
    srv = GunicornServer(list(args), env=env, cwd=cwd, bind=bind, python=python,
                         module_args=module_args)
    try:
        if wait_ready:
            srv.wait_ready(ready_timeout)
            srv.wait_for_output(r"Booting worker with pid", ready_timeout)
        yield srv
    finally:
        try:
            srv.stop(signals.SIGTERM, timeout=10)
        finally:
            if srv.proc.poll() is None:
                srv.kill()
