"""Every server hook fires, in the right process, with the right argument types.

A real server runs with a configuration file whose hooks append one JSON line
per call to a marker file.
"""

from __future__ import annotations

import json
import os
import urllib.request

from tests.support.server import run_server

HOOKS_CONFIG = '''
import json, os

MARKER = os.environ["HOOK_MARKER_FILE"]


def _mark(hook, *args, **extra):
    record = {"hook": hook, "pid": os.getpid(), "types": [type(a).__name__ for a in args]}
    record.update(extra)
    fd = os.open(MARKER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(record) + "\\n").encode())
    finally:
        os.close(fd)


workers = 1
worker_class = "sync"
graceful_timeout = 5


def on_starting(server):
    _mark("on_starting", server)


def when_ready(server):
    _mark("when_ready", server)


def pre_fork(server, worker):
    _mark("pre_fork", server, worker)


def post_fork(server, worker):
    _mark("post_fork", server, worker, worker_pid=worker.pid)


def post_worker_init(worker):
    _mark("post_worker_init", worker, has_wsgi=callable(worker.wsgi))


def pre_request(worker, req):
    _mark("pre_request", worker, req, method=req.method, path=req.path)


def post_request(worker, req, environ, resp):
    _mark("post_request", worker, req, environ, resp, status=str(resp.status),
          path_info=environ.get("PATH_INFO"))


def child_exit(server, worker):
    _mark("child_exit", server, worker)


def worker_exit(server, worker):
    _mark("worker_exit", server, worker)


def nworkers_changed(server, new_value, old_value):
    _mark("nworkers_changed", server, new=new_value, old=old_value)


def on_exit(server):
    _mark("on_exit", server)
'''

APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hooked"]
'''


def _records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_every_hook_fires(tmp_path):
    marker = tmp_path / "hooks.jsonl"
    (tmp_path / "hook_conf.py").write_text(HOOKS_CONFIG)
    (tmp_path / "hookapp.py").write_text(APP)
    env = {"HOOK_MARKER_FILE": str(marker)}

    with run_server("-c", str(tmp_path / "hook_conf.py"), "--chdir", str(tmp_path),
                    "hookapp:app", env=env, cwd=str(tmp_path)) as srv:
        with urllib.request.urlopen(srv.url + "/some/path?x=1", timeout=10) as resp:
            assert resp.read() == b"hooked"
        master = srv.pid
        code = srv.stop()
    assert code == 0, srv.output()

    records = _records(marker)
    by_hook: dict[str, list[dict]] = {}
    for rec in records:
        by_hook.setdefault(rec["hook"], []).append(rec)

    expected = {"on_starting", "when_ready", "pre_fork", "post_fork", "post_worker_init",
                "pre_request", "post_request", "child_exit", "worker_exit",
                "nworkers_changed", "on_exit"}
    assert expected <= set(by_hook), (sorted(by_hook), srv.output())

    def one(hook):
        return by_hook[hook][0]

    # master-side hooks get the Arbiter
    for hook in ("on_starting", "when_ready", "on_exit"):
        assert one(hook)["pid"] == master
        assert one(hook)["types"] == ["Arbiter"]
    for hook in ("pre_fork", "child_exit"):
        assert one(hook)["pid"] == master
        assert one(hook)["types"] == ["Arbiter", "SyncWorker"]

    nw = one("nworkers_changed")
    assert nw["pid"] == master and nw["types"] == ["Arbiter"]
    assert (nw["new"], nw["old"]) == (1, None)

    # worker-side hooks run in the forked worker
    worker_pid = one("post_fork")["pid"]
    assert worker_pid != master
    assert one("post_fork")["types"] == ["Arbiter", "SyncWorker"]
    assert one("post_fork")["worker_pid"] == worker_pid
    assert one("post_worker_init") == {"hook": "post_worker_init", "pid": worker_pid,
                                       "types": ["SyncWorker"], "has_wsgi": True}
    assert one("worker_exit")["pid"] == worker_pid
    assert one("worker_exit")["types"] == ["Arbiter", "SyncWorker"]

    pre = one("pre_request")
    assert pre["pid"] == worker_pid
    assert pre["types"][0] == "SyncWorker" and pre["types"][1] == "Request"
    assert (pre["method"], pre["path"]) == ("GET", "/some/path")

    post = one("post_request")
    assert post["pid"] == worker_pid
    assert post["types"][:3] == ["SyncWorker", "Request", "dict"]
    assert post["types"][3] == "Response"
    assert post["status"].startswith("200")
    assert post["path_info"] == "/some/path"

    # ordering in the master: starting, then ready, then (eventually) exit
    master_order = [r["hook"] for r in records if r["pid"] == master]
    assert master_order.index("on_starting") < master_order.index("when_ready")
    assert master_order[-1] == "on_exit"
    assert os.path.exists(marker)


def test_two_argument_post_request_and_dotted_hook(tmp_path):
    marker = tmp_path / "m.txt"
    (tmp_path / "hookmod_for_test.py").write_text(
        "import os\n"
        "def ready(server):\n"
        "    open(os.environ['HOOK_MARKER_FILE'], 'a').write('ready\\n')\n")
    (tmp_path / "c.py").write_text(
        "import os\n"
        "when_ready = 'hookmod_for_test.ready'\n"
        "def post_request(worker, req):\n"
        "    open(os.environ['HOOK_MARKER_FILE'], 'a').write('post %s\\n' % req.path)\n")
    (tmp_path / "hookapp2.py").write_text(APP)
    # The server's working directory (tmp_path) is on sys.path: the dotted hook imports.
    env = {"HOOK_MARKER_FILE": str(marker)}
    with run_server("-c", str(tmp_path / "c.py"), "hookapp2:app", env=env,
                    cwd=str(tmp_path)) as srv:
        with urllib.request.urlopen(srv.url + "/p", timeout=10) as resp:
            resp.read()
        srv.stop()
    lines = marker.read_text().splitlines()
    assert lines[0] == "ready"
    assert "post /p" in lines


SIGNAL_HOOKS_CONFIG = '''
import json, os

