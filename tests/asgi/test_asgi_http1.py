"""HTTP/1.x through the asgi worker: real server process, real clients."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from tests.asgi.asgi_support import HERE, asgi_server, connect, recv_until, wait_for
from tests.support.client import parse_response_head, raw_request, read_until_close
from tests.support.server import run_server


def test_hello_and_scope(h1_server):
    r = httpx.get(h1_server.url + "/a%20b/%C3%A9?x=1&y=%20")
    assert r.status_code == 200
    assert r.text == "hello /a b/\u00e9"
    scope = httpx.get(h1_server.url + "/scope?q=%41", headers={"X-Custom": "Val"}).json()
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/scope"
    assert scope["raw_path"] == "/scope"
    assert scope["query_string"] == "q=%41"
    assert scope["root_path"] == "/mount"
    assert ["x-custom", "Val"] in scope["headers"]
    assert scope["client"][0] == "127.0.0.1"
    assert scope["server"] == ["127.0.0.1", h1_server.port]
    assert scope["state"] == {"started": "yes"}
    assert "http.response.trailers" in scope["extensions"]
    assert "http.response.informational" in scope["extensions"]


def test_event_loop_choice(h1_server):
    module = httpx.get(h1_server.url + "/loop").text
    assert module.startswith(h1_server.loop_name)


def test_unix_socket_bind(tmp_path):
    path = str(tmp_path / "asgi.sock")
    with asgi_server(bind="unix:" + path) as srv:
        transport = httpx.HTTPTransport(uds=path)
        with httpx.Client(transport=transport) as c:
            scope = c.get("http://localhost/scope").json()
        assert scope["client"] is None
        assert scope["server"] == [path, None]
        assert srv.proc.poll() is None


def test_raw_path_keeps_encoding(h1_server):
    data = raw_request(h1_server.host, h1_server.port,
                       b"GET /scope%2Fx HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    status, _, _, body = parse_response_head(data)
    scope = json.loads(body)
    assert scope["path"] == "/scope/x"
    assert scope["raw_path"] == "/scope%2Fx"


def test_access_log_line(h1_server):
    start = len(h1_server.output())
    httpx.get(h1_server.url + "/logged?z=1", headers={"User-Agent": "asgi-test-agent"})
    h1_server.wait_for_output(r'"GET /logged\?z=1 HTTP/1.1" 200 13 "-" "asgi-test-agent"',
                              start=start)


def test_request_body_streamed_both_ways(h1_server):
    pieces = [b"x" * 100_000, b"y" * 50_000, b"z" * 7]

    def gen():
        yield from pieces

    r = httpx.post(h1_server.url + "/stream-echo", content=gen())
    assert r.status_code == 200
    assert r.headers["transfer-encoding"] == "chunked"
    assert r.content == b"".join(pieces)
    big = b"q" * 3_000_000
    r = httpx.post(h1_server.url + "/echo", content=big)
    assert r.content == big


def test_request_body_backpressure(h1_server, tmp_path):
    # while the application does not receive(), the worker stops reading:
    # the client can only fill the socket buffers, not hand over 64 MiB
    marker = tmp_path / "go"
    total = 64 * 1024 * 1024
    with connect(h1_server) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        s.sendall(b"POST /late-read?%s HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"
                  % (str(marker).encode(), total))
        chunk = b"b" * 65536
        sent = 0
        s.setblocking(False)
        stalled_since = None
        while sent < total:
            try:
                sent += s.send(chunk[: total - sent])
                stalled_since = None
            except BlockingIOError:
                # the server stopped reading: wait until that holds for 0.5 s
                now = time.monotonic()
                stalled_since = stalled_since or now
                if now - stalled_since > 0.5:
                    break
                time.sleep(0.01)
        assert sent < 24 * 1024 * 1024
        marker.write_text("go")
        s.setblocking(True)
        s.settimeout(30)
        s.sendall(b"b" * (total - sent))
        data = recv_until(s, b"\r\n\r\n" + str(total).encode(), timeout=30)
    assert data.endswith(str(total).encode())


def test_streamed_response_chunked(h1_server):
    with httpx.stream("GET", h1_server.url + "/stream") as r:
        assert r.headers["transfer-encoding"] == "chunked"
        assert b"".join(r.iter_bytes()) == b"".join(b"part%d\n" % i for i in range(5))


@pytest.mark.parametrize("request_line,status", [
    (b"HEAD /stream HTTP/1.1", 200),
    (b"GET /status?204 HTTP/1.1", 204),
    (b"GET /status?304 HTTP/1.1", 304),
])
def test_no_body_framing(h1_server, request_line, status):
    # HEAD/204/304: no content and no chunk framing; the next response on the
    # same connection parses cleanly
    with connect(h1_server) as s:
        s.sendall(request_line + b"\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n"
                  b"Connection: close\r\n\r\n")
        data = read_until_close(s)
    code, _, headers, rest = parse_response_head(data)
    assert code == status
    assert "transfer-encoding" not in {k.lower() for k, _ in headers}
    code2, _, _, body2 = parse_response_head(rest)
    assert code2 == 200 and body2 == b"hello /after"


def test_expect_100_continue_on_first_receive(h1_server):
    with connect(h1_server) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        interim = recv_until(s, b"\r\n\r\n")
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"hello")
        data = recv_until(s, b"hello")
    code, _, _, body = parse_response_head(data)
    assert code == 200 and body == b"hello"


def test_no_100_when_app_does_not_read(h1_server):
    with connect(h1_server) as s:
        s.sendall(b"POST /plain HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        data = read_until_close(s)
    assert not data.startswith(b"HTTP/1.1 100")
    code, _, headers, body = parse_response_head(data)
    assert code == 200 and body == b"hello /plain"
    # the body was never sent: the connection cannot be reused
    assert ("Connection", "close") in headers


def test_keep_alive_and_pipelining(h1_server):
    with connect(h1_server) as s:
        s.sendall(b"GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
                  b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                  b"GET /three HTTP/1.1\r\nHost: a\r\n\r\n")
        data = recv_until(s, b"hello /three")
        s.sendall(b"GET /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data += read_until_close(s)
    bodies = []
    rest = data
    while rest:
        code, _, headers, rest = parse_response_head(rest)
        length = int(dict((k.lower(), v) for k, v in headers)["content-length"])
        bodies.append(rest[:length])
        rest = rest[length:]
    assert bodies == [b"hello /one", b"abc", b"hello /three", b"hello /four"]


def test_chunked_request_body(h1_server):
    data = raw_request(h1_server.host, h1_server.port,
                       b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                       b"Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    code, _, _, body = parse_response_head(data)
    assert code == 200 and body == b"abcde"


def test_trailers(h1_server):
    data = raw_request(h1_server.host, h1_server.port,
                       b"GET /trailers HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n"
                       b"Connection: close\r\n\r\n")
    code, _, headers, rest = parse_response_head(data)
    assert code == 200
    assert ("Transfer-Encoding", "chunked") in headers
    assert rest == b"4\r\ndata\r\n0\r\nx-checksum: abc123\r\n\r\n"


def test_early_hints_on_the_wire_before_200(h1_server):
    data = raw_request(h1_server.host, h1_server.port,
                       b"GET /hints HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 103 Early Hints\r\n"
                           b"link: </style.css>; rel=preload; as=style\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert data.endswith(b"after hints")


def test_early_hints_skipped_on_http10(h1_server):
    data = raw_request(h1_server.host, h1_server.port, b"GET /hints HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"103" not in data.split(b"\r\n\r\n")[0]


def test_app_errors_give_500(h1_server):
    for path in ("/error", "/noresponse", "/bad-header", "/bad-header?cl"):
        r = httpx.get(h1_server.url + path)
        assert r.status_code == 500
        assert r.headers["connection"] == "close"
        assert "injected" not in r.headers
    h1_server.wait_for_output(r"Error handling request /error")
    h1_server.wait_for_output(r"returned without completing its response to /noresponse")


def test_disconnect_reaches_app(tmp_path):
    marker = tmp_path / "disconnected"
    with asgi_server("--asgi-disconnect-grace-period", "5",
                     env={"ASGI_DISCONNECT_MARKER": str(marker)}) as srv:
        s = connect(srv)
        s.sendall(b"GET /wait-disconnect HTTP/1.1\r\nHost: a\r\n\r\n")
        recv_until(s, b"waiting\n")
        s.close()
        wait_for(lambda: marker.exists() and marker.read_text())
        assert marker.read_text() == "disconnect"


def test_keepalive_idle_timeout():
    with asgi_server("--keep-alive", "1") as srv:
        with connect(srv, timeout=10) as s:
            s.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
            recv_until(s, b"hello /x")
            # the server closes the idle connection by itself
            s.settimeout(10)
            assert s.recv(100) == b""


# -- malformed requests: the same bytes as the WSGI path -------------------------------

BAD_REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
]


@pytest.fixture(scope="module")
def gthread_server():
    with run_server("--worker-class", "gthread", "--threads", "2", "--chdir",
                    HERE, "wsgi_app:app") as srv:
        yield srv


@pytest.mark.parametrize("request_bytes", BAD_REQUESTS, ids=range(len(BAD_REQUESTS)))
def test_bad_request_bytes_match_gthread(h1_server, gthread_server, request_bytes):
    ours = raw_request(h1_server.host, h1_server.port, request_bytes)
    theirs = raw_request(gthread_server.host, gthread_server.port, request_bytes)
    assert ours.startswith(b"HTTP/1.1 4") or ours.startswith(b"HTTP/1.1 5")
    assert ours == theirs


def test_chunk_size_error_answered_400(h1_server):
    data = raw_request(h1_server.host, h1_server.port,
                       b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\nabc\r\n0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_worker_connections_enforced():
    with asgi_server("--worker-connections", "2", "--keep-alive", "30") as srv:
        busy = [connect(srv) for _ in range(2)]
        try:
            for s in busy:
                s.sendall(b"GET /wait-disconnect HTTP/1.1\r\nHost: a\r\n\r\n")
                recv_until(s, b"waiting\n")
            # both slots run a request: a third connection is refused
            extra = connect(srv)
            extra.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            extra.settimeout(5)
            try:
                got = extra.recv(100)
            except ConnectionResetError:
                got = b""
            assert got == b""
            extra.close()
        finally:
            for s in busy:
                s.close()
        # once they are gone, service resumes

        def served():
            try:
                return httpx.get(srv.url + "/ok", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False
        wait_for(served)


def test_idle_connection_makes_room_at_the_cap():
    with asgi_server("--worker-connections", "1", "--keep-alive", "30") as srv:
        with connect(srv) as idle:
            idle.sendall(b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
            recv_until(idle, b"hello /a")
            r = httpx.get(srv.url + "/b")
            assert r.text == "hello /b"
            idle.settimeout(5)
            assert idle.recv(10) == b""


def test_pipelined_requests_wait_for_a_client_that_does_not_read():
    """Twenty pipelined requests for 1 MiB responses from a client that does
    not read: the worker stops serving them once the transport's buffer is
    full (no pile of responses in memory), another client is still served,
    and once the client reads it gets all twenty, complete and in order."""
    count = 20
    with asgi_server("--workers", "1") as srv:
        sock = connect(srv, timeout=30)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        try:
            sock.sendall(b"".join(
                b"GET /big?%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(count)))
            served = lambda: int(httpx.get(srv.url + "/served", timeout=5).text)  # noqa: E731
            wait_for(lambda: served() >= 1)
            time.sleep(0.5)
            # socket buffers hold a few MiB at most: most requests wait
            assert served() < count // 2
            size = len(bytes(range(256)) * 4096)
            data = b""
            for i in range(count):
                while b"\r\n\r\n" not in data:
                    chunk = sock.recv(1 << 20)
                    assert chunk, "connection closed after %d responses" % i
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200 "), head
                while len(data) < size:
                    chunk = sock.recv(1 << 20)
                    assert chunk
                    data += chunk
                assert data[:size] == bytes(range(256)) * 4096
                data = data[size:]
            assert served() == count
        finally:
            sock.close()
