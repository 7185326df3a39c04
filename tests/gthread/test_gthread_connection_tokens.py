"""Connection option lists end to end (RFC 9110 section 7.6.1, RFC 9112 section 9.3).

Raw sockets against a real server: the response's ``Connection`` field and
whether the server closes the socket afterwards. ``Connection`` carries a
comma-separated list of options: ``keep-alive`` anywhere in it keeps an
HTTP/1.0 connection open, ``close`` anywhere in it (or in a second field line)
closes any connection, and no further request on it is answered
(RFC 9112 section 9.6). The sync worker never keeps a connection: it answers
``Connection: close`` and closes every time.
"""

from __future__ import annotations

import socket

import pytest

from tests.support.client import header, parse_response_head
from tests.support.server import WORKER_ARGS, run_server, skip_foreign_http

BODY = b"Hello, World!\n"


@pytest.fixture(scope="module", params=sorted(WORKER_ARGS))
def server(request):
    skip_foreign_http(request.param, "the Connection field written on every response "
                      "and gunicorn's keep-alive decisions (RFC 9112 section 9.3)")
    # keep-alive long enough that an idle timeout never decides a case on a busy host
    with run_server(*WORKER_ARGS[request.param], "--keep-alive", "30", "examples.hello:app") as srv:
        srv.worker = request.param
        yield srv


def read_response(sock: socket.socket) -> tuple[int, list[tuple[str, str]], bytes]:
    """Read one response with a Content-Length body; return (status, headers, body).

    Raises ConnectionError when the server closes before the response is complete,
    AssertionError when bytes beyond the response arrive.
    """
    buf = b""
    while True:
        if b"\r\n\r\n" in buf:
            status, _, headers, rest = parse_response_head(buf)
            length = int(header(headers, "Content-Length"))
            if len(rest) >= length:
                assert rest == rest[:length], "bytes after the response: %r" % rest[length:]
                return status, headers, rest
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a complete response; have %r" % buf[:300])
        buf += chunk


def closed_by_server(sock: socket.socket, timeout: float = 10.0) -> bool:
    """True once the server has closed (EOF or reset) within ``timeout`` seconds;
    AssertionError if it sends anything instead."""
    sock.settimeout(timeout)
    try:
        data = sock.recv(1)
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    assert data == b"", "unexpected bytes instead of a close: %r" % data
    return True


def connect(srv) -> socket.socket:
    """A fresh client connection (10 s timeouts)."""
    return socket.create_connection((srv.host, srv.port), timeout=10)


def request(version: str, *fields: str, path: str = "/") -> bytes:
    """A GET request head with ``fields`` (``"Name: value"`` strings) after Host."""
    lines = ["GET %s %s" % (path, version), "Host: t", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def still_open(sock: socket.socket, version: str) -> None:
    """The connection was kept: a second request on it is answered."""
    sock.sendall(request(version, "Connection: keep-alive", path="/second"))
    status, headers, body = read_response(sock)
    assert (status, body) == (200, BODY)
    assert header(headers, "Connection").lower() == "keep-alive"


KEEP = [
    # HTTP/1.0 keeps alive only when asked, wherever keep-alive sits in the list
    ("HTTP/1.0", ["Connection: x, keep-alive"]),
    ("HTTP/1.0", ["Connection: x,keep-alive"]),
    ("HTTP/1.0", ["Connection: Upgrade-Nothing , Keep-Alive"]),
    ("HTTP/1.0", ["Connection: keep-alive, x"]),
    # HTTP/1.1 is persistent unless close is among the options
    ("HTTP/1.1", []),
    ("HTTP/1.1", ["Connection: te, x", "TE: trailers"]),
]
CLOSE = [
    ("HTTP/1.1", ["Connection: close"]),
    ("HTTP/1.1", ["Connection: close, te", "TE: trailers"]),
    ("HTTP/1.1", ["Connection: te, CLOSE", "TE: trailers"]),
    ("HTTP/1.1", ["Connection: te", "Connection: close", "TE: trailers"]),
    ("HTTP/1.1", ["Connection: keep-alive, close"]),
    ("HTTP/1.0", ["Connection: close, te", "TE: trailers"]),
    ("HTTP/1.0", ["Connection: x, y"]),
    ("HTTP/1.0", []),
]


def _id(case: tuple[str, list[str]]) -> str:
    version, fields = case
    return "%s[%s]" % (version, "|".join(fields))


@pytest.mark.parametrize("case", KEEP, ids=_id)
def test_connection_kept(server, case):
    version, fields = case
    with connect(server) as sock:
        sock.sendall(request(version, *fields))
        status, headers, body = read_response(sock)
        assert (status, body) == (200, BODY)
        if server.worker == "sync":
            # the sync worker serves one request per connection
            assert header(headers, "Connection") == "close"
            assert closed_by_server(sock)
            return
        connection = header(headers, "Connection")
        if version == "HTTP/1.0":
            # an HTTP/1.0 client needs to hear that the connection stays
            assert connection is not None and connection.lower() == "keep-alive"
        else:
            assert connection is None or connection.lower() == "keep-alive"
        still_open(sock, version)


@pytest.mark.parametrize("case", CLOSE, ids=_id)
def test_connection_closed(server, case):
    version, fields = case
    with connect(server) as sock:
        sock.sendall(request(version, *fields))
        status, headers, body = read_response(sock)
        assert (status, body) == (200, BODY)
        assert header(headers, "Connection") == "close"
        assert closed_by_server(sock)


def test_pipelined_request_after_close_is_not_answered(server):
    """RFC 9112 section 9.6: after a request with close, no later request is processed."""
    with connect(server) as sock:
        sock.sendall(request("HTTP/1.1", "Connection: close, te", "TE: trailers", path="/first")
                     + request("HTTP/1.1", path="/second"))
        status, headers, body = read_response(sock)
        assert (status, body) == (200, BODY)
        assert header(headers, "Connection") == "close"
        # read_response would have failed on a second response in the same read;
        # the server closes instead of sending one
        assert closed_by_server(sock)


def test_http11_close_after_kept_requests(server):
    """An HTTP/1.1 client ends a kept connection by sending Connection: close."""
    with connect(server) as sock:
        if server.worker == "sync":
            # one request per connection: even a plain HTTP/1.1 request is answered with close
            sock.sendall(request("HTTP/1.1", path="/kept/0"))
            status, headers, body = read_response(sock)
            assert (status, body) == (200, BODY)
            assert header(headers, "Connection") == "close"
            assert closed_by_server(sock)
            return
        for n in range(3):
            sock.sendall(request("HTTP/1.1", path="/kept/%d" % n))
            status, headers, body = read_response(sock)
            assert (status, body) == (200, BODY)
            assert header(headers, "Connection") in (None, "keep-alive")
        sock.sendall(request("HTTP/1.1", "Connection: close", path="/last"))
        status, headers, body = read_response(sock)
        assert (status, body) == (200, BODY)
        assert header(headers, "Connection") == "close"
        assert closed_by_server(sock)
