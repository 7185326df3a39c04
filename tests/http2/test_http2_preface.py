"""Connection preface, SETTINGS, PING, frame sizes, unknown frames (RFC 9113
sections 3.4, 4, 5.5, 6.5, 6.7)."""

from __future__ import annotations

import pytest
from hyperframe.frame import PingFrame, SettingsFrame

from gunicorn.http2 import events as ev
from gunicorn.http2.core import PREFACE, HTTP2ServerProtocol
from gunicorn.http2.errors import HTTP2ErrorCode as C
from tests.http2.h2_helpers import Peer, goaway, make_cfg, of_type, raw_frame, terminated


def test_server_preface_advertises_the_configured_settings():
    cfg = make_cfg(http2_max_concurrent_streams=7, http2_initial_window_size=100000,
                   http2_max_frame_size=32768, http2_max_header_list_size=9000)
    peer = Peer(cfg, handshake=False)
    frames = peer.frames()
    settings = frames[0]
    assert settings.type == 0x4 and "ACK" not in settings.flags
    assert settings.settings == {
        SettingsFrame.MAX_CONCURRENT_STREAMS: 7,
        SettingsFrame.INITIAL_WINDOW_SIZE: 100000,
        SettingsFrame.MAX_FRAME_SIZE: 32768,
        SettingsFrame.MAX_HEADER_LIST_SIZE: 9000,
    }
    # a server never advertises push (RFC 9113 6.5.2 lets it omit the setting)
    assert SettingsFrame.ENABLE_PUSH not in settings.settings
    # one connection window for all streams' buffered request content
    update = frames[1]
    assert update.type == 0x8 and update.stream_id == 0
    assert 65535 + update.window_increment == peer.server.connection_window
    assert len(frames) == 2


def test_handshake_acknowledges_client_settings():
    peer = Peer(handshake=False)
    peer.start_client()
    events = peer.send()
    assert terminated(events) is None
    frames = peer.frames()
    acks = [f for f in of_type(frames, 0x4) if "ACK" in f.flags]
    assert len(acks) == 1
    assert not peer.server.settings_acknowledged
    peer.send()  # the client's ACK of our SETTINGS
    assert peer.server.settings_acknowledged
    # the values we advertised apply once acknowledged
    assert peer.server.h2_conn.max_inbound_frame_size == 16384


def test_preface_may_arrive_byte_by_byte():
    peer = Peer(handshake=False)
    peer.start_client()
    data = peer.client.data_to_send()
    for i in range(len(data)):
        assert terminated(peer.send(data[i:i + 1])) is None
    assert of_type(peer.frames(), 0x4)


@pytest.mark.parametrize("data", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n",
    b"PRX",
])
def test_invalid_preface_is_a_protocol_error(data):
    peer = Peer(handshake=False)
    peer.frames()
    events = peer.send(data)
    end = terminated(events)
    assert end is not None and end.error_code == C.PROTOCOL_ERROR and not end.remote
    assert goaway(peer.frames()).error_code == C.PROTOCOL_ERROR
    assert peer.server.is_closed
    assert peer.send(PREFACE) == []


def test_first_frame_must_be_settings():
    peer = Peer(handshake=False)
    peer.frames()
    events = peer.send(PREFACE + PingFrame(0, opaque_data=b"12345678").serialize())
    assert terminated(events).error_code == C.PROTOCOL_ERROR
    assert goaway(peer.frames()).error_code == C.PROTOCOL_ERROR


def test_settings_ack_first_is_a_protocol_error():
    peer = Peer(handshake=False)
    peer.frames()
    events = peer.send(PREFACE + raw_frame(0x4, 0x1, 0, b""))
    assert terminated(events).error_code == C.PROTOCOL_ERROR


def test_settings_ack_with_payload_is_frame_size_error(peer):
    events = peer.send(raw_frame(0x4, 0x1, 0, b"\x00\x03\x00\x00\x00\x01"))
    assert terminated(events).error_code == C.FRAME_SIZE_ERROR
    assert goaway(peer.frames()).error_code == C.FRAME_SIZE_ERROR


def test_settings_length_not_multiple_of_six_is_frame_size_error(peer):
    events = peer.send(raw_frame(0x4, 0, 0, b"\x00\x03\x00\x00\x01"))
    assert terminated(events).error_code == C.FRAME_SIZE_ERROR


@pytest.mark.parametrize(("ftype", "flags", "length"), [
    (0x4, 0x0, 9),   # SETTINGS, not a multiple of 6 (RFC 9113 section 6.5)
    (0x4, 0x1, 6),   # SETTINGS ACK with a payload (section 6.5)
    (0x6, 0x0, 9),   # PING, not 8 octets (section 6.7)
    (0x3, 0x0, 5),   # RST_STREAM, not 4 octets (section 6.4)
    (0x8, 0x0, 6),   # WINDOW_UPDATE, not 4 octets (section 6.9)
    (0x7, 0x0, 7),   # GOAWAY, shorter than 8 octets (section 6.8)
])
def test_wrong_length_refused_from_the_frame_header(peer, ftype, flags, length):
    # only the header and part of the payload arrive: the length alone is
    # the error, the server must not wait for the rest
    header = length.to_bytes(3, "big") + bytes((ftype, flags)) + (1 if ftype == 0x3 else 0
                                                                  ).to_bytes(4, "big")
    events = peer.send(header + b"\x00" * (length - 1))
    assert terminated(events).error_code == C.FRAME_SIZE_ERROR
    assert goaway(peer.frames()).error_code == C.FRAME_SIZE_ERROR


