"""Master signal handling against real processes: TERM, INT, QUIT, HUP, TTIN, TTOU,
USR1, worker respawn, timeouts and orphan protection."""

import os
import re
import signal
import threading
import time

import pytest

from tests.arbiter.arbiter_helpers import (
    Load,
    alive,
    http_get,
    try_get,
    wait_file,
    wait_until,
)
from tests.support.server import WORKER_ARGS, children_of, run_server, skip_foreign_http

APP = ("--pythonpath", "tests/workers/apps", "arbiter_testapp:app")

each_worker = pytest.mark.parametrize("worker", sorted(WORKER_ARGS))


def _skip_without_pre_request_line(worker):
    """These tests find the request in flight by the pre_request hook's debug line
    (gevent_pywsgi is covered by tests/workers_async/test_async_lifecycle.py)."""
    skip_foreign_http(worker, "the pre_request hook, whose debug line tells these "
                      "tests that the request is in flight")


def get(srv, path, timeout=5.0):
    return http_get(srv.host, srv.port, path, timeout)


def test_startup_log_lines_and_server_software():
    with run_server(*APP, "-w", "2") as srv:
        srv.wait_workers(2)
        # a forked worker logs its boot line a moment after it appears in /proc
        srv.wait_for_output(r"Booting worker with pid: \d+[\s\S]*Booting worker with pid: \d+")
        out = srv.output()
        assert re.search(r"\[INFO\] Starting gunicorn 25\.0\.3", out)
        assert "Listening at: http://127.0.0.1:%d (%d)" % (srv.port, srv.pid) in out
        assert "Using worker: sync" in out
        assert len(re.findall(r"Booting worker with pid: \d+", out)) == 2
        assert get(srv, "/env?k=SERVER_SOFTWARE") == (200, b"gunicorn/25.0.3")
        code = srv.stop()
        assert code == 0
        out = srv.output()
        assert "Handling signal: term" in out
        assert "Shutting down: Master" in out
        assert len(re.findall(r"Worker exiting \(pid: \d+\)", out)) == 2


@each_worker
def test_term_drains_in_flight_request(worker):
    _skip_without_pre_request_line(worker)
    with run_server(*APP, *WORKER_ARGS[worker], "-w", "1", "--graceful-timeout", "10", "--log-level", "debug") as srv:
        result = {}

        def slow():
            result["r"] = get(srv, "/sleep?s=1.5", timeout=10)

        t = threading.Thread(target=slow)
        t.start()
        srv.wait_for_output(r"\] GET /sleep")  # in flight (pre_request debug line)
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        t.join(10)
        assert result["r"] == (200, b"slept 1.5")
        assert srv.proc.wait(10) == 0
        # well below the 30 s default graceful_timeout (loaded CI hosts are slow)
        assert time.monotonic() - start < 10


@each_worker
def test_term_bounded_by_graceful_timeout(worker):
    _skip_without_pre_request_line(worker)
    with run_server(*APP, *WORKER_ARGS[worker], "-w", "1", "--graceful-timeout", "1", "--log-level", "debug") as srv:
        t = threading.Thread(target=lambda: _swallow(get, srv, "/sleep?s=30", 10), daemon=True)
        t.start()
        srv.wait_for_output(r"\] GET /sleep")  # in flight (pre_request debug line)
        workers = srv.worker_pids()
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        srv.proc.wait(15)
        # bounded by graceful_timeout (1 s), far from the 30 s request
        assert time.monotonic() - start < 10
        assert wait_until(lambda: not any(alive(p) for p in workers), 3)


def _swallow(fn, *args):
    try:
        fn(*args)
    except Exception:
        pass


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT])
@each_worker
def test_int_quit_stop_fast(sig, worker):
    _skip_without_pre_request_line(worker)
    with run_server(*APP, *WORKER_ARGS[worker], "-w", "2", "--graceful-timeout", "20", "--log-level", "debug") as srv:
        srv.wait_workers(2)
        t = threading.Thread(target=lambda: _swallow(get, srv, "/sleep?s=20", 25), daemon=True)
        t.start()
        srv.wait_for_output(r"\] GET /sleep")  # in flight (pre_request debug line)
        workers = srv.worker_pids()
        start = time.monotonic()
        srv.signal(sig)
        code = srv.proc.wait(15)
        # far below the 20 s graceful_timeout and the 20 s request
        assert time.monotonic() - start < 10
        assert code == 0
        assert "Handling signal: %s" % signal.Signals(sig).name[3:].lower() in srv.output()
        assert wait_until(lambda: not any(alive(p) for p in workers), 3)


