"""HTTP/1.1 on the greenlet workers (gevent, gevent_pywsgi, eventlet), end to end.

Raw sockets against real servers: keep-alive and pipelining (RFC 9112
section 9.3), ``Expect: 100-continue`` (RFC 9110 section 10.1.1), a
malformed request answered 400, early hints (RFC 8297) on HTTP/1.1 and not
on HTTP/1.0, the PROXY header carried to every request of its connection,
``wsgi.file_wrapper`` and TLS.
"""

from __future__ import annotations

import time

import pytest

from tests.support.client import header
from tests.support.server import run_server
from tests.workers_async.async_apps import FILE_SIZE
from tests.workers_async.conftest import (
    APP,
    ASYNC_WORKERS,
    ResponseReader,
    closed_by_server,
    connect,
    env_of,
    get,
)

# gevent_pywsgi hands connections to gevent's own parser and handler
OWN_PROTOCOL = ("gevent", "eventlet")


@pytest.fixture(scope="module", params=ASYNC_WORKERS)
def server(request):
    # keep-alive long enough that an idle timeout never decides a case on a busy host
    with run_server("-k", request.param, "-w", "1", "--keep-alive", "30", APP) as srv:
        srv.worker = request.param
        yield srv


def test_keepalive_and_pipelining(server):
    with connect(server) as sock:
        reader = ResponseReader(sock)
        sock.sendall(get("/one") + get("/two") + get("/three"))
        bodies = [reader.response() for _ in range(3)]
        assert [(s, b) for s, _, b in bodies] == [
            (200, b"hello /one\n"), (200, b"hello /two\n"), (200, b"hello /three\n")]
        for _, headers, _ in bodies:
            assert (header(headers, "Connection") or "keep-alive").lower() != "close"
        # the connection is still usable afterwards
        sock.sendall(get("/four"))
        assert reader.response()[2] == b"hello /four\n"


def test_connection_close_is_honoured(server):
    with connect(server) as sock:
        sock.sendall(get("/bye", "Connection: close\r\n"))
        status, _, body = ResponseReader(sock).response()
        assert (status, body) == (200, b"hello /bye\n")
        assert closed_by_server(sock)


def test_100_continue(server):
    with connect(server) as sock:
        reader = ResponseReader(sock)
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        status, _ = reader.head()
        assert status == 100
        sock.sendall(b"hello")
        status, _, body = reader.response()
        assert (status, body) == (200, b"hello")
        # and the connection goes on
        sock.sendall(get("/after"))
        assert reader.response()[2] == b"hello /after\n"


def test_bad_request_gets_400(server):
    with connect(server) as sock:
        # four words on the request line (RFC 9112 section 3)
        sock.sendall(b"GET / HTTP/1.1 junk\r\nHost: t\r\n\r\n")
        status, _, _ = ResponseReader(sock).response()
        assert status == 400
        assert closed_by_server(sock)


def test_environ(server):
    with connect(server) as sock:
        sock.sendall(get("/env?x=1"))
        env = env_of(ResponseReader(sock).response()[2])
    assert env["wsgi.multithread"] == "True"
    assert env["wsgi.multiprocess"] == "False"  # -w 1
    assert env["RAW_URI"] == "/env?x=1"
    assert env["socket"] == "True"
    assert env["hints"] == "True"  # gevent_pywsgi too: its handler writes the 103


def test_early_hints_on_http11(server):
    with connect(server) as sock:
        reader = ResponseReader(sock)
        sock.sendall(get("/hints"))
        heads = [reader.head() for _ in range(3)]
        assert [status for status, _ in heads] == [103, 103, 200]
        assert header(heads[0][1], "Link") == "</style.css>; rel=preload; as=style"
        assert header(heads[1][1], "Link") == "</app.js>; rel=preload; as=script"
        assert reader.body(heads[2][1]) == b"hinted\n"


