"""Module-level names that code written for gunicorn 25.0.3 imports.

Each name is imported the way such code does it, then its meaning is checked:
a re-export is the very object of its home module, a helper does what the
reference (section 14, section 1.5) says. Rewrites of the HTTP and worker
modules must keep these names.
"""

from __future__ import annotations

import importlib
import inspect
import os
import platform
import pwd
import signal
import subprocess
import sys
import threading
import time

import pytest

from gunicorn.http import errors as http_errors

# every HTTP error class a gunicorn 25.0 worker module imports and re-exposes
WORKER_BASE_ERRORS = [
    "ConfigurationProblem", "ExpectationFailed", "ForbiddenProxyRequest", "InvalidHeader",
    "InvalidHeaderName", "InvalidHTTPVersion", "InvalidProxyHeader", "InvalidProxyLine",
    "InvalidRequestLine", "InvalidRequestMethod", "InvalidSchemeHeaders", "LimitRequestHeaders",
    "LimitRequestLine", "ObsoleteFolding", "UnsupportedTransferCoding",
]
MESSAGE_ERRORS = [
    "ExpectationFailed", "ForbiddenProxyRequest", "InvalidHeader", "InvalidHeaderName",
    "InvalidHTTPVersion", "InvalidProxyHeader", "InvalidProxyLine", "InvalidRequestLine",
    "InvalidRequestMethod", "InvalidSchemeHeaders", "LimitRequestHeaders", "LimitRequestLine",
    "NoMoreData", "ObsoleteFolding", "UnsupportedTransferCoding",
]


@pytest.mark.parametrize("module, name", [
    ("gunicorn.reloader", "ReloaderBase"),
    ("gunicorn.util", "load_entry_point"),
    ("gunicorn.util", "get_username"),
    ("gunicorn.util", "hop_headers"),
    ("gunicorn.util", "positionals"),
    ("gunicorn.util", "SUPPORTED_WORKERS"),
    ("gunicorn.http.wsgi", "BLKSIZE"),
    ("gunicorn.http.wsgi", "SERVER"),
    ("gunicorn.http.wsgi", "SERVER_SOFTWARE"),
    ("gunicorn.config", "PLATFORM"),
    ("gunicorn.sock", "PLATFORM"),
    ("gunicorn.workers.workertmp", "PLATFORM"),
    ("gunicorn.config", "reloader_engines"),
    ("gunicorn.app.base", "Arbiter"),
    ("gunicorn.workers.base", "Response"),
    ("gunicorn.workers.base", "default_environ"),
    ("gunicorn.http.message", "bytes_to_str"),
    ("gunicorn.http.message", "split_request_uri"),
    ("gunicorn.http.body", "ChunkMissingTerminator"),
    *[("gunicorn.workers.base", n) for n in WORKER_BASE_ERRORS],
    *[("gunicorn.http.message", n) for n in MESSAGE_ERRORS],
])
def test_name_is_importable(module, name):
    # "from MODULE import NAME" in a fresh interpreter would fail the same way
    assert hasattr(importlib.import_module(module), name), "%s.%s is missing" % (module, name)


def test_reexported_errors_are_the_http_error_classes():
    from gunicorn.http import message
    from gunicorn.workers import base

    for name in WORKER_BASE_ERRORS:
        assert getattr(base, name) is getattr(http_errors, name), name
    for name in MESSAGE_ERRORS:
        assert getattr(message, name) is getattr(http_errors, name), name
    from gunicorn.http.body import ChunkMissingTerminator

    assert ChunkMissingTerminator is http_errors.ChunkMissingTerminator
    assert str(ChunkMissingTerminator(b"xx")) == "Invalid chunk terminator is not '\\r\\n': %r" % b"xx"


def test_worker_base_response_and_environ_are_the_wsgi_ones():
    from gunicorn.http import wsgi
    from gunicorn.workers.base import Response, default_environ

    assert Response is wsgi.Response
    assert default_environ is wsgi.default_environ
    assert list(inspect.signature(default_environ).parameters) == ["req", "sock", "cfg"]


