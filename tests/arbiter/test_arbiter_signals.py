"""Master signal handling against real processes: TERM, INT, QUIT, HUP, TTIN, TTOU,
USR1, worker respawn, timeouts and orphan protection."""

import http.client
import os
import re
import signal
import threading
import time

import pytest

from tests.support.server import children_of, run_server

APP = ("--pythonpath", "tests/workers/apps", "arbiter_testapp:app")


def get(srv, path, timeout=5.0):
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rfind(b")") + 2:].split()[0] != b"Z"


def wait_until(pred, timeout=5.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return pred()


class ClientLoop:
    """Threads making requests continuously; records every failure."""

    def __init__(self, srv, threads=4):
        self.srv = srv
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        while not self.stop.is_set():
            try:
                status, body = get(self.srv, "/pid")
                with self.lock:
                    if status == 200:
                        self.ok += 1
                    else:
                        self.failures.append(status)
            except Exception as e:  # any failure counts
                with self.lock:
                    self.failures.append(repr(e))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(10)


def test_startup_log_lines_and_server_software():
    with run_server(*APP, "-w", "2") as srv:
        srv.wait_workers(2)
        out = srv.output()
        assert re.search(r"\[INFO\] Starting gunicorn 25\.0\.0", out)
        assert "Listening at: http://127.0.0.1:%d (%d)" % (srv.port, srv.pid) in out
        assert "Using worker: sync" in out
        assert len(re.findall(r"Booting worker with pid: \d+", out)) == 2
        assert get(srv, "/env?k=SERVER_SOFTWARE") == (200, b"gunicorn/25.0.0")
        code = srv.stop()
        assert code == 0
        out = srv.output()
        assert "Handling signal: term" in out
        assert "Shutting down: Master" in out
        assert len(re.findall(r"Worker exiting \(pid: \d+\)", out)) == 2


def test_term_drains_in_flight_request():
    with run_server(*APP, "-w", "1", "--graceful-timeout", "10") as srv:
        result = {}

        def slow():
            result["r"] = get(srv, "/sleep?s=1.5", timeout=10)

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        t.join(10)
        assert result["r"] == (200, b"slept 1.5")
        assert srv.proc.wait(10) == 0
        assert time.monotonic() - start < 5


def test_term_bounded_by_graceful_timeout():
    with run_server(*APP, "-w", "1", "--graceful-timeout", "1") as srv:
        t = threading.Thread(target=lambda: _swallow(get, srv, "/sleep?s=30", 10), daemon=True)
        t.start()
        time.sleep(0.5)
        workers = srv.worker_pids()
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        srv.proc.wait(10)
        assert time.monotonic() - start < 4
        assert wait_until(lambda: not any(pid_alive(p) for p in workers), 3)


def _swallow(fn, *args):
    try:
        fn(*args)
    except Exception:
        pass


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT])
def test_int_quit_stop_fast(sig):
    with run_server(*APP, "-w", "2", "--graceful-timeout", "20") as srv:
        srv.wait_workers(2)
        t = threading.Thread(target=lambda: _swallow(get, srv, "/sleep?s=20", 25), daemon=True)
        t.start()
        time.sleep(0.5)
        workers = srv.worker_pids()
        start = time.monotonic()
        srv.signal(sig)
        code = srv.proc.wait(10)
        assert time.monotonic() - start < 3.5
        assert code == 0
        assert "Handling signal: %s" % signal.Signals(sig).name[3:].lower() in srv.output()
        assert wait_until(lambda: not any(pid_alive(p) for p in workers), 3)


def test_int_during_graceful_stop_switches_to_quick():
    with run_server(*APP, "-w", "1", "--graceful-timeout", "30") as srv:
        t = threading.Thread(target=lambda: _swallow(get, srv, "/sleep?s=30", 35), daemon=True)
        t.start()
        time.sleep(0.5)
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        time.sleep(0.3)
        srv.signal(signal.SIGINT)
        srv.proc.wait(10)
        assert time.monotonic() - start < 4


def test_hup_replaces_workers_without_failed_requests():
    with run_server(*APP, "-w", "2", "--graceful-timeout", "5") as srv:
        old = set(srv.wait_workers(2))
        with ClientLoop(srv) as loop:
            time.sleep(0.5)
            srv.signal(signal.SIGHUP)
            assert wait_until(lambda: len(set(srv.worker_pids()) & old) == 0
                              and len(srv.worker_pids()) == 2, 10)
            time.sleep(0.5)
        assert loop.failures == []
        assert loop.ok > 10
        out = srv.output()
        assert "Handling signal: hup" in out
        assert "Hang up: Master" in out


