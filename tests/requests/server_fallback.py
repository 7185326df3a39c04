"""Minimal stand-in for tests.support.server.run_server.

Used by tests/test_bad_requests_e2e.py only when the shared helper cannot be
imported, so the end-to-end checks still run.  Same call shape:
``run_server(*args, cwd=None)`` yields an object with host, port, output().
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LISTEN_RE = re.compile(r"Listening at: http://([\d.]+):(\d+) \(\d+\)")


class _Server:
    def __init__(self, args: list[str], cwd: str | None) -> None:
        env = dict(os.environ)
        env.pop("GUNICORN_CMD_ARGS", None)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", *args],
            cwd=cwd or ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        self._lines: list[str] = []
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()
        self.host = ""
        self.port = 0

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            self._lines.append(raw.decode("utf-8", "replace"))

    def output(self) -> str:
        return "".join(self._lines)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.output()
            m = _LISTEN_RE.search(text)
            if m and "Booting worker" in text:
                self.host, self.port = m.group(1), int(m.group(2))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("server did not start:\n" + self.output())

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(5)


@contextlib.contextmanager
def run_server(*args: str, cwd: str | None = None, ready_timeout: float = 15.0) -> Iterator[_Server]:
    """Run ``python -m gunicorn --bind 127.0.0.1:0 *args`` for the block; always stop it."""
    srv = _Server(list(args), cwd)
    try:
        srv.wait_ready(ready_timeout)
        yield srv
    finally:
        srv.stop()
