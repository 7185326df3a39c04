"""The ``websocket.http.response`` ASGI extension over HTTP/1.1: an
application refuses the WebSocket handshake with its own HTTP response.

Clients: ``websockets`` (which reports the refusal as ``InvalidStatus``
with the response) and raw sockets for the exact bytes.  The HTTP/2 side
is in ``test_asgi_websocket_h2.py``.
"""

from __future__ import annotations

import base64
import json
import os

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from tests.asgi.asgi_support import asgi_server, connect, recv_until


@pytest.fixture(scope="module")
def server():
    with asgi_server("--access-logfile", "-", app="ws_h2_apps:app") as srv:
        yield srv


def _upgrade(path: str, extra: str = "") -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return ("GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n%s\r\n" % (path, key, extra)).encode()


def _read_all(sock) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_websockets_client_sees_the_denial_response(server):
    with pytest.raises(InvalidStatus) as info:
        with ws_connect("ws://%s:%d/deny" % (server.host, server.port), open_timeout=10):
            pass
    response = info.value.response
    assert response.status_code == 418
    assert response.headers["x-denied"] == "yes"
    assert response.body == b"no websocket for you"
    server.wait_for_output(r'"GET /deny HTTP/1.1" 418')


def test_denial_bytes_on_the_wire(server):
    with connect(server, timeout=10) as sock:
        sock.sendall(_upgrade("/deny"))
        raw = _read_all(sock)  # the server closes after the refusal
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0].startswith(b"HTTP/1.1 418 ")
    fields = {k.strip().lower(): v.strip() for k, v in
              (line.split(b":", 1) for line in lines[1:])}
    assert fields[b"x-denied"] == b"yes"
    assert fields[b"connection"] == b"close"
    assert b"upgrade" not in fields and b"sec-websocket-accept" not in fields
    if fields.get(b"transfer-encoding") == b"chunked":
        decoded = b""
        rest = body
        while True:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            decoded += rest[:n]
            rest = rest[n + 2:]
        body = decoded
    assert body == b"no websocket for you"


def test_denial_without_body(server):
    with pytest.raises(InvalidStatus) as info:
        with ws_connect("ws://%s:%d/deny-empty" % (server.host, server.port), open_timeout=10):
            pass
    response = info.value.response
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.body == b""


def test_close_before_accept_stays_403(server):
    with pytest.raises(InvalidStatus) as info:
        with ws_connect("ws://%s:%d/reject" % (server.host, server.port), open_timeout=10):
            pass
    assert info.value.response.status_code == 403
    with connect(server, timeout=10) as sock:
        sock.sendall(_upgrade("/reject"))
        raw = recv_until(sock, b"\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 403 ")
    assert b"content-length: 0" in raw.lower()


def test_scope_offers_the_extension_and_accept_still_works(server):
    with ws_connect("ws://%s:%d/echo" % (server.host, server.port), open_timeout=10,
                    subprotocols=["one", "two"]) as ws:
        assert ws.subprotocol == "two"
        ws.send("scope")
        scope = json.loads(ws.recv(timeout=10))
        ws.send(b"\x01\x02")
        assert ws.recv(timeout=10) == b"\x01\x02"
    assert scope["extensions"] == {"websocket.http.response": {}}
    assert scope["http_version"] == "1.1"
    assert scope["scheme"] == "ws"


def test_permessage_deflate_over_http1(server):
    # websockets offers permessage-deflate by default; the server agrees
    with ws_connect("ws://%s:%d/echo" % (server.host, server.port), open_timeout=10) as ws:
        agreed = ws.response.headers.get("sec-websocket-extensions", "")
        assert agreed.startswith("permessage-deflate")
        text = "squeeze me " * 2000
        ws.send(text)
        assert ws.recv(timeout=10) == "echo:" + text
