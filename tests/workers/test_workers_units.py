"""Worker base pieces that run without forking: WorkerTmp, reloader, constants, handle_error."""

import os
import signal
import socket
import sys
import threading
import time

import pytest

from gunicorn import reloader
from gunicorn.config import Config
from gunicorn.workers import SUPPORTED_WORKERS
from gunicorn.workers.base import Worker
from gunicorn.workers.workertmp import WorkerTmp


def test_supported_workers():
    assert SUPPORTED_WORKERS["sync"] == "gunicorn.workers.sync.SyncWorker"
    assert SUPPORTED_WORKERS["gthread"] == "gunicorn.workers.gthread.ThreadWorker"
    assert SUPPORTED_WORKERS["asgi"] == "gunicorn.workers.gasgi.ASGIWorker"
    assert SUPPORTED_WORKERS["gevent_pywsgi"] == SUPPORTED_WORKERS["gevent_wsgi"]


def test_workertmp_heartbeat_is_monotonic_and_unlinked(tmp_path):
    cfg = Config()
    cfg.set("worker_tmp_dir", str(tmp_path))
    tmp = WorkerTmp(cfg)
    try:
        assert os.listdir(tmp_path) == []
        tmp.notify()
        assert abs(tmp.last_update() - time.monotonic()) < 1.0
        assert isinstance(tmp.fileno(), int)
    finally:
        tmp.close()
    with pytest.raises(ValueError):
        tmp.last_update()


def test_workertmp_missing_dir(tmp_path):
    cfg = Config()
    cfg.set("worker_tmp_dir", str(tmp_path / "nope"))
    with pytest.raises(RuntimeError, match="doesn't exist"):
        WorkerTmp(cfg)


def test_worker_attributes():
    cfg = Config()
    cfg.set("max_requests", 10)
    cfg.set("max_requests_jitter", 5)
    w = Worker(1, os.getpid(), [], None, 15.0, cfg, None)
    try:
        assert w.pid == "[booting]"
        assert w.alive and not w.booted and not w.aborted
        assert w.nr == 0 and w.timeout == 15.0 and w.age == 1
        assert 10 <= w.max_requests <= 15
        assert str(w) == "<Worker [booting]>"
        assert signal.SIGCHLD in Worker.SIGNALS and signal.SIGABRT in Worker.SIGNALS
        with pytest.raises(NotImplementedError):
            w.run()
    finally:
        w.tmp.close()
    w2 = Worker(2, os.getpid(), [], None, 15.0, Config(), None)
    assert w2.max_requests == sys.maxsize
    w2.tmp.close()


class _Log:
    def __init__(self):
        self.lines = []

    def _add(self, level, msg, *args, **kw):
        self.lines.append((level, msg % args if args else msg))

    def warning(self, msg, *a, **kw):
        self._add("warning", msg, *a)

    def exception(self, msg, *a, **kw):
        self._add("exception", msg, *a)

    def debug(self, msg, *a, **kw):
        self._add("debug", msg, *a)

    def access(self, *a, **kw):
        self.lines.append(("access", ""))


def _error_response(exc, req=None):
    w = Worker(1, os.getpid(), [], None, 15.0, Config(), _Log())
    w.tmp.close()
    a, b = socket.socketpair()
    try:
        w.handle_error(req, a, ("10.0.0.1", 1234), exc)
        a.close()
        data = b""
        b.settimeout(2)
        while True:
            chunk = b.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        b.close()
    return data, w.log.lines


def test_handle_error_uses_status_code_of_gunicorn_errors():
    import gunicorn.http.errors as errors

    exc = errors.LimitRequestHeaders("too many headers")
    data, lines = _error_response(exc)
    assert data.startswith(b"HTTP/1.1 431 ")
    assert ("warning", "Invalid request from ip=10.0.0.1: too many headers") in lines


def test_handle_error_other_exception_is_500_without_traceback():
    try:
        raise KeyError("secret-detail")
    except KeyError as e:
        data, lines = _error_response(e)
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error")
    assert b"secret-detail" not in data
    assert any(level == "exception" for level, _ in lines)


def test_handle_error_ignores_status_code_of_foreign_exceptions():
    class AppError(Exception):
        status_code = 404
        reason = "Not Found"

    data, _ = _error_response(AppError("x"))
    assert data.startswith(b"HTTP/1.1 500 ")


def test_poll_reloader_detects_change_and_globs(tmp_path):
    target = tmp_path / "watched.txt"
    target.write_text("a")
    changed = []
    r = reloader.Reloader(extra_files=[str(tmp_path / "*.txt")], interval=0.05,
                          callback=changed.append)
    assert str(target) in r.get_files()
    r.start()
    # the first scan only records mtimes, and when it runs on a loaded host is
    # unknown: touch (later each time) until a change is reported
    deadline = time.monotonic() + 10
    n = 0
    while not changed and time.monotonic() < deadline:
        n += 1
        later = time.time() + 5 + n
        os.utime(target, (later, later))
        time.sleep(0.1)
    assert changed and set(changed) == {str(target)}
    # a file created later matches the glob on the next check
    assert str(tmp_path / "new.txt") not in r.get_files()
    (tmp_path / "new.txt").write_text("b")
    assert str(tmp_path / "new.txt") in r.get_files()


