"""Daemon mode (-D): detaches, writes the pidfile, and SIGWINCH stops the workers."""

import os
import signal
import subprocess
import sys
import time

from tests.support.server import ROOT, children_of


def wait_until(pred, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return pred()


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:].split()[0] != b"Z"


def test_daemon_winch_then_term(tmp_path):
    pidfile = tmp_path / "d.pid"
    logfile = tmp_path / "error.log"
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("GUNICORN_CMD_ARGS", None)
    cmd = [sys.executable, "-m", "gunicorn", "-D", "-p", str(pidfile), "--error-logfile",
           str(logfile), "-b", "127.0.0.1:0", "-w", "2", "--pythonpath", "tests/workers/apps",
           "arbiter_testapp:app"]
    launcher = subprocess.run(cmd, cwd=ROOT, env=env, timeout=20,
                              stdin=subprocess.DEVNULL, capture_output=True)
    assert launcher.returncode == 0, launcher.stderr
    master = None
    try:
        assert wait_until(lambda: pidfile.exists() and pidfile.read_text().strip())
        master = int(pidfile.read_text())
        assert wait_until(lambda: len(children_of(master)) == 2)
        os.kill(master, signal.SIGWINCH)
        assert wait_until(lambda: len(children_of(master)) == 0)
        assert "graceful stop of workers" in logfile.read_text()
        time.sleep(1.2)
        assert children_of(master) == []
        os.kill(master, signal.SIGTERM)
        assert wait_until(lambda: not alive(master))
        assert wait_until(lambda: not pidfile.exists(), 3)
        assert "Shutting down: Master" in logfile.read_text()
    finally:
        if master is not None and alive(master):
            for p in children_of(master):
                os.kill(p, signal.SIGKILL)
            os.kill(master, signal.SIGKILL)
