"""Statsd logger: metric lines received on a real UDP socket on 127.0.0.1."""

from __future__ import annotations

import datetime
import logging
import socket
import types
from pathlib import Path
from typing import Any

import pytest
from glogging_helpers import stand_in_cfg

from gunicorn.instrument.statsd import Statsd


def make(receiver: socket.socket, **cfg: Any) -> Statsd:
    cfg.setdefault("statsd_host", ("127.0.0.1", receiver.getsockname()[1]))
    cfg.setdefault("errorlog", "/dev/null")
    return Statsd(stand_in_cfg(**cfg))


def recv(sock: socket.socket, count: int = 1) -> list[str]:
    return [sock.recv(65536).decode("ascii") for _ in range(count)]


def assert_nothing_more(sock: socket.socket) -> None:
    sock.settimeout(0.2)
    with pytest.raises(socket.timeout):
        sock.recv(100)
    sock.settimeout(5)


def test_metric_primitives(receiver: socket.socket) -> None:
    s = make(receiver)
    s.gauge("g", 3)
    s.increment("c", 2)
    s.increment("c", 1, sampling_rate=0.5)
    s.decrement("c", 4)
    s.timer("t", 12.5)
    s.histogram("h", 7)
    assert recv(receiver, 6) == ["g:3|g", "c:2|c|@1.0", "c:1|c|@0.5", "c:-4|c|@1.0",
                                 "t:12.5|ms", "h:7|h"]


@pytest.mark.parametrize("prefix,expected", [("", ""), ("app", "app."), ("app.", "app."),
                                             ("app...", "app."), ("a", "a."),
                                             ("a.b", "a.b.")])
def test_prefix(receiver: socket.socket, prefix: str, expected: str) -> None:
    s = make(receiver, statsd_prefix=prefix)
    assert s.prefix == expected
    s.gauge("x", 1)
    assert recv(receiver) == ["%sx:1|g" % expected]


def test_dogstatsd_tags(receiver: socket.socket) -> None:
    s = make(receiver, dogstatsd_tags="env:prod,team:web")
    s.increment("hits", 1)
    s.gauge("load", 0.5)
    assert recv(receiver, 2) == ["hits:1|c|@1.0|#env:prod,team:web",
                                 "load:0.5|g|#env:prod,team:web"]


def test_access_metrics(receiver: socket.socket, tmp_path: Path) -> None:
    s = make(receiver, accesslog=str(tmp_path / "access.log"), statsd_prefix="web")
    resp = types.SimpleNamespace(status="404 Not Found", sent=10, headers=[])
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/", "SERVER_PROTOCOL": "HTTP/1.1"}
    s.access(resp, [], environ, datetime.timedelta(seconds=1, microseconds=2500))
    assert recv(receiver, 3) == ["web.gunicorn.request.duration:1002.5|ms",
                                 "web.gunicorn.requests:1|c|@1.0",
                                 "web.gunicorn.request.status.404:1|c|@1.0"]
    assert "GET / HTTP/1.1" in (tmp_path / "access.log").read_text()
    resp.status = 201
    s.access(resp, [], environ, datetime.timedelta(0))
    assert recv(receiver, 3)[2] == "web.gunicorn.request.status.201:1|c|@1.0"


def test_access_metrics_without_access_log(receiver: socket.socket) -> None:
    s = make(receiver)
    resp = types.SimpleNamespace(status=b"200 OK", sent=0, headers=[])
    s.access(resp, [], {}, datetime.timedelta(0))
    assert recv(receiver, 3)[2] == "gunicorn.request.status.200:1|c|@1.0"


@pytest.mark.parametrize("level", ["critical", "error", "warning", "exception"])
def test_log_level_counters(receiver: socket.socket, level: str) -> None:
    s = make(receiver)
    getattr(s, level)("message %s", 1)
    assert recv(receiver) == ["gunicorn.log.%s:1|c|@1.0" % level]


def test_info_and_debug_send_no_counter(receiver: socket.socket) -> None:
    s = make(receiver, loglevel="debug")
    s.info("hello")
    s.debug("hello")
    assert_nothing_more(receiver)


@pytest.mark.parametrize("mtype,line", [("gauge", "gunicorn.workers:%s|g"),
                                        ("counter", "gunicorn.workers:%s|c|@1.0"),
                                        ("histogram", "gunicorn.workers:%s|h"),
                                        ("timer", "gunicorn.workers:%s|ms")])
