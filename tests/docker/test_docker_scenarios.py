"""The proxy scenarios of docker-compose.yml, checked from the host.

Skipped unless ``GUNICORN_DOCKER_TESTS=1`` (see conftest.py).  The same
scenarios run without Docker, on the local nginx and HAProxy, in
``tests/proxies/``.
"""

from __future__ import annotations

import json
import os
import socket
import ssl

import h2.config
import h2.connection
import h2.events
import httpx
import pytest

HOST = "127.0.0.1"
H2_DIRECT = "https://localhost:8443"
H2_NGINX = "https://localhost:8444"
UWSGI_NGINX = "http://%s:8080" % HOST
WS_NGINX = "%s:8081" % HOST
HAPROXY_V2 = "http://%s:8090" % HOST
HAPROXY_V1 = "http://%s:8091" % HOST

pytestmark = pytest.mark.usefixtures("compose_stack")


def _client(http2: bool) -> httpx.Client:
    # the test CA lives in the stack's volume; TLS between nginx and
    # gunicorn is verified by nginx itself (proxy_ssl_verify on)
    return httpx.Client(http2=http2, verify=False, timeout=30)


def h2_responses(port: int, path: str) -> list[tuple[int, dict[str, str]]]:
    """GET ``path`` over TLS + HTTP/2 (ALPN h2) on localhost:``port``.

    Returns every response head received on the stream, informational (1xx)
    ones first, as (status, {name: value}); the last one is the final
    response.  Raises AssertionError if ALPN does not pick h2.
    """
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    heads: list[tuple[int, dict[str, str]]] = []
    with socket.create_connection((HOST, port), timeout=30) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost") as sock:
        assert sock.selected_alpn_protocol() == "h2"
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.send_headers(1, [(":method", "GET"), (":scheme", "https"),
                              (":authority", "localhost:%d" % port), (":path", path)],
                          end_stream=True)
        sock.sendall(conn.data_to_send())
        done = False
        while not done:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, (h2.events.InformationalResponseReceived,
                                      h2.events.ResponseReceived)):
                    fields = {k.decode() if isinstance(k, bytes) else k:
                              v.decode() if isinstance(v, bytes) else v
                              for k, v in event.headers}
                    heads.append((int(fields[":status"]), fields))
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    done = True
            sock.sendall(conn.data_to_send())
    return heads


class TestHTTP2Direct:
    def test_http2_over_alpn(self):
        with _client(http2=True) as client:
            resp = client.get(H2_DIRECT + "/headers")
        assert resp.status_code == 200
        assert resp.http_version == "HTTP/2"
        info = resp.json()
        assert info["SERVER_PROTOCOL"] == "HTTP/2.0"
        assert info["wsgi.url_scheme"] == "https"

    def test_http1_fallback(self):
        with _client(http2=False) as client:
            resp = client.get(H2_DIRECT + "/headers")
        assert resp.http_version == "HTTP/1.1"
        assert resp.json()["SERVER_PROTOCOL"] == "HTTP/1.1"

    def test_large_body_both_ways(self):
        blob = os.urandom(3 * 1024 * 1024)
        with _client(http2=True) as client:
            assert client.post(H2_DIRECT + "/echo", content=blob).content == blob
            assert len(client.get(H2_DIRECT + "/large?size=5000000").content) == 5_000_000

    def test_early_hints_direct(self):
        heads = h2_responses(8443, "/early-hints")
        assert [status for status, _ in heads] == [103, 103, 200]
        assert heads[0][1]["link"] == "</style.css>; rel=preload; as=style"
        assert heads[1][1]["link"] == "</app.js>; rel=preload; as=script"


