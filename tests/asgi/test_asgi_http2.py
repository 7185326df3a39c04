"""HTTP/2 through the asgi worker: TLS with ALPN h2 (httpx, h2 frames) and
h2c prior knowledge."""

from __future__ import annotations

import os
import signal
import ssl
import sys
import time

import httpx
import pytest

from tests.asgi.asgi_support import asgi_server, wait_for

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(_TESTS, "tls"), os.path.join(_TESTS, "http2_e2e")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from h2_client import H2Client  # noqa: E402
from tls_support import make_tls_files  # noqa: E402


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls_files(str(tmp_path_factory.mktemp("asgi_h2_certs")))


@pytest.fixture(scope="module")
def h2_server(tls_files):
    with asgi_server("--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                     "--http-protocols", "h2,h1", "--access-logfile", "-",
                     "--log-level", "debug") as srv:
        yield srv


def _client(tls_files, **kw):
    return httpx.Client(http2=True, verify=ssl.create_default_context(cafile=tls_files.ca_path),
                        timeout=20, **kw)


def _h2(srv, tls_files):
    return H2Client(srv.host, srv.port, tls_files.client_context(alpn=["h2"]))


def test_get_and_scope(h2_server, tls_files):
    url = "https://127.0.0.1:%d" % h2_server.port
    with _client(tls_files) as c:
        r = c.get(url + "/hello")
        assert r.http_version == "HTTP/2"
        assert r.text == "hello /hello"
        scope = c.get(url + "/scope?a=b").json()
    assert scope["http_version"] == "2"
    assert scope["scheme"] == "https"
    assert scope["query_string"] == "a=b"
    assert scope["state"] == {"started": "yes"}
    assert scope["server"] == ["127.0.0.1", h2_server.port]
    h2_server.wait_for_output(r'"GET /hello HTTP/2.0" 200 12')


def test_post_streamed_body(h2_server, tls_files):
    url = "https://127.0.0.1:%d" % h2_server.port
    body = os.urandom(1_500_000)  # several flow-control windows: credit is granted as read
    with _client(tls_files) as c:
        r = c.post(url + "/echo", content=body)
        assert r.content == body
        r = c.post(url + "/stream-echo", content=body[:200_000])
        assert r.content == body[:200_000]


def test_concurrent_streams_run_at_once(h2_server, tls_files):
    client = _h2(h2_server, tls_files)
    try:
        # five 1-second requests on one connection finish together, not in 5 s
        started = time.monotonic()
        sids = [client.request("GET", "/slow?1") for _ in range(5)]
        client.wait(lambda: all(client.exchanges[s].ended for s in sids))
        assert time.monotonic() - started < 4
        assert all(bytes(client.exchanges[s].data) == b"slow done" for s in sids)
    finally:
        client.close()


def test_trailers_and_early_hints(h2_server, tls_files):
    client = _h2(h2_server, tls_files)
    try:
        ex = client.get("/trailers", headers=[("te", "trailers")])
        assert ex.status == 200 and bytes(ex.data) == b"data"
        assert ex.trailers == [(b"x-checksum", b"abc123")]
        ex = client.get("/hints")
        assert ex.informational and (b":status", b"103") in ex.informational[0]
        assert (b"link", b"</style.css>; rel=preload; as=style") in ex.informational[0]
        assert ex.status == 200
    finally:
        client.close()


def test_reset_stream_is_disconnect(tls_files, tmp_path):
    marker = tmp_path / "disconnected"
    with asgi_server("--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                     "--http-protocols", "h2,h1",
                     env={"ASGI_DISCONNECT_MARKER": str(marker)}) as srv:
        client = _h2(srv, tls_files)
        try:
            sid = client.request("GET", "/wait-disconnect")
            client.wait(lambda: bytes(client.exchanges[sid].data) == b"waiting\n")
            client.conn.reset_stream(sid)
            client.flush()
            wait_for(lambda: marker.exists() and marker.read_text())
            # the connection still serves other streams
            assert bytes(client.get("/after").data) == b"hello /after"
        finally:
            client.close()


def test_goaway_on_graceful_stop(tls_files):
    with asgi_server("--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                     "--http-protocols", "h2,h1", "--graceful-timeout", "10",
                     "--log-level", "debug") as srv:
        client = _h2(srv, tls_files)
        try:
            sid = client.request("GET", "/slow?1.5")
            srv.wait_for_output(r"GET /slow")
            srv.signal(signal.SIGTERM)
            client.wait(lambda: client.goaway is not None)
            assert client.goaway.error_code == 0
            # the stream in flight still completes
            client.wait(lambda: client.exchanges[sid].ended)
            assert bytes(client.exchanges[sid].data) == b"slow done"
            assert srv.proc.wait(15) == 0
        finally:
            client.close()


def test_h2c_prior_knowledge_and_http1_on_same_port():
    with asgi_server("--http-protocols", "h2,h1", "--http2-cleartext", "prior-knowledge") as srv:
        client = H2Client(srv.host, srv.port)
        try:
            ex = client.get("/prior")
            assert ex.status == 200 and bytes(ex.data) == b"hello /prior"
        finally:
            client.close()
        assert httpx.get(srv.url + "/h1").text == "hello /h1"


def test_http1_over_tls_still_served(h2_server, tls_files):
    with httpx.Client(verify=ssl.create_default_context(cafile=tls_files.ca_path)) as c:
        r = c.get("https://127.0.0.1:%d/tls1" % h2_server.port)
    assert r.http_version == "HTTP/1.1"
    assert r.text == "hello /tls1"


def test_h2_only_refuses_http1_with_505(tls_files):
    with asgi_server("--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                     "--http-protocols", "h2") as srv:
        with httpx.Client(verify=ssl.create_default_context(cafile=tls_files.ca_path)) as c:
            r = c.get("https://127.0.0.1:%d/x" % srv.port)
        assert r.status_code == 505
        client = _h2(srv, tls_files)
        try:
            assert bytes(client.get("/y").data) == b"hello /y"
        finally:
            client.close()


def test_h2c_upgrade_with_curl():
    import subprocess
    with asgi_server("--http-protocols", "h2,h1", "--http2-cleartext", "upgrade") as srv:
        out = subprocess.run(["curl", "-s", "-i", "--http2", srv.url + "/up"],
                             capture_output=True, timeout=20).stdout
        assert out.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        assert b"\r\nHTTP/2 200" in out
        assert out.endswith(b"hello /up")
        # a request with content is served as HTTP/1.1 (the upgrade is optional)
        out = subprocess.run(["curl", "-s", "-i", "--http2", "-d", "abc", srv.url + "/echo"],
                             capture_output=True, timeout=20).stdout
        assert out.startswith(b"HTTP/1.1 200 OK\r\n") and out.endswith(b"abc")
