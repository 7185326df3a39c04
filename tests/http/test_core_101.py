"""``ServerConnection.send(Response(101, ...))`` (sans-IO): the head of a
protocol switch keeps ``Upgrade`` and says ``Connection: upgrade``
(RFC 9110 sections 15.2.2 and 7.8); other responses still lose both fields,
which the connection owns (RFC 9110 section 7.6.1)."""

from __future__ import annotations

import pytest

from gunicorn.config import Config
from gunicorn.http.core import Data, EndOfMessage, RequestHead, Response, ServerConnection
from gunicorn.http.core.settings import ParserSettings

UPGRADE_REQUEST = (b"GET /chat HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n"
                   b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                   b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")


def upgrade_conn(raw: bytes = UPGRADE_REQUEST) -> ServerConnection:
    conn = ServerConnection(ParserSettings(Config()), ("127.0.0.1", 4000))
    conn.receive_data(raw)
    assert isinstance(conn.next_event(), RequestHead)
    return conn


def fields(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    """(status line, [(name, value), ...]) of a response head."""
    assert head.endswith(b"\r\n\r\n")
    lines = head[:-4].decode("latin-1").split("\r\n")
    return lines[0], [tuple(line.split(": ", 1)) for line in lines[1:]]  # type: ignore[misc]


def values(pairs, name):
    return [v for k, v in pairs if k.lower() == name]


@pytest.mark.parametrize("given_connection", [["Upgrade"], ["upgrade, keep-alive"], []])
def test_101_keeps_upgrade_and_connection_upgrade(given_connection):
    conn = upgrade_conn()
    headers = [("Upgrade", "websocket"),
               ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")]
    headers += [("Connection", v) for v in given_connection]
    status, pairs = fields(conn.send(Response(101, headers)))
    assert status == "HTTP/1.1 101 Switching Protocols"
    assert values(pairs, "upgrade") == ["websocket"]
    # exactly one Connection field, ours, with the upgrade option
    assert values(pairs, "connection") == ["upgrade"]
    assert values(pairs, "sec-websocket-accept") == ["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]
    assert not values(pairs, "transfer-encoding") and not values(pairs, "content-length")


def test_101_then_bytes_of_the_new_protocol_pass_through():
    conn = upgrade_conn()
    conn.send(Response(101, [("Upgrade", "websocket"), ("Connection", "upgrade")]))
    frame = b"\x81\x05hello"
    assert conn.send(Data(frame)) == frame  # no chunk framing after a switch
    assert conn.send(EndOfMessage()) == b""
    assert not conn.keep_alive  # the connection never returns to HTTP/1.1


def test_upgrade_field_name_case_is_kept_and_value_untouched():
    conn = upgrade_conn(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n")
    _, pairs = fields(conn.send(Response(101, [("upgrade", "h2c")])))
    assert ("upgrade", "h2c") in pairs
    assert values(pairs, "connection") == ["upgrade"]


@pytest.mark.parametrize("close", [False, True])
def test_426_keeps_upgrade_and_stays_an_http_response(close):
    """A 426 must name the protocol it requires in Upgrade (RFC 9110 section
    15.5.22) and, as a sender of Upgrade, say upgrade in Connection (7.8);
    unlike a 101 it is an ordinary final response: Content-Length framing,
    and the connection stays HTTP/1.1 (kept alive unless asked to close)."""
    conn = upgrade_conn()
    headers = [("Upgrade", "TLS/1.3, HTTP/1.1"), ("Content-Length", "5")]
    if close:
        headers.append(("Connection", "close"))
    status, pairs = fields(conn.send(Response(426, headers)))
    assert status == "HTTP/1.1 426 Upgrade Required"
    assert values(pairs, "upgrade") == ["TLS/1.3, HTTP/1.1"]
    assert values(pairs, "connection") == ["upgrade, close" if close else "upgrade, keep-alive"]
    assert values(pairs, "content-length") == ["5"]
    assert conn.send(Data(b"hello")) == b"hello"
    assert conn.send(EndOfMessage()) == b""
    assert conn.keep_alive is (not close)


@pytest.mark.parametrize("status", [200, 404])
def test_other_statuses_still_drop_upgrade(status):
    # Upgrade is hop-by-hop and owned by the connection outside a switch
    conn = upgrade_conn()
    _, pairs = fields(conn.send(Response(status, [("Upgrade", "websocket"),
                                                  ("Content-Length", "0")])))
    assert not values(pairs, "upgrade")
    assert values(pairs, "connection") == ["keep-alive"]


def test_http10_client_101_keeps_upgrade():
    conn = upgrade_conn(b"GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n")
    status, pairs = fields(conn.send(Response(101, [("Upgrade", "websocket")])))
    assert status.startswith("HTTP/1.0 101 ")
    assert values(pairs, "upgrade") == ["websocket"]
    assert values(pairs, "connection") == ["upgrade"]
