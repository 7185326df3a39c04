"""103 Early Hints sent by Starlette and FastAPI apps (a pure ASGI middleware
sends ``http.response.informational``), seen by a raw socket and by
``curl -v``; and FastAPI over HTTP/2 with TLS (ALPN h2) through httpx, plus
WebSocket over TLS on the same listener (HTTP/1.1)."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import sys

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from tests.asgi_frameworks.fw_support import HINT_LINK, STREAM_PIECES, framework_server, recv_until

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(_TESTS, "tls"), os.path.join(_TESTS, "http2_e2e")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from h2_client import H2Client  # noqa: E402
from tls_support import make_tls_files  # noqa: E402

HINTED = ["starlette", "fastapi"]


@pytest.mark.parametrize("fw_server", HINTED, indirect=True)
def test_early_hints_before_the_response_raw_socket(fw_server):
    with socket.create_connection((fw_server.host, fw_server.port), timeout=10) as sock:
        sock.sendall(b"GET /hints HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = recv_until(sock, b"hinted")
    interim, sep, final = data.partition(b"\r\n\r\n")
    assert sep
    assert interim.split(b"\r\n") == [b"HTTP/1.1 103 Early Hints", b"link: " + HINT_LINK]
    assert final.startswith(b"HTTP/1.1 200 OK\r\n")
    assert final.endswith(b"\r\n\r\nhinted")
    # the access log records the final status, not the 103
    fw_server.wait_for_output(r'"GET /hints HTTP/1\.1" 200')


@pytest.mark.parametrize("fw_server", HINTED, indirect=True)
def test_no_early_hints_for_http10(fw_server):
    with socket.create_connection((fw_server.host, fw_server.port), timeout=10) as sock:
        sock.sendall(b"GET /hints HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = recv_until(sock, b"hinted")
    # an HTTP/1.0 client cannot take an interim response (RFC 9110 section 15.2)
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b" 103 " not in data


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("fw_server", HINTED, indirect=True)
def test_early_hints_seen_by_curl(fw_server):
    done = subprocess.run(["curl", "-sS", "-v", "--http1.1", fw_server.url + "/hints"],
                          capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"hinted"
    received = [line[2:].strip() for line in done.stderr.decode("latin-1").splitlines()
                if line.startswith("< ")]
    hint = received.index("HTTP/1.1 103 Early Hints")
    final = received.index("HTTP/1.1 200 OK")
    assert hint < final
    assert received[hint + 1] == "link: " + HINT_LINK.decode()


# -- FastAPI over HTTP/2 with TLS -----------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls_files(str(tmp_path_factory.mktemp("fw_certs")))


@pytest.fixture(scope="module")
def fastapi_tls(tls_files):
    with framework_server("fastapi", "--certfile", tls_files.cert_path, "--keyfile",
                          tls_files.key_path, "--http-protocols", "h2,h1",
                          "--access-logfile", "-") as srv:
        yield srv


def _client(tls_files):
    return httpx.Client(http2=True, timeout=30,
                        verify=ssl.create_default_context(cafile=tls_files.ca_path))


def test_fastapi_http2_over_tls(fastapi_tls, tls_files):
    url = "https://127.0.0.1:%d" % fastapi_tls.port
    with _client(tls_files) as c:
        r = c.get(url + "/version")
        assert r.http_version == "HTTP/2"
        assert r.json() == {"http_version": "2", "scheme": "https"}
        r = c.get(url + "/items/5", params={"q": "h2 ✓"})
        assert r.http_version == "HTTP/2"
        assert r.json() == {"item_id": 5, "q": "h2 ✓", "path": "/items/5"}
        r = c.post(url + "/echo", json={"over": "h2", "list": [1, 2]})
        assert r.json() == {"over": "h2", "list": [1, 2]}
        body = os.urandom(1024 * 1024)
        r = c.post(url + "/upload", content=body)
        assert r.json() == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        with c.stream("GET", url + "/stream") as r:
            assert r.http_version == "HTTP/2"
            assert b"".join(r.iter_bytes()) == b"".join(STREAM_PIECES)
        assert c.get(url + "/lifespan").json()["started_pid"] > 0
    fastapi_tls.wait_for_output(r'"GET /version HTTP/2\.0" 200')


def test_fastapi_http2_concurrent_requests_on_one_connection(fastapi_tls, tls_files):
    client = H2Client(fastapi_tls.host, fastapi_tls.port, tls_files.client_context(alpn=["h2"]))
    try:
        sids = [client.request("GET", "/items/%d?q=s%d" % (n, n)) for n in range(8)]
        client.wait(lambda: all(client.exchanges[s].ended for s in sids))
        for n, sid in enumerate(sids):
            ex = client.exchanges[sid]
            assert ex.status == 200
            assert bytes(ex.data) == (b'{"item_id":%d,"q":"s%d","path":"/items/%d"}' % (n, n, n))
    finally:
        client.close()


def test_fastapi_early_hints_over_http2(fastapi_tls, tls_files):
    client = H2Client(fastapi_tls.host, fastapi_tls.port, tls_files.client_context(alpn=["h2"]))
    try:
        ex = client.get("/hints")
        assert len(ex.informational) == 1
        assert (b":status", b"103") in ex.informational[0]
        assert (b"link", HINT_LINK) in ex.informational[0]
        assert ex.status == 200 and bytes(ex.data) == b"hinted"
    finally:
        client.close()


def test_fastapi_websocket_over_tls(fastapi_tls, tls_files):
    ctx = ssl.create_default_context(cafile=tls_files.ca_path)
    with ws_connect("wss://127.0.0.1:%d/ws" % fastapi_tls.port, ssl=ctx,
                    open_timeout=10) as ws:
        ws.send("secure")
        assert ws.recv(timeout=10) == "echo:secure"
