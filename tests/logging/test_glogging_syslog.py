"""syslog address parsing and syslog output through a real UDP receiver."""

from __future__ import annotations

import datetime
import logging
import os
import socket
import types
from pathlib import Path

import pytest
from glogging_helpers import stand_in_cfg

from gunicorn.glogging import Logger, parse_syslog_address


@pytest.mark.parametrize("addr,expected", [
    ("unix:///dev/log", (None, "/dev/log")),
    ("unix:///var/run/syslog#dgram", (socket.SOCK_DGRAM, "/var/run/syslog")),
    ("unix:///var/run/syslog#stream", (socket.SOCK_STREAM, "/var/run/syslog")),
    ("udp://localhost:514", (socket.SOCK_DGRAM, ("localhost", 514))),
    ("udp://LOGHOST:5140", (socket.SOCK_DGRAM, ("loghost", 5140))),
    ("udp://localhost", (socket.SOCK_DGRAM, ("localhost", 514))),
    ("tcp://127.0.0.1:601", (socket.SOCK_STREAM, ("127.0.0.1", 601))),
    ("tcp://[::1]:601", (socket.SOCK_STREAM, ("::1", 601))),
    ("udp://[FE80::1]", (socket.SOCK_DGRAM, ("fe80::1", 514))),
    ("udp://", (socket.SOCK_DGRAM, ("localhost", 514))),
])
def test_parse_syslog_address(addr: str, expected: tuple[object, object]) -> None:
    assert parse_syslog_address(addr) == expected


@pytest.mark.parametrize("addr", ["localhost:514", "http://x", "udp://host:port", "tcp://h:5a"])
def test_parse_syslog_address_errors(addr: str) -> None:
    with pytest.raises(RuntimeError):
        parse_syslog_address(addr)


def recv_text(sock: socket.socket) -> str:
    return sock.recv(65536).decode("utf-8").rstrip("\x00")


def test_syslog_error_and_access_lines(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    log = Logger(stand_in_cfg(syslog=True, syslog_addr="udp://127.0.0.1:%d" % port,
                              syslog_prefix="myapp", syslog_facility="local3",
                              access_log_format="%(m)s %(U)s"))
    log.error("bad %s", "thing")
    # priority = facility * 8 + severity (RFC 5424 section 6.2.1): local3=19, err=3
    assert recv_text(receiver) == "<155>gunicorn.myapp.error: [%d] bad thing" % os.getpid()
    resp = types.SimpleNamespace(status="200 OK", sent=1, headers=[])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/p"}
    log.access(resp, [], environ, datetime.timedelta(0))
    # local3 + info(6)
    assert recv_text(receiver) == "<158>gunicorn.myapp.access: [%d] GET /p" % os.getpid()


def test_syslog_prefix_defaults_to_proc_name(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    log = Logger(stand_in_cfg(syslog=True, syslog_addr="udp://127.0.0.1:%d" % port,
                              proc_name="app:main", syslog_facility="nonsense"))
    log.warning("hello")
    # unknown facility falls back to user (1): 1*8 + warning(4)
    assert recv_text(receiver) == "<12>gunicorn.app.main.error: [%d] hello" % os.getpid()


def test_syslog_access_redirect_disabled(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    log = Logger(stand_in_cfg(syslog=True, syslog_addr="udp://127.0.0.1:%d" % port,
                              disable_redirect_access_to_syslog=True))
    assert not [h for h in log.access_log.handlers if getattr(h, "_gunicorn", False)]
    assert len([h for h in log.error_log.handlers if getattr(h, "_gunicorn", False)]) == 2


def test_syslog_handlers_replaced_on_setup(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    cfg = stand_in_cfg(syslog=True, syslog_addr="udp://127.0.0.1:%d" % port)
    log = Logger(cfg)
    log.setup(cfg)
    log.setup(cfg)
    syslog = [h for h in log.error_log.handlers
              if isinstance(h, logging.handlers.SysLogHandler)]
    assert len(syslog) == 1
    log.info("once")
    assert "once" in recv_text(receiver)
    receiver.settimeout(0.2)
    with pytest.raises(socket.timeout):
        receiver.recv(100)


def test_syslog_unix_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "log.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    try:
        log = Logger(stand_in_cfg(syslog=True, syslog_addr="unix://%s#dgram" % path,
                                  syslog_prefix="u"))
        log.info("over unix")
        assert recv_text(sock) == "<14>gunicorn.u.error: [%d] over unix" % os.getpid()
    finally:
        sock.close()


def test_syslog_unix_socket_missing(tmp_path: Path) -> None:
    # Python >= 3.11 defers the connect: a missing socket is not a startup error
    # and a failed emit goes to logging's error handling, not to the caller.
    saved = logging.raiseExceptions
    logging.raiseExceptions = False
    try:
        log = Logger(stand_in_cfg(syslog=True, syslog_addr="unix://%s" % (tmp_path / "nope")))
        log.info("lost")
    except RuntimeError as exc:
        assert "cannot open syslog" in str(exc)
    finally:
        logging.raiseExceptions = saved
