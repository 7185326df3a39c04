"""A body cut short by the peer (RFC 9112 section 8), end to end on sync and
gthread: ``Content-Length: 10``, 3 bytes, then the client stops sending.

The application's ``wsgi.input.read()`` raises a client-disconnected error,
no response is attempted (the client reads the connection's end and nothing
else), nothing is logged as a server error, and the server keeps serving.
A complete body on the same server is read and answered as usual.
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.support.server import WORKER_ARGS, run_server, skip_foreign_http

APP = "tests.wsgi.apps.short_body_app:app"


@pytest.fixture(params=sorted(WORKER_ARGS))
def server(request, tmp_path):
    skip_foreign_http(request.param, "content cut short raising in wsgi.input with "
                      "no response sent (gevent answers 500)")
    log = tmp_path / "short-body.log"
    log.touch()
    with run_server(*WORKER_ARGS[request.param], "--log-level", "debug", APP,
                    env={"SHORT_BODY_LOG": str(log)}) as srv:
        srv.record = log
        yield srv


def _records(srv, count: int, timeout: float = 10.0) -> list[str]:
    """The application's records once there are *count* of them."""
    deadline = time.monotonic() + timeout
    while True:
        lines = srv.record.read_text().splitlines()
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def test_short_body_raises_in_wsgi_input_and_gets_no_response(server):
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        # the peer is done sending: the server sees the end of input mid-body
        s.shutdown(socket.SHUT_WR)
        # no status line, no error page: the connection just ends
        assert _read_all(s) == b""
    assert _records(server, 1) == ["error gunicorn.http.errors.ClientDisconnected"]
    # a client going away is not a server error
    output = server.output()
    assert "Traceback" not in output and "Error handling request" not in output

    # the server goes on: a whole body is read and answered
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
                  b"Connection: close\r\n\r\n0123456789")
        reply = _read_all(s)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b"\r\n\r\n0123456789")
    assert _records(server, 2)[1] == "read 10"


def test_short_body_after_a_kept_alive_request(server):
    # the second request of a connection is cut short: same outcome
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
                  b"POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n1234")
        s.shutdown(socket.SHUT_WR)
        reply = _read_all(s)
    if "sync" in server.cmd:
        # one request per connection: the first answer says close
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in reply
        assert _records(server, 1) == ["read 2"]
        return
    # exactly one response, for the complete request
    assert reply.count(b"HTTP/1.1 ") == 1 and reply.endswith(b"\r\n\r\nok")
    assert _records(server, 2) == ["read 2", "error gunicorn.http.errors.ClientDisconnected"]
