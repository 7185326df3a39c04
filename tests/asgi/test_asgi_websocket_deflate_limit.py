"""permessage-deflate (RFC 7692) against ``websocket_max_message_size``: a
small compressed message that inflates past the limit closes the WebSocket
with 1009 (RFC 6455 section 7.4.1) without being inflated in full."""

from __future__ import annotations

import zlib

from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason

from gunicorn.asgi.websocket import BoundedPerMessageDeflate, negotiate_extensions
from tests.asgi.asgi_support import asgi_server, wait_for
from tests.asgi.test_asgi_websocket import WSClient

LIMIT = 64 * 1024
BOMB = b"\x00" * (100 * 1024)  # deflates to a few hundred octets


def _masked_frame(payload: bytes, opcode: int = 0x2, fin: bool = True, rsv1: bool = True) -> bytes:
    """One client frame (RFC 6455 section 5.2), masked with a zero key."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        head = bytes([first, 0x80 | n])
    elif n < 65536:
        head = bytes([first, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([first, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\x00\x00\x00\x00" + payload  # a zero mask leaves the payload as is


def _deflate(data: bytes) -> bytes:
    """*data* as one permessage-deflate message payload (RFC 7692 7.2.1)."""
    c = zlib.compressobj(wbits=-15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def _server(max_size: int) -> tuple[Connection, BoundedPerMessageDeflate]:
    extensions, agreed = negotiate_extensions(
        [(b"sec-websocket-extensions", b"permessage-deflate; client_max_window_bits")], max_size)
    assert agreed is not None and agreed.startswith("permessage-deflate")
    (deflate,) = extensions
    assert isinstance(deflate, BoundedPerMessageDeflate)
    return Connection(ConnectionType.SERVER, extensions=extensions), deflate


def test_bomb_in_one_frame_fails_with_1009_before_inflating_it():
    compressed = _deflate(BOMB)
    assert len(compressed) < 1024
    ws, deflate = _server(LIMIT)
    ws.receive_data(_masked_frame(compressed))
    events = list(ws.events())
    assert [type(e) for e in events] == [CloseConnection]
    assert events[0].code == CloseReason.MESSAGE_TOO_BIG == 1009
    # zlib stopped one octet past the limit: the rest is still compressed
    assert deflate._decompressor is not None and deflate._decompressor.unconsumed_tail


def test_bomb_spread_over_fragments_fails_with_1009():
    compressed = _deflate(BOMB)
    ws, _ = _server(LIMIT)
    third = len(compressed) // 3
    ws.receive_data(_masked_frame(compressed[:third], fin=False)
                    + _masked_frame(compressed[third:2 * third], opcode=0, fin=False, rsv1=False)
                    + _masked_frame(compressed[2 * third:], opcode=0, fin=True, rsv1=False))
    closes = [e for e in ws.events() if isinstance(e, CloseConnection)]
    assert closes and closes[0].code == 1009


def test_messages_up_to_the_limit_inflate_and_the_budget_is_per_message():
    ws, _ = _server(LIMIT)
    exact = bytes(range(256)) * (LIMIT // 256)  # exactly LIMIT octets
    for _ in range(3):  # the budget starts again with each message
        ws.receive_data(_masked_frame(_deflate(exact)))
        got = b"".join(e.data for e in ws.events() if isinstance(e, BytesMessage))
        assert got == exact
    ws.receive_data(_masked_frame(_deflate(exact + b"!")))
    closes = [e for e in ws.events() if isinstance(e, CloseConnection)]
    assert closes and closes[0].code == 1009


def test_no_limit_inflates_as_before():
    ws, _ = _server(0)
    ws.receive_data(_masked_frame(_deflate(BOMB)))
    got = b"".join(e.data for e in ws.events() if isinstance(e, BytesMessage))
    assert got == BOMB


def test_text_and_uncompressed_frames_pass_through():
    ws, _ = _server(LIMIT)
    ws.receive_data(_masked_frame(_deflate("héllo".encode()), opcode=0x1))
    ws.receive_data(_masked_frame(b"plain", rsv1=False))
    events = list(ws.events())
    assert isinstance(events[0], TextMessage) and events[0].data == "héllo"
    assert isinstance(events[1], BytesMessage) and events[1].data == b"plain"


def test_deflate_bomb_against_a_server_closes_1009(tmp_path):
    marker = tmp_path / "code"
    with asgi_server("--websocket-max-message-size", str(LIMIT), app="asgi_apps:ws_app",
                     env={"ASGI_DISCONNECT_MARKER": str(marker)}) as srv:
        c = WSClient(srv, "/echo", extensions=[PerMessageDeflate()])
        try:
            accepted = c.events()
            assert isinstance(accepted, AcceptConnection)
            assert any(isinstance(e, PerMessageDeflate) for e in accepted.extensions)
            # a compressed message under the limit is served
            c.sock.sendall(c.ws.send(BytesMessage(data=b"ab" * 1000)))
            got = b""
            while len(got) < 2000:
                ev = c.events()
                assert isinstance(ev, BytesMessage)
                got += ev.data
            assert got == (b"ab" * 1000)[::-1]
            # the bomb: wsproto compresses it into a frame of a few hundred octets
            frame = c.ws.send(BytesMessage(data=BOMB))
            assert len(frame) < 1024
            c.sock.sendall(frame)
            ev = c.events()
            assert isinstance(ev, CloseConnection) and ev.code == 1009
        finally:
            c.sock.close()
        wait_for(lambda: marker.exists() and marker.read_text())
        assert marker.read_text() == "1009"
        # the worker goes on serving
        import httpx
        assert httpx.get(srv.url + "/x", timeout=10).text == "hello /x"
