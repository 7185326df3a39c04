"""gunicorn.systemd: listen_fds and sd_notify."""

import logging
import os
import socket

from gunicorn import systemd


def test_listen_fds_requires_our_pid(monkeypatch):
    monkeypatch.setenv("LISTEN_FDS", "2")
    monkeypatch.setenv("LISTEN_PID", str(os.getpid() + 1))
    assert systemd.listen_fds() == 0
    assert os.environ["LISTEN_FDS"] == "2"


def test_listen_fds_unsets_environment(monkeypatch):
    monkeypatch.setenv("LISTEN_FDS", "2")
    monkeypatch.setenv("LISTEN_PID", str(os.getpid()))
    assert systemd.listen_fds() == 2
    assert "LISTEN_FDS" not in os.environ and "LISTEN_PID" not in os.environ


def test_listen_fds_keeps_environment(monkeypatch):
    monkeypatch.setenv("LISTEN_FDS", "1")
    monkeypatch.setenv("LISTEN_PID", str(os.getpid()))
    assert systemd.listen_fds(unset_environment=False) == 1
    assert os.environ["LISTEN_FDS"] == "1"


def test_listen_fds_garbage(monkeypatch):
    monkeypatch.setenv("LISTEN_FDS", "x")
    monkeypatch.setenv("LISTEN_PID", str(os.getpid()))
    assert systemd.listen_fds() == 0


def test_sd_notify_path_socket(tmp_path, monkeypatch):
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
        srv.bind(path)
        srv.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        systemd.sd_notify("READY=1\nSTATUS=ok", logging.getLogger("t"))
        assert srv.recv(1024) == b"READY=1\nSTATUS=ok"


def test_sd_notify_abstract_socket(monkeypatch):
    name = "gunicorn-test-%d" % os.getpid()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
        srv.bind("\0" + name)
        srv.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        systemd.sd_notify("READY=1", logging.getLogger("t"), unset_environment=True)
        assert srv.recv(1024) == b"READY=1"
    assert "NOTIFY_SOCKET" not in os.environ


def test_sd_notify_without_socket_is_noop(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    systemd.sd_notify("READY=1", logging.getLogger("t"))


def test_sd_notify_unreachable_is_logged_not_raised(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "missing"))
    log = logging.getLogger("t.notify")
    with caplog.at_level(logging.DEBUG, logger="t.notify"):
        systemd.sd_notify("READY=1", log)
    assert "sd_notify" in caplog.text