def test_hup_reapplies_raw_env(tmp_path):
    conf = tmp_path / "conf.py"
    conf.write_text("raw_env = ['ARB_TEST_VAR=one']\n")
    with run_server(*APP, "-c", str(conf), "-w", "1") as srv:
        assert get(srv, "/env?k=ARB_TEST_VAR") == (200, b"one")
        old = srv.worker_pids()
        conf.write_text("raw_env = ['ARB_TEST_VAR=two']\n")
        srv.signal(signal.SIGHUP)
        assert wait_until(lambda: srv.worker_pids() and not set(srv.worker_pids()) & set(old), 10)
        assert wait_until(lambda: _safe_get(srv, "/env?k=ARB_TEST_VAR") == (200, b"two"), 5)


def _safe_get(srv, path):
    try:
        return get(srv, path)
    except Exception:
        return None


def test_ttin_ttou_change_worker_count():
    with run_server(*APP, "-w", "2") as srv:
        srv.wait_workers(2)
        srv.signal(signal.SIGTTIN)
        srv.wait_workers(3)
        srv.signal(signal.SIGTTIN)
        srv.wait_workers(4)
        srv.signal(signal.SIGTTOU)
        srv.wait_workers(3)
        for _ in range(5):
            srv.signal(signal.SIGTTOU)
            time.sleep(0.1)
        srv.wait_workers(1)
        time.sleep(1.5)
        assert len(srv.worker_pids()) == 1
        out = srv.output()
        assert "Handling signal: ttin" in out and "Handling signal: ttou" in out


def test_killed_worker_is_respawned_quickly():
    with run_server(*APP, "-w", "2") as srv:
        pids = srv.wait_workers(2)
        victim = pids[0]
        start = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(srv.worker_pids()) == 2
                          and victim not in srv.worker_pids(), 5, 0.02)
        assert time.monotonic() - start < 1.0
        srv.wait_for_output(r"Worker \(pid:%d\) was sent SIGKILL! Perhaps out of memory\?" % victim)
        assert get(srv, "/")[0] == 200


def test_worker_timeout_dumps_stack_and_is_replaced():
    with run_server(*APP, "-w", "1", "--timeout", "2") as srv:
        [pid] = srv.wait_workers(1)
        t = threading.Thread(target=lambda: _swallow(get, srv, "/sleep?s=30", 15), daemon=True)
        t.start()
        srv.wait_for_output(r"WORKER TIMEOUT \(pid:%d\)" % pid, 10)
        m = srv.wait_for_output(r"thread stacks:", 5)
        tail = srv.output()[m.start():]
        assert "arbiter_testapp.py" in tail and "time.sleep(delay)" in tail
        assert wait_until(lambda: srv.worker_pids() and pid not in srv.worker_pids(), 5)
        assert get(srv, "/")[0] == 200


def test_usr1_forwarded_to_workers():
    with run_server(*APP, "-w", "1") as srv:
        [pid] = srv.wait_workers(1)
        srv.signal(signal.SIGUSR1)
        srv.wait_for_output(r"Handling signal: usr1")
        time.sleep(0.5)
        assert srv.worker_pids() == [pid]
        assert get(srv, "/")[0] == 200


def test_winch_ignored_when_not_daemonized():
    with run_server(*APP, "-w", "1", "--log-level", "debug") as srv:
        [pid] = srv.wait_workers(1)
        srv.signal(signal.SIGWINCH)
        srv.wait_for_output(r"SIGWINCH ignored")
        assert srv.worker_pids() == [pid]


def test_no_orphan_workers_after_master_killed():
    with run_server(*APP, "-w", "2") as srv:
        workers = srv.wait_workers(2)
        os.kill(srv.pid, signal.SIGKILL)
        srv.proc.wait(5)
        assert wait_until(lambda: not any(pid_alive(p) for p in workers), 5)


def test_master_has_no_children_after_stop():
    with run_server(*APP, "-w", "3") as srv:
        srv.wait_workers(3)
        workers = srv.worker_pids()
        assert srv.stop() == 0
        assert children_of(srv.pid) == []
        assert not any(pid_alive(p) for p in workers)
