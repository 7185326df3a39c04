"""End-to-end WSGI tests through a real server (sync and gthread workers)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import subprocess

import pytest

from tests.support.client import raw_request
from tests.support.server import run_server
from tests.wsgi.wsgi_helpers import ResponseReader

APP = "tests.wsgi.apps.wsgi_e2e_app:app"
DATA = bytes(range(256)) * 400

def _available_workers() -> list[str]:
    """sync and gthread, plus the greenlet workers once they exist and their
    libraries are installed."""
    workers = ["sync", "gthread"]
    for name, module, lib in (("gevent", "gunicorn.workers.ggevent", "gevent"),
                              ("eventlet", "gunicorn.workers.geventlet", "eventlet")):
        try:
            if importlib.util.find_spec(module) and importlib.util.find_spec(lib):
                workers.append(name)
        except ImportError:
            pass
    return workers


WORKERS = _available_workers()


def _args(worker: str, *extra: str) -> list[str]:
    args = ["--worker-class", worker, "--log-level", "debug"]
    if worker == "gthread":
        args += ["--threads", "2"]
    return args + list(extra) + [APP]


@pytest.fixture(scope="module", params=WORKERS)
def server(request, tmp_path_factory):
    data = tmp_path_factory.mktemp("wsgi-e2e") / "data.bin"
    with run_server(*_args(request.param), env={"WSGI_E2E_DATA": str(data)}) as srv:
        srv.worker_class = request.param
        yield srv


@pytest.fixture(scope="module", params=WORKERS)
def nosendfile_server(request, tmp_path_factory):
    data = tmp_path_factory.mktemp("wsgi-e2e-nsf") / "data.bin"
    with run_server(*_args(request.param, "--no-sendfile"), env={"WSGI_E2E_DATA": str(data)}) as srv:
        yield srv


def get(srv, target: str, headers: str = "", method: str = "GET", version: str = "HTTP/1.1",
        body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection; returns (status, headers, body)."""
    req = ("%s %s %s\r\nHost: localhost\r\nConnection: close\r\n%s\r\n" % (method, target, version, headers)).encode()
    with socket.create_connection((srv.host, srv.port), timeout=10) as s:
        s.sendall(req + body)
        return ResponseReader(s).read_response(head_request=method == "HEAD")


def raw(srv, data: bytes) -> bytes:
    return raw_request(srv.host, srv.port, data, timeout=10)


# ---------------------------------------------------------------- environ


def test_environ_seen_by_app(server):
    code, headers, body = get(server, "/environ/a%20b?x=1&y=%20", "X-Multi: a\r\nX-Multi: b\r\nContent-Type: text/x\r\n")
    assert code == 200
    env = json.loads(body)
    assert env["REQUEST_METHOD"] == "GET"
    assert env["RAW_URI"] == "/environ/a%20b?x=1&y=%20"
    assert env["PATH_INFO"] == "/environ/a b"
    assert env["QUERY_STRING"] == "x=1&y=%20"
    assert env["SCRIPT_NAME"] == ""
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["SERVER_SOFTWARE"] == "gunicorn/25.0.3"
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == str(server.port)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"].isdigit()
    assert env["HTTP_HOST"] == "localhost"
    assert env["HTTP_X_MULTI"] == "a,b"
    assert env["CONTENT_TYPE"] == "text/x"
    assert "HTTP_CONTENT_TYPE" not in env
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.version"] == [1, 0]
    assert env["wsgi.run_once"] is False
    assert env["wsgi.input_terminated"] is True
    assert env["wsgi.multithread"] is (server.worker_class != "sync")
    assert env["wsgi.multiprocess"] is False
    assert env["has_file_wrapper"] and env["early_hints_callable"] and env["socket_fileno"]
    assert env["wsgi.input"] == "<Body>"
    server.wait_for_output("environ view called")


def test_environ_forwarded_proto_from_trusted_peer(server):
    _, _, body = get(server, "/environ", "X-Forwarded-Proto: https\r\n")
    assert json.loads(body)["wsgi.url_scheme"] == "https"


def test_script_name_env_var(tmp_path):
    with run_server(APP, env={"SCRIPT_NAME": "/prefix"}) as srv:
        code, _, body = get(srv, "/prefix/environ")
        assert code == 200
        env = json.loads(body)
        assert env["SCRIPT_NAME"] == "/prefix"
        assert env["PATH_INFO"] == "/environ"
        code, _, _ = get(srv, "/elsewhere")
        assert code == 500
        # the worker survives and serves the next request
        assert get(srv, "/prefix/environ")[0] == 200


# ---------------------------------------------------------------- framing


def test_server_and_date_headers(server):
    code, headers, _ = get(server, "/length")
    assert headers["server"] == "gunicorn"
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", headers["date"])


