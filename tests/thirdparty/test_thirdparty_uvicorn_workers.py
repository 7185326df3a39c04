"""Third-party workers that subclass gunicorn.workers.base.Worker run unmodified:
``uvicorn.workers.UvicornWorker`` (package uvicorn) and ``uvicorn_worker.UvicornWorker``
(package uvicorn-worker). Every signal in Arbiter.SIGNALS is sent and its effect checked,
as uvicorn's own gunicorn tests do, and a broken app makes the master exit 3."""

import signal

import pytest

from gunicorn.arbiter import Arbiter
from tests.arbiter.arbiter_helpers import alive, stop_master, try_get, wait_until
from tests.support.server import GunicornServer, children_of, run_server

WORKERS = ["uvicorn.workers.UvicornWorker", "uvicorn_worker.UvicornWorker"]
COMMON = ("--pythonpath", "tests/workers/apps", "--graceful-timeout", "1",
          "--log-level", "debug")


def _args(worker, app="arbiter_asgiapp:app", workers=1):
    return ("-k", worker, *COMMON, "-w", str(workers), app)


def _pid(srv):
    r = try_get(srv.host, srv.port, "/pid")
    return int(r[1]) if r and r[0] == 200 else None


def _signal_and_wait(srv, sig):
    """Send ``sig`` to the master and wait for its ``Handling signal:`` line."""
    start = len(srv.output())
    srv.signal(sig)
    srv.wait_for_output(r"Handling signal: %s\b" % Arbiter.SIG_NAMES[sig], 10, start=start)
    return start


def test_signal_list_is_the_reference_one():
    names = [Arbiter.SIG_NAMES[s] for s in Arbiter.SIGNALS]
    assert names == ["hup", "quit", "int", "term", "ttin", "ttou", "usr1", "usr2", "winch"]


@pytest.mark.parametrize("worker", WORKERS)
def test_serves_and_honours_every_live_signal(worker):
    with run_server(*_args(worker)) as srv:
        srv.wait_for_output(r"Application startup complete", 10)
        [first] = srv.wait_workers(1)
        assert try_get(srv.host, srv.port, "/") == (200, b"asgi ok")
        assert _pid(srv) == first

        # HUP: a new worker replaces the old one
        _signal_and_wait(srv, signal.SIGHUP)
        assert wait_until(lambda: srv.worker_pids() and first not in srv.worker_pids(), 10)
        [second] = srv.wait_workers(1)
        assert wait_until(lambda: _pid(srv) == second, 10)

        # TTIN / TTOU: one more, one fewer
        _signal_and_wait(srv, signal.SIGTTIN)
        srv.wait_workers(2)
        _signal_and_wait(srv, signal.SIGTTOU)
        srv.wait_workers(1)

        # USR1 (reopen logs) and WINCH (ignored when not daemonised): workers untouched
        [current] = srv.worker_pids()
        _signal_and_wait(srv, signal.SIGUSR1)
        _signal_and_wait(srv, signal.SIGWINCH)
        srv.wait_for_output(r"SIGWINCH ignored")
        assert srv.worker_pids() == [current]
        assert _pid(srv) == current

        # USR2: a new master with its own worker serves from the same listener
        _signal_and_wait(srv, signal.SIGUSR2)
        assert wait_until(lambda: set(children_of(srv.pid)) - {current}, 10)
        new_master = (set(children_of(srv.pid)) - {current}).pop()
        try:
            assert wait_until(lambda: len(children_of(new_master)) == 1, 15)
            [new_worker] = children_of(new_master)
            assert wait_until(lambda: _pid(srv) == new_worker, 15, 0.01)
        finally:
            stop_master(new_master)
        assert wait_until(lambda: _pid(srv) == current, 10)

        # TERM: graceful stop
        start = len(srv.output())
        assert srv.stop() == 0
        srv.wait_for_output(r"Handling signal: term", 5, start=start)
        assert not alive(current)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT])
@pytest.mark.parametrize("worker", WORKERS)
def test_quick_stop_signals(worker, sig):
    with run_server(*_args(worker, workers=2)) as srv:
        srv.wait_for_output(r"Application startup complete", 10)
        workers = srv.wait_workers(2)
        assert try_get(srv.host, srv.port, "/") == (200, b"asgi ok")
        srv.signal(sig)
        assert srv.proc.wait(10) == 0
        assert "Handling signal: %s" % Arbiter.SIG_NAMES[sig] in srv.output()
        assert wait_until(lambda: not any(alive(p) for p in workers), 3)


@pytest.mark.parametrize("app", ["arbiter_asgiapp:startup_fails", "arbiter_asgi_broken:app"])
@pytest.mark.parametrize("worker", WORKERS)
def test_broken_app_fails_to_boot(worker, app):
    srv = GunicornServer(list(_args(worker, app=app)))
    try:
        code = srv.proc.wait(20)
    finally:
        if srv.proc.poll() is None:
            srv.kill()
    srv._reader.join(2)
    out = srv.output()
    assert code == Arbiter.WORKER_BOOT_ERROR, out
    assert "Worker failed to boot." in out
    assert "Reason: Worker failed to boot." in out
