"""Process life of the greenlet workers under a real master: graceful TERM
with a request in flight, QUIT, HUP reload, TTIN/TTOU, ``max_requests``
restart and the arbiter's timeout kill of a worker whose hub is blocked.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest

from tests.support.server import run_server
from tests.workers_async.conftest import APP, ResponseReader, connect, env_of, get, wait_until


def _pid_served(srv) -> int:
    with connect(srv) as sock:
        sock.sendall(get("/env"))
        return int(env_of(ResponseReader(sock).response()[2])["pid"])


def test_term_lets_the_request_in_flight_finish(worker):
    with run_server("-k", worker, "-w", "1", "--graceful-timeout", "10", APP) as srv:
        result: dict[str, object] = {}

        def client() -> None:
            with connect(srv) as sock:
                sock.sendall(get("/sleep?1.5", "X-Announce: term-test\r\n"))
                result["response"] = ResponseReader(sock).response()

        t = threading.Thread(target=client)
        t.start()
        try:
            srv.wait_for_output(r"request in flight: term-test")
            # an idle keep-alive connection must not hold the shutdown back
            idle = connect(srv)
            idle.sendall(get("/idle"))
            ResponseReader(idle).response()
            started = time.monotonic()
            srv.signal(signal.SIGTERM)
            assert srv.proc.wait(10) == 0
            stopped = time.monotonic() - started
            idle.close()
        finally:
            t.join(10)
        status, _, body = result["response"]
        assert (status, body) == (200, b"slept\n")
        assert stopped < 5, "shutdown waited %.1fs" % stopped
        assert "Worker graceful timeout" not in srv.output()


def test_term_past_graceful_timeout_cuts_the_request(worker):
    with run_server("-k", worker, "-w", "1", "--graceful-timeout", "1", APP) as srv:
        with connect(srv) as sock:
            sock.sendall(get("/sleep?30", "X-Announce: slow\r\n"))
            srv.wait_for_output(r"request in flight: slow")
            started = time.monotonic()
            srv.signal(signal.SIGTERM)
            assert srv.proc.wait(15) == 0
            assert time.monotonic() - started < 8
            sock.settimeout(5)
            try:
                assert sock.recv(100) == b""
            except ConnectionResetError:
                pass


def test_quit_exits_at_once(worker):
    with run_server("-k", worker, "-w", "1", "--graceful-timeout", "30", APP) as srv:
        with connect(srv) as sock:
            sock.sendall(get("/sleep?30", "X-Announce: quit\r\n"))
            srv.wait_for_output(r"request in flight: quit")
            started = time.monotonic()
            srv.signal(signal.SIGQUIT)
            srv.proc.wait(15)
            assert time.monotonic() - started < 8


def test_hup_replaces_the_worker(worker):
    with run_server("-k", worker, "-w", "1", APP) as srv:
        old = srv.wait_workers(1)
        assert _pid_served(srv) == old[0]
        srv.signal(signal.SIGHUP)
        new = wait_until(lambda: [p for p in srv.worker_pids() if p not in old and
                                  len(srv.worker_pids()) == 1], 15)
        assert new, srv.output()
        assert _pid_served(srv) == new[0]


def test_ttin_ttou(worker):
    with run_server("-k", worker, "-w", "1", APP) as srv:
        srv.wait_workers(1)
        srv.signal(signal.SIGTTIN)
        srv.wait_workers(2, timeout=15)
        srv.signal(signal.SIGTTOU)
        pids = srv.wait_workers(1, timeout=15)
        assert _pid_served(srv) in pids


def test_max_requests_restarts_the_worker(worker):
    with run_server("-k", worker, "-w", "1", "--max-requests", "3", APP) as srv:
        first = srv.wait_workers(1)[0]
        with connect(srv) as sock:
            reader = ResponseReader(sock)
            for n in range(3):
                sock.sendall(get("/n%d" % n))
                assert reader.response()[0] == 200
        srv.wait_for_output(r"Autorestarting worker after current request")
        fresh = wait_until(lambda: [p for p in srv.worker_pids() if p != first], 15)
        assert fresh, srv.output()
        assert _pid_served(srv) == fresh[0]


@pytest.mark.parametrize("worker_name", ["gevent", "eventlet"])
def test_timeout_kills_a_blocked_worker(worker_name):
    with run_server("-k", worker_name, "-w", "1", "--timeout", "2", APP) as srv:
        first = srv.wait_workers(1)[0]
        with connect(srv, timeout=20) as sock:
            # busy CPU never yields to the hub: no heartbeat
            sock.sendall(get("/spin?30"))
            srv.wait_for_output(r"WORKER TIMEOUT \(pid:%d\)" % first, timeout=20)
        fresh = wait_until(lambda: [p for p in srv.worker_pids() if p != first], 15)
        assert fresh, srv.output()
        assert _pid_served(srv) == fresh[0]


@pytest.mark.parametrize("worker_name", ["gevent", "eventlet"])
def test_reload_on_source_change(worker_name, tmp_path):
    """--reload: the watcher runs on an OS thread, so the worker keeps
    serving while it waits, and a changed module brings a fresh worker."""
    module = tmp_path / "reload_app.py"
    module.write_text("def app(environ, start_response):\n"
                      "    start_response('200 OK', [('Content-Length', '3')])\n"
                      "    return [b'one']\n")
    with run_server("-k", worker_name, "-w", "1", "--reload", "--chdir", str(tmp_path),
                    "reload_app:app") as srv:
        first = srv.wait_workers(1)[0]
        with connect(srv) as sock:
            sock.sendall(get("/"))
            assert ResponseReader(sock).response()[2] == b"one"
        source = module.read_text().replace("b'one'", "b'two'")

        def changed_and_seen():
            # the watcher records the first state when it starts: write until it notices
            module.write_text(source)
            later = time.time() + 2
            os.utime(module, (later, later))
            return re.search(r"Worker reloading: .*reload_app\.py modified", srv.output())

        assert wait_until(changed_and_seen, 15, step=0.3), srv.output()

        def served_two():
            try:
                with connect(srv, timeout=2) as sock:
                    sock.sendall(get("/"))
                    return ResponseReader(sock).response()[2] == b"two"
            except OSError:
                return False

        assert wait_until(served_two, 15), srv.output()
        assert first not in srv.worker_pids()
