"""h2c pieces: prior-knowledge preface detection and the Upgrade path
(RFC 9113 section 3.3, RFC 7540 section 3.2)."""

from __future__ import annotations

import base64

import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection

from gunicorn.http.core import HeadParser, settings_for
from gunicorn.http2 import events as ev
from gunicorn.http2.core import (
    H2C_SWITCHING_PROTOCOLS,
    PREFACE,
    HTTP2ServerProtocol,
    decode_http2_settings,
    detect_preface,
    h2c_allowed,
    h2c_upgrade_settings,
)
from tests.http2.h2_helpers import PEER, UNTRUSTED_PEER, make_cfg


@pytest.mark.parametrize(("data", "expected"), [
    (PREFACE, True),
    (PREFACE + b"\x00\x00\x00\x04", True),
    (PREFACE[:10], None),
    (b"", None),
    (b"GET / HTTP/1.1\r\n", False),
    (b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", False),
    (b"POST", False),
])
def test_detect_preface(data, expected):
    assert detect_preface(data) is expected


def _client_settings_header():
    client = H2Connection(H2Configuration(client_side=True))
    return client, client.initiate_upgrade_connection()


def test_decode_http2_settings():
    _client, header = _client_settings_header()
    payload = decode_http2_settings(header)
    assert len(payload) % 6 == 0 and payload
    assert decode_http2_settings(header.rstrip(b"=").decode()) == payload
    assert decode_http2_settings("") == b""


@pytest.mark.parametrize("value", [
    "not base64!",
    base64.urlsafe_b64encode(b"\x00\x03\x00").decode(),             # not 6-octet items
    base64.urlsafe_b64encode(b"\x00\x02\x00\x00\x00\x02").decode(),  # ENABLE_PUSH 2
    base64.urlsafe_b64encode(b"\x00\x04\x80\x00\x00\x00").decode(),  # window 2**31
    base64.urlsafe_b64encode(b"\x00\x05\x00\x00\x10\x00").decode(),  # frame size 4096
])
def test_decode_http2_settings_rejects(value):
    with pytest.raises(ValueError):
        decode_http2_settings(value)


def test_h2c_upgrade_settings():
    good = [("HOST", "x"), ("CONNECTION", "Upgrade, HTTP2-Settings"), ("UPGRADE", "h2c"),
            ("HTTP2-SETTINGS", "AAMAAABkAAQAAP__")]
    assert h2c_upgrade_settings(good) == "AAMAAABkAAQAAP__"
    assert h2c_upgrade_settings(good[:1] + [("CONNECTION", "upgrade")] + good[2:]) is None
    assert h2c_upgrade_settings(good + [("HTTP2-SETTINGS", "AAAA")]) is None
    assert h2c_upgrade_settings([(n, "websocket" if n == "UPGRADE" else v)
                                 for n, v in good]) is None
    assert h2c_upgrade_settings(good[:3]) is None


@pytest.mark.parametrize(("mode", "peer", "expected"), [
    ("off", PEER, (False, False)),
    ("prior-knowledge", PEER, (True, False)),
    ("upgrade", PEER, (False, True)),
    ("both", PEER, (True, True)),
    ("both", UNTRUSTED_PEER, (False, False)),
])
def test_h2c_allowed(mode, peer, expected):
    cfg = make_cfg(http_protocols="h2,h1", http2_cleartext=mode)
    assert h2c_allowed(cfg, peer) == expected
    assert h2c_allowed(make_cfg(http2_cleartext=mode), peer) == (False, False)


def _upgrade(body=b""):
    cfg = make_cfg(http_protocols="h2,h1", http2_cleartext="upgrade")
    client, header = _client_settings_header()
    raw = (b"POST /up?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade, HTTP2-Settings\r\n"
           b"Upgrade: h2c\r\nHTTP2-Settings: " + header + b"\r\nContent-Length: %d\r\n\r\n"
           % len(body))
    head = HeadParser(settings_for(cfg), True).parse(raw)
    value = h2c_upgrade_settings(head.headers)
    assert value is not None
    server = HTTP2ServerProtocol(cfg, PEER, is_ssl=False)
    events = server.initiate_upgrade_connection(value, head, body)
    return client, server, events


def test_upgrade_turns_the_request_into_stream_one():
    client, server, events = _upgrade()
    (got,) = [e for e in events if isinstance(e, ev.RequestReceived)]
    assert isinstance(events[-1], ev.StreamEnded)
    req = got.request
    assert got.stream_id == 1 and got.end_stream
    assert (req.method, req.path, req.query) == ("POST", "/up", "x=1")
    assert req.version == (2, 0) and req.scheme == "http"
    names = [n for n, _v in req.headers]
    assert "HOST" in names and "CONTENT-LENGTH" in names
    assert not {"CONNECTION", "UPGRADE", "HTTP2-SETTINGS"} & set(names)
    assert H2C_SWITCHING_PROTOCOLS.startswith(b"HTTP/1.1 101 ")
    # the server preface goes out after the 101; the client sends its preface
    client.receive_data(server.data_to_send())
    events = server.receive_data(client.data_to_send())
    assert not [e for e in events if not isinstance(e, ev.WindowUpdated)]
    server.send_headers(1, 200, [("content-type", "text/plain")])
    server.send_data(1, b"upgraded", end_stream=True)
    names = [type(e).__name__ for e in client.receive_data(server.data_to_send())]
    assert "ResponseReceived" in names and "StreamEnded" in names
    # and new streams work over HTTP/2
    client.send_headers(3, [(":method", "GET"), (":scheme", "http"), (":authority", "e"),
                            (":path", "/next")], end_stream=True)
    events = server.receive_data(client.data_to_send())
    assert [e.request.path for e in events if isinstance(e, ev.RequestReceived)] == ["/next"]


def test_upgrade_request_body_is_outside_flow_control():
    client, server, _events = _upgrade(b"z" * 50000)
    client.receive_data(server.data_to_send())
    server.receive_data(client.data_to_send())
    stream = server.streams[1]
    assert stream.read_body() == b"z" * 50000
    # reading it granted no WINDOW_UPDATE: those octets never used HTTP/2 windows
    out = server.data_to_send()
    assert b"\x00\x00\x04\x08" not in out


def test_invalid_upgrade_settings_raise_before_any_output():
    cfg = make_cfg()
    server = HTTP2ServerProtocol(cfg, PEER)
    with pytest.raises(ValueError):
        server.initiate_upgrade_connection("!!!", None)


@pytest.mark.parametrize(("version", "cipher", "bad"), [
    ("TLSv1.3", "TLS_AES_128_GCM_SHA256", False),
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", False),
    ("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305", False),
    ("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384", False),
    ("TLSv1.2", "AES128-GCM-SHA256", True),          # no ephemeral key exchange
    ("TLSv1.2", "ECDHE-RSA-AES128-SHA256", True),    # not AEAD
    ("TLSv1.1", "ECDHE-RSA-AES128-GCM-SHA256", True),
    (None, None, True),
])
def test_inadequate_tls(version, cipher, bad):
    from gunicorn.http2.core import inadequate_tls

    assert inadequate_tls(version, cipher) is bad
