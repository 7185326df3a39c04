"""Arbiter behaviour checked in-process, with os-level calls mocked where a
real one would fork, exec or signal the test runner."""

from __future__ import annotations

import logging
import os
import signal
from unittest import mock

import pytest

import gunicorn.arbiter
from gunicorn.app.base import BaseApplication


class TinyApp(BaseApplication):
    """An application whose settings come from ``overrides`` on every (re)load."""

    def __init__(self, overrides: dict | None = None) -> None:
        self.overrides = dict(overrides or {})
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.overrides.items():
            self.cfg.set(key, value)

    def load(self):
        def app(environ, start_response):
            start_response("200 OK", [])
            return [b""]
        return app


@pytest.fixture
def arbiter():
    # the code under test changes process-wide state (signal mask, wakeup fd,
    # process title); later tests start servers that would inherit it
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with mock.patch("gunicorn.util._setproctitle"):
        arb = gunicorn.arbiter.Arbiter(TinyApp())
        arb.LISTENERS = []
        yield arb
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    signal.set_wakeup_fd(-1)
    for handler in list(arb.log.error_log.handlers):
        if not getattr(handler, "_gunicorn", False):
            arb.log.error_log.removeHandler(handler)


@mock.patch.object(gunicorn.arbiter.Arbiter, "spawn_worker")
@mock.patch.object(gunicorn.arbiter.Arbiter, "manage_workers")
def test_hup_with_broken_logconfig_keeps_previous_logging(_manage, _spawn, arbiter, capsys):
    logger = arbiter.log
    assert logger.loglevel == logging.INFO
    arbiter.app.overrides = {
        "loglevel": "debug",
        "logconfig_dict": {"version": 1, "handlers": {"bad": {"class": "no.such.Handler"}}},
    }
    with mock.patch.object(logger, "error") as error:
        arbiter.reload()
    assert arbiter.log is logger
    assert logger.cfg is not arbiter.cfg  # still configured from the old settings
    assert logger.loglevel == logging.INFO
    assert logger.error_log.level == logging.INFO
    assert "reloading the logger configuration failed" in capsys.readouterr().err
    assert any("reloading the logger configuration failed" in str(c) for c in error.call_args_list)
    # the rest of the reload went on
    assert arbiter.cfg.loglevel == "debug"


@mock.patch.object(gunicorn.arbiter.Arbiter, "spawn_worker")
@mock.patch.object(gunicorn.arbiter.Arbiter, "manage_workers")
def test_hup_applies_new_log_level(_manage, _spawn, arbiter):
    arbiter.app.overrides = {"loglevel": "debug"}
    arbiter.reload()
    assert arbiter.log.loglevel == logging.DEBUG


@pytest.mark.parametrize("use_systemd", [False, True])
def test_reexec_uses_only_fork_and_execvpe(arbiter, use_systemd):
    first, second = mock.Mock(), mock.Mock()
    first.fileno.return_value, second.fileno.return_value = 3, 4
    arbiter.LISTENERS = [first, second]
    arbiter.systemd = use_systemd
    with mock.patch("os.fork", return_value=0), \
            mock.patch("os.execvpe") as execvpe, \
            mock.patch("os.getpid", side_effect=[2, 3]), \
            mock.patch("os._exit") as hard_exit:
        arbiter.reexec()
    hard_exit.assert_not_called()
    program, args, env = execvpe.call_args[0]
    assert program == arbiter.START_CTX[0] and args == arbiter.START_CTX["args"]
    assert env["GUNICORN_PID"] == "2"
    if use_systemd:
        assert (env["LISTEN_FDS"], env["LISTEN_PID"]) == ("2", "3")
        assert "GUNICORN_FD" not in env
    else:
        assert env["GUNICORN_FD"] == "3,4"


def test_reexec_refused_with_child_or_parent(arbiter):
    with mock.patch("os.fork") as fork:
        arbiter.reexec_pid = 12345
        arbiter.reexec()
        arbiter.reexec_pid, arbiter.master_pid = 0, 12345
        arbiter.reexec()
    fork.assert_not_called()


