"""Helpers for the arbiter, worker and third-party worker process tests.

Everything polls with a deadline; nothing sleeps for a fixed time and hopes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time

from tests.support.client import read_until_close

APP = ("--pythonpath", "tests/workers/apps", "arbiter_testapp:app")


def wait_until(pred, timeout: float = 5.0, interval: float = 0.02) -> bool:
    """Poll ``pred`` until it is true or ``timeout`` seconds passed; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return bool(pred())


def unix_get(path: str, target: str = "/", timeout: float = 10.0) -> bytes:
    """One ``GET target`` (``Connection: close``) over the unix socket ``path``;
    returns the raw response bytes, read until the server closes."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % target.encode())
        return read_until_close(s)


def http_get(host: str, port: int, target: str = "/", timeout: float = 10.0) -> tuple[int, bytes]:
    """One ``GET`` on a fresh connection (``Connection: close``); returns (status, body)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % target.encode())
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise ConnectionError("no response head: %r" % data[:100])
    return int(head.split(b" ", 2)[1]), body


def try_get(host: str, port: int, target: str = "/") -> tuple[int, bytes] | None:
    """``http_get`` that returns None instead of raising."""
    try:
        return http_get(host, port, target, timeout=5.0)
    except OSError:
        return None


def proc_stat(pid: int) -> list[bytes] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rfind(b")") + 2:].split()


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    fields = proc_stat(pid)
    return fields is not None and fields[0] != b"Z"


def ppid_of(pid: int) -> int:
    fields = proc_stat(pid)
    return int(fields[1]) if fields else 0


def title(pid: int) -> str:
    """The process title (what setproctitle wrote over argv)."""
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()


def status_field(pid: int, name: str) -> str:
    """A field of /proc/PID/status (e.g. "Uid", "Groups")."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == name:
                return value.strip()
    raise KeyError(name)


def fd_targets(pid: int) -> list[str]:
    """Where each open fd of ``pid`` points (readlink of /proc/PID/fd/*)."""
    out = []
    base = "/proc/%d/fd" % pid
    for fd in os.listdir(base):
        try:
            out.append(os.readlink(os.path.join(base, fd)))
        except OSError:
            pass
    return out


def kill_quietly(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_master(pid: int, timeout: float = 10.0) -> None:
    """TERM a master this test started (e.g. a re-exec'd one); KILL it and its workers after ``timeout``."""
    from tests.support.server import children_of

    workers = children_of(pid)
    kill_quietly(pid, signal.SIGTERM)
    if not wait_until(lambda: not alive(pid), timeout):
        for w in children_of(pid) + workers:
            kill_quietly(w)
        kill_quietly(pid)
    for w in workers:
        if alive(w) and ppid_of(w) != pid:
            kill_quietly(w)


def free_port() -> int:
    """An ephemeral port that was free a moment ago (for settings that need a fixed port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_file(path: str, pattern: str, timeout: float = 10.0) -> re.Match[str]:
    """Wait until the text file at ``path`` matches ``pattern``; return the match."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    text = ""
    while True:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        m = rx.search(text)
        if m:
            return m
        if time.monotonic() > deadline:
            raise AssertionError("%r not in %s within %.1fs:\n%s" % (pattern, path, timeout, text))
        time.sleep(0.05)


class Load:
    """``conns`` client threads, each making one request per connection in a loop.

    Records every failure (exception or non-200) and the body of each success
    (``/pid`` answers the serving worker's pid). Runs until ``finish()``.
    """

    def __init__(self, host: str, port: int, target: str = "/pid", conns: int = 20) -> None:
        self.host, self.port, self.target = host, port, target
        self.completed = 0
        self.failures: list[str] = []
        self.bodies: dict[bytes, int] = {}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(conns)]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, body = http_get(self.host, self.port, self.target, timeout=15.0)
                failure = None if status == 200 else "status %d" % status
            except Exception as e:  # every failure counts
                failure, body = repr(e), b""
            with self._cond:
                self.completed += 1
                if failure is None:
                    self.bodies[body] = self.bodies.get(body, 0) + 1
                else:
                    self.failures.append(failure)
                self._cond.notify_all()

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(20)

    def wait_count(self, n: int, timeout: float = 30.0) -> None:
        """Block until at least ``n`` requests completed (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.completed < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("only %d of %d requests completed" % (self.completed, n))
                self._cond.wait(min(left, 0.2))

    def served_by(self, pids: set[int]) -> int:
        """How many successful responses came from one of ``pids``."""
        with self._lock:
            return sum(n for body, n in self.bodies.items() if body.isdigit() and int(body) in pids)
