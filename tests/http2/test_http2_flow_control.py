"""Flow control (RFC 9113 section 5.2 and 6.9): credit tied to consumption,
bounded buffers, sending within the peer's windows."""

from __future__ import annotations

import pytest
from h2.settings import SettingCodes

from gunicorn.http2 import events as ev
from gunicorn.http2.core import FloodLimits
from gunicorn.http2.errors import HTTP2ErrorCode as C
from gunicorn.http2.errors import HTTP2StreamError
from tests.http2.h2_helpers import (
    REQUEST,
    Peer,
    goaway,
    of_event,
    of_type,
    raw_frame,
    rst_codes,
    terminated,
)

POST = [(b":method", b"POST")] + REQUEST[1:]


def _updates(frames, stream_id):
    return [f.window_increment for f in of_type(frames, 0x8) if f.stream_id == stream_id]


def _window_update(stream_id, increment):
    return raw_frame(0x8, 0, stream_id, increment.to_bytes(4, "big"))


def test_stream_credit_only_when_the_body_is_read(peer):
    events = peer.request(1, POST, body=b"a" * 40000)
    assert [len(e.data) for e in of_event(events, ev.DataReceived)] == [16384, 16384, 7232]
    assert of_event(events, ev.StreamEnded)
    # nothing read yet: no credit goes back
    assert _updates(peer.frames(), 1) == []
    stream = peer.server.streams[1]
    assert stream.body_buffered == 40000
    assert stream.read_body(1000) == b"a" * 1000
    assert _updates(peer.frames(), 1) == []  # h2 batches small credit
    assert stream.read_body() == b"a" * 39000
    assert _updates(peer.frames(), 1) == [40000]
    assert stream.read_body() == b""
    assert stream.body_complete


def test_read_body_waits_for_data(peer):
    peer.request(1, POST, end_stream=False)
    stream = peer.server.streams[1]
    assert stream.read_body(10) is None
    assert stream.read_body(0) == b""
    peer.client.send_data(1, b"xyz")
    events = peer.send()
    assert of_event(events, ev.DataReceived)[0].data == b"xyz"
    assert stream.read_body(10) == b"xyz"
    assert stream.read_body(10) is None
    peer.client.end_stream(1)
    (end,) = of_event(peer.send(), ev.StreamEnded)
    assert end.trailers == ()
    assert stream.read_body(10) == b""


def test_peer_overrunning_the_stream_window_is_flow_control_error(peer):
    peer.request(1, POST, end_stream=False)
    events = []
    for _ in range(5):  # 5 x 16384 > 65535, and nothing is read
        events += peer.send(raw_frame(0x0, 0, 1, b"z" * 16384))
    assert terminated(events).error_code == C.FLOW_CONTROL_ERROR
    assert goaway(peer.frames()).error_code == C.FLOW_CONTROL_ERROR


def test_upload_streams_through_a_bounded_buffer(peer):
    """A 1 MB upload read in small pieces: the buffer never exceeds the window."""
    total = 1_000_000
    peer.client.send_headers(1, POST)
    sent = 0
    received = bytearray()
    peak = 0
    stream = None
    while len(received) < total:
        room = min(peer.client.local_flow_control_window(1), total - sent, 16384)
        if room:
            chunk = bytes([sent % 251]) * room
            peer.client.send_data(1, chunk, end_stream=sent + room == total)
            sent += room
        peer.send()
        stream = stream or peer.server.streams[1]
        peak = max(peak, stream.body_buffered)
        data = stream.read_body(8192) or b""
        received += data
        peer.frames()  # WINDOW_UPDATEs reach the client
    assert len(received) == total
    assert peak <= 65535


def test_padding_is_credited_at_once(peer):
    peer.request(1, POST, end_stream=False)
    # 130 frames of 1 octet of data and 255 of padding
    for _ in range(130):
        peer.send(raw_frame(0x0, 0x8, 1, b"\xff" + b"d" + b"\x00" * 255))
    assert peer.server.streams[1].body_buffered == 130
    # padding (33150 octets) was given back though no data was read
    assert sum(_updates(peer.frames(), 1)) >= 32768


def test_response_data_limited_by_peer_window():
    peer = Peer()
    peer.client.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 100})
    peer.send()
    peer.frames()
    peer.request(1)
    srv = peer.server
    srv.send_headers(1, 200, [])
    assert srv.available(1) == 100
    body = b"r" * 250
    assert srv.send_data(1, body, end_stream=True) == 100
    assert srv.available(1) == 0
    assert srv.send_data(1, body[100:], end_stream=True) == 0
    assert [len(f.data) for f in of_type(peer.frames(), 0x0)] == [100]
    events = peer.send(_window_update(1, 120))
    assert ev.WindowUpdated(1) in events
    assert srv.send_data(1, body[100:], end_stream=True) == 120
    peer.send(_window_update(1, 1000))
    assert srv.send_data(1, body[220:], end_stream=True) == 30
    frames = of_type(peer.frames(), 0x0)
    assert [len(f.data) for f in frames] == [120, 30]
    assert "END_STREAM" in frames[-1].flags
    assert srv.active_streams == 0