class TestHTTP2BehindNginx:
    def test_nginx_speaks_http2_and_forwards(self):
        with _client(http2=True) as client:
            resp = client.get(H2_NGINX + "/headers?x=1")
        assert resp.status_code == 200
        assert resp.http_version == "HTTP/2"
        info = resp.json()
        # nginx talks HTTP/1.1 over TLS to gunicorn
        assert info["SERVER_PROTOCOL"] == "HTTP/1.1"
        assert info["QUERY_STRING"] == "x=1"
        assert info["headers"]["x-forwarded-proto"] == "https"
        assert info["headers"]["x-forwarded-for"]

    def test_early_hints_passed_on(self):
        heads = h2_responses(8444, "/early-hints")
        statuses = [status for status, _ in heads]
        assert statuses[-1] == 200
        assert 103 in statuses, statuses
        links = [fields.get("link") for status, fields in heads if status == 103]
        assert "</style.css>; rel=preload; as=style" in ",".join(filter(None, links))

    def test_concurrent_streams(self):
        import asyncio

        async def run() -> list[int]:
            async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as client:
                resps = await asyncio.gather(*(client.get(H2_NGINX + "/large?size=200000")
                                               for _ in range(20)))
                return [len(r.content) for r in resps]

        assert asyncio.run(run()) == [200000] * 20


class TestUWSGIBehindNginx:
    def test_get(self):
        resp = httpx.get(UWSGI_NGINX + "/headers?a=b&c=d", timeout=30)
        assert resp.status_code == 200
        info = resp.json()
        assert info["REQUEST_METHOD"] == "GET"
        assert info["PATH_INFO"] == "/headers"
        assert info["QUERY_STRING"] == "a=b&c=d"
        assert info["wsgi.url_scheme"] == "http"
        assert info["headers"]["x-forwarded-for"]

    def test_post_body(self):
        blob = os.urandom(2 * 1024 * 1024)
        resp = httpx.post(UWSGI_NGINX + "/echo", content=blob, timeout=60,
                          headers={"Content-Type": "application/x-test"})
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/x-test"
        assert resp.content == blob

    def test_streamed_response(self):
        resp = httpx.get(UWSGI_NGINX + "/stream?chunks=200", timeout=30)
        assert resp.status_code == 200
        assert len(resp.content) == 200 * 1024

    def test_not_found(self):
        assert httpx.get(UWSGI_NGINX + "/nope", timeout=30).status_code == 404


class TestWebSocketBehindNginx:
    def test_http_through_same_proxy(self):
        resp = httpx.get("http://%s/scope" % WS_NGINX, timeout=30)
        assert resp.status_code == 200
        assert resp.json()["http_version"] == "1.1"

    def test_echo(self):
        from websockets.sync.client import connect

        with connect("ws://%s/ws" % WS_NGINX, open_timeout=30) as ws:
            assert ws.recv(timeout=30) == "ws"
            ws.send("hello")
            assert ws.recv(timeout=30) == "hello"
            payload = os.urandom(100_000)
            ws.send(payload)
            assert ws.recv(timeout=30) == payload


class TestHAProxyProxyProtocol:
    @pytest.mark.parametrize("url,port", [(HAPROXY_V2, "8090"), (HAPROXY_V1, "8091")],
                             ids=["send-proxy-v2", "send-proxy"])
    def test_client_address_from_proxy_header(self, url, port):
        resp = httpx.get(url + "/headers", timeout=30)
        assert resp.status_code == 200
        info = resp.json()
        assert info["PROXY_PROTOCOL"] == "TCP4"
        # the header's destination: HAProxy's frontend the client connected to
        assert info["PROXY_ADDR"] == "172.28.0.20"
        assert info["PROXY_PORT"] == port
        # the client as HAProxy saw it, not HAProxy's own address
        assert info["REMOTE_ADDR"] != "172.28.0.20"
        assert info["REMOTE_ADDR"].count(".") == 3

    def test_keep_alive_requests_share_the_header(self):
        with httpx.Client(timeout=30) as client:
            first = client.get(HAPROXY_V2 + "/headers").json()
            second = client.get(HAPROXY_V2 + "/headers").json()
        assert first["REMOTE_PORT"] == second["REMOTE_PORT"]
        assert json.dumps(first) == json.dumps(second)
