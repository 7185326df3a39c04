"""WebSocket (RFC 6455) on the asgi worker, with a wsproto client over a raw socket."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from tests.asgi.asgi_support import asgi_server, wait_for


@pytest.fixture(scope="module")
def ws_server():
    with asgi_server("--access-logfile", "-", app="asgi_apps:ws_app") as srv:
        yield srv


class WSClient:
    """A blocking wsproto client."""

    def __init__(self, srv, path, subprotocols=(), extensions=()):
        self.sock = socket.create_connection((srv.host, srv.port), timeout=10)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.sock.sendall(self.ws.send(Request(host="localhost", target=path,
                                               subprotocols=list(subprotocols),
                                               extensions=list(extensions))))
        self.pending = []

    def events(self):
        while not self.pending:
            data = self.sock.recv(65536)
            self.ws.receive_data(data or None)
            self.pending.extend(self.ws.events())
            if not data and not self.pending:
                raise ConnectionError("closed")
        return self.pending.pop(0)

    def send(self, event):
        self.sock.sendall(self.ws.send(event))

    def close(self):
        self.sock.close()


def test_wsproto_imported_on_first_upgrade_only():
    """A worker that has served only HTTP does not hold wsproto (and h11) in
    memory; the first WebSocket upgrade imports it and is served."""
    with asgi_server(app="asgi_apps:ws_app") as srv:
        url = "http://%s:%d/modules?wsproto,h11" % (srv.host, srv.port)
        assert json.loads(httpx.get(url).text) == {"wsproto": False, "h11": False}
        c = WSClient(srv, "/echo")
        try:
            assert isinstance(c.events(), AcceptConnection)
            c.send(TextMessage(data="hi"))
            echoed = c.events()
            assert isinstance(echoed, TextMessage) and echoed.data == "echo:hi"
        finally:
            c.close()
        assert json.loads(httpx.get(url).text) == {"wsproto": True, "h11": True}


def test_accept_with_subprotocol_text_bytes_ping(ws_server):
    c = WSClient(ws_server, "/echo", subprotocols=["chat.v2", "chat.v1"])
    try:
        accepted = c.events()
        assert isinstance(accepted, AcceptConnection)
        assert accepted.subprotocol == "chat.v2"
        c.send(TextMessage(data="héllo"))
        ev = c.events()
        assert isinstance(ev, TextMessage) and ev.data == "echo:héllo"
        big = bytes(range(256)) * 400
        c.send(BytesMessage(data=big))
        got = b""
        while len(got) < len(big):
            ev = c.events()
            assert isinstance(ev, BytesMessage)
            got += ev.data
        assert got == big[::-1]
        c.send(Ping(payload=b"p1"))
        ev = c.events()
        assert isinstance(ev, Pong) and ev.payload == b"p1"
        c.send(TextMessage(data="close:4001"))
        ev = c.events()
        assert isinstance(ev, CloseConnection) and ev.code == 4001 and ev.reason == "bye"
        c.send(ev.response())
    finally:
        c.close()
    ws_server.wait_for_output(r'"GET /echo HTTP/1.1" 101')


def test_client_close_reaches_app(tmp_path):
    marker = tmp_path / "code"
    with asgi_server(app="asgi_apps:ws_app", env={"ASGI_DISCONNECT_MARKER": str(marker)}) as srv:
        c = WSClient(srv, "/echo")
        try:
            assert isinstance(c.events(), AcceptConnection)
            c.send(CloseConnection(code=1001))
            ev = c.events()
            assert isinstance(ev, CloseConnection) and ev.code == 1001
        finally:
            c.close()
        wait_for(lambda: marker.exists() and marker.read_text())
        assert marker.read_text() == "1001"


def test_close_before_accept_is_403(ws_server):
    c = WSClient(ws_server, "/reject")
    try:
        ev = c.events()
        assert isinstance(ev, RejectConnection) and ev.status_code == 403
        if ev.has_body:
            assert isinstance(c.events(), RejectData)
    finally:
        c.close()


def test_app_error_after_accept_closes_1011(ws_server):
    c = WSClient(ws_server, "/crash")
    try:
        assert isinstance(c.events(), AcceptConnection)
        ev = c.events()
        assert isinstance(ev, CloseConnection) and ev.code == 1011
    finally:
        c.close()


def test_plain_http_still_served(ws_server):
    import httpx
    assert httpx.get(ws_server.url + "/x").text == "hello /x"


def test_message_over_max_size_closes_1009():
    with asgi_server("--websocket-max-message-size", "1000", app="asgi_apps:ws_app") as srv:
        c = WSClient(srv, "/echo")
        try:
            assert isinstance(c.events(), AcceptConnection)
            c.send(TextMessage(data="small"))
            assert c.events().data == "echo:small"
            c.send(BytesMessage(data=b"x" * 2000))
            ev = c.events()
            assert isinstance(ev, CloseConnection) and ev.code == 1009
        finally:
            c.close()


@pytest.mark.parametrize("key,version,status", [
    ("short", "13", 400),
    ("dGhlIHNhbXBsZSBub25jZQ==", "8", 426),
])
def test_bad_handshake_refused(ws_server, key, version, status):
    from tests.support.client import parse_response_head, raw_request
    data = raw_request(ws_server.host, ws_server.port,
                       ("GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: %s\r\n\r\n" % (key, version)).encode())
    code, _, headers, _ = parse_response_head(data)
    assert code == status
    if status == 426:
        assert ("Sec-WebSocket-Version", "13") in headers


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_ten_mebibyte_message_in_fragments_is_echoed(ws_server, compression):
    """A 10 MiB binary message sent by the ``websockets`` client in 160
    fragments of 64 KiB comes back whole (reversed by the app), below the
    default 16 MiB bound; with permessage-deflate too."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect as ws_connect

    payload = bytes(range(256)) * (10 * 4096)  # 10 MiB
    assert len(payload) == 10 * 1024 * 1024
    fragments = [payload[i:i + 65536] for i in range(0, len(payload), 65536)]
    url = "ws://%s:%d/echo" % (ws_server.host, ws_server.port)
    with ws_connect(url, max_size=None, compression=compression, open_timeout=10,
                    close_timeout=10) as ws:
        ws.send(iter(fragments))
        echoed = ws.recv(timeout=60)
        assert isinstance(echoed, bytes)
        assert len(echoed) == len(payload) and echoed == payload[::-1]
        ws.send("close:4001")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001
