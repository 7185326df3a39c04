"""Daemon mode (-D): detaches (double fork), stdio handling, serves, SIGWINCH stops the
workers, TERM stops the master. Only the pids this test started are ever signalled."""

import os
import re
import signal
import subprocess
import sys

from tests.arbiter.arbiter_helpers import (
    alive,
    fd_targets,
    http_get,
    kill_quietly,
    ppid_of,
    proc_stat,
    wait_file,
    wait_until,
)
from tests.support.server import ROOT, children_of


def _ancestors(pid):
    out = []
    while pid > 1:
        pid = ppid_of(pid)
        out.append(pid)
    return out


def _start_daemon(tmp_path, *extra, stdout=subprocess.DEVNULL):
    pidfile = tmp_path / "d.pid"
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("GUNICORN_CMD_ARGS", None)
    cmd = [sys.executable, "-m", "gunicorn", "-D", "-p", str(pidfile), "-b", "127.0.0.1:0",
           "--pythonpath", "tests/workers/apps", *extra, "arbiter_testapp:app"]
    launcher = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=stdout, stderr=stdout)
    assert launcher.wait(20) == 0
    assert wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), 10)
    return launcher.pid, int(pidfile.read_text()), pidfile


def _cleanup(master):
    if master is not None and alive(master):
        for p in children_of(master):
            kill_quietly(p)
        kill_quietly(master)


def test_daemon_detaches_serves_winch_then_term(tmp_path):
    logfile = tmp_path / "error.log"
    master = None
    try:
        launcher, master, pidfile = _start_daemon(tmp_path, "--error-logfile", str(logfile),
                                                  "-w", "2")
        # detached: not the launcher's child, in its own session, adopted by init or a subreaper
        assert master != launcher
        assert ppid_of(master) != launcher
        assert ppid_of(master) == 1 or ppid_of(master) in _ancestors(os.getpid())
        assert int(proc_stat(master)[3]) != os.getsid(0)
        # stdio on /dev/null
        for fd in (0, 1, 2):
            assert os.readlink("/proc/%d/fd/%d" % (master, fd)) == "/dev/null"
        port = int(wait_file(str(logfile), r"Listening at: http://127\.0\.0\.1:(\d+) \((\d+)\)")
                   .group(1))
        assert re.search(r"Listening at: \S+ \(%d\)" % master, logfile.read_text())
        assert http_get("127.0.0.1", port, "/pid")[0] == 200
        assert wait_until(lambda: len(children_of(master)) == 2)

        os.kill(master, signal.SIGWINCH)
        assert wait_until(lambda: len(children_of(master)) == 0)
        wait_file(str(logfile), r"graceful stop of workers")
        # num_workers is 0 now: the next loop rounds spawn nothing
        os.kill(master, signal.SIGUSR1)
        wait_file(str(logfile), r"Handling signal: usr1")
        assert children_of(master) == []

        os.kill(master, signal.SIGTERM)
        assert wait_until(lambda: not alive(master))
        assert wait_until(lambda: not pidfile.exists(), 3)
        wait_file(str(logfile), r"Shutting down: Master")
    finally:
        _cleanup(master)


def test_daemon_stdio_inheritance_keeps_redirected_output(tmp_path):
    out = tmp_path / "out.txt"
    master = None
    with open(out, "wb") as f:
        try:
            _, master, pidfile = _start_daemon(tmp_path, "--enable-stdio-inheritance", "-w", "1",
                                               stdout=f)
            # stdin is /dev/null; stdout/stderr (a file, not a tty) are kept, so the error
            # log ("-" = stderr) lands in the file
            assert os.readlink("/proc/%d/fd/0" % master) == "/dev/null"
            assert os.readlink("/proc/%d/fd/2" % master) == str(out)
            port = int(wait_file(str(out), r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))
            assert http_get("127.0.0.1", port)[0] == 200
            assert str(out) in fd_targets(master)
            os.kill(master, signal.SIGTERM)
            assert wait_until(lambda: not alive(master))
            wait_file(str(out), r"Shutting down: Master")
        finally:
            _cleanup(master)
