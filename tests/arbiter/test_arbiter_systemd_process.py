"""systemd socket activation through systemd-socket-activate (the real launcher shipped
with systemd): listeners come from LISTEN_FDS (fd 3 on), their family is discovered with
getsockname, READY=1 reaches NOTIFY_SOCKET, and unix socket files are left to systemd."""

import os
import shutil
import socket
import sys
import threading

from tests.arbiter.arbiter_helpers import free_port, http_get, unix_get, wait_until
from tests.support.server import ROOT, run_server

LAUNCHER = shutil.which("systemd-socket-activate")


def test_systemd_socket_activate_tcp_and_unix(tmp_path):
    assert LAUNCHER, "systemd-socket-activate is needed (Debian package systemd)"
    port = free_port()
    path = str(tmp_path / "act.sock")
    notify_path = str(tmp_path / "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(15)
    # systemd-socket-activate passes no environment except what -E names
    env_args = []
    for k, v in (("PYTHONPATH", ROOT), ("PYTHONUNBUFFERED", "1"), ("NOTIFY_SOCKET", notify_path)):
        env_args += ["-E", "%s=%s" % (k, v)]
    module_args = ["-l", "127.0.0.1:%d" % port, "-l", path, *env_args, sys.executable,
                   "-m", "gunicorn"]
    try:
        with run_server("-w", "1", "--pythonpath", "tests/workers/apps", "arbiter_testapp:app",
                        bind=None, python=LAUNCHER, module_args=module_args,
                        wait_ready=False) as srv:
            srv.wait_for_output(r"Listening on 127\.0\.0\.1:%d as 3" % port)
            srv.wait_for_output(r"Listening on %s as 4" % path)
            # the first connection makes the launcher exec gunicorn; it is then served
            result = {}
            t = threading.Thread(target=lambda: result.setdefault(
                "r", http_get("127.0.0.1", port, "/pid", timeout=20)))
            t.start()
            srv.wait_ready(20)
            t.join(20)
            assert result["r"][0] == 200
            assert srv.urls == ["http://127.0.0.1:%d" % port, "unix:%s" % path]
            assert "Listening at: http://127.0.0.1:%d,unix:%s (%d)" % (port, path, srv.pid) \
                in srv.output()
            assert notify.recv(4096) == b"READY=1\nSTATUS=Gunicorn arbiter booted"
            assert unix_get(path, "/pid").startswith(b"HTTP/1.1 200 OK")
            # LISTEN_* are consumed by the master, not leaked to workers
            assert http_get("127.0.0.1", port, "/env?k=LISTEN_FDS") == (200, b"<unset>")
            assert srv.stop() == 0
            # the socket file belongs to systemd: not removed
            assert os.path.exists(path)
    finally:
        notify.close()


def test_notify_socket_abstract_namespace():
    name = "arbtest-notify-%d" % os.getpid()
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind("\0" + name)
    notify.settimeout(15)
    try:
        with run_server("-w", "1", "--pythonpath", "tests/workers/apps", "arbiter_testapp:app",
                        env={"NOTIFY_SOCKET": "@" + name}) as srv:
            assert notify.recv(4096) == b"READY=1\nSTATUS=Gunicorn arbiter booted"
            assert wait_until(lambda: http_get(srv.host, srv.port)[0] == 200, 5)
    finally:
        notify.close()
