"""WebSocket over HTTP/2 (RFC 8441, extended CONNECT) on the asgi worker.

Real server processes; the client is ``h2`` (extended CONNECT over TLS with
ALPN h2, and h2c with prior knowledge) with a ``wsproto`` client frame
layer on the stream's DATA.  The WSGI gthread worker must neither advertise
SETTINGS_ENABLE_CONNECT_PROTOCOL nor accept an extended CONNECT.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import h2.errors
import h2.events
import h2.settings
import pytest
from wsproto.connection import Connection, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate

from tests.asgi.asgi_support import HERE, asgi_server, wait_for
from tests.support.server import run_server

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(_TESTS, "tls"), os.path.join(_TESTS, "http2_e2e")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from h2_client import Exchange, H2Client  # noqa: E402
from tls_support import make_tls_files  # noqa: E402

ENABLE_CONNECT = h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL
APP = "ws_h2_apps:app"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls_files(str(tmp_path_factory.mktemp("ws_h2_certs")))


@pytest.fixture(scope="module")
def events_file(tmp_path_factory):
    return str(tmp_path_factory.mktemp("ws_h2_events") / "events.txt")


@pytest.fixture(scope="module", params=["tls", "h2c"])
def ws_server(request, tls_files, events_file):
    """One asgi server per transport: TLS (ALPN h2) and h2c prior knowledge."""
    if request.param == "tls":
        args = ("--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                "--http-protocols", "h2,h1")
    else:
        args = ("--http-protocols", "h2,h1", "--http2-cleartext", "prior-knowledge")
    with asgi_server(*args, "--access-logfile", "-", "--log-level", "debug", app=APP,
                     env={"WS_EVENTS": events_file}) as srv:
        srv.transport = request.param
        yield srv


def _client(srv, tls_files):
    ctx = tls_files.client_context(alpn=["h2"]) if srv.transport == "tls" else None
    client = H2Client(srv.host, srv.port, ctx)
    # the server's SETTINGS arrived (h2 has a default for every other one)
    client.wait(lambda: h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS
                in client.conn.remote_settings)
    return client


def _events(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


class WSStream:
    """A WebSocket client on one HTTP/2 stream of an ``H2Client``."""

    def __init__(self, client, path, subprotocols=(), extensions=(), headers=()):
        self.client = client
        fields = [(":method", "CONNECT"), (":protocol", "websocket"),
                  (":scheme", client.scheme), (":path", path),
                  (":authority", client.authority), ("sec-websocket-version", "13")]
        if subprotocols:
            fields.append(("sec-websocket-protocol", ", ".join(subprotocols)))
        offers = list(extensions)
        if offers:
            fields.append(("sec-websocket-extensions",
                           ", ".join("%s; %s" % (ext.name, ext.offer()) for ext in offers)))
        fields += list(headers)
        sid = self.sid = client.conn.get_next_available_stream_id()
        client.conn.send_headers(sid, fields, end_stream=False)
        client.flush()
        client.exchanges[sid] = Exchange()
        self.ex = client.exchanges[sid]
        client.wait(lambda: self.ex.headers is not None or self.ex.reset is not None)
        self.response = dict(self.ex.headers or ())
        agreed = self.response.get(b"sec-websocket-extensions")
        enabled = []
        for ext in offers:
            if agreed is not None and agreed.decode().startswith(ext.name):
                ext.finalize(agreed.decode())
                enabled.append(ext)
        self.ws = Connection(ConnectionType.CLIENT, extensions=enabled)
        self._seen = 0
        self._ended = False
        self.pending = []

    @property
    def status(self):
        return self.ex.status

    def send(self, event):
        self.client.send_body(self.sid, self.ws.send(event), end_stream=False)

    def end_stream(self):
        self.client.conn.end_stream(self.sid)
        self.client.flush()

    def next_event(self, timeout=20.0):
        def ready():
            ex = self.ex
            if len(ex.data) > self._seen:
                self.ws.receive_data(bytes(ex.data[self._seen:]))
                self._seen = len(ex.data)
                self.pending.extend(self.ws.events())
            if not self.pending and (ex.reset is not None or (ex.ended and not self._ended)):
                if ex.ended:
                    self._ended = True
                return True
            return bool(self.pending)
        self.client.wait(ready, timeout)
        if not self.pending:
            raise ConnectionError("stream ended (reset=%r)" % (self.ex.reset,))
        return self.pending.pop(0)

    def message(self, timeout=20.0):
        """The next whole message (str or bytes)."""
        parts = []
        while True:
            event = self.next_event(timeout)
            if isinstance(event, Message):
                parts.append(event.data)
                if event.message_finished:
                    return ("" if isinstance(event, TextMessage) else b"").join(parts)
            else:
                raise AssertionError("expected a message, got %r" % (event,))


def test_settings_advertise_extended_connect(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        assert client.conn.remote_settings[ENABLE_CONNECT] == 1
    finally:
        client.close()


def test_echo_text_and_bytes_and_scope(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/echo?room=1", subprotocols=["chat", "superchat"])
        assert ws.status == 200
        assert ws.response[b"sec-websocket-protocol"] == b"superchat"
        assert ws.response[b"x-ws"] == b"accepted"
        assert b"sec-websocket-accept" not in ws.response  # RFC 8441 section 5
        assert not ws.ex.ended
        ws.send(TextMessage(data="héllo"))
        assert ws.message() == "echo:héllo"
        ws.send(BytesMessage(data=b"\x00\x01\xff"))
        assert ws.message() == b"\x00\x01\xff"
        ws.send(TextMessage(data="scope"))
        scope = json.loads(ws.message())
        assert scope["type"] == "websocket"
        assert scope["http_version"] == "2"
        assert scope["scheme"] == ("wss" if ws_server.transport == "tls" else "ws")
        assert scope["path"] == "/echo"
        assert scope["query_string"] == "room=1"
        assert scope["subprotocols"] == ["chat", "superchat"]
        assert scope["extensions"] == {"websocket.http.response": {}}
        assert "method" not in scope
        headers = dict(scope["headers"])
        assert headers["sec-websocket-version"] == "13"
        assert headers["host"] == client.authority
        ws.send(CloseConnection(code=1000))
        event = ws.next_event()
        assert isinstance(event, CloseConnection) and event.code == 1000
        ws.end_stream()
        client.wait(lambda: ws.ex.ended)
    finally:
        client.close()


def test_one_mebibyte_fragmented_message(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/echo")
        payload = bytes(range(256)) * 4096  # 1 MiB
        piece = 64 * 1024
        for off in range(0, len(payload), piece):
            ws.send(BytesMessage(data=payload[off:off + piece],
                                 message_finished=off + piece >= len(payload)))
        assert ws.message(timeout=60) == payload
        text = "x" * (1 << 20)
        ws.send(TextMessage(data=text[:300000], message_finished=False))
        ws.send(TextMessage(data=text[300000:], message_finished=True))
        assert ws.message(timeout=60) == "echo:" + text
    finally:
        client.close()


def test_permessage_deflate(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/echo", extensions=[PerMessageDeflate()])
        assert ws.response[b"sec-websocket-extensions"].startswith(b"permessage-deflate")
        text = "compressible " * 5000
        ws.send(TextMessage(data=text))
        assert ws.message() == "echo:" + text
        # compressed on the wire (RSV1 frames much smaller than the text)
        assert len(ws.ex.data) < len(text) // 4
    finally:
        client.close()


def test_ping_pong(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/echo")
        ws.send(Ping(payload=b"are you there"))
        event = ws.next_event()
        assert isinstance(event, Pong) and event.payload == b"are you there"
    finally:
        client.close()


def test_client_close_code_reaches_app(ws_server, tls_files, events_file):
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/echo?client-close")
        ws.send(CloseConnection(code=4000, reason="client leaves"))
        event = ws.next_event()
        assert isinstance(event, CloseConnection) and event.code == 4000
        # the closing handshake is over: the server ended its side of the stream
        client.wait(lambda: ws.ex.ended)
        assert ws.ex.reset is None
        ws.end_stream()
        wait_for(lambda: "/echo disconnect 4000" in _events(events_file))
        # the connection is still usable
        assert client.get("/after").data == b"http /after"
    finally:
        client.close()


def test_server_close_codes(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/echo")
        ws.send(TextMessage(data="close:4002"))
        event = ws.next_event()
        assert isinstance(event, CloseConnection)
        assert (event.code, event.reason) == (4002, "bye")
        ws.send(event.response())
        ws.end_stream()
        client.wait(lambda: ws.ex.ended)
        assert ws.ex.reset is None

        ws = WSStream(client, "/server-close")
        assert ws.message() == "hi"
        event = ws.next_event()
        assert isinstance(event, CloseConnection)
        assert (event.code, event.reason) == (4001, "done")
        ws.send(event.response())
        client.wait(lambda: ws.ex.ended)
        ws.end_stream()
        assert client.get("/still-there").data == b"http /still-there"
    finally:
        client.close()


def test_denial_response_over_http2(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/deny")
        assert ws.status == 418
        assert ws.response[b"x-denied"] == b"yes"
        client.wait(lambda: ws.ex.ended)
        assert bytes(ws.ex.data) == b"no websocket for you"
        assert ws.ex.reset is None

        ws = WSStream(client, "/deny-empty")
        assert ws.status == 401
        assert ws.response[b"www-authenticate"] == b"Bearer"
        client.wait(lambda: ws.ex.ended)
        assert ws.ex.data == b""

        ws = WSStream(client, "/reject")
        assert ws.status == 403
        client.wait(lambda: ws.ex.ended)
        ws_server.wait_for_output(r'"CONNECT /deny HTTP/2.0" 418')
    finally:
        client.close()


def test_bad_extended_connect_requests_get_errors(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        # another version: 400 naming 13 (RFC 6455 section 4.4)
        sid = client.conn.get_next_available_stream_id()
        client.exchanges[sid] = ex = Exchange()
        client.conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", "websocket"),
                                       (":scheme", client.scheme), (":path", "/echo"),
                                       (":authority", client.authority),
                                       ("sec-websocket-version", "8")])
        client.flush()
        client.wait(lambda: ex.ended or ex.reset is not None)
        assert ex.status == 400
        assert dict(ex.headers)[b"sec-websocket-version"] == b"13"
        # a protocol the server does not tunnel
        sid = client.conn.get_next_available_stream_id()
        client.exchanges[sid] = ex = Exchange()
        client.conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", "something"),
                                       (":scheme", client.scheme), (":path", "/echo"),
                                       (":authority", client.authority)])
        client.flush()
        client.wait(lambda: ex.ended or ex.reset is not None)
        assert ex.status == 501
        # :protocol without :path is malformed (RFC 8441 section 4)
        sid = client.conn.get_next_available_stream_id()
        client.exchanges[sid] = ex = Exchange()
        client.conn.config.validate_outbound_headers = False
        client.conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", "websocket"),
                                       (":scheme", client.scheme),
                                       (":authority", client.authority)])
        client.flush()
        client.wait(lambda: ex.reset is not None)
        assert ex.reset == h2.errors.ErrorCodes.PROTOCOL_ERROR
    finally:
        client.close()


def test_rst_stream_is_websocket_disconnect(ws_server, tls_files, events_file):
    before = _events(events_file).count("/wait websocket.disconnect 1006")
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/wait")
        assert ws.status == 200
        wait_for(lambda: "/wait accepted" in _events(events_file))
        client.conn.reset_stream(ws.sid, h2.errors.ErrorCodes.CANCEL)
        client.flush()
        wait_for(lambda: _events(events_file).count("/wait websocket.disconnect 1006") > before)
        assert client.get("/alive").data == b"http /alive"
    finally:
        client.close()


def test_flow_control_follows_receive(ws_server, tls_files, events_file):
    """Frames the application does not receive() stay unread: the client
    runs out of stream credit, and gets it back once the application reads."""
    release = events_file + ".release"
    if os.path.exists(release):
        os.unlink(release)
    client = _client(ws_server, tls_files)
    try:
        ws = WSStream(client, "/hold")
        message = b"m" * 4096
        frame = len(ws.ws.send(BytesMessage(data=message)))
        sent = 0
        limit = 4 << 20
        stalled_since = None
        # send while the stream window allows; stop once it stayed closed for 2 s
        while sent < limit:
            if client.conn.local_flow_control_window(ws.sid) >= frame:
                ws.send(BytesMessage(data=message))
                sent += 1
                stalled_since = None
                continue
            now = time.monotonic()
            if stalled_since is None:
                stalled_since = now
            elif now - stalled_since > 2.0:
                break
            try:
                client.pump(0.2)
            except TimeoutError:
                pass
        assert sent * frame < 512 * 1024, "the server kept granting credit"
        with open(release, "w"):
            pass
        for _ in range(sent):
            assert ws.message() == message
        # credit came back as the application read
        ws.send(TextMessage(data="after"))
        assert ws.message() == "echo:after"
    finally:
        client.close()
        if os.path.exists(release):
            os.unlink(release)


def test_concurrent_websockets_and_requests_on_one_connection(ws_server, tls_files):
    client = _client(ws_server, tls_files)
    try:
        streams = [WSStream(client, "/echo") for _ in range(3)]
        for round_ in range(3):
            for i, ws in enumerate(streams):
                ws.send(TextMessage(data="s%d-r%d" % (i, round_)))
            sids = [client.request("GET", "/plain/%d" % n) for n in range(2)]
            for i, ws in reversed(list(enumerate(streams))):
                assert ws.message() == "echo:s%d-r%d" % (i, round_)
            for n, sid in enumerate(sids):
                ex = client.exchanges[sid]
                client.wait(lambda ex=ex: ex.ended)
                assert ex.status == 200 and ex.data == b"http /plain/%d" % n
        for ws in streams:
            ws.send(CloseConnection(code=1000))
            assert isinstance(ws.next_event(), CloseConnection)
            ws.end_stream()
        client.wait(lambda: all(ws.ex.ended for ws in streams))
    finally:
        client.close()


def test_gthread_does_not_offer_extended_connect(tls_files):
    with run_server("--worker-class", "gthread", "--threads", "2", "--chdir", HERE,
                    "--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                    "--http-protocols", "h2,h1", "wsgi_app:app") as srv:
        client = H2Client(srv.host, srv.port, tls_files.client_context(alpn=["h2"]))
        try:
            client.wait(lambda: h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS
                        in client.conn.remote_settings)
            assert client.conn.remote_settings.get(ENABLE_CONNECT, 0) == 0
            sid = client.conn.get_next_available_stream_id()
            client.exchanges[sid] = ex = Exchange()
            client.conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", "websocket"),
                                           (":scheme", "https"), (":path", "/chat"),
                                           (":authority", client.authority),
                                           ("sec-websocket-version", "13")])
            client.flush()
            # not advertised: a malformed request, a stream error of type
            # PROTOCOL_ERROR (RFC 8441 section 3, RFC 9113 section 8.1.1)
            client.wait(lambda: ex.reset is not None or ex.headers is not None)
            assert ex.headers is None
            assert ex.reset == h2.errors.ErrorCodes.PROTOCOL_ERROR
            # the connection goes on
            assert client.get("/").status == 200
        finally:
            client.close()


# -- the protocol core without I/O (RFC 8441 sections 3 and 4) -------------------------


def _core_pair(enable):
    import h2.config
    import h2.connection

    from gunicorn.config import Config
    from gunicorn.http2.core import HTTP2ServerProtocol

    server = HTTP2ServerProtocol(Config(), ("127.0.0.1", 5000), is_ssl=True,
                                 enable_connect_protocol=enable)
    server.initiate_connection()
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    client.receive_data(server.data_to_send())
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    return server, client


_EXTENDED = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
             (":path", "/chat?x=1"), (":authority", "example.com"),
             ("sec-websocket-version", "13")]


@pytest.mark.parametrize("enable", [True, False])
def test_core_advertises_setting_only_when_asked(enable):
    _server, client = _core_pair(enable)
    assert client.remote_settings[ENABLE_CONNECT] == (1 if enable else 0)


def test_core_extended_connect_request_and_tunnel_end():
    from gunicorn.http2.events import RequestReceived

    server, client = _core_pair(True)
    client.send_headers(1, _EXTENDED)
    events = server.receive_data(client.data_to_send())
    assert [type(e) for e in events] == [RequestReceived]
    req = events[0].request
    assert (req.method, req.protocol, req.path, req.query) == ("CONNECT", "websocket", "/chat", "x=1")
    assert ("HOST", "example.com") in req.headers
    server.send_headers(1, 200, [])
    server.send_data(1, b"\x81\x02hi")
    server.end_stream(1)
    got = client.receive_data(server.data_to_send())
    # our END_STREAM ends our half only: no RST_STREAM(NO_ERROR) on a tunnel
    assert not any(isinstance(e, h2.events.StreamReset) for e in got)
    assert any(isinstance(e, h2.events.StreamEnded) for e in got)
    client.send_data(1, b"\x88\x82abcd", end_stream=True)
    server.receive_data(client.data_to_send())
    assert 1 not in server.streams  # closed both ways


@pytest.mark.parametrize("fields", [
    [(n, v) for n, v in _EXTENDED if n != ":path"],
    [(n, v) for n, v in _EXTENDED if n != ":scheme"],
    [(n, v) for n, v in _EXTENDED if n != ":authority"],
    [(":method", "GET")] + [(n, v) for n, v in _EXTENDED if n != ":method"],
], ids=["no-path", "no-scheme", "no-authority", "not-connect"])
def test_core_malformed_extended_connect(fields):
    server, client = _core_pair(True)
    client.config.validate_outbound_headers = False
    client.send_headers(1, fields)
    assert server.receive_data(client.data_to_send()) == []
    got = client.receive_data(server.data_to_send())
    assert [(type(e), e.error_code) for e in got] == [
        (h2.events.StreamReset, h2.errors.ErrorCodes.PROTOCOL_ERROR)]


def test_core_without_setting_extended_connect_is_malformed():
    server, client = _core_pair(False)
    client.send_headers(1, _EXTENDED)
    assert server.receive_data(client.data_to_send()) == []
    got = client.receive_data(server.data_to_send())
    assert [(type(e), e.error_code) for e in got] == [
        (h2.events.StreamReset, h2.errors.ErrorCodes.PROTOCOL_ERROR)]


def test_graceful_stop_closes_websocket_streams_with_1001(tls_files, tmp_path):
    with asgi_server("--http-protocols", "h2,h1", "--http2-cleartext", "prior-knowledge",
                     "--graceful-timeout", "10", app=APP,
                     env={"WS_EVENTS": str(tmp_path / "events.txt")}) as srv:
        srv.transport = "h2c"
        client = _client(srv, tls_files)
        try:
            ws = WSStream(client, "/echo")
            ws.send(TextMessage(data="x"))
            assert ws.message() == "echo:x"
            srv.signal(signal.SIGTERM)
            event = ws.next_event()
            assert isinstance(event, CloseConnection) and event.code == 1001
            client.wait(lambda: client.goaway is not None)
            assert client.goaway.error_code == 0
            ws.send(event.response())
            ws.end_stream()
            client.wait(lambda: ws.ex.ended)
            assert srv.proc.wait(15) == 0
        finally:
            client.close()