@pytest.mark.parametrize("value", [4, 0])
def test_metric_from_extra(receiver: socket.socket, mtype: str, line: str, value: int) -> None:
    s = make(receiver)
    extra = {"metric": "gunicorn.workers", "value": value, "mtype": mtype}
    s.debug("%d workers", value, extra=extra)
    assert recv(receiver) == [line % value]


def test_metric_from_extra_through_every_method(receiver: socket.socket,
                                                tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    s = make(receiver, errorlog=str(path))
    s.info("", extra={"metric": "a", "value": 1, "mtype": "gauge"})
    s.log(logging.INFO, "", extra={"metric": "b", "value": 2, "mtype": "gauge"})
    s.log("info", "shown", extra={"metric": "c", "value": 3, "mtype": "gauge"})
    s.warning("warned", extra={"metric": "d", "value": 5, "mtype": "counter"})
    assert recv(receiver, 5) == ["a:1|g", "b:2|g", "c:3|g", "d:5|c|@1.0",
                                 "gunicorn.log.warning:1|c|@1.0"]
    text = path.read_text()
    assert text.count("\n") == 2 and "shown" in text and "warned" in text


@pytest.mark.parametrize("extra", [{"metric": "m", "value": None, "mtype": "gauge"},
                                   {"metric": "m", "value": 1},
                                   {"metric": "", "value": 1, "mtype": "gauge"},
                                   {"metric": "m", "value": 1, "mtype": "unknown"},
                                   {}])
def test_incomplete_extra_sends_nothing(receiver: socket.socket,
                                        extra: dict[str, Any]) -> None:
    s = make(receiver)
    s.info("x", extra=extra)
    assert_nothing_more(receiver)


def test_send_errors_never_raise(receiver: socket.socket, tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    s = make(receiver, errorlog=str(path))
    assert s.sock is not None
    s.sock.close()
    s.gauge("x", 1)
    s.increment("y", 1)
    s.error("after close")
    text = path.read_text()
    assert text.count("Error sending message to statsd") == 1
    assert "after close" in text


def test_unreachable_port_never_raises(tmp_path: Path) -> None:
    # nothing listens: the kernel may report ECONNREFUSED on the next send
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    s = Statsd(stand_in_cfg(statsd_host=("127.0.0.1", port), errorlog=str(tmp_path / "e")))
    for _ in range(5):
        s.increment("x", 1)


def test_unix_datagram_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "statsd.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    try:
        s = Statsd(stand_in_cfg(statsd_host=path))
        s.gauge("unix", 1)
        assert sock.recv(100) == b"unix:1|g"
    finally:
        sock.close()


def test_missing_unix_socket_is_not_fatal(tmp_path: Path) -> None:
    s = Statsd(stand_in_cfg(statsd_host=str(tmp_path / "nope.sock"),
                            errorlog=str(tmp_path / "e.log")))
    assert s.sock is None
    s.increment("x", 1)
    assert "Cannot open statsd socket" in (tmp_path / "e.log").read_text()


def test_ipv6_host() -> None:
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    sock.settimeout(5)
    try:
        s = Statsd(stand_in_cfg(statsd_host=("::1", sock.getsockname()[1])))
        s.gauge("v6", 1)
        assert sock.recv(100) == b"v6:1|g"
    finally:
        sock.close()


@pytest.mark.parametrize("host,family", [("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)])
def test_socket_connects_to_the_configured_host(host: str, family: int) -> None:
    made: list[Any] = []

    class Recorder:
        def __init__(self, *args: Any) -> None:
            made.append(args)
            self.target = None

        def connect(self, target: Any) -> None:
            self.target = target

        def setblocking(self, flag: bool) -> None:
            pass

        def close(self) -> None:
            pass

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("gunicorn.instrument.statsd.socket.socket", Recorder)
        s = Statsd(stand_in_cfg(statsd_host=(host, 8125)))
    assert made == [(family, socket.SOCK_DGRAM)]
    assert s.sock.target == (host, 8125)


def test_no_host_means_no_socket() -> None:
    s = Statsd(stand_in_cfg())
    assert s.sock is None
    s.gauge("x", 1)


def test_setup_reconnects(receiver: socket.socket) -> None:
    s = make(receiver)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    other.settimeout(5)
    try:
        s.setup(stand_in_cfg(statsd_host=("127.0.0.1", other.getsockname()[1]),
                             statsd_prefix="new"))
        s.gauge("x", 1)
        assert other.recv(100) == b"new.x:1|g"
    finally:
        other.close()