def test_data_frames_split_at_the_peer_max_frame_size(peer):
    peer.request(1)
    peer.server.send_headers(1, 200, [])
    assert peer.server.send_data(1, b"q" * 40000, end_stream=True) == 40000
    frames = of_type(peer.frames(), 0x0)
    assert [len(f.data) for f in frames] == [16384, 16384, 7232]
    assert ["END_STREAM" in f.flags for f in frames] == [False, False, True]


def _two_streams_with_wide_windows() -> Peer:
    """A peer whose windows (connection and streams) are 1 MiB wider, with
    requests open on streams 1 and 3."""
    peer = Peer()
    peer.client.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
    peer.client.increment_flow_control_window(1 << 20)
    peer.send()
    peer.frames()
    peer.request(1)
    peer.request(3)
    return peer


def test_large_responses_interleave_in_order_within_the_windows():
    """Bodies of several frames on two streams, sent in turns: the client
    (h2) takes every frame, each stream's octets arrive whole and in order,
    END_STREAM only on the last frame, and both sides agree on the windows."""
    peer = _two_streams_with_wide_windows()
    srv = peer.server
    srv.send_headers(1, 200, [("content-length", "70000")])
    srv.send_headers(3, 200, [])
    one = bytes(range(256)) * 274  # 70144 octets, 70000 sent
    three = bytes(reversed(range(256))) * 200
    assert srv.send_data(1, one[:50000]) == 50000
    assert srv.send_data(3, three[:33000]) == 33000
    assert srv.send_data(1, one[50000:], end_stream=True) == 20144  # cut at 70000
    assert srv.send_data(3, bytearray(three[33000:51200]), end_stream=True) == 18200
    frames = of_type(peer.frames(), 0x0)
    assert peer.client_alive
    assert all(len(f.data) <= 16384 for f in frames)
    for sid, body in ((1, one[:70000]), (3, three[:51200])):
        mine = [f for f in frames if f.stream_id == sid]
        assert b"".join(f.data for f in mine) == body
        assert ["END_STREAM" in f.flags for f in mine] == [False] * (len(mine) - 1) + [True]
        received = b"".join(e.data for e in peer.client_events
                            if type(e).__name__ == "DataReceived" and e.stream_id == sid)
        assert received == body
    sent = 70000 + 51200
    assert srv.h2_conn.outbound_flow_control_window == 65535 + (1 << 20) - sent
    assert peer.client.inbound_flow_control_window == 65535 + (1 << 20) - sent
    assert srv.active_streams == 0


def test_connection_window_is_shared(peer):
    peer.request(1)
    peer.request(3)
    srv = peer.server
    for sid in (1, 3):
        srv.send_headers(sid, 200, [])
    assert srv.send_data(1, b"a" * 40000) == 40000
    assert srv.send_data(3, b"b" * 40000) == 25535
    assert srv.available(3) == 0
    peer.frames()
    events = peer.send(_window_update(0, 5000))
    assert ev.WindowUpdated(0) in events
    assert srv.available(3) == 5000


def test_window_update_overflowing_a_stream_is_a_stream_error(peer):
    peer.request(1)
    events = peer.send(_window_update(1, 2 ** 31 - 1))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.FLOW_CONTROL_ERROR, False)]
    assert rst_codes(peer.frames()) == {1: C.FLOW_CONTROL_ERROR}
    assert not peer.server.is_closed


def test_window_update_overflowing_the_connection_is_a_connection_error(peer):
    events = peer.send(_window_update(0, 2 ** 31 - 1))
    assert terminated(events).error_code == C.FLOW_CONTROL_ERROR


def test_zero_increment_on_a_stream_is_a_stream_error(peer):
    peer.request(1)
    events = peer.send(_window_update(1, 0))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.PROTOCOL_ERROR, False)]
    assert rst_codes(peer.frames()) == {1: C.PROTOCOL_ERROR}
    assert not peer.server.is_closed


def test_zero_increment_on_the_connection_is_a_connection_error(peer):
    assert terminated(peer.send(_window_update(0, 0))).error_code == C.PROTOCOL_ERROR


@pytest.mark.parametrize("stream_id", [5, 2])
def test_window_update_on_an_idle_stream_is_a_connection_error(peer, stream_id):
    for increment in (0, 10):
        p = Peer()
        assert terminated(p.send(_window_update(stream_id, increment))).error_code \
            == C.PROTOCOL_ERROR


