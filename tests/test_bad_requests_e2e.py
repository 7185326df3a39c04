"""Malformed requests against a running server.

Every invalid corpus case (tests/requests/invalid) is sent over a real socket to
a server configured like the case's ``cfg``.  The answer must be
``HTTP/1.1 <exc.status_code> <exc.reason>`` with ``Connection: close`` and no
traceback (NoMoreData: no answer at all), and the same worker process must
serve a normal request afterwards.  Servers are started once per distinct
configuration and shared by the whole module.

The "spine" test sends 20 hand-picked malformed requests to the sync and the
gthread worker.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.requests import treq
from tests.support.client import read_until_close
from tests.support.server import ROOT, run_server

APP = "tests.requests.app:app"
INVALID = treq.case_names("invalid")
PID_RE = re.compile(rb"pid=(\d+)")

# A valid PROXY v1 line / v2 header from 127.0.0.1 to prefix follow-up requests
# on servers that require one.
PP1_PREFIX = b"PROXY TCP4 127.0.0.1 127.0.0.1 40000 8000\r\n"
PP2_PREFIX = (b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c" + bytes([127, 0, 0, 1, 127, 0, 0, 1])
              + (40000).to_bytes(2, "big") + (8000).to_bytes(2, "big"))


def exchange(host: str, port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data``, half-close, and read until the server closes.

    The half-close lets the server see EOF for truncated messages.  A reset
    after the answer arrived is tolerated.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def split_responses(data: bytes) -> list[tuple[str, dict[str, str], bytes]]:
    """Split a byte stream into (status line, lowercase headers, body) triples.

    Every response here carries Content-Length.  Raises AssertionError on
    garbage.
    """
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, "incomplete response head: %r" % data[:300]
        lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            assert colon, "bad response header line %r" % line
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", len(rest)))
        out.append((lines[0], headers, rest[:length]))
        data = rest[length:]
    return out


def config_diff(cfg: Any) -> dict[str, Any]:
    """Settings of ``cfg`` that differ from a fresh Config (name -> value)."""
    from gunicorn.config import Config

    default = Config()
    diff = {}
    for name, setting in cfg.settings.items():
        value = setting.get()
        if value != default.settings[name].get():
            diff[name] = value
    return diff


class ServerPool:
    """One server per distinct configuration, all stopped at the end."""

    def __init__(self, stack: contextlib.ExitStack, tmpdir: str) -> None:
        self.stack = stack
        self.tmpdir = tmpdir
        self.servers: dict[str, tuple[Any, int | None]] = {}

    def get(self, diff: dict[str, Any], worker_class: str = "sync") -> Any:
        """A running server for this settings diff (started on first use)."""
        lines = ["%s = %r" % (k, v) for k, v in sorted(diff.items())]
        lines.append("worker_class = %r" % worker_class)
        text = "\n".join(lines) + "\n"
        if text not in self.servers:
            path = os.path.join(self.tmpdir, "conf%d.py" % len(self.servers))
            with open(path, "w") as handle:
                handle.write(text)
            srv = self.stack.enter_context(run_server(
                "-c", path, "--workers", "1", "--timeout", "30", "--graceful-timeout", "2",
                "--pythonpath", ROOT, APP, cwd=ROOT))
            self.servers[text] = (srv, None)
        return self.servers[text][0]

    def check_alive(self, srv: Any, prefix: bytes = b"") -> None:
        """A normal request is answered 200 by the same worker as before."""
        key = next(k for k, v in self.servers.items() if v[0] is srv)
        data = exchange(srv.host, srv.port, prefix + b"GET /after HTTP/1.0\r\n\r\n")
        responses = split_responses(data)
        assert len(responses) == 1, data
        status, _, body = responses[0]
        assert status.startswith("HTTP/1.") and status.split(" ")[1] == "200", (status, body, srv.output()[-3000:])
        m = PID_RE.search(body)
        assert m, body
        pid = int(m.group(1))
        first = self.servers[key][1]
        if first is None:
            self.servers[key] = (srv, pid)
        else:
            assert pid == first, "worker %d replaced by %d: a malformed request killed it\n%s" % (
                first, pid, srv.output()[-3000:])


@pytest.fixture(scope="module")
def pool() -> Iterator[ServerPool]:
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmpdir:
        yield ServerPool(stack, tmpdir)


def follow_up_prefix(cfg: Any) -> bytes:
    mode = str(cfg.proxy_protocol)
    if mode == "v1":
        return PP1_PREFIX
    if mode == "v2":
        return PP2_PREFIX
    return b""


def assert_error_response(data: bytes, exc: type, where: str, output: str) -> None:
    """The last response is the error page of ``exc`` with Connection: close."""
    responses = split_responses(data)
    assert responses, "%s: no response at all for %s\n%s" % (where, exc.__name__, output[-3000:])
    status, headers, body = responses[-1]
    expected = "HTTP/1.1 %d %s" % (exc.status_code, exc.reason)
    assert status == expected, "%s: got %r, expected %r\n%s" % (where, status, expected, output[-3000:])
    assert headers.get("connection", "").lower() == "close", (where, headers)
    assert b"Traceback" not in body, (where, body)
    for earlier, _, _ in responses[:-1]:
        assert " 200 " in earlier + " ", (where, earlier)


def requests_before_error(case: treq.Case) -> int:
    """How many requests of the case parse completely (body included) before its error."""
    done = 0
    try:
        for req in treq.make_parser(case, [case.data]):
            while req.body.read(8192):
                pass
            done += 1
    except case.expect:
        return done
    raise AssertionError("%s: parser did not raise %s" % (case.name, case.expect.__name__))


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
@pytest.mark.parametrize("name", INVALID)
def test_invalid_case_e2e(pool: ServerPool, name: str, worker_class: str) -> None:
    from gunicorn.http.errors import NoMoreData

    case = treq.load_case("invalid", name)
    before = requests_before_error(case)
    srv = pool.get(config_diff(case.cfg), worker_class)
    prefix = follow_up_prefix(case.cfg)
    pool.check_alive(srv, prefix)
    log_start = len(srv.output())
    data = exchange(srv.host, srv.port, case.data)
    if worker_class == "sync" and before:
        # the sync worker answers one request per connection and closes: the
        # malformed request after it is never read
        statuses = [status for status, _, _ in split_responses(data)]
        assert len(statuses) == 1 and " 200 " in statuses[0], (name, statuses)
    elif issubclass(case.expect, NoMoreData):
        # the peer went away mid-message: nothing to answer (earlier pipelined
        # requests may have been answered)
        statuses = [status for status, _, _ in split_responses(data)]
        assert len(statuses) == before and all(" 200 " in st for st in statuses), (name, statuses)
    else:
        assert_error_response(data, case.expect, name, srv.output())
        assert len(split_responses(data)) == before + 1, (name, data[:2000])
    pool.check_alive(srv, prefix)
    log = srv.output()[log_start:]
    assert "Traceback" not in log, "a client error was logged with a traceback:\n" + log[-5000:]


# ---------------------------------------------------------------- the spine: 20 malformed requests
SPINE = [
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501),
    (b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
    (b"GET / HTTP/1.1\r\nX-Foo : bar\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nX-Foo: a\r\n b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nX-Foo: a\x00b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nX-Foo: a\rb\r\n\r\n", 400),
    (b"GET / HTTP/1.1\nHost: x\r\n\r\n", 400),
    (b"get / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\n\r\n", 400),
    (b"GET /caf\xe9 HTTP/1.1\r\n\r\n", 400),
    (b"GET * HTTP/1.1\r\n\r\n", 400),
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\nExpect: teapot\r\n\r\n", 417),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
]
assert len(SPINE) == 20


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
def test_spine_malformed_requests(pool: ServerPool, worker_class: str) -> None:
    srv = pool.get({}, worker_class)
    pool.check_alive(srv)
    log_start = len(srv.output())
    for i, (data, status) in enumerate(SPINE):
        answer = exchange(srv.host, srv.port, data)
        responses = split_responses(answer)
        assert len(responses) == 1, (i, answer)
        line, headers, body = responses[0]
        assert line.startswith("HTTP/1.1 %d " % status), (i, data[:80], line)
        assert headers.get("connection", "").lower() == "close", (i, headers)
        assert b"Traceback" not in body, (i, body)
        pool.check_alive(srv)
    log = srv.output()[log_start:]
    assert "Traceback" not in log, "a client error was logged with a traceback:\n" + log[-5000:]


def test_malformed_then_keepalive_neighbour(pool: ServerPool) -> None:
    """A bad request on one connection does not disturb a kept-alive one (gthread)."""
    srv = pool.get({}, "gthread")
    with socket.create_connection((srv.host, srv.port), timeout=10) as good:
        good.sendall(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
        first = good.recv(65536)
        assert b" 200 " in first
        bad = exchange(srv.host, srv.port, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        assert bad.startswith(b"HTTP/1.1 400 ")
        good.sendall(b"GET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        rest = read_until_close(good)
        assert b" 200 " in rest
