"""The server behind a real nginx (Debian package) with ``proxy_pass``.

One nginx serves every scenario from its own ``location``: HTTP/1.1
keep-alive upstream (``upstream { keepalive 16; }``), unbuffered chunked
request bodies, forwarded headers from a trusted and from an untrusted
address (``proxy_bind``), WebSocket proxying to ``-k asgi``, and TLS with
HTTP/2 terminated by nginx.  The load test sends 2,000 requests from 50
clients through it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from tests.proxies.proxy_apps import download_blob, expected_load_body
from tests.proxies.proxy_support import (
    UNTRUSTED_IP,
    app_args,
    free_port,
    nginx_version,
    raw_exchange,
    run_load,
    run_nginx,
)
from tests.support.server import GunicornServer, run_server
from tests.tls.tls_support import TLSFiles

TEN_MIB = 10 * 1024 * 1024
# nginx learned to pass 103 Early Hints to clients in 1.29.0 (``early_hints``).
EARLY_HINTS_NGINX = (1, 29, 0)

NGINX_HTTP = """
    upstream app {{ server 127.0.0.1:{app}; keepalive 16; }}
    # a separate pool: kept-alive connections are matched on the upstream
    # address only, so the untrusted location must not share the trusted one's
    upstream app_untrusted {{ server 127.0.0.1:{app}; }}
    upstream ws {{ server 127.0.0.1:{ws}; }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{http};
        listen 127.0.0.1:{https} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        proxy_http_version 1.1;
        # proxy_set_header is inherited only by locations that set none
        # themselves: those repeat these lines
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        location / {{
            proxy_pass http://app;
        }}
        location /fwd/ {{
            # the path keeps its /fwd prefix: SCRIPT_NAME must prefix it
            proxy_pass http://app;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header SCRIPT_NAME /fwd;
        }}
        location /untrusted/ {{
            proxy_pass http://app_untrusted;
            proxy_bind {untrusted};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header SCRIPT_NAME /untrusted;
        }}
        location /chunked/ {{
            proxy_pass http://app/;
            proxy_request_buffering off;
            proxy_buffering off;
        }}
        location /hints {{
            proxy_pass http://app;
            {early_hints}
        }}
        location /http10/ {{
            # nginx's default upstream protocol: the server sends no 103
            proxy_pass http://app/;
            proxy_http_version 1.0;
        }}
        location /ws/ {{
            proxy_pass http://ws/;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 60s;
        }}
    }}
