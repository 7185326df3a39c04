"""Arbiter process behaviour: exit codes, pidfile, binds, systemd, hooks, USR2."""

import os
import re
import signal
import socket

import pytest

from tests.arbiter.arbiter_helpers import (
    Load,
    alive,
    http_get,
    proc_stat,
    stop_master,
    title,
    unix_get,
    wait_until,
)
from tests.support.server import GunicornServer, children_of, run_server

HERE = os.path.dirname(os.path.abspath(__file__))
APP = ("--pythonpath", "tests/workers/apps", "arbiter_testapp:app")


get = http_get


def run_to_exit(*args, timeout=20):
    srv = GunicornServer(list(args))
    try:
        code = srv.proc.wait(timeout)
        srv._reader.join(2)
        return code, srv.output()
    finally:
        if srv.proc.poll() is None:
            srv.kill()


def test_boot_failure_exits_3():
    code, out = run_to_exit("-w", "2", "--chdir", "examples", "boot_fail:app")
    assert code == 3
    assert "Worker failed to boot." in out
    assert "Reason: Worker failed to boot." in out
    assert "Shutting down: Master" in out


def test_app_load_failure_exits_4():
    code, out = run_to_exit("-w", "1", "--pythonpath", "tests/workers/apps",
                            "arbiter_testapp:does_not_exist")
    assert code == 4
    assert "Reason: App failed to load." in out


def test_pidfile_written_and_removed(tmp_path):
    pidfile = tmp_path / "gunicorn.pid"
    with run_server(*APP, "-p", str(pidfile)) as srv:
        assert int(pidfile.read_text()) == srv.pid
        assert srv.stop() == 0
    assert not pidfile.exists()


def test_pidfile_of_live_process_refuses_start(tmp_path):
    pidfile = tmp_path / "gunicorn.pid"
    pidfile.write_text("%d\n" % os.getpid())
    code, out = run_to_exit(*APP, "-p", str(pidfile))
    assert code != 0
    assert "Already running on PID %d" % os.getpid() in out
    assert pidfile.read_text() == "%d\n" % os.getpid()


def test_unix_socket_bind(tmp_path):
    path = str(tmp_path / "g.sock")
    with run_server(*APP, bind="unix:" + path, wait_ready=False) as srv:
        srv.wait_for_output(r"Listening at: unix:%s \(\d+\)" % re.escape(path))
        srv.wait_for_output(r"Booting worker")
        data = unix_get(path)
        assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"ok")
        assert srv.stop() == 0
    assert not os.path.exists(path)


def test_several_binds(tmp_path):
    path = str(tmp_path / "g.sock")
    with run_server(*APP, "-b", "127.0.0.1:0", "-b", "unix:" + path) as srv:
        assert len(srv.urls) == 3
        ports = [int(u.rsplit(":", 1)[1]) for u in srv.urls if u.startswith("http://")]
        assert len(set(ports)) == 2
        for port in ports:
            assert get("127.0.0.1", port) == (200, b"ok")
        assert unix_get(path).endswith(b"ok")


def test_ipv6_bind():
    with run_server(*APP, bind="[::1]:0") as srv:
        assert srv.url.startswith("http://[::1]:")
        assert get("::1", srv.port) == (200, b"ok")


def test_fd_bind():
    launcher = os.path.join(HERE, "arbiter_launcher.py")
    with run_server(*APP, bind=None, module_args=[launcher, "fd"]) as srv:
        assert get(srv.host, srv.port) == (200, b"ok")