def test_int_during_graceful_stop_switches_to_quick():
    with run_server(*APP, "-w", "1", "--graceful-timeout", "30", "--log-level", "debug") as srv:
        t = threading.Thread(target=lambda: _swallow(get, srv, "/sleep?s=30", 35), daemon=True)
        t.start()
        srv.wait_for_output(r"\] GET /sleep")  # in flight (pre_request debug line)
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        srv.wait_for_output(r"Handling signal: term")
        srv.signal(signal.SIGINT)
        srv.proc.wait(15)
        # the quick stop (2 s bound), not the 30 s graceful one
        assert time.monotonic() - start < 12


def test_hup_restores_then_reapplies_raw_env(tmp_path):
    conf = tmp_path / "conf.py"
    conf.write_text("raw_env = ['ARB_A=one', 'ARB_B=b', 'ARB_ORIG=over']\n")
    with run_server(*APP, "-c", str(conf), "-w", "1", env={"ARB_ORIG": "orig"}) as srv:
        assert get(srv, "/env?k=ARB_A") == (200, b"one")
        assert get(srv, "/env?k=ARB_ORIG") == (200, b"over")
        old = srv.worker_pids()
        conf.write_text("raw_env = ['ARB_A=two']\n")
        srv.signal(signal.SIGHUP)
        assert wait_until(lambda: srv.worker_pids() and not set(srv.worker_pids()) & set(old), 10)
        assert wait_until(lambda: _safe_get(srv, "/env?k=ARB_A") == (200, b"two"), 5)
        # removed from raw_env: unset again, or back to the value from before gunicorn started
        assert get(srv, "/env?k=ARB_B") == (200, b"<unset>")
        assert get(srv, "/env?k=ARB_ORIG") == (200, b"orig")


def _safe_get(srv, path):
    try:
        return get(srv, path)
    except Exception:
        return None


@each_worker
def test_ttin_ttou_change_worker_count(worker):
    with run_server(*APP, *WORKER_ARGS[worker], "-w", "2") as srv:
        srv.wait_workers(2)
        for sig, count in [("TTIN", 3), ("TTIN", 4), ("TTOU", 3), ("TTOU", 2), ("TTOU", 1)]:
            srv.signal(getattr(signal, "SIG" + sig))
            srv.wait_workers(count)
        # never below one worker: the signal is handled and nothing changes
        [last] = srv.worker_pids()
        handled = srv.output().count("Handling signal: ttou")
        srv.signal(signal.SIGTTOU)
        assert wait_until(lambda: srv.output().count("Handling signal: ttou") == handled + 1, 5)
        srv.signal(signal.SIGWINCH)  # one more loop round after the TTOU
        srv.wait_for_output(r"Handling signal: winch")
        assert srv.worker_pids() == [last]
        assert get(srv, "/")[0] == 200


def test_winch_ignored_when_not_daemonized():
    with run_server(*APP, "-w", "1", "--log-level", "debug") as srv:
        [pid] = srv.wait_workers(1)
        srv.signal(signal.SIGWINCH)
        srv.wait_for_output(r"SIGWINCH ignored")
        assert srv.worker_pids() == [pid]


@each_worker
def test_master_has_no_children_after_stop(worker):
    with run_server(*APP, *WORKER_ARGS[worker], "-w", "3") as srv:
        srv.wait_workers(3)
        workers = srv.worker_pids()
        assert srv.stop() == 0
        assert children_of(srv.pid) == []
        assert not any(alive(p) for p in workers)


@each_worker
def test_hup_under_load_no_failed_request(tmp_path, worker):
    """HUP while 20 connections stay busy: new workers first, old ones drained, 0 failures."""
    with run_server(*APP, *WORKER_ARGS[worker], "-w", "2", "--graceful-timeout", "10") as srv:
        old = set(srv.wait_workers(2))
        with Load(srv.host, srv.port, "/pid", conns=20) as load:
            load.wait_count(300)
            srv.signal(signal.SIGHUP)
            assert wait_until(lambda: len(srv.worker_pids()) == 2
                              and not set(srv.worker_pids()) & old, 15)
            new = set(srv.worker_pids())
            load.wait_count(max(3000, load.completed + 300), timeout=60)
        assert load.failures == []
        assert load.served_by(old) > 0 and load.served_by(new) > 0
        assert srv.pid not in new and children_of(srv.pid) == sorted(new)
        out = srv.output()
        assert "Handling signal: hup" in out and "Hang up: Master" in out
        # listeners were not rebound (same bind): one Listening line only
        assert out.count("Listening at:") == 1


def test_kill_9_busy_worker_only_in_flight_fails():
    with run_server(*APP, "-w", "2") as srv:
        victim, other = srv.wait_workers(2)
        with Load(srv.host, srv.port, "/sleep?s=0.01", conns=20) as load:
            load.wait_count(200)
            start = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            assert wait_until(lambda: len(srv.worker_pids()) == 2
                              and victim not in srv.worker_pids(), 5, 0.01)
            respawn = time.monotonic() - start
            load.wait_count(load.completed + 200)
        # a sync worker has at most one request in flight
        assert len(load.failures) <= 1, load.failures
        assert respawn < 1.0
        assert other in srv.worker_pids()
        srv.wait_for_output(r"Worker \(pid:%d\) was sent SIGKILL! Perhaps out of memory\?" % victim)