"""


@dataclass
class NginxStack:
    """nginx in front of a gthread server (``app``) and an asgi server (``ws``)."""

    http: str
    https: str
    ws: str
    app: GunicornServer
    version: tuple[int, ...]


@pytest.fixture(scope="module")
def nginx_stack(tmp_path_factory: pytest.TempPathFactory, tls_files: TLSFiles) -> Iterator[NginxStack]:
    tmp = tmp_path_factory.mktemp("nginx-proxy")
    version = nginx_version()
    with run_server("--workers", "2", "--keep-alive", "30", "--forwarded-allow-ips", "127.0.0.1",
                    "--access-logfile", "-", *app_args("gthread")) as app, \
            run_server("--forwarded-allow-ips", "127.0.0.1", *app_args("asgi")) as ws:
        ports = {"http": free_port(), "https": free_port()}
        body = NGINX_HTTP.format(
            app=app.port, ws=ws.port, untrusted=UNTRUSTED_IP, cert=tls_files.cert_path,
            key=tls_files.key_path,
            early_hints="early_hints $http2;" if version >= EARLY_HINTS_NGINX else "", **ports)
        with run_nginx(str(tmp), body, ports):
            yield NginxStack("http://127.0.0.1:%d" % ports["http"],
                             "https://127.0.0.1:%d" % ports["https"],
                             "ws://127.0.0.1:%d" % ports["http"], app, version)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"]


@pytest.mark.parametrize("method", METHODS)
def test_every_method(nginx_stack: NginxStack, client: httpx.Client, method: str) -> None:
    body = b"" if method in ("GET", "HEAD", "OPTIONS") else ("payload of %s" % method).encode()
    r = client.request(method, nginx_stack.http + "/info?m=" + method, content=body or None)
    assert r.status_code == 200
    if method == "HEAD":
        assert r.content == b""
        assert int(r.headers["content-length"]) > 0
        return
    info = r.json()
    assert info["method"] == method
    assert info["path"] == "/info" and info["query"] == "m=" + method
    assert info["body_length"] == len(body)
    assert info["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert info["protocol"] == "HTTP/1.1"


def test_upstream_keepalive_reuses_connections(nginx_stack: NginxStack, client: httpx.Client) -> None:
    """Sequential requests through ``keepalive 16`` travel on one upstream
    connection: the server sees the same nginx source port every time."""
    ports = set()
    for i in range(20):
        r = client.get(nginx_stack.http + "/info?seq=%d" % i)
        assert r.status_code == 200
        ports.add(r.json()["remote_port"])
    assert len(ports) == 1, ports


def test_ten_mib_upload(nginx_stack: NginxStack, client: httpx.Client,
                        upload_blob: tuple[bytes, str]) -> None:
    blob, digest = upload_blob
    r = client.post(nginx_stack.http + "/info", content=blob)
    assert r.status_code == 200
    info = r.json()
    assert (info["body_length"], info["body_sha256"]) == (len(blob), digest)
    assert info["content_length"] == str(len(blob))


def test_ten_mib_download(nginx_stack: NginxStack, client: httpx.Client) -> None:
    expected = hashlib.sha256(download_blob(TEN_MIB, 7)).hexdigest()
    with client.stream("GET", nginx_stack.http + "/download?n=%d&seed=7" % TEN_MIB) as r:
        assert r.status_code == 200
        digest = hashlib.sha256()
        size = 0
        for chunk in r.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
    assert (size, digest.hexdigest()) == (TEN_MIB, expected)


def test_chunked_request_body_unbuffered(nginx_stack: NginxStack, client: httpx.Client,
                                         upload_blob: tuple[bytes, str]) -> None:
    """A chunked client body goes on chunked to the server with
    ``proxy_request_buffering off`` (nginx does not know its length)."""
    blob, digest = upload_blob

    def pieces() -> Iterator[bytes]:
        step = 100_003  # not a power of two: chunk sizes vary on the way
        for i in range(0, len(blob), step):
            yield blob[i:i + step]

    r = client.post(nginx_stack.http + "/chunked/info", content=pieces())
    assert r.status_code == 200
    info = r.json()
    assert info["http_transfer_encoding"] == "chunked"
    assert info["content_length"] is None
    assert (info["body_length"], info["body_sha256"]) == (len(blob), digest)


def test_forwarded_headers_from_trusted_address(nginx_stack: NginxStack, client: httpx.Client) -> None:
    r = client.get(nginx_stack.http + "/fwd/info?a=1", headers={"X-Forwarded-For": "203.0.113.7"})
    assert r.status_code == 200
    info = r.json()
    assert info["remote_addr"] == "127.0.0.1"
    assert info["scheme"] == "https"
    assert info["script_name"] == "/fwd"
    assert info["path"] == "/info"
    assert info["http_x_forwarded_for"] == "203.0.113.7, 127.0.0.1"


def test_forwarded_headers_ignored_from_untrusted_address(nginx_stack: NginxStack,
                                                          client: httpx.Client) -> None:
    """nginx connects from 127.0.0.3 (``proxy_bind``), outside
    --forwarded-allow-ips: the scheme header and SCRIPT_NAME are not honoured."""
    r = client.get(nginx_stack.http + "/untrusted/info?a=1")
    assert r.status_code == 200
    info = r.json()
    assert info["remote_addr"] == UNTRUSTED_IP
    assert info["scheme"] == "http"
    assert info["script_name"] == ""
    assert info["http_script_name"] is None
    assert info["path"] == "/untrusted/info"


def test_websocket_through_nginx(nginx_stack: NginxStack) -> None:
    with ws_connect(nginx_stack.ws + "/ws/echo", open_timeout=10, close_timeout=10) as ws:
        for i in range(20):
            ws.send("message %d" % i)
            assert ws.recv(timeout=10) == "echo:message %d" % i
        ws.send(b"\x00\x01binary")
        assert ws.recv(timeout=10) == b"yranib\x01\x00"
        big = "x" * 200_000
        ws.send(big)
        assert ws.recv(timeout=10) == "echo:" + big
        ws.send("close:4001")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001


def test_tls_http2_with_curl(nginx_stack: NginxStack) -> None:
    proc = subprocess.run(["curl", "--http2", "-k", "-v", "-sS", "--max-time", "20",
                           nginx_stack.https + "/info?via=curl"], capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    trace = proc.stderr.decode("latin-1")
    assert re.search(r"ALPN.*\bh2\b", trace), trace
    assert "< HTTP/2 200" in trace, trace
    info = json.loads(proc.stdout)
    # nginx speaks HTTP/1.1 upstream and says the client used https
    assert info["protocol"] == "HTTP/1.1"
    assert info["scheme"] == "https"
    assert info["query"] == "via=curl"


def test_tls_http2_with_httpx(nginx_stack: NginxStack, upload_blob: tuple[bytes, str]) -> None:
    blob, digest = upload_blob
    with httpx.Client(http2=True, verify=False, timeout=30) as h2:
        for i in range(5):
            r = h2.get(nginx_stack.https + "/load/%d" % i)
            assert r.http_version == "HTTP/2"
            assert r.status_code == 200 and r.content == expected_load_body(i)
        r = h2.post(nginx_stack.https + "/info", content=blob)
        assert r.http_version == "HTTP/2"
        info = r.json()
        assert (info["body_length"], info["body_sha256"]) == (len(blob), digest)
        assert info["scheme"] == "https"


def test_early_hints_relayed_by_nginx(nginx_stack: NginxStack) -> None:
    """nginx >= 1.29 passes a 103 from the upstream to HTTP/2 clients (``early_hints``)."""
    if nginx_stack.version < EARLY_HINTS_NGINX:
        pytest.skip("nginx %s has no early_hints directive (needs >= %s): it cannot relay 103"
                    % (".".join(map(str, nginx_stack.version)), ".".join(map(str, EARLY_HINTS_NGINX))))
    proc = subprocess.run(["curl", "--http2", "-k", "-v", "-sS", "--max-time", "20",
                           nginx_stack.https + "/hints"], capture_output=True, timeout=30)
    trace = proc.stderr.decode("latin-1")
    assert proc.returncode == 0, trace
    assert "< HTTP/2 103" in trace and "< HTTP/2 200" in trace, trace
    assert proc.stdout == b"after hints"


def test_early_hints_over_http11_upstream_do_not_break_response(
        nginx_stack: NginxStack, client: httpx.Client) -> None:
    """The server sends 103 then 200 to nginx over HTTP/1.1; the client gets
    the final response intact (nginx >= 1.29 reads 1xx from upstreams)."""
    assert nginx_stack.app.port is not None
    direct = raw_exchange(nginx_stack.app.port,
                          b"GET /hints HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert direct.raw.startswith(b"HTTP/1.1 103 "), direct.raw[:300]
    assert b"\r\n\r\nHTTP/1.1 200 " in direct.raw
    if nginx_stack.version < EARLY_HINTS_NGINX:
        pytest.skip("nginx %s takes an upstream 103 for the final response (it relays a bare 103 "
                    "and then waits proxy_read_timeout for its body); 1xx from upstreams needs "
                    "nginx >= %s" % (".".join(map(str, nginx_stack.version)),
                                     ".".join(map(str, EARLY_HINTS_NGINX))))
    for _ in range(3):  # also on a reused upstream connection
        r = client.get(nginx_stack.http + "/hints")
        assert r.status_code == 200
        assert r.content == b"after hints"
    with httpx.Client(http2=True, verify=False, timeout=30) as h2:
        r = h2.get(nginx_stack.https + "/hints")
        assert r.http_version == "HTTP/2"
        assert (r.status_code, r.content) == (200, b"after hints")


def test_early_hints_skipped_for_http10_upstream(nginx_stack: NginxStack, client: httpx.Client) -> None:
    """With nginx's default ``proxy_http_version 1.0`` the server sends no 103
    (RFC 8297: not to HTTP/1.0 clients), so every nginx version gets 200."""
    assert nginx_stack.app.port is not None
    direct = raw_exchange(nginx_stack.app.port, b"GET /hints HTTP/1.0\r\nHost: x\r\n\r\n")
    assert direct.raw.startswith(b"HTTP/1.0 200 "), direct.raw[:300]
    assert b" 103 " not in direct.raw
    for _ in range(3):
        r = client.get(nginx_stack.http + "/http10/hints")
        assert (r.status_code, r.content) == (200, b"after hints")


def test_access_log_names_nginx(nginx_stack: NginxStack, client: httpx.Client) -> None:
    tag = uuid.uuid4().hex
    assert client.get(nginx_stack.http + "/info?tag=" + tag).status_code == 200
    nginx_stack.app.wait_for_output(r'(?m)^127\.0\.0\.1 - - \[[^\]]+\] "GET /info\?tag=%s HTTP/1\.1" 200 ' % tag)


def test_load_through_proxy_pass(nginx_stack: NginxStack) -> None:
    """50 concurrent keep-alive clients, 2,000 requests, every body checked."""
    port = int(nginx_stack.http.rsplit(":", 1)[1])
    result = run_load("127.0.0.1", port, 2000, 50, lambda i: "/load/%d" % i, expected_load_body)
    assert result.errors == []
    assert (result.sent, result.ok) == (2000, 2000)