def test_window_update_reserved_bit_is_ignored(peer):
    peer.request(1)
    before = peer.server.h2_conn.local_flow_control_window(1)
    events = peer.send(raw_frame(0x8, 0, 1, (0x80000000 | 100).to_bytes(4, "big")))
    assert terminated(events) is None
    assert peer.server.h2_conn.local_flow_control_window(1) == before  # conn window caps
    assert peer.server.h2_conn.streams[1].outbound_flow_control_window == 65535 + 100


def test_initial_window_change_wakes_senders(peer):
    peer.request(1)
    peer.client.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 70000})
    events = peer.send()
    assert ev.WindowUpdated(0) in events


def test_initial_window_change_overflowing_a_stream_is_flow_control_error(peer):
    peer.request(1)
    peer.send(_window_update(1, 2 ** 31 - 1 - 65535))
    peer.client.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 70000})
    events = peer.send()
    assert terminated(events).error_code == C.FLOW_CONTROL_ERROR


def test_zero_window_buffers_nothing():
    peer = Peer()
    peer.client.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 0})
    peer.send()
    peer.frames()
    peer.request(1)
    srv = peer.server
    srv.send_headers(1, 200, [])
    assert srv.available(1) == 0
    assert srv.send_data(1, b"x" * 100000) == 0
    assert of_type(peer.frames(), 0x0) == []


def test_response_content_length_bounds_the_data(peer):
    peer.request(1)
    srv = peer.server
    srv.send_headers(1, 200, [("Content-Length", "5")])
    assert srv.send_data(1, b"0123456789", end_stream=True) == 10
    frames = peer.frames()
    assert b"".join(f.data for f in of_type(frames, 0x0)) == b"01234"
    assert "END_STREAM" in of_type(frames, 0x0)[-1].flags


def test_response_shorter_than_its_content_length_is_reset(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_head(200, [("content-length", "10")])
    assert stream.send_data(b"01234") == 5
    stream.end()
    frames = peer.frames()
    assert rst_codes(frames) == {1: C.INTERNAL_ERROR}
    assert all("END_STREAM" not in f.flags for f in of_type(frames, 0x0))


def test_reset_gives_back_the_connection_credit_of_unread_content():
    peer = Peer(limits=FloodLimits(connection_window=65535))
    peer.request(1, POST, body=b"u" * 60000, end_stream=False)
    assert _updates(peer.frames(), 0) == []
    peer.server.reset_stream(1, C.CANCEL)
    frames = peer.frames()
    assert rst_codes(frames) == {1: C.CANCEL}
    assert _updates(frames, 0) == [60000]


def test_rejected_request_content_is_credited_at_once():
    from tests.http2.h2_helpers import make_cfg

    peer = Peer(make_cfg(header_map="refuse"), limits=FloodLimits(connection_window=65535))
    events = peer.request(1, POST + [(b"x_y", b"1")], body=b"u" * 40000, end_stream=False)
    assert of_event(events, ev.RequestRejected)
    # credited as it arrived (h2 sends credit in half-window steps)
    frames = peer.frames()
    assert sum(_updates(frames, 0)) >= 32768
    assert sum(_updates(frames, 1)) >= 32768


def test_sending_on_a_reset_stream_raises(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_head(200, [])
    peer.send(raw_frame(0x3, 0, 1, (C.CANCEL).to_bytes(4, "big")))
    with pytest.raises(HTTP2StreamError) as info:
        stream.send_data(b"late")
    assert info.value.error_code == C.CANCEL
    assert "reset by the peer" in str(info.value)
    assert stream.window_size == 0


def test_bytes_payloads_wait_by_reference_and_others_as_copies():
    """``take_output`` hands DATA payloads of immutable bytes over as views
    of the application's object (no copy while they wait to be written);
    a bytearray is copied, so changing it afterwards changes nothing sent.
    Joined, the output is what ``data_to_send`` returns."""
    peer = _two_streams_with_wide_windows()
    srv = peer.server
    srv.data_to_send()
    body = bytes(range(256)) * 200  # 51,200 octets: four frames
    srv.send_headers(1, 200, [("content-length", str(len(body)))])
    assert srv.send_data(1, body, end_stream=True) == len(body)
    chunks = srv.take_output()
    views = [c for c in chunks if isinstance(c, memoryview)]
    assert views and all(v.obj is body for v in views)
    assert sum(len(v) for v in views) == len(body)
    mutable = bytearray(b"a" * 40000)
    srv.send_headers(3, 200, [])
    assert srv.send_data(3, mutable, end_stream=True) == 40000
    chunks += srv.take_output()
    assert not any(isinstance(c, memoryview) and c.obj is mutable for c in chunks)
    mutable[:] = b"b" * 40000
    assert srv.take_output() == []
    events = peer.client.receive_data(b"".join(chunks))
    got = {1: b"", 3: b""}
    for e in events:
        if type(e).__name__ == "DataReceived":
            got[e.stream_id] += e.data
    assert got == {1: body, 3: b"a" * 40000}
    assert [type(e).__name__ for e in events].count("StreamEnded") == 2
