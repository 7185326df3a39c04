"""gunicorn.sock listeners: bind forms, delegation, fd adoption, close/unlink."""

import logging
import os
import socket
import sys

import pytest

from gunicorn import sock
from gunicorn.config import Config

LOG = logging.getLogger("test.sock")


def make_cfg(*binds, **settings):
    cfg = Config()
    cfg.set("bind", list(binds))
    for k, v in settings.items():
        cfg.set(k, v)
    return cfg


def test_tcp_port_zero_reports_real_port():
    cfg = make_cfg("127.0.0.1:0")
    [lnr] = sock.create_sockets(cfg, LOG)
    try:
        assert isinstance(lnr, sock.TCPSocket)
        port = lnr.getsockname()[1]
        assert port != 0
        assert str(lnr) == "http://127.0.0.1:%d" % port
        # delegation to the real socket
        assert lnr.family == socket.AF_INET
        assert lnr.type == socket.SOCK_STREAM
        assert lnr.getblocking() is False
        assert lnr.get_inheritable() is True
        assert lnr.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        assert lnr.get_backlog() >= 0
    finally:
        sock.close_sockets([lnr])


def test_tcp6():
    # needs a loopback IPv6 address (present in the CI containers)
    cfg = make_cfg("[::1]:0")
    [lnr] = sock.create_sockets(cfg, LOG)
    try:
        assert isinstance(lnr, sock.TCP6Socket)
        assert str(lnr) == "http://[::1]:%d" % lnr.getsockname()[1]
    finally:
        lnr.close()


def test_unix_socket_and_unlink(tmp_path):
    path = str(tmp_path / "g.sock")
    cfg = make_cfg("unix:" + path)
    [lnr] = sock.create_sockets(cfg, LOG)
    assert isinstance(lnr, sock.UnixSocket)
    assert str(lnr) == "unix:" + path
    assert os.path.exists(path)
    with socket.socket(socket.AF_UNIX) as c:
        c.connect(path)
    sock.close_sockets([lnr], unlink=True)
    assert not os.path.exists(path)


def test_unix_stale_socket_file_is_replaced(tmp_path):
    path = str(tmp_path / "g.sock")
    old = socket.socket(socket.AF_UNIX)
    old.bind(path)
    old.close()
    [lnr] = sock.create_sockets(make_cfg("unix:" + path), LOG)
    sock.close_sockets([lnr], unlink=False)
    assert os.path.exists(path)


def test_unix_refuses_regular_file(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ValueError, match="is not a socket"):
        sock.create_sockets(make_cfg("unix:%s" % path), LOG)


def test_several_binds():
    cfg = make_cfg("127.0.0.1:0", "127.0.0.1:0")
    lnrs = sock.create_sockets(cfg, LOG)
    try:
        assert len(lnrs) == 2
        assert lnrs[0].getsockname() != lnrs[1].getsockname()
    finally:
        sock.close_sockets(lnrs)


def test_adopt_inherited_fds_keeps_fd_number():
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    raw.listen(5)
    fd = raw.detach()
    cfg = make_cfg("127.0.0.1:0")
    [lnr] = sock.create_sockets(cfg, LOG, fds=[fd])
    try:
        assert lnr.fileno() == fd
        assert isinstance(lnr, sock.TCPSocket)
    finally:
        lnr.close()


def test_fd_bind_form():
    raw = socket.socket(socket.AF_UNIX)
    raw.bind("\0gunicorn-fd-test-%d" % os.getpid())
    raw.listen(5)
    fd = raw.detach()
    [lnr] = sock.create_sockets(make_cfg("fd://%d" % fd), LOG)
    try:
        assert isinstance(lnr, sock.UnixSocket)
        assert lnr.fileno() == fd
    finally:
        lnr.close()


def test_missing_certfile(tmp_path):
    cfg = make_cfg("127.0.0.1:0")
    cfg.set("certfile", str(tmp_path / "nope.pem"))
    with pytest.raises(ValueError, match="certfile"):
        sock.create_sockets(cfg, LOG)


def test_bind_failure_exits_1(monkeypatch):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    monkeypatch.setattr(sock.time, "sleep", lambda s: None)
    try:
        with pytest.raises(SystemExit) as info:
            sock.create_sockets(make_cfg("127.0.0.1:%d" % port), LOG)
        assert info.value.code == 1
    finally:
        busy.close()


def test_close_is_idempotent():
    [lnr] = sock.create_sockets(make_cfg("127.0.0.1:0"), LOG)
    lnr.close()
    lnr.close()
    assert lnr.sock is None


def test_tls_helpers_exported():
    for name in ("ssl_context", "ssl_wrap_socket", "get_negotiated_protocol",
                 "is_http2_negotiated", "_get_alpn_protocols"):
        assert callable(getattr(sock, name))


def _spy_listen(monkeypatch):
    calls = []
    real = socket.socket.listen

    def listen(self, *args):
        calls.append(args)
        return real(self, *args)

    monkeypatch.setattr(socket.socket, "listen", listen)
    return calls


def test_inherited_listening_fd_is_not_listened_again(monkeypatch):
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    raw.listen(7)
    fd = raw.detach()
    calls = _spy_listen(monkeypatch)
    [lnr] = sock.create_sockets(make_cfg("127.0.0.1:0"), LOG, fds=[fd])
    try:
        assert calls == []
        assert lnr.fileno() == fd
    finally:
        lnr.close()


def test_fd_bind_of_bound_but_not_listening_socket_listens(monkeypatch):
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    port = raw.getsockname()[1]
    fd = raw.detach()
    calls = _spy_listen(monkeypatch)
    [lnr] = sock.create_sockets(make_cfg("fd://%d" % fd, backlog=64), LOG)
    try:
        assert calls == [(64,)]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        lnr.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract namespace is Linux only")
@pytest.mark.parametrize("mark", ["@", "\0"])
def test_abstract_unix_names_touch_no_file(tmp_path, monkeypatch, mark):
    monkeypatch.chdir(tmp_path)
    chowned = []
    monkeypatch.setattr(sock.util, "chown", lambda *a: chowned.append(a))
    stats = []
    real_stat = os.stat
    monkeypatch.setattr(sock.os, "stat", lambda p, *a, **k: stats.append(p) or real_stat(p, *a, **k))
    name = "%sgunicorn-abstract-%d" % (mark, os.getpid())
    [lnr] = sock.create_sockets(make_cfg("unix:" + name), LOG)
    try:
        assert isinstance(lnr, sock.UnixSocket)
        assert str(lnr) == "unix:" + name
        assert lnr.getsockname() == ("\0" + name[1:]).encode()
        assert not [p for p in stats if "gunicorn-abstract" in str(p)]
        assert chowned == []
        with socket.socket(socket.AF_UNIX) as client:
            client.connect("\0" + name[1:])
    finally:
        sock.close_sockets([lnr])
    assert os.listdir(tmp_path) == []


def test_filesystem_unix_socket_still_checked_and_chowned(tmp_path, monkeypatch):
    chowned = []
    monkeypatch.setattr(sock.util, "chown", lambda *a: chowned.append(a))
    path = str(tmp_path / "s.sock")
    (tmp_path / "s.sock").write_text("not a socket")
    with pytest.raises(ValueError, match="is not a socket"):
        sock.create_sockets(make_cfg("unix:" + path), LOG)
    os.unlink(path)
    [lnr] = sock.create_sockets(make_cfg("unix:" + path), LOG)
    sock.close_sockets([lnr])
    assert chowned and chowned[0][0] == path
    assert not os.path.exists(path)