def test_first_settings_with_a_wrong_length_refused_from_its_header():
    peer = Peer(handshake=False)
    peer.frames()
    events = peer.send(PREFACE + (9).to_bytes(3, "big") + bytes((0x4, 0)) + bytes(4) + bytes(8))
    assert terminated(events).error_code == C.FRAME_SIZE_ERROR


def test_wrong_length_inside_a_header_block_is_an_interleaving_error(peer):
    block = peer.encode([(b":method", b"GET"), (b":scheme", b"https"),
                         (b":authority", b"x"), (b":path", b"/")])
    events = peer.send(raw_frame(0x1, 0x1, 1, block[:2]) + (9).to_bytes(3, "big")
                       + bytes((0x6, 0)) + bytes(4) + bytes(9))
    assert terminated(events).error_code == C.PROTOCOL_ERROR


def test_settings_on_a_stream_is_protocol_error(peer):
    events = peer.send(raw_frame(0x4, 0, 1, b""))
    assert terminated(events).error_code == C.PROTOCOL_ERROR


@pytest.mark.parametrize(("setting", "value", "code"), [
    (0x2, 2, C.PROTOCOL_ERROR),            # ENABLE_PUSH not 0/1 (6.5.2)
    (0x4, 2 ** 31, C.FLOW_CONTROL_ERROR),  # INITIAL_WINDOW_SIZE too large (6.5.2)
    (0x5, 16383, C.PROTOCOL_ERROR),        # MAX_FRAME_SIZE too small
    (0x5, 2 ** 24, C.PROTOCOL_ERROR),      # MAX_FRAME_SIZE too large
])
def test_invalid_setting_values(peer, setting, value, code):
    payload = setting.to_bytes(2, "big") + value.to_bytes(4, "big")
    events = peer.send(raw_frame(0x4, 0, 0, payload))
    assert terminated(events).error_code == code
    assert goaway(peer.frames()).error_code == code


def test_unknown_settings_are_ignored(peer):
    events = peer.send(raw_frame(0x4, 0, 0, (0x99).to_bytes(2, "big") + (5).to_bytes(4, "big")))
    assert terminated(events) is None
    assert [f for f in peer.frames() if f.type == 0x4 and "ACK" in f.flags]


def test_frame_over_max_frame_size_refused_from_its_header(peer):
    # only the 9-octet header: the server must not wait for 16 MiB
    header = (16385).to_bytes(3, "big") + bytes((0x0, 0x0)) + (1).to_bytes(4, "big")
    events = peer.send(header)
    assert terminated(events).error_code == C.FRAME_SIZE_ERROR
    assert goaway(peer.frames()).error_code == C.FRAME_SIZE_ERROR


def test_larger_frames_allowed_once_our_setting_is_acknowledged():
    peer = Peer(make_cfg(http2_max_frame_size=65536))
    peer.client.send_headers(1, [(b":method", b"POST"), (b":scheme", b"https"),
                                 (b":authority", b"a"), (b":path", b"/")])
    peer.send()
    payload = b"x" * 20000
    events = peer.send(raw_frame(0x0, 0x1, 1, payload))
    assert terminated(events) is None
    assert [e.data for e in events if isinstance(e, ev.DataReceived)] == [payload]


def test_ping_is_acknowledged(peer):
    events = peer.send(PingFrame(0, opaque_data=b"abcdefgh").serialize())
    assert events == []
    pings = of_type(peer.frames(), 0x6)
    assert len(pings) == 1 and "ACK" in pings[0].flags and pings[0].opaque_data == b"abcdefgh"


@pytest.mark.parametrize(("frame", "code"), [
    (raw_frame(0x6, 0, 0, b"1234567"), C.FRAME_SIZE_ERROR),   # 6.7: length != 8
    (raw_frame(0x6, 0, 1, b"12345678"), C.PROTOCOL_ERROR),    # 6.7: stream id != 0
])
def test_invalid_ping(peer, frame, code):
    assert terminated(peer.send(frame)).error_code == code


def test_unknown_frame_types_are_ignored(peer):
    events = peer.send(raw_frame(0x33, 0xFF, 0, b"whatever") + raw_frame(0xFA, 0, 3, b""))
    assert events == []
    assert peer.frames() == []
    assert not peer.server.is_closed
    # and the connection still serves requests
    assert isinstance(peer.request(1)[0], ev.RequestReceived)


def test_push_promise_from_client_is_protocol_error(peer):
    peer.request(1, end_stream=False)
    payload = (2).to_bytes(4, "big") + peer.encode([(b":method", b"GET")])
    events = peer.send(raw_frame(0x5, 0x4, 1, payload))
    assert terminated(events).error_code == C.PROTOCOL_ERROR


def test_naked_continuation_is_protocol_error(peer):
    peer.request(1)
    events = peer.send(raw_frame(0x9, 0x4, 1, b""))
    assert terminated(events).error_code == C.PROTOCOL_ERROR
    assert goaway(peer.frames()).error_code == C.PROTOCOL_ERROR


def test_data_to_send_is_empty_when_idle(peer):
    assert peer.server.data_to_send() == b""


def test_receive_data_initiates_when_needed():
    # a driver that forgot initiate_connection still sends SETTINGS first
    proto = HTTP2ServerProtocol(make_cfg(), ("127.0.0.1", 1))
    proto.receive_data(PREFACE[:5])
    data = proto.data_to_send()
    assert data[3] == 0x4
