"""uWSGI packets over raw sockets to a real server, on every worker that
serves the protocol (sync, gthread, gevent, eventlet, asgi).

Each server allows only 127.0.0.1 (``--uwsgi-allow-from``); a client bound
to 127.0.0.2 (still loopback) is a forbidden peer.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterator

import pytest

from tests.support.server import WORKER_ARGS, run_server
from tests.uwsgi.packets import ResponseReader, packet, read_response, request

HERE = os.path.dirname(os.path.abspath(__file__))

WORKERS = {
    "sync": (*WORKER_ARGS["sync"], "apps:app"),
    "gthread": (*WORKER_ARGS["gthread"], "apps:app"),
    "gevent": (*WORKER_ARGS["gevent"], "apps:app"),
    "eventlet": (*WORKER_ARGS["eventlet"], "apps:app"),
    "asgi": ("--worker-class", "asgi", "apps:asgi_app"),
}
# one request per connection on the sync worker
KEEP_ALIVE = frozenset({"gthread", "gevent", "eventlet", "asgi"})


@pytest.fixture(scope="module", params=sorted(WORKERS))
def server(request: pytest.FixtureRequest) -> Iterator[tuple[object, str]]:
    worker = request.param
    with run_server("--protocol", "uwsgi", "--uwsgi-allow-from", "127.0.0.1",
                    "--keep-alive", "5", "--chdir", HERE, *WORKERS[worker]) as srv:
        yield srv, worker


def _connect(srv, source: str | None = None) -> socket.socket:
    return socket.create_connection((srv.host, srv.port), timeout=10,
                                    source_address=(source, 0) if source else None)


def _exchange(srv, data: bytes, source: str | None = None):
    with _connect(srv, source) as sock:
        sock.sendall(data)
        return read_response(sock)


def _check_served(srv, worker: str) -> None:
    """The server still answers a good request."""
    status, _, body = _exchange(srv, request("GET", "/still", headers=[("Host", "h")]))
    assert status == 200
    info = json.loads(body)
    assert (info["path"] if worker == "asgi" else info["PATH_INFO"]) == "/still"


def test_get_environ_from_the_vars(server):
    srv, worker = server
    status, headers, body = _exchange(srv, request(
        "GET", "/a/b", "x=1&y=2", headers=[("Host", "example.org"), ("X-Trace-Id", "t1")],
        REMOTE_ADDR="203.0.113.9", REMOTE_PORT="40000", SERVER_NAME="example.org",
        SERVER_PORT="8443", HTTPS="on", DOCUMENT_ROOT="/srv"))
    assert status == 200
    assert "transfer-encoding" not in headers
    info = json.loads(body)
    if worker == "asgi":
        assert info["method"] == "GET" and info["path"] == "/a/b"
        assert info["query_string"] == "x=1&y=2"
        assert info["scheme"] == "https"
        assert info["client"] == ["203.0.113.9", 40000]
        assert info["server"] == ["example.org", 8443]
        assert ["host", "example.org"] in info["headers"]
        assert ["x-trace-id", "t1"] in info["headers"]
        return
    assert info["REQUEST_METHOD"] == "GET"
    assert info["PATH_INFO"] == "/a/b" and info["SCRIPT_NAME"] == ""
    assert info["QUERY_STRING"] == "x=1&y=2"
    assert info["RAW_URI"] == "/a/b?x=1&y=2"
    assert info["REMOTE_ADDR"] == "203.0.113.9" and info["REMOTE_PORT"] == "40000"
    assert info["SERVER_NAME"] == "example.org" and info["SERVER_PORT"] == "8443"
    assert info["wsgi.url_scheme"] == "https" and info["HTTPS"] == "on"
    assert info["DOCUMENT_ROOT"] == "/srv"
    assert info["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert info["headers"] == {"HTTP_HOST": "example.org", "HTTP_X_TRACE_ID": "t1"}


def test_without_address_vars_the_socket_peer_is_used(server):
    srv, worker = server
    with _connect(srv) as sock:
        port = sock.getsockname()[1]
        sock.sendall(packet({"PATH_INFO": "/bare"}))
        status, _, body = read_response(sock)
    assert status == 200
    info = json.loads(body)
    if worker == "asgi":
        assert info["client"] == ["127.0.0.1", port] and info["method"] == "GET"
    else:
        assert info["REMOTE_ADDR"] == "127.0.0.1" and info["REMOTE_PORT"] == str(port)
        assert info["REQUEST_METHOD"] == "GET" and info["PATH_INFO"] == "/bare"


def test_post_body_echo(server):
    srv, _ = server
    body = os.urandom(300_000)
    status, _, data = _exchange(srv, request("POST", "/up", body=body,
                                             CONTENT_TYPE="application/octet-stream"))
    assert status == 200
    info = json.loads(data)
    assert info["length"] == len(body)
    assert info["sha256"] == hashlib.sha256(body).hexdigest()


def test_response_without_content_length_is_close_delimited(server):
    srv, _ = server
    body = b"payload"
    with _connect(srv) as sock:
        sock.sendall(request("POST", "/stream", body=body, headers=[("Connection", "keep-alive")]))
        status, headers, data = read_response(sock)
    assert status == 200
    assert "transfer-encoding" not in headers and "content-length" not in headers
    assert headers["connection"] == "close"
    assert data == b"part1-part2-" + hashlib.sha256(body).hexdigest().encode()


def test_keep_alive_and_pipelined_packets(server):
    srv, worker = server
    first = request("POST", "/one", body=b"12345", headers=[("Connection", "keep-alive")])
    second = request("GET", "/two", headers=[("Connection", "close")])
    with _connect(srv) as sock:
        sock.sendall(first)
        status, headers, body = read_response(sock)
        assert status == 200 and json.loads(body)["length"] == 5
        if worker not in KEEP_ALIVE:
            assert headers["connection"] == "close"
            return
        assert headers["connection"] == "keep-alive"
        # a packet in two writes, the first shorter than its 4-byte header
        sock.sendall(second[:3])
        sock.sendall(second[3:])
        status, headers, body = read_response(sock)
        assert status == 200 and headers["connection"] == "close"
        info = json.loads(body)
        assert (info["path"] if worker == "asgi" else info["PATH_INFO"]) == "/two"
        sock.settimeout(10)
        assert sock.recv(1) == b""
    # two packets in one write: the second is answered after the first
    with _connect(srv) as sock:
        sock.sendall(request("GET", "/p1", headers=[("Connection", "keep-alive")])
                     + request("GET", "/p2", headers=[("Connection", "close")]))
        reader = ResponseReader(sock)
        for path in ("/p1", "/p2"):
            status, _, body = reader.read()
            info = json.loads(body)
            assert (info["path"] if worker == "asgi" else info["PATH_INFO"]) == path


@pytest.mark.parametrize("data, status", [
    # modifier1 5 (a PSGI request): not served
    (packet({"PATH_INFO": "/"}, modifier1=5), 501),
    # a key length that runs past the vars block
    (packet(block=b"\x05\x00PATH"), 400),
    # a value length that runs past the vars block
    (packet(block=b"\x04\x00PATH\x09\x00/x"), 400),
    (packet({"PATH_INFO": "/", "CONTENT_LENGTH": "12x"}), 400),
    (packet({"PATH_INFO": "/", "CONTENT_LENGTH": "-1"}), 400),
    (packet([("CONTENT_LENGTH", "1"), ("CONTENT_LENGTH", "2")]), 400),
    (packet({"PATH_INFO": "/", "HTTP_X_BAD": "a\r\nb"}), 400),
], ids=["modifier", "truncated-key", "truncated-value", "bad-length", "negative-length",
        "two-lengths", "crlf-in-field"])
def test_bad_packets_are_answered_and_the_worker_keeps_serving(server, data, status):
    srv, worker = server
    with _connect(srv) as sock:
        sock.sendall(data)
        got, headers, _ = read_response(sock)
        assert got == status
        assert headers["connection"] == "close"
        sock.settimeout(10)
        assert sock.recv(1) == b""
    _check_served(srv, worker)


def test_too_many_vars(server):
    srv, worker = server
    pairs = [("V%d" % i, "x") for i in range(1001)]
    status, _, _ = _exchange(srv, packet(pairs))
    assert status == 400
    _check_served(srv, worker)


def test_too_many_header_vars_is_431(server):
    srv, worker = server
    pairs = [("PATH_INFO", "/")] + [("HTTP_X_H%d" % i, "x") for i in range(101)]
    status, _, _ = _exchange(srv, packet(pairs))
    assert status == 431
    _check_served(srv, worker)


def test_forbidden_peer_gets_403_before_its_packet_is_read(server):
    srv, worker = server
    # one byte of the packet: the answer does not wait for the rest
    with _connect(srv, source="127.0.0.2") as sock:
        sock.sendall(b"\x00")
        status, headers, body = read_response(sock)
    assert status == 403
    assert headers["connection"] == "close"
    assert b"127.0.0.2" in body
    _check_served(srv, worker)


def test_forbidden_peer_sending_a_whole_request(server):
    srv, worker = server
    status, _, _ = _exchange(srv, request("GET", "/", body=b"x" * 1000), source="127.0.0.2")
    assert status == 403
    _check_served(srv, worker)


def test_application_error_is_500(server):
    srv, worker = server
    status, _, _ = _exchange(srv, request("GET", "/fail"))
    assert status == 500
    _check_served(srv, worker)


def test_peer_closing_inside_a_packet_gets_no_answer(server):
    srv, worker = server
    data = request("GET", "/cut")
    with _connect(srv) as sock:
        sock.sendall(data[:10])
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        assert sock.recv(65536) == b""
    _check_served(srv, worker)