def test_systemd_socket_activation(tmp_path):
    notify_path = str(tmp_path / "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(10)
    launcher = os.path.join(HERE, "arbiter_launcher.py")
    try:
        with run_server(*APP, bind=None, module_args=[launcher, "systemd"],
                        env={"NOTIFY_SOCKET": notify_path}) as srv:
            msg = notify.recv(4096)
            assert msg == b"READY=1\nSTATUS=Gunicorn arbiter booted"
            assert get(srv.host, srv.port) == (200, b"ok")
            assert get(srv.host, srv.port, "/env?k=LISTEN_FDS") == (200, b"<unset>")
    finally:
        notify.close()


HOOKS = '''
import os, sys

def _mark(name, *extra):
    print("HOOK %s %s" % (name, " ".join(str(e) for e in extra)), file=sys.stderr, flush=True)

raw_env = ["ARB_HOOK_ENV=set"]

def on_starting(server): _mark("on_starting")
def when_ready(server): _mark("when_ready", len(server.LISTENERS))
def pre_fork(server, worker): _mark("pre_fork", worker.age)
def post_fork(server, worker): _mark("post_fork", worker.pid == os.getpid())
def post_worker_init(worker): _mark("post_worker_init", worker.wsgi is not None)
def pre_request(worker, req): _mark("pre_request", req.path)
def post_request(worker, req, environ, resp): _mark("post_request", resp.status)
def worker_exit(server, worker): _mark("worker_exit", worker.pid)
def child_exit(server, worker): _mark("child_exit", worker.pid)
def nworkers_changed(server, new, old): _mark("nworkers_changed", new, old)
def on_reload(server): _mark("on_reload")
def on_exit(server): _mark("on_exit")
def worker_int(worker): _mark("worker_int", worker.pid)
'''


def test_server_hooks(tmp_path):
    conf = tmp_path / "hooks.py"
    conf.write_text(HOOKS)
    with run_server(*APP, "-c", str(conf), "-w", "1") as srv:
        [pid] = srv.wait_workers(1)
        assert get(srv.host, srv.port, "/env?k=ARB_HOOK_ENV") == (200, b"set")
        srv.wait_for_output(r"HOOK post_request 200")
        srv.signal(signal.SIGTTIN)
        srv.wait_for_output(r"HOOK nworkers_changed 2 1")
        srv.signal(signal.SIGHUP)
        srv.wait_for_output(r"HOOK nworkers_changed 1 2")
        srv.wait_for_output(r"HOOK on_reload")
        srv.wait_for_output(r"HOOK child_exit %d" % pid)
        [new] = srv.wait_workers(1)
        os.kill(new, signal.SIGQUIT)
        srv.wait_for_output(r"HOOK worker_int %d" % new)
        srv.wait_for_output(r"HOOK worker_exit %d" % new)
        srv.wait_workers(1)
        assert srv.stop() == 0
    out = srv.output()
    for line in ["HOOK on_starting", "HOOK when_ready 1", "HOOK pre_fork 1", "HOOK post_fork True",
                 "HOOK post_worker_init True", "HOOK pre_request /env",
                 "HOOK nworkers_changed 1 None", "HOOK worker_exit", "HOOK on_exit"]:
        assert line in out, line
    assert out.index("HOOK on_starting") < out.index("HOOK when_ready") < out.index("HOOK pre_fork")
    assert out.rindex("HOOK on_exit") > out.rindex("Shutting down: Master") - 200


def test_usr2_then_term_old_master_under_load(tmp_path):
    """Binary upgrade while 20 connections stay busy: 0 failures; names and pidfiles
    follow the reference (``.2`` until the old master exits, then promotion)."""
    pidfile = tmp_path / "g.pid"
    pidfile2 = tmp_path / "g.pid.2"
    conf = tmp_path / "hooks.py"
    conf.write_text("import os, sys\n"
                    "def pre_exec(server):\n"
                    "    print('HOOK pre_exec', os.getpid(), file=sys.stderr, flush=True)\n")
    new_master = None
    with run_server(*APP, "-c", str(conf), "-w", "2", "-p", str(pidfile), "-n", "arbup",
                    "--graceful-timeout", "10") as srv:
        old_workers = set(srv.wait_workers(2))
        assert wait_until(lambda: title(srv.pid) == "gunicorn: master [arbup]", 5)
        try:
            with Load(srv.host, srv.port, "/pid", conns=20) as load:
                load.wait_count(300)
                srv.signal(signal.SIGUSR2)
                assert wait_until(lambda: set(children_of(srv.pid)) - old_workers, 10)
                new_master = (set(children_of(srv.pid)) - old_workers).pop()
                srv.wait_for_output(r"HOOK pre_exec %d" % new_master, 10)
                assert wait_until(lambda: len(children_of(new_master)) == 2, 15)
                new_workers = set(children_of(new_master))
                # both generations serve from the shared listener
                assert wait_until(lambda: load.served_by(new_workers) > 0, 15)
                assert int(pidfile.read_text()) == srv.pid
                assert int(pidfile2.read_text()) == new_master
                assert title(srv.pid) == "gunicorn: master [arbup]"
                assert wait_until(lambda: title(new_master) == "gunicorn: master [arbup.2]", 5)
                # a freshly forked worker sets its title a moment after it appears in /proc
                for w in new_workers:
                    assert wait_until(lambda w=w: title(w) == "gunicorn: worker [arbup.2]", 5), \
                        title(w)
                assert wait_until(lambda: load.served_by(new_workers) > 0, 10)

                srv.signal(signal.SIGTERM)
                assert srv.proc.wait(15) == 0
                srv.wait_for_output(r"Master has been promoted\.", 10)
                assert wait_until(lambda: pidfile.exists()
                                  and pidfile.read_text().strip() == str(new_master), 5)
                assert not pidfile2.exists()
                assert wait_until(lambda: title(new_master) == "gunicorn: master [arbup]", 5)
                assert not any(alive(p) for p in old_workers)
                load.wait_count(max(3000, load.completed + 300), timeout=60)
            assert load.failures == []
            assert load.served_by(old_workers) > 0
            out = srv.output()
            assert "Handling signal: usr2" in out
            assert "Listening at: http://127.0.0.1:%d (%d)" % (srv.port, new_master) in out
        finally:
            if new_master is not None:
                stop_master(new_master)


@pytest.mark.parametrize("form", [
    "def post_request(worker, req):\n    _mark(req.path)\n",
    "def post_request(worker, req, environ):\n    _mark(req.path, environ['PATH_INFO'])\n",
    "def post_request(worker, req, environ, resp):\n    _mark(req.path, environ['PATH_INFO'], resp.status)\n",
])
def test_post_request_hook_arities(tmp_path, form):
    conf = tmp_path / "conf.py"
    conf.write_text("import sys\n"
                    "def _mark(*a):\n    print('POSTREQ', *a, file=sys.stderr, flush=True)\n"
                    "def pre_request(worker, req):\n    print('PREREQ', req.path, file=sys.stderr, flush=True)\n"
                    + form)
    with run_server(*APP, "-c", str(conf), "-w", "1") as srv:
        assert get(srv.host, srv.port, "/pid")[0] == 200
        srv.wait_for_output(r"PREREQ /pid")
        m = srv.wait_for_output(r"POSTREQ /pid.*")
        nargs = form.split(")", 1)[0].count(",") + 1
        expected = {2: "POSTREQ /pid", 3: "POSTREQ /pid /pid", 4: "POSTREQ /pid /pid 200 OK"}
        assert m.group(0).strip() == expected[nargs]


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return True
    return data[data.rfind(b")") + 2:].split()[0] == b"Z"


def test_hup_rebinds_when_bind_changes(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        new_port = probe.getsockname()[1]
    conf = tmp_path / "conf.py"
    conf.write_text("bind = ['127.0.0.1:0']\n")
    with run_server(*APP, "-c", str(conf), "-w", "1", bind=None) as srv:
        assert get(srv.host, srv.port) == (200, b"ok")
        conf.write_text("bind = ['127.0.0.1:%d']\n" % new_port)
        start = len(srv.output())
        srv.signal(signal.SIGHUP)
        srv.wait_for_output(r"Listening at: http://127.0.0.1:%d" % new_port, 10, start=start)
        assert wait_until(lambda: _ok(srv.host, new_port), 5)


def test_hup_with_broken_config_keeps_serving(tmp_path):
    conf = tmp_path / "conf.py"
    conf.write_text("workers = 1\n")
    with run_server(*APP, "-c", str(conf)) as srv:
        [pid] = srv.wait_workers(1)
        conf.write_text("workers = (\n")
        srv.signal(signal.SIGHUP)
        srv.wait_for_output(r"Reload failed, keeping the current configuration", 10)
        assert get(srv.host, srv.port) == (200, b"ok")
        assert srv.worker_pids() == [pid]
        assert srv.stop() == 0


def _ok(host, port):
    try:
        return get(host, port)[0] == 200
    except OSError:
        return False


def test_usr2_under_systemd_passes_listen_fds():
    launcher = os.path.join(HERE, "arbiter_launcher.py")
    new_master = None
    with run_server(*APP, "-w", "1", bind=None, module_args=[launcher, "systemd"]) as srv:
        [old_worker] = srv.wait_workers(1)
        srv.signal(signal.SIGUSR2)
        assert wait_until(lambda: any(p != old_worker for p in children_of(srv.pid)), 10)
        new_master = [p for p in children_of(srv.pid) if p != old_worker][0]
        try:
            assert wait_until(lambda: len(children_of(new_master)) == 1, 15)
            srv.signal(signal.SIGTERM)
            assert srv.proc.wait(10) == 0
            srv.wait_for_output(r"Master has been promoted.", 10)
            assert wait_until(lambda: _ok(srv.host, srv.port), 5)
            assert get(srv.host, srv.port, "/env?k=LISTEN_FDS") == (200, b"<unset>")
        finally:
            workers = children_of(new_master)
            try:
                os.kill(new_master, signal.SIGTERM)
            except ProcessLookupError:
                pass
            wait_until(lambda: _zombie(new_master), 10)
            for p in workers:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def test_process_titles():
    with run_server(*APP, "-w", "1", "-n", "arbtitle") as srv:
        [worker] = srv.wait_workers(1)
        assert wait_until(lambda: title(srv.pid) == "gunicorn: master [arbtitle]", 5)
        assert wait_until(lambda: title(worker) == "gunicorn: worker [arbtitle]", 5)


def test_usr2_rollback_and_hup_of_new_master(tmp_path):
    """Reference upgrade docs: the new master keeps its ".2" names across a HUP; TERM to
    it (rollback) leaves the old master serving with its pidfile."""
    pidfile = tmp_path / "g.pid"
    pidfile2 = tmp_path / "g.pid.2"
    new_master = None
    with run_server(*APP, "-w", "1", "-p", str(pidfile), "-n", "arbrb") as srv:
        [old_worker] = srv.wait_workers(1)
        srv.signal(signal.SIGUSR2)
        try:
            assert wait_until(lambda: set(children_of(srv.pid)) - {old_worker}, 10)
            new_master = (set(children_of(srv.pid)) - {old_worker}).pop()
            assert wait_until(lambda: len(children_of(new_master)) == 1, 15)
            [first] = children_of(new_master)
            srv.signal(signal.SIGUSR2)  # refused: a child exists
            srv.wait_for_output(r"USR2 signal ignored\. Child exists\.")
            os.kill(new_master, signal.SIGHUP)
            assert wait_until(lambda: children_of(new_master)
                              and first not in children_of(new_master), 10)
            assert int(pidfile2.read_text()) == new_master
            assert int(pidfile.read_text()) == srv.pid
            assert title(new_master) == "gunicorn: master [arbrb.2]"
            [second] = children_of(new_master)
            assert wait_until(lambda: title(second) == "gunicorn: worker [arbrb.2]", 5)
            os.kill(new_master, signal.SIGTERM)
            # reaped by the old master, not only a zombie: only then is its child slot
            # free for the next USR2 below
            assert wait_until(lambda: proc_stat(new_master) is None, 10)
            assert not pidfile2.exists()
            assert int(pidfile.read_text()) == srv.pid
            assert srv.worker_pids() == [old_worker]
            assert get(srv.host, srv.port) == (200, b"ok")
            # the old master may upgrade again once its child is gone
            start = len(srv.output())
            srv.signal(signal.SIGUSR2)
            srv.wait_for_output(r"Handling signal: usr2", 5, start=start)
            assert "Child exists" not in srv.output()[start:]
            assert wait_until(lambda: set(children_of(srv.pid)) - {old_worker}, 10)
            third = (set(children_of(srv.pid)) - {old_worker}).pop()
            assert wait_until(lambda: len(children_of(third)) == 1, 15)
        finally:
            if new_master is not None:
                stop_master(new_master)
            for p in set(children_of(srv.pid)) - {old_worker}:
                stop_master(p)