def test_early_hints_skipped_on_http10(server):
    with connect(server) as sock:
        sock.sendall(b"GET /hints HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    # gevent's handler answers with its own version (RFC 9110 section 2.5 allows it)
    status_line = b"HTTP/1.0 200 " if server.worker in OWN_PROTOCOL else b"HTTP/1.1 200 "
    assert data.startswith(status_line)
    assert b" 103 " not in data
    assert data.endswith(b"hinted\n")


def test_already_handled(server):
    if server.worker not in OWN_PROTOCOL:
        pytest.skip("gevent_pywsgi: gevent's handler has no ALREADY_HANDLED sentinel")
    with connect(server) as sock:
        sock.sendall(get("/taken"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    # exactly what the application wrote, then the worker closed the connection
    assert data == b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\ntaken\n"


def test_file_wrapper(server):
    with connect(server) as sock:
        reader = ResponseReader(sock)
        sock.sendall(get("/file") + get("/after"))
        status, _, body = reader.response()
        assert status == 200 and len(body) == FILE_SIZE
        assert body == bytes(range(256)) * (FILE_SIZE // 256)
        assert reader.response()[2] == b"hello /after\n"


@pytest.mark.parametrize("worker_name", OWN_PROTOCOL)
def test_proxy_info_carried_to_later_requests(worker_name):
    with run_server("-k", worker_name, "-w", "1", "--proxy-protocol", "v1",
                    "--proxy-allow-from", "127.0.0.1", APP) as srv:
        with connect(srv) as sock:
            reader = ResponseReader(sock)
            sock.sendall(b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n" + get("/env"))
            first = env_of(reader.response()[2])
            sock.sendall(get("/env"))
            second = env_of(reader.response()[2])
    assert first["REMOTE_ADDR"] == second["REMOTE_ADDR"] == "192.0.2.7"
    assert first["PROXY_ADDR"] == second["PROXY_ADDR"] == "198.51.100.1"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    from tests.tls.tls_support import make_tls_files

    return make_tls_files(str(tmp_path_factory.mktemp("tls")))


@pytest.mark.parametrize("worker_name", ASYNC_WORKERS)
def test_tls_keepalive(worker_name, tls_files):
    with run_server("-k", worker_name, "-w", "1", "--keep-alive", "30",
                    "--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                    "--http-protocols", "h2,h1", APP) as srv:
        assert srv.url.startswith("https://")
        if worker_name in OWN_PROTOCOL:
            # they serve HTTP/2 too (tests/workers_async_h2): ask for HTTP/1.1
            ctx = tls_files.client_context(alpn=["http/1.1"])
        else:
            assert "HTTP/2 is not supported by the %s worker" % worker_name in srv.output()
            ctx = tls_files.client_context(alpn=["h2", "http/1.1"])
        # a client that never starts its handshake holds only its own greenlet
        stalled = connect(srv)
        with ctx.wrap_socket(connect(srv), server_hostname="127.0.0.1") as tls:
            # gevent_pywsgi never offers h2 through ALPN
            assert tls.selected_alpn_protocol() in (None, "http/1.1")
            reader = ResponseReader(tls)
            tls.sendall(get("/env") + get("/two"))
            env = env_of(reader.response()[2])
            assert env["wsgi.url_scheme"] == "https"
            assert reader.response()[2] == b"hello /two\n"
        # a client that is not speaking TLS is dropped without a response
        with connect(srv) as plain:
            plain.sendall(get("/"))
            try:
                data = plain.recv(65536)
            except ConnectionResetError:
                data = b""
            assert b"hello" not in data
        # the worker still serves after that
        with ctx.wrap_socket(connect(srv), server_hostname="127.0.0.1") as tls:
            tls.sendall(get("/again"))
            assert ResponseReader(tls).response()[2] == b"hello /again\n"
        stalled.close()


@pytest.mark.parametrize("worker_name", ASYNC_WORKERS)
def test_idle_keepalive_connection_closed_after_keepalive(worker_name):
    with run_server("-k", worker_name, "-w", "1", "--keep-alive", "1", APP) as srv:
        with connect(srv) as sock:
            sock.sendall(get("/once"))
            assert ResponseReader(sock).response()[2] == b"hello /once\n"
            started = time.monotonic()
            assert closed_by_server(sock, timeout=10)
            assert 0.5 <= time.monotonic() - started < 5