def test_worker_timeout_dumps_every_thread_then_replaced(tmp_path):
    conf = tmp_path / "hooks.py"
    conf.write_text("import sys\n"
                    "def worker_abort(worker):\n"
                    "    print('HOOK worker_abort', worker.pid, file=sys.stderr, flush=True)\n")
    with run_server(*APP, "-c", str(conf), "-w", "1", "--timeout", "2") as srv:
        [pid] = srv.wait_workers(1)
        t = threading.Thread(target=lambda: try_get(srv.host, srv.port, "/threads-sleep?s=30"),
                             daemon=True)
        t.start()
        srv.wait_for_output(r"WORKER TIMEOUT \(pid:%d\)" % pid, 10)
        m = srv.wait_for_output(r"Worker \(pid:%d\) aborted; thread stacks:" % pid, 5)
        srv.wait_for_output(r"HOOK worker_abort %d" % pid, 5)
        tail = srv.output()[m.start():]
        # the main thread in the app's sleep, and the app's helper thread
        assert "arbiter_testapp.py" in tail and "time.sleep(delay)" in tail
        assert "Thread arb-helper" in tail and "_helper_thread_sleep" in tail
        assert wait_until(lambda: srv.worker_pids() and pid not in srv.worker_pids(), 5)
        assert get(srv, "/")[0] == 200
        assert "Worker (pid:%d) exited with code 1" % pid in srv.output()


def test_worker_ignoring_sigabrt_gets_sigkill_next_round():
    with run_server(*APP, "-w", "1", "--timeout", "1") as srv:
        [pid] = srv.wait_workers(1)
        t = threading.Thread(target=lambda: try_get(srv.host, srv.port, "/sleep-noabort?s=30"),
                             daemon=True)
        t.start()
        srv.wait_for_output(r"WORKER TIMEOUT \(pid:%d\)" % pid, 10)
        srv.wait_for_output(r"Worker \(pid:%d\) was sent SIGKILL!" % pid, 5)
        assert wait_until(lambda: srv.worker_pids() and pid not in srv.worker_pids(), 5)
        assert get(srv, "/")[0] == 200


def test_usr1_reopens_logs_in_master_and_workers(tmp_path):
    err, acc = tmp_path / "error.log", tmp_path / "access.log"
    with run_server(*APP, "-w", "1", "--error-logfile", str(err), "--access-logfile", str(acc),
                    wait_ready=False) as srv:
        port = int(wait_file(str(err), r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))
        wait_file(str(err), r"Booting worker with pid: (\d+)")
        [worker] = srv.wait_workers(1)
        assert http_get("127.0.0.1", port, "/before")[0] == 200
        wait_file(str(acc), r"GET /before")
        os.rename(err, str(err) + ".1")
        os.rename(acc, str(acc) + ".1")
        srv.signal(signal.SIGUSR1)
        wait_file(str(err) + ".1", r"Handling signal: usr1")
        # the master writes its next lines to the new file
        srv.signal(signal.SIGWINCH)
        wait_file(str(err), r"Handling signal: winch")
        # the worker reopened its access and error logs too (it gets USR1 right after)
        assert wait_until(lambda: http_get("127.0.0.1", port, "/after")[0] == 200
                          and "GET /after" in acc.read_text(), 5, 0.1)
        assert http_get("127.0.0.1", port, "/error")[0] == 500
        wait_file(str(err), r"Error handling request /error")
        assert srv.worker_pids() == [worker]
        assert "GET /after" not in (tmp_path / "access.log.1").read_text()


@pytest.mark.parametrize("sig", ["TERM", "INT", "QUIT", "KILL"])
@each_worker
def test_no_worker_outlives_master(sig, worker):
    """Busy and idle workers are gone once the master is (parent-death signal + bounded drain)."""
    _skip_without_pre_request_line(worker)
    with run_server(*APP, *WORKER_ARGS[worker], "-w", "2", "--graceful-timeout", "1", "--log-level", "debug") as srv:
        workers = srv.wait_workers(2)
        t = threading.Thread(target=lambda: try_get(srv.host, srv.port, "/sleep?s=30"), daemon=True)
        t.start()
        srv.wait_for_output(r"\] GET /sleep")  # in flight (pre_request debug line)
        srv.signal(getattr(signal, "SIG" + sig))
        srv.proc.wait(10)
        gone_at = time.monotonic()
        assert wait_until(lambda: not any(alive(p) for p in workers), 5, 0.01)
        # parent-check interval: 0 when the master reaps them, graceful_timeout when orphaned
        # with margin for a loaded CI host: both far below the 30 s request
        assert time.monotonic() - gone_at < (4.0 if sig == "KILL" else 2.0)