def test_chunked_without_length(server):
    code, headers, body = get(server, "/chunked")
    assert code == 200
    assert headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    assert body == b"hello chunked world"


def test_http10_close_delimited(server):
    data = raw(server, b"GET /chunked HTTP/1.0\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"Transfer-Encoding" not in head
    assert b"Connection: close" in head
    assert body == b"hello chunked world"


def test_content_length_caps_output(server):
    code, headers, body = get(server, "/length")
    assert headers["content-length"] == "11"
    assert "transfer-encoding" not in headers
    assert body == b"hello world"


def test_head_has_no_body(server):
    data = raw(server, b"HEAD /length HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: 11" in head
    assert body == b""


@pytest.mark.parametrize("code,keeps_length", [("204", False), ("304", True)])
def test_204_304_have_no_body(server, code, keeps_length):
    data = raw(server, b"GET /status?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % code.encode())
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %s " % code.encode())
    assert (b"Content-Length: 5" in head) is keeps_length
    assert b"Transfer-Encoding" not in head
    assert body == b""


def test_hop_by_hop_dropped(server):
    code, headers, body = get(server, "/hop")
    data = raw(server, b"GET /hop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    for name in ("keep-alive:", "transfer-encoding:", "te:", "trailers:", "upgrade:", "proxy-authenticate:"):
        assert "\r\n" + name not in head
    assert head.count("\r\nserver:") == 1 and "server: gunicorn\r\n" in head
    assert head.count("\r\nconnection:") == 1
    assert headers["x-end-to-end"] == "kept"
    assert body == b"ok"


def test_write_callable(server):
    code, headers, body = get(server, "/write")
    assert code == 200
    assert body == b"written directly then returned"


# ---------------------------------------------------------------- files


EXPECTED = {"": DATA, "offset=1000": DATA[1000:], "offset=5": DATA[5:], "nolength": DATA}


@pytest.mark.parametrize("query", ["", "offset=1000", "nolength"])
def test_file_wrapper_sendfile(server, query):
    expected = EXPECTED[query]
    code, headers, body = get(server, "/file?" + query)
    assert code == 200
    assert body == expected
    if query == "nolength":
        assert headers["transfer-encoding"] == "chunked"
    else:
        assert headers["content-length"] == str(len(expected))


@pytest.mark.parametrize("query", ["", "offset=5", "nolength"])
def test_file_wrapper_no_sendfile(nosendfile_server, query):
    expected = EXPECTED[query]
    code, headers, body = get(nosendfile_server, "/file?" + query)
    assert code == 200
    assert body == expected


def test_sendfile_used_only_when_enabled(server, nosendfile_server):
    # The fallback's final empty read() may happen after the client already
    # has every byte, so it is not counted on.
    for srv, reads in ((server, {0}), (nosendfile_server, {len(DATA) // 4096, len(DATA) // 4096 + 1})):
        code, _, body = get(srv, "/probe-file")
        assert code == 200 and body == DATA
        _, _, counter = get(srv, "/probe-reads")
        assert json.loads(counter)["count"] in reads


def test_file_wrapper_head(server):
    data = raw(server, b"HEAD /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Length: %d" % len(DATA) in head
    assert body == b""


# ---------------------------------------------------------------- errors


def test_exc_info_before_headers_sent(server):
    code, headers, body = get(server, "/excinfo-early")
    assert code == 500
    assert "x-before" not in headers
    assert body == b"recovered"


def test_exc_info_after_headers_sent(server):
    data = raw(server, b"GET /excinfo-late HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"partial" in data
    assert b"never" not in data
    # the response is cut short: no last-chunk
    assert not data.endswith(b"0\r\n\r\n")
    server.wait_for_output("too late")


@pytest.mark.parametrize("target", ["/error", "/bad-header", "/bad-status", "/bad-hint"])
def test_app_error_gives_500_then_next_request_served(server, target):
    code, _, body = get(server, target)
    assert code == 500
    assert b"X-Injected" not in body
    code, _, body = get(server, "/length")
    assert code == 200 and body == b"hello world"


def test_bad_header_not_injected(server):
    data = raw(server, b"GET /bad-header HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 500 ")
    assert b"\r\nX-Injected" not in data


# ---------------------------------------------------------------- 100-continue


def test_expect_100_continue(server):
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                  b"Connection: close\r\n\r\n")
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = s.recv(1024)
            assert chunk, interim
            interim += chunk
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"hello")
        code, _, body = ResponseReader(s).read_response()
    assert code == 200
    assert json.loads(body) == {"length": 5, "body": "hello"}


def test_expect_100_continue_not_sent_when_body_unread(server):
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"POST /no-read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        reader = ResponseReader(s)
        code, headers, _ = reader.read_head()
        assert code == 401
        assert headers["connection"] == "close"
        # the server closes instead of reading the held-back body as a request
        while reader._fill():
            pass
        assert reader.buf == b""


# ---------------------------------------------------------------- early hints


def _heads(data: bytes) -> list[bytes]:
    return [block for block in data.split(b"\r\n\r\n") if block.startswith(b"HTTP/")]


@pytest.mark.parametrize("count", [1, 3])
def test_early_hints_raw_socket(server, count):
    data = raw(server, b"GET /hints?%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % count)
    heads = _heads(data)
    assert len(heads) == count + 1
    for i, head in enumerate(heads[:-1]):
        assert head == b"HTTP/1.1 103 Early Hints\r\nLink: </style%d.css>; rel=preload; as=style" % i
    assert heads[-1].startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b"\r\n\r\nhints")


def test_early_hints_skipped_for_http10(server):
    data = raw(server, b"GET /hints?2 HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"103" not in data.partition(b"\r\n")[0]
    assert b"Early Hints" not in data


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
@pytest.mark.parametrize("count", [1, 2])
def test_early_hints_curl(server, count):
    out = subprocess.run(
        ["curl", "-sv", "--max-time", "10", "%s/hints?%d" % (server.url, count)],
        capture_output=True, timeout=20,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"hints"
    err = out.stderr.decode("latin-1")
    statuses = re.findall(r"^< HTTP/1.1 (\d{3})", err, re.M)
    assert statuses == ["103"] * count + ["200"]
    assert "< Link: </style0.css>; rel=preload; as=style" in err


# ---------------------------------------------------------------- keep-alive


def test_keepalive_sequence(server):
    if server.worker_class == "sync":
        # sync serves one request per connection: it says so, then closes
        with socket.create_connection((server.host, server.port), timeout=10) as s:
            s.sendall(b"GET /length HTTP/1.1\r\nHost: x\r\n\r\nGET /length HTTP/1.1\r\nHost: x\r\n\r\n")
            reader = ResponseReader(s)
            code, headers, body = reader.read_response()
            assert code == 200 and headers["connection"] == "close"
            s.settimeout(5)
            assert s.recv(1) == b""
        return
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        reader = ResponseReader(s)
        for target, status in ((b"/chunked", 200), (b"/length", 200), (b"/file?nolength", 200),
                               (b"/status?204", 204), (b"/hints?2", 200)):
            s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target)
            code, headers, body = reader.read_response()
            assert code == status, target
            assert headers["connection"] == "keep-alive"
        s.sendall(b"HEAD /length HTTP/1.1\r\nHost: x\r\n\r\nGET /error HTTP/1.1\r\nHost: x\r\n\r\n")
        code, headers, body = reader.read_response(head_request=True)
        assert code == 200 and body == b""
        code, headers, body = reader.read_response()
        assert code == 500


# ---------------------------------------------------------------- unix listener


def test_unix_listener_environ(tmp_path):
    path = str(tmp_path / "wsgi.sock")
    with run_server(APP, bind="unix:" + path) as srv:
        srv.wait_for_output(re.escape(path))
        results = []
        for host in (b"example.com:9000", b"example.com", None):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.connect(path)
                host_line = b"Host: %s\r\n" % host if host else b""
                version = b"HTTP/1.1" if host else b"HTTP/1.0"
                s.sendall(b"GET /environ %s\r\n%sConnection: close\r\n\r\n" % (version, host_line))
                code, _, body = ResponseReader(s).read_response()
                assert code == 200
                results.append(json.loads(body))
    assert (results[0]["SERVER_NAME"], results[0]["SERVER_PORT"]) == ("example.com", "9000")
    assert (results[1]["SERVER_NAME"], results[1]["SERVER_PORT"]) == ("example.com", "80")
    assert (results[2]["SERVER_NAME"], results[2]["SERVER_PORT"]) == ("", "")
    for env in results:
        assert "REMOTE_PORT" not in env
        assert isinstance(env["REMOTE_ADDR"], str)


# ---------------------------------------------------------------- TLS


def test_file_wrapper_over_tls_does_not_use_sendfile(tmp_path):
    trustme = pytest.importorskip("trustme")
    import ssl

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    env = {"WSGI_E2E_DATA": str(tmp_path / "data.bin")}
    with run_server("--certfile", str(certfile), "--keyfile", str(keyfile), APP, env=env) as srv:

        def tls_get(target):
            with socket.create_connection((srv.host, srv.port), timeout=10) as raw_sock:
                with ctx.wrap_socket(raw_sock, server_hostname="127.0.0.1") as s:
                    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % target)
                    return ResponseReader(s).read_response()

        code, _, body = tls_get(b"/probe-file")
        assert code == 200 and body == DATA
        _, _, counter = tls_get(b"/probe-reads")
        assert json.loads(counter)["count"] >= len(DATA) // 4096