def test_wait_for_signals_never_returns_the_wakeup_marker(arbiter):
    arbiter.init_signals()
    try:
        arbiter.wakeup()
        arbiter.SIG_QUEUE.put_nowait(signal.SIGHUP)
        assert arbiter.wait_for_signals(timeout=0.1) == [signal.SIGHUP]
    finally:
        signal.set_wakeup_fd(-1)
        for num in [*arbiter.SIGNALS, signal.SIGCHLD]:
            signal.signal(num, signal.SIG_DFL)


def test_reaped_unknown_child_is_not_reported_as_a_worker(arbiter):
    calls = []
    arbiter.cfg.set("child_exit", lambda arb, w: calls.append(w))
    worker = mock.Mock()
    arbiter.WORKERS = {42: worker}
    statuses = [(999, 1 << 8), (42, 1 << 8), (0, 0)]
    with mock.patch("os.waitpid", side_effect=statuses), \
            mock.patch.object(arbiter.log, "error") as error, \
            mock.patch.object(arbiter.log, "debug") as debug:
        arbiter.reap_workers()
    logged = " ".join(str(c) for c in error.call_args_list)
    assert "999" not in logged and "42" in logged
    assert "999" in " ".join(str(c) for c in debug.call_args_list)
    worker.tmp.close.assert_called_once_with()
    assert calls == [worker] and 42 not in arbiter.WORKERS


def test_boot_error_exit_halts(arbiter):
    arbiter.WORKERS = {7: mock.Mock()}
    with mock.patch("os.waitpid", side_effect=[(7, 3 << 8), (0, 0)]):
        with pytest.raises(gunicorn.errors.HaltServer) as info:
            arbiter.reap_workers()
    assert info.value.exit_status == 3 and "failed to boot" in info.value.reason


def test_reuse_port_without_so_reuseport_keeps_master_listeners(arbiter):
    arbiter.cfg.set("reuse_port", True)
    listeners = [mock.Mock()]
    arbiter.LISTENERS = listeners
    worker = mock.Mock(sockets=listeners, booted=True)
    arbiter.worker_class = mock.Mock(return_value=worker)
    with mock.patch("gunicorn.arbiter.socket") as fake_socket, \
            mock.patch("gunicorn.sock.create_sockets") as create, \
            mock.patch("os.fork", return_value=0), \
            mock.patch.object(gunicorn.arbiter.Arbiter, "_become_worker"):
        del fake_socket.SO_REUSEPORT
        with pytest.raises(SystemExit) as info:
            arbiter.spawn_worker()
    assert info.value.code == 0
    create.assert_not_called()
    assert worker.sockets is listeners
    worker.init_process.assert_called_once_with()


def test_ttou_never_below_one(arbiter):
    with mock.patch.object(gunicorn.arbiter.Arbiter, "manage_workers") as manage:
        arbiter.num_workers = 1
        arbiter.handle_ttou()
        assert arbiter.num_workers == 1 and not manage.called
        arbiter.handle_ttin()
        assert arbiter.num_workers == 2 and manage.call_count == 1


def test_start_ctx_reexecs_the_interpreter(arbiter):
    ctx = arbiter.START_CTX
    assert ctx[0] == ctx["args"][0]
    assert ctx["cwd"] == os.getcwd() or os.path.samefile(ctx["cwd"], os.getcwd())


def test_failing_child_exit_hook_does_not_stop_reaping(arbiter):
    # an exception from the hook used to escape reap_workers() into the main
    # loop, which then stopped the whole server
    def hook(arb, worker):
        raise RuntimeError("hook bug")

    arbiter.cfg.set("child_exit", hook)
    first, second = mock.Mock(), mock.Mock()
    arbiter.WORKERS = {41: first, 42: second}
    statuses = [(41, 0), (42, 0), (0, 0)]
    with mock.patch("os.waitpid", side_effect=statuses), \
            mock.patch.object(arbiter.log, "exception") as logged:
        arbiter.reap_workers()
    assert arbiter.WORKERS == {}
    first.tmp.close.assert_called_once_with()
    second.tmp.close.assert_called_once_with()
    assert logged.call_count == 2
