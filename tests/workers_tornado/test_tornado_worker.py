"""The tornado worker (``-k tornado``) against real server processes and clients."""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import threading
import time

import httpx
import pytest
import tornado
import tornado.httputil
import tornado.web

import gunicorn
from tests.support.client import header, parse_response_head, raw_request, read_until_close
from tests.support.server import run_server

APPS = ("--pythonpath", "tests/workers_tornado")
WSGI = (*APPS, "tornado_apps:wsgi_app")
NATIVE = (*APPS, "tornado_apps:tornado_app")
SERVER = "TornadoServer/%s (Gunicorn/%s)" % (tornado.version, gunicorn.__version__)


def wait_until(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s" % what)


def read_response(sock):
    """One response with a Content-Length from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "closed mid-response: %r" % data
        data += chunk
    length = int(header(parse_response_head(data)[2], "Content-Length"))
    while len(data.partition(b"\r\n\r\n")[2]) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed mid-body: %r" % data
        data += chunk
    return data


def get(srv, target="/", extra=b""):
    data = raw_request(srv.host, srv.port, b"GET " + target.encode()
                       + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + b"\r\n")
    return parse_response_head(data)


@pytest.fixture(scope="module")
def wsgi_srv():
    with run_server("-k", "tornado", "-w", "1", "--access-logfile", "-", *WSGI) as srv:
        yield srv


@pytest.fixture(scope="module")
def native_srv():
    with run_server("-k", "tornado", "-w", "1", "--access-logfile", "-", *NATIVE) as srv:
        yield srv


def test_wsgi_app_served_with_gunicorn_environ(wsgi_srv):
    status, _, headers, body = get(wsgi_srv, "/environ?a=1")
    assert status == 200
    assert header(headers, "Server") == SERVER
    assert header(headers, "Date")
    assert header(headers, "Content-Length") == str(len(body))
    env = dict(line.split("=", 1) for line in body.decode().splitlines())
    assert env["SERVER_SOFTWARE"] == "gunicorn/%s" % gunicorn.__version__
    assert env["RAW_URI"] == "/environ?a=1"
    assert env["REMOTE_PORT"].isdigit()
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multithread"] == "False"
    wsgi_srv.wait_for_output(r'"GET /environ\?a=1 HTTP/1.1" 200 %d' % len(body))


def test_wsgi_error_is_500_without_traceback(wsgi_srv):
    pid = get(wsgi_srv, "/pid")[3]
    status, _, headers, body = get(wsgi_srv, "/error")
    assert status == 500
    assert b"boom-secret-detail" not in body
    assert header(headers, "Connection") == "close"
    wsgi_srv.wait_for_output(r"Error handling request /error")
    assert "RuntimeError: boom-secret-detail" in wsgi_srv.output()
    wsgi_srv.wait_for_output(r'"GET /error HTTP/1.1" 500 ')
    assert get(wsgi_srv, "/pid")[3] == pid


def test_wsgi_head_and_streamed_body(wsgi_srv):
    data = raw_request(wsgi_srv.host, wsgi_srv.port,
                       b"HEAD /environ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, _, headers, rest = parse_response_head(data)
    assert status == 200 and rest == b"" and int(header(headers, "Content-Length")) > 0
    # larger than the buffer: streamed with chunked framing, decoded by httpx
    resp = httpx.get("http://%s:%d/big?262144" % (wsgi_srv.host, wsgi_srv.port), timeout=10)
    assert resp.status_code == 200 and resp.content == b"x" * 262144
    assert resp.headers["transfer-encoding"] == "chunked"


def test_early_hints_is_a_validating_noop(wsgi_srv):
    data = raw_request(wsgi_srv.host, wsgi_srv.port,
                       b"GET /hints HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b" 103 " not in data
    assert parse_response_head(data)[3] == b"hint-rejected"


def test_keep_alive_serves_several_requests_on_one_connection(wsgi_srv):
    with socket.create_connection((wsgi_srv.host, wsgi_srv.port), timeout=5) as s:
        s.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_response(s)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        second = read_until_close(s)
    assert first.startswith(b"HTTP/1.1 200") and b"Connection: close" not in first
    assert parse_response_head(second)[3] == b"ok"
    with httpx.Client(base_url="http://%s:%d" % (wsgi_srv.host, wsgi_srv.port)) as client:
        ports = set()
        for _ in range(3):
            resp = client.get("/environ")
            env = dict(line.split("=", 1) for line in resp.text.splitlines())
            ports.add(env["REMOTE_PORT"])
        assert len(ports) == 1  # one connection reused


def test_native_application(native_srv):
    status, _, headers, body = get(native_srv, "/")
    assert (status, body) == (200, b"hello tornado")
    assert header(headers, "Server") == SERVER
    assert get(native_srv, "/missing")[0] == 404
    native_srv.wait_for_output(r'"GET /missing HTTP/1.1" 404 -')


def test_keep_alive_zero_closes():
    with run_server("-k", "tornado", "-w", "1", "--keep-alive", "0", *WSGI) as srv, \
            socket.create_connection((srv.host, srv.port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = read_until_close(s)  # the server closes without being asked
    status, _, headers, body = parse_response_head(data)
    assert (status, body) == (200, b"ok")
    assert header(headers, "Connection") == "close"


def test_idle_connection_closed_after_keep_alive_seconds():
    with run_server("-k", "tornado", "-w", "1", "--keep-alive", "1", *WSGI) as srv, \
            socket.create_connection((srv.host, srv.port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert parse_response_head(read_response(s))[3] == b"ok"
        started = time.monotonic()
        assert s.recv(1) == b""  # closed by the server, not answered
        assert 0.5 < time.monotonic() - started < 5


def test_post_body_over_unix_socket(tmp_path):
    path = str(tmp_path / "t.sock")
    with run_server("-k", "tornado", "-w", "1", "--chdir", "examples", "echo:app",
                    bind="unix:" + path) as srv:
        srv.wait_for_output(r"Booting worker")
        transport = httpx.HTTPTransport(uds=path)
        with httpx.Client(transport=transport, base_url="http://x") as client:
            resp = client.post("/", content=b"hello over unix")
        assert (resp.status_code, resp.content) == (200, b"hello over unix")


def test_tls_and_no_h2_in_alpn(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_path, key_path, ca_path = (str(tmp_path / n) for n in ("c.pem", "k.pem", "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(cert_path)
    cert.private_key_pem.write_to_path(key_path)
    ca.cert_pem.write_to_path(ca_path)
    with run_server("-k", "tornado", "-w", "1", "--certfile", cert_path, "--keyfile", key_path,
                    "--http-protocols", "h2,h1", *WSGI) as srv:
        assert srv.url.startswith("https://")
        srv.wait_for_output(r"HTTP/2 is not supported by the tornado worker")
        ctx = ssl.create_default_context(cafile=ca_path)
        resp = httpx.get("https://127.0.0.1:%d/environ" % srv.port, verify=ctx, timeout=10)
        assert resp.status_code == 200 and "wsgi.url_scheme=https" in resp.text
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.selected_alpn_protocol() != "h2"
            tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert parse_response_head(read_until_close(tls))[3] == b"ok"


@pytest.mark.parametrize("app,target,root", [(WSGI, "/sleep?1.5", b"ok"),
                                             (NATIVE, "/sleep?s=1.5", b"hello tornado")],
                         ids=["wsgi", "native"])
def test_term_lets_request_in_flight_finish(tmp_path, app, target, root):
    mark = str(tmp_path / "started")
    with run_server("-k", "tornado", "-w", "1", "--graceful-timeout", "10", *app,
                    env={"TORNADO_TEST_MARK": mark}) as srv:
        result = {}

        def client():
            result["data"] = raw_request(srv.host, srv.port, b"GET " + target.encode()
                                         + b" HTTP/1.1\r\nHost: x\r\n\r\n", timeout=10)

        t = threading.Thread(target=client)
        t.start()
        wait_until(lambda: os.path.exists(mark), what="the request to start")
        idle = socket.create_connection((srv.host, srv.port), timeout=5)
        srv.signal(signal.SIGTERM)
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert srv.proc.wait(10) == 0
        t.join(10)
        status, _, _, body = parse_response_head(result["data"])
        assert (status, body) == (200, b"slept")
        # a request sent on an idle connection around the TERM is still
        # answered (with Connection: close once the drain has begun), then closed
        status, _, _, body = parse_response_head(read_until_close(idle))
        idle.close()
        assert (status, body) == (200, root)
        assert "graceful timeout" not in srv.output()


def test_graceful_timeout_cuts_long_request(tmp_path):
    # TTOU stops the oldest worker with TERM and leaves the drain limit to the
    # worker itself (a master being stopped would SIGKILL it at the same moment)
    mark = str(tmp_path / "started")
    with run_server("-k", "tornado", "-w", "1", "--graceful-timeout", "4", *NATIVE,
                    env={"TORNADO_TEST_MARK": mark}) as srv:
        (old,) = srv.wait_workers(1)
        with socket.create_connection((srv.host, srv.port), timeout=10) as s:
            s.sendall(b"GET /sleep?s=30 HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_until(lambda: os.path.exists(mark), what="the request to start")
            srv.signal(signal.SIGTTIN)
            srv.wait_workers(2)
            started = time.monotonic()
            srv.signal(signal.SIGTTOU)
            assert read_until_close(s) == b""
            # cut before graceful_timeout, leaving the process time to exit
            assert 2.7 < time.monotonic() - started < 4
        srv.wait_for_output(r"Worker graceful timeout \(pid:%d\)" % old)
        wait_until(lambda: old not in srv.worker_pids(), what="the old worker to exit")
        assert "was sent SIGKILL" not in srv.output()


def test_hup_ttin_ttou():
    with run_server("-k", "tornado", "-w", "1", *WSGI) as srv:
        (old,) = srv.wait_workers(1)
        srv.signal(signal.SIGTTIN)
        assert len(srv.wait_workers(2)) == 2
        srv.signal(signal.SIGTTOU)
        srv.wait_workers(1)
        assert get(srv, "/")[3] == b"ok"
        (before,) = srv.wait_workers(1)
        srv.signal(signal.SIGHUP)
        srv.wait_for_output(r"Hang up")
        wait_until(lambda: srv.worker_pids() and before not in srv.worker_pids()
                   and len(srv.worker_pids()) == 1, what="the HUP to replace the worker")
        (after,) = srv.worker_pids()
        wait_until(lambda: get(srv, "/pid")[3] == str(after).encode(), what="the new worker")


def test_max_requests_restarts_worker():
    with run_server("-k", "tornado", "-w", "1", "--max-requests", "3", *WSGI) as srv:
        with httpx.Client(base_url="http://%s:%d" % (srv.host, srv.port)) as client:
            pids = {client.get("/pid").text for _ in range(3)}
        assert len(pids) == 1
        srv.wait_for_output(r"Autorestarting worker after current request\.")
        old = int(pids.pop())
        wait_until(lambda: srv.worker_pids() and old not in srv.worker_pids(),
                   what="a new worker")
        wait_until(lambda: get(srv, "/pid")[3] not in (b"", str(old).encode()),
                   what="the new worker to answer")


def test_worker_timeout_kills_a_blocked_worker(tmp_path):
    mark = str(tmp_path / "started")
    with run_server("-k", "tornado", "-w", "1", "--timeout", "2", *WSGI,
                    env={"TORNADO_TEST_MARK": mark}) as srv:
        (old,) = srv.wait_workers(1)
        with socket.create_connection((srv.host, srv.port), timeout=15) as s:
            s.sendall(b"GET /sleep?60 HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_until(lambda: os.path.exists(mark), what="the request to start")
            srv.wait_for_output(r"WORKER TIMEOUT \(pid:%d\)" % old, timeout=15)
            assert read_until_close(s) == b""
        wait_until(lambda: srv.worker_pids() and old not in srv.worker_pids(),
                   what="a new worker")
        assert re.search(r"aborted; thread stacks", srv.output())
        wait_until(lambda: get(srv, "/")[3] == b"ok", what="the new worker to answer")


def test_malformed_request_gets_400_and_worker_keeps_serving(wsgi_srv):
    pid = get(wsgi_srv, "/pid")[3]
    data = raw_request(wsgi_srv.host, wsgi_srv.port, b"GARBAGE\r\n\r\n")
    assert parse_response_head(data)[0] == 400
    # tornado's own messages reach the gunicorn error log
    wsgi_srv.wait_for_output(r"Malformed HTTP message from 127\.0\.0\.1")
    assert get(wsgi_srv, "/pid")[3] == pid


def test_worker_exits_when_the_master_dies():
    with run_server("-k", "tornado", "-w", "1", "--graceful-timeout", "2", *WSGI) as srv:
        (worker,) = srv.wait_workers(1)
        srv.proc.kill()
        srv.proc.wait(5)

        def gone():
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                return True
            with open("/proc/%d/stat" % worker, "rb") as f:
                return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
        wait_until(gone, timeout=10, what="the orphaned worker to exit")


def test_worker_class_contract():
    from gunicorn import workers
    from gunicorn.workers.gtornado import SERVER_HEADER, TornadoWorker

    assert workers.SUPPORTED_WORKERS["tornado"] == "gunicorn.workers.gtornado.TornadoWorker"
    assert "tornado" in workers.available_workers()
    assert "tornado" not in workers.coming_workers()
    assert TornadoWorker.serves_http2 is False
    TornadoWorker.setup()
    TornadoWorker.setup()  # idempotent: called each time the class is loaded
    handler = tornado.web.RequestHandler(
        tornado.web.Application(),
        tornado.httputil.HTTPServerRequest(
            connection=_NoConnection(), headers=tornado.httputil.HTTPHeaders({"Host": "x"}),
            start_line=tornado.httputil.RequestStartLine("GET", "/", "HTTP/1.1")))
    assert handler._headers["Server"] == SERVER_HEADER == SERVER


class _NoConnection:
    context = None

    def set_close_callback(self, callback):
        pass