def test_asgi_worker_and_arbiter_do_not_load_the_wsgi_modules():
    """The blocking request facades and the WSGI modules load on first use
    (``gunicorn.http.RequestParser``, ``gunicorn.workers.base.Response``),
    so the arbiter and the asgi worker do not hold them in memory."""
    code = (
        "import sys, gunicorn.app.wsgiapp, gunicorn.arbiter, gunicorn.workers.gasgi\n"
        "import gunicorn.http.core, gunicorn.http2.core, gunicorn.asgi.http1, gunicorn.asgi.http2\n"
        "print(sorted(m for m in sys.modules if m in ('gunicorn.http.wsgi', 'gunicorn.http.parser',"
        " 'gunicorn.http.message', 'gunicorn.http.wsgi_response', 'gunicorn.http.early_hints')))\n"
        "from gunicorn.http import Message, Request, RequestParser\n"
        "from gunicorn.workers.base import Response\n"
        "print(RequestParser.__module__, Message.__module__, Request.__module__, Response.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "[]", "gunicorn.http.parser gunicorn.http.message gunicorn.http.message gunicorn.http.wsgi_response"]
    from gunicorn import http
    from gunicorn.workers import base

    with pytest.raises(AttributeError):
        http.NoSuchName  # noqa: B018
    with pytest.raises(AttributeError):
        base.NoSuchName  # noqa: B018


def test_message_helpers_are_the_util_ones():
    from gunicorn import util
    from gunicorn.http.message import bytes_to_str, split_request_uri

    assert bytes_to_str is util.bytes_to_str and split_request_uri is util.split_request_uri
    assert bytes_to_str(b"caf\xe9") == "caf\xe9"  # latin-1, PEP 3333 native string
    parts = split_request_uri("//double/slash?q=1#f")
    assert (parts.path, parts.query, parts.fragment) == ("//double/slash", "q=1", "f")


def test_wsgi_server_names():
    import gunicorn
    from gunicorn.http.wsgi import BLKSIZE, SERVER, SERVER_SOFTWARE

    assert SERVER == "gunicorn"
    assert SERVER_SOFTWARE == "gunicorn/25.0.3" == gunicorn.SERVER_SOFTWARE
    assert BLKSIZE == 0x3FFFFFFF


def test_version_is_the_one_we_match():
    import gunicorn

    assert gunicorn.version_info == (25, 0, 3)
    assert gunicorn.__version__ == "25.0.3"


def test_platform_constants():
    from gunicorn import config, sock
    from gunicorn.workers import workertmp

    assert config.PLATFORM == sys.platform
    assert sock.PLATFORM == sys.platform
    # workertmp keeps gunicorn 25.0's spelling: platform.system() ("Linux")
    assert workertmp.PLATFORM == platform.system()
    assert workertmp.IS_CYGWIN == workertmp.PLATFORM.startswith("CYGWIN")


def test_reloader_engines_in_config():
    from gunicorn import config, reloader

    assert config.reloader_engines is reloader.reloader_engines
    assert set(config.reloader_engines) == {"auto", "poll", "inotify"}
    assert config.reloader_engines["poll"] is reloader.Reloader
    for engine in config.reloader_engines.values():
        assert issubclass(engine, reloader.ReloaderBase)


def test_reloader_base(tmp_path):
    from gunicorn.reloader import Reloader, ReloaderBase

    assert issubclass(ReloaderBase, threading.Thread)
    params = inspect.signature(ReloaderBase).parameters
    assert list(params) == ["extra_files", "interval", "callback"]
    assert params["extra_files"].default is None and params["interval"].default == 1
    assert params["callback"].default is None

    watched = tmp_path / "watched.txt"
    watched.write_text("a")
    base = ReloaderBase(extra_files=[str(watched)])
    assert base.daemon
    assert str(watched) in base.get_files()
    extra = tmp_path / "later.txt"
    base.add_extra_file(str(extra))
    assert str(extra) in base.get_files()

    # a subclass in the documented style: run() polls get_files(), callback on change
    changed = []
    poller = Reloader(extra_files=[str(watched)], interval=0.05, callback=changed.append)
    poller.start()
    deadline = time.monotonic() + 10
    mtime = os.stat(watched).st_mtime
    while not changed and time.monotonic() < deadline:
        mtime += 1  # a later mtime each round: the first scan may not have run yet
        os.utime(watched, (mtime, mtime))
        time.sleep(0.05)
    assert str(watched) in changed


def test_util_load_entry_point():
    from importlib.metadata import PackageNotFoundError

    from gunicorn.util import load_entry_point
    from gunicorn.workers.sync import SyncWorker

    assert list(inspect.signature(load_entry_point).parameters) == ["distribution", "group", "name"]
    assert load_entry_point("gunicorn", "gunicorn.workers", "sync") is SyncWorker
    with pytest.raises(ImportError, match="Entry point"):
        load_entry_point("gunicorn", "gunicorn.workers", "no-such-worker")
    with pytest.raises(PackageNotFoundError):
        load_entry_point("no-such-distribution-xyz", "gunicorn.workers", "sync")


def test_util_get_username():
    from gunicorn.util import get_username

    assert get_username(os.getuid()) == pwd.getpwuid(os.getuid()).pw_name
    assert get_username(0) == pwd.getpwuid(0).pw_name
    unused = max(u.pw_uid for u in pwd.getpwall()) + 12345
    with pytest.raises(KeyError):
        get_username(unused)


def test_util_hop_headers():
    from gunicorn.util import HOP_HEADERS, hop_headers, is_hoppish

    assert isinstance(hop_headers, set)
    assert hop_headers == {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailers", "transfer-encoding", "upgrade", "server", "date"}
    assert hop_headers == HOP_HEADERS
    assert all(is_hoppish(h.title()) for h in hop_headers)
    assert not is_hoppish("Content-Type")


def test_util_positionals_and_get_arity():
    from gunicorn.util import get_arity, positionals

    assert positionals == (inspect.Parameter.POSITIONAL_ONLY,
                           inspect.Parameter.POSITIONAL_OR_KEYWORD)

    def hook(a, b, /, c, d=1, *rest, e, **kw):
        pass

    assert get_arity(hook) == 4
    assert sum(p.kind in positionals for p in inspect.signature(hook).parameters.values()) == 4


def test_util_supported_workers():
    from gunicorn import util, workers

    assert util.SUPPORTED_WORKERS is workers.SUPPORTED_WORKERS
    assert util.SUPPORTED_WORKERS["sync"] == "gunicorn.workers.sync.SyncWorker"
    assert util.SUPPORTED_WORKERS["gthread"] == "gunicorn.workers.gthread.ThreadWorker"
    # gunicorn 25.0's whole table, so code reading it finds every short name
    assert set(util.SUPPORTED_WORKERS) == {
        "sync", "gthread", "gevent", "gevent_wsgi", "gevent_pywsgi", "eventlet", "tornado", "asgi"}


def test_app_base_arbiter_is_the_arbiter():
    from gunicorn import arbiter
    from gunicorn.app import base

    assert base.Arbiter is arbiter.Arbiter


def test_base_application_run_uses_the_module_arbiter(monkeypatch):
    """``gunicorn.app.base.Arbiter`` is what ``run()`` starts, so it can be replaced
    there (as code written for gunicorn 25.0 does in its tests)."""
    from gunicorn.app import base

    started = []

    class FakeArbiter:
        def __init__(self, app):
            started.append(app)

        def run(self):
            started.append("run")

    class App(base.BaseApplication):
        def load_config(self):
            pass

        def load(self):
            return None

    monkeypatch.setattr(base, "Arbiter", FakeArbiter)
    app = App()
    app.run()
    assert started == [app, "run"]


def test_arbiter_signal_chld_only_enqueues():
    import queue
    import types

    from gunicorn.arbiter import Arbiter

    assert list(inspect.signature(Arbiter.signal_chld).parameters) == ["self", "sig", "frame"]
    fake = types.SimpleNamespace(SIG_QUEUE=queue.SimpleQueue())
    Arbiter.signal_chld(fake, signal.SIGCHLD, None)
    assert fake.SIG_QUEUE.get_nowait() == signal.SIGCHLD
    assert fake.SIG_QUEUE.empty()


def test_arbiter_installs_signal_chld_for_sigchld():
    """init_signals() points SIGCHLD at signal_chld and the others at signal."""
    import logging
    import types

    from gunicorn.arbiter import Arbiter

    arbiter = Arbiter.__new__(Arbiter)
    arbiter.PIPE = []
    arbiter.log = types.SimpleNamespace(close_on_exec=lambda: None, debug=logging.debug)
    saved = {s: signal.getsignal(s) for s in [*Arbiter.SIGNALS, signal.SIGCHLD]}
    saved_wakeup = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(saved_wakeup)
    try:
        arbiter.init_signals()
        assert signal.getsignal(signal.SIGCHLD) == arbiter.signal_chld
        assert signal.getsignal(signal.SIGHUP) == arbiter.signal
    finally:
        signal.set_wakeup_fd(saved_wakeup)
        for s, handler in saved.items():
            signal.signal(s, handler)
        for fd in arbiter.PIPE:
            os.close(fd)