def _change_recorder():
    """(event, seen, callback): the callback appends the file name and sets the event."""
    event = threading.Event()
    seen = []

    def cb(fname):
        seen.append(fname)
        event.set()

    return event, seen, cb


def test_inotify_reloader(tmp_path):
    target = tmp_path / "watched.cfg"
    target.write_text("a")
    event, seen, cb = _change_recorder()
    r = reloader.InotifyReloader(extra_files=[str(target)], callback=cb)
    r.start()
    (tmp_path / "other.txt").write_text("ignored")
    target.write_text("b")
    assert event.wait(3)
    assert seen[0] == str(target)


def test_reloader_engines():
    assert set(reloader.reloader_engines) == {"auto", "poll", "inotify"}
    assert reloader.reloader_engines["poll"] is reloader.Reloader


def test_inotify_reloader_glob_matches_files_created_later(tmp_path):
    assert reloader.has_inotify
    (tmp_path / "sub").mkdir()
    event, seen, cb = _change_recorder()
    r = reloader.InotifyReloader(extra_files=[str(tmp_path / "sub" / "*.cfg")], callback=cb)
    r.start()
    (tmp_path / "sub" / "ignored.txt").write_text("x")
    (tmp_path / "sub" / "late.cfg").write_text("x")
    assert event.wait(3)
    assert seen[0] == str(tmp_path / "sub" / "late.cfg")


def test_reloader_auto_prefers_inotify():
    assert reloader.reloader_engines["auto"] is reloader.InotifyReloader


def test_worker_keeps_every_reference_member():
    """Reference section 2.2: what third-party workers (uvicorn, geventwebsocket) use."""
    names = ["SIGNALS", "PIPE", "notify", "run", "init_process", "load_wsgi", "init_signals",
             "handle_usr1", "handle_exit", "handle_quit", "handle_abort", "handle_winch",
             "handle_error", "__str__"]
    for name in names:
        assert hasattr(Worker, name), name
    assert Worker.SIGNALS == [signal.SIGABRT, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT,
                              signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH,
                              signal.SIGCHLD]
    cfg = Config()
    sockets = [object()]
    app = object()
    log = object()
    w = Worker(3, 42, sockets, app, 7.5, cfg, log)
    try:
        attrs = {"age": 3, "pid": "[booting]", "ppid": 42, "sockets": sockets, "app": app,
                 "timeout": 7.5, "cfg": cfg, "log": log, "booted": False, "aborted": False,
                 "alive": True, "nr": 0, "reloader": None, "wsgi": None}
        for name, value in attrs.items():
            assert getattr(w, name) == value, name
        assert w.max_requests == sys.maxsize
        assert isinstance(w.tmp, WorkerTmp)
        assert isinstance(w.wait_fds, list)
    finally:
        w.tmp.close()


def test_load_class_short_names_and_paths():
    from gunicorn import util
    from gunicorn.workers.sync import SyncWorker

    assert util.load_class("sync") is SyncWorker
    assert util.load_class("#sync") is SyncWorker
    assert util.load_class("gunicorn.workers.sync.SyncWorker") is SyncWorker
    assert util.load_class(SyncWorker) is SyncWorker
    with pytest.raises(RuntimeError, match="class uri 'nope' invalid or not found"):
        util.load_class("nope")


def test_sync_worker_survives_descriptor_exhaustion(monkeypatch):
    # EMFILE on accept() used to propagate and kill the worker
    import errno

    from gunicorn.workers import netio, sync

    monkeypatch.setattr(netio, "ACCEPT_BACKOFF", 0.0)
    w = sync.SyncWorker.__new__(sync.SyncWorker)
    w.alive = True
    w.sockets = ["listener"]
    w.notify = lambda: None
    warnings = []

    class Log:
        def warning(self, msg, *args):
            warnings.append(msg % args)

    w.log = Log()
    calls = []

    def acceptor():
        calls.append(1)
        if len(calls) == 2:
            w.alive = False
        raise OSError(errno.EMFILE, "Too many open files")

    w._listener_info = {"listener": netio.Listener("listener", -1, None, acceptor, False)}
    w.run_for_one(1.0)
    assert len(calls) == 2
    assert len(warnings) == 2 and "Too many open files" in warnings[0]


def test_inotify_reloader_watches_extra_files_before_the_thread_runs(tmp_path):
    # a change between construction/start() and the thread's first scan used
    # to be lost: the directories were only watched once run() began
    assert reloader.has_inotify
    target = tmp_path / "early.cfg"
    target.write_text("a")
    event, seen, cb = _change_recorder()
    r = reloader.InotifyReloader(extra_files=[str(target)], callback=cb)
    assert str(tmp_path) in r.get_dirs()
    target.write_text("b")  # before start()
    r.start()
    assert event.wait(5)
    assert seen[0] == str(target)