MARKER = os.environ["HOOK_MARKER_FILE"]


def _mark(hook, *args):
    line = json.dumps({"hook": hook, "pid": os.getpid(),
                       "types": [type(a).__name__ for a in args]}) + "\\n"
    fd = os.open(MARKER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


workers = 1
timeout = 1
graceful_timeout = 3


def on_reload(server):
    _mark("on_reload", server)


def worker_int(worker):
    _mark("worker_int", worker)


def worker_abort(worker):
    _mark("worker_abort", worker)
'''

SLOW_APP = '''
import time

def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(10)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
'''


def _wait_for_hook(path, hook, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            found = [r for r in _records(path) if r["hook"] == hook]
            if found:
                return found[0]
        time.sleep(0.05)
    raise AssertionError("hook %s did not fire" % hook)


def _get_with_retry(url, timeout=15.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_signal_hooks(tmp_path):
    import signal
    import socket

    marker = tmp_path / "sig.jsonl"
    (tmp_path / "sig_conf.py").write_text(SIGNAL_HOOKS_CONFIG)
    (tmp_path / "slowapp.py").write_text(SLOW_APP)
    env = {"HOOK_MARKER_FILE": str(marker)}
    with run_server("-c", str(tmp_path / "sig_conf.py"), "slowapp:app", env=env,
                    cwd=str(tmp_path)) as srv:
        # SIGHUP: the master reloads its configuration
        os.kill(srv.pid, signal.SIGHUP)
        rec = _wait_for_hook(marker, "on_reload")
        assert rec["pid"] == srv.pid and rec["types"] == ["Arbiter"]

        # a request that outlives ``timeout``: the master aborts the worker
        _get_with_retry(srv.url + "/")
        conn = socket.create_connection((srv.host, srv.port), timeout=15)
        try:
            conn.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            rec = _wait_for_hook(marker, "worker_abort", timeout=15)
            assert rec["pid"] != srv.pid and rec["types"] == ["SyncWorker"]
        finally:
            conn.close()

        # SIGQUIT: quick shutdown, each worker runs worker_int. First make sure the
        # replacement worker is serving (its signal handlers are installed).
        _get_with_retry(srv.url + "/")
        srv.stop(signal.SIGQUIT)
    rec = _wait_for_hook(marker, "worker_int", timeout=5)
    assert rec["pid"] != srv.pid and rec["types"] == ["SyncWorker"]
