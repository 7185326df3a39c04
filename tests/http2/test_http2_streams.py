"""Stream lifecycle (RFC 9113 section 5.1), concurrency limits and REFUSED_STREAM
(5.1.2), stream identifiers (5.1.1) and priority signals (5.3)."""

from __future__ import annotations

import pytest

from gunicorn.http2 import events as ev
from gunicorn.http2.errors import HTTP2ErrorCode as C
from gunicorn.http2.errors import HTTP2StreamError
from gunicorn.http2.stream import HTTP2Stream, StreamState
from tests.http2.h2_helpers import (
    REQUEST,
    Peer,
    goaway,
    make_cfg,
    of_event,
    of_type,
    raw_frame,
    rst_codes,
    terminated,
)

POST = [(b":method", b"POST")] + REQUEST[1:]


def _priority(stream_id, depends_on, weight=16, exclusive=False):
    dep = depends_on | (0x80000000 if exclusive else 0)
    return raw_frame(0x2, 0, stream_id, dep.to_bytes(4, "big") + bytes([weight - 1]))


def test_streams_beyond_the_limit_are_refused_and_hpack_stays_in_step():
    peer = Peer(make_cfg(http2_max_concurrent_streams=3))
    opened = []
    for sid in (1, 3, 5, 7, 9):
        # each request adds new entries to the client's HPACK dynamic table
        headers = REQUEST + [(b"x-request", b"number-%d" % sid)]
        opened += of_event(peer.send(peer.headers_frame(sid, headers, end_stream=False)),
                           ev.RequestReceived)
    assert [e.stream_id for e in opened] == [1, 3, 5]
    assert rst_codes(peer.frames()) == {7: C.REFUSED_STREAM, 9: C.REFUSED_STREAM}
    assert peer.server.active_streams == 3
    # finishing one stream makes room; the next block references the table
    peer.server.reset_stream(1, C.CANCEL)
    headers = REQUEST + [(b"x-request", b"number-9"), (b"x-request", b"number-7")]
    (got,) = of_event(peer.send(peer.headers_frame(11, headers)), ev.RequestReceived)
    assert got.request.headers[-2:] == [("X-REQUEST", "number-9"), ("X-REQUEST", "number-7")]


def test_frames_on_refused_streams_are_ignored():
    peer = Peer(make_cfg(http2_max_concurrent_streams=1))
    peer.request(1, end_stream=False)
    peer.send(peer.headers_frame(3, POST, end_stream=False))
    assert rst_codes(peer.frames()) == {3: C.REFUSED_STREAM}
    events = peer.send(raw_frame(0x0, 0, 3, b"late data")
                       + raw_frame(0x3, 0, 3, (C.CANCEL).to_bytes(4, "big"))
                       + raw_frame(0x8, 0, 3, (100).to_bytes(4, "big")))
    assert events == []
    frames = peer.frames()
    # no RST_STREAM answers the frames in flight (RFC 9113 section 5.1)
    assert rst_codes(frames) == {}
    assert not peer.server.is_closed


def test_one_hundred_concurrent_streams(peer):
    for sid in range(1, 201, 2):
        assert of_event(peer.request(sid, end_stream=False), ev.RequestReceived)
    assert peer.server.active_streams == 100
    # answer them in reverse order
    for sid in range(199, 0, -2):
        stream = peer.server.streams[sid]
        stream.send_head(200, [("content-type", "text/plain")])
        assert stream.send_data(b"stream %d" % sid, end_stream=True) == len(b"stream %d" % sid)
    frames = peer.frames()
    # each ended its response while the client was still sending: RST NO_ERROR
    assert set(rst_codes(frames).values()) == {C.NO_ERROR}
    assert len(of_type(frames, 0x1)) == 100
    assert peer.server.active_streams == 0


def test_even_stream_id_is_a_protocol_error(peer):
    events = peer.send(peer.headers_frame(2, REQUEST))
    assert terminated(events).error_code == C.PROTOCOL_ERROR


def test_decreasing_stream_id_is_a_protocol_error(peer):
    peer.request(5)
    events = peer.send(peer.headers_frame(3, REQUEST))
    assert terminated(events).error_code == C.PROTOCOL_ERROR


def test_reusing_a_closed_stream_is_stream_closed(peer):
    peer.request(1)
    peer.server.send_headers(1, 200, [], end_stream=True)
    peer.frames()
    events = peer.send(peer.headers_frame(1, REQUEST))
    assert terminated(events).error_code == C.STREAM_CLOSED


def test_data_on_an_idle_stream_is_a_protocol_error(peer):
    assert terminated(peer.send(raw_frame(0x0, 0, 1, b"x"))).error_code == C.PROTOCOL_ERROR


def test_data_on_stream_zero_is_a_protocol_error(peer):
    assert terminated(peer.send(raw_frame(0x0, 0, 0, b"x"))).error_code == C.PROTOCOL_ERROR


@pytest.mark.parametrize("frame", [
    lambda p: raw_frame(0x0, 0, 1, b"more"),
    lambda p: p.headers_frame(1, [(b"x-trailer", b"1")]),
])
def test_frames_on_half_closed_remote_are_stream_closed(peer, frame):
    peer.request(1)  # END_STREAM with the request
    events = peer.send(frame(peer))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.STREAM_CLOSED, False)]
    assert rst_codes(peer.frames()) == {1: C.STREAM_CLOSED}
    assert not peer.server.is_closed
    # the connection goes on
    assert of_event(peer.send(peer.headers_frame(3, REQUEST)), ev.RequestReceived)


def test_data_after_the_stream_ended_both_ways_is_a_connection_error(peer):
    peer.request(1)
    peer.server.send_headers(1, 200, [], end_stream=True)
    peer.frames()
    events = peer.send(raw_frame(0x0, 0, 1, b"late"))
    assert terminated(events).error_code == C.STREAM_CLOSED
    assert goaway(peer.frames()).error_code == C.STREAM_CLOSED


def test_frames_after_our_reset_are_ignored(peer):
    peer.request(1, POST, end_stream=False)
    peer.server.reset_stream(1, C.INTERNAL_ERROR)
    assert rst_codes(peer.frames()) == {1: C.INTERNAL_ERROR}
    events = peer.send(raw_frame(0x0, 0, 1, b"in flight")
                       + peer.headers_frame(1, [(b"x-trailer", b"1")]))
    assert events == []
    assert rst_codes(peer.frames()) == {}
    # the HPACK context followed the ignored trailers
    assert of_event(peer.send(peer.headers_frame(3, REQUEST + [(b"x-trailer", b"1")])),
                    ev.RequestReceived)


def test_complete_response_before_complete_request_resets_no_error(peer):
    peer.request(1, POST, body=b"part", end_stream=False)
    stream = peer.server.streams[1]
    stream.send_head(413, [])
    stream.end()
    frames = peer.frames()
    assert "END_STREAM" in frames[-2].flags
    assert rst_codes(frames) == {1: C.NO_ERROR}
    assert stream.state is StreamState.CLOSED
    assert peer.server.active_streams == 0


def test_normal_exchange_closes_the_stream(peer):
    peer.request(1, POST, body=b"hello")
    stream = peer.server.streams[1]
    assert stream.state is StreamState.HALF_CLOSED_REMOTE
    assert stream.request_complete and stream.can_send and not stream.can_receive
    assert stream.read_body() == b"hello"
    stream.send_head(200, [])
    stream.send_data(b"bye", end_stream=True)
    assert stream.state is StreamState.CLOSED and stream.response_complete
    assert 1 not in peer.server.streams
    assert rst_codes(peer.frames()) == {}
    assert [e for e in peer.client_events if type(e).__name__ == "StreamEnded"]


def test_stream_properties():
    stream = HTTP2Stream(3)
    assert stream.is_client_stream and not stream.is_server_stream
    assert HTTP2Stream(2).is_server_stream
    assert stream.state is StreamState.IDLE
    assert stream.window_size == 0
    stream.receive_headers(REQUEST, end_stream=False)
    assert stream.state is StreamState.OPEN
    stream.receive_data(b"abc")
    assert stream.get_request_body() == b"abc"
    assert stream.request_body.read() == b"abc"
    stream.update_priority(weight=1000, depends_on=1, exclusive=True)
    assert (stream.priority_weight, stream.priority_depends_on, stream.priority_exclusive) \
        == (256, 1, True)
    stream.update_priority(weight=0)
    assert stream.priority_weight == 1
    stream.reset()
    assert stream.state is StreamState.CLOSED
    with pytest.raises(HTTP2StreamError) as info:
        stream.receive_data(b"x")
    assert info.value.error_code == C.STREAM_CLOSED


# -- priority ------------------------------------------------------------------

def test_priority_in_headers_is_recorded(peer):
    frame = peer.encode(REQUEST)
    payload = (0x80000000 | 0).to_bytes(4, "big") + bytes([99]) + frame
    (got,) = of_event(peer.send(raw_frame(0x1, 0x25, 1, payload)), ev.RequestReceived)
    assert got.request.priority_weight == 100
    assert got.request.stream.priority_exclusive is True


def test_priority_frame_updates_the_stream(peer):
    peer.request(1, end_stream=False)
    assert peer.send(_priority(1, 0, weight=201)) == []
    assert peer.server.streams[1].priority_weight == 201


def test_priority_on_an_idle_stream_does_not_open_it(peer):
    assert peer.send(_priority(9, 0)) == []
    assert peer.server.active_streams == 0
    assert of_event(peer.send(peer.headers_frame(9, REQUEST)), ev.RequestReceived)


def test_headers_depending_on_themselves_are_a_stream_error(peer):
    block = peer.encode(REQUEST + [(b"x-new", b"entry")])
    payload = (1).to_bytes(4, "big") + bytes([15]) + block
    events = peer.send(raw_frame(0x1, 0x25, 1, payload))
    assert not of_event(events, ev.RequestReceived)
    assert rst_codes(peer.frames()) == {1: C.PROTOCOL_ERROR}
    # the block was decoded: the next one may reference its entries
    (got,) = of_event(peer.send(peer.headers_frame(3, REQUEST + [(b"x-new", b"entry")])),
                      ev.RequestReceived)
    assert ("X-NEW", "entry") in got.request.headers


def test_padded_headers_depending_on_themselves(peer):
    block = peer.encode(REQUEST)
    payload = bytes([4]) + (1).to_bytes(4, "big") + bytes([15]) + block + b"\x00" * 4
    events = peer.send(raw_frame(0x1, 0x2D, 1, payload))
    assert not of_event(events, ev.RequestReceived)
    assert rst_codes(peer.frames()) == {1: C.PROTOCOL_ERROR}


def test_priority_frame_depending_on_itself_is_a_stream_error(peer):
    peer.request(1, end_stream=False)
    events = peer.send(_priority(1, 1))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.PROTOCOL_ERROR, False)]
    assert rst_codes(peer.frames()) == {1: C.PROTOCOL_ERROR}
    # on an idle stream too
    peer.send(_priority(7, 7))
    assert rst_codes(peer.frames()) == {7: C.PROTOCOL_ERROR}
    assert not peer.server.is_closed


@pytest.mark.parametrize("payload", [b"\x00" * 4, b"\x00" * 6])
def test_priority_frame_of_wrong_length_is_a_stream_error(peer, payload):
    peer.request(1, end_stream=False)
    events = peer.send(raw_frame(0x2, 0, 1, payload))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.FRAME_SIZE_ERROR, False)]
    assert rst_codes(peer.frames()) == {1: C.FRAME_SIZE_ERROR}
    assert not peer.server.is_closed


def test_priority_on_stream_zero_is_a_protocol_error(peer):
    assert terminated(peer.send(_priority(0, 1))).error_code == C.PROTOCOL_ERROR


def test_finished_streams_are_not_held_and_late_frames_on_them_are_ignored():
    """h2's stream objects leave the connection when the stream closes (not at
    a later sweep), h2 remembers at most 256 closing reasons, and the frames
    RFC 9113 section 5.1 says to ignore on a closed stream (WINDOW_UPDATE,
    RST_STREAM) still are, also for a stream that closed 1,000 streams ago."""
    peer = Peer()
    server = peer.server
    for sid in range(1, 2 * 1200, 2):
        (req,) = of_event(peer.request(sid), ev.RequestReceived)
        server.send_headers(sid, 200, [("content-length", "2")])
        server.send_data(sid, b"ok", end_stream=True)
        assert req.request.stream.state is StreamState.CLOSED
        peer.frames()
        assert sid not in server.h2_conn.streams
    assert not server.h2_conn.streams
    assert len(server.h2_conn._closed_streams) <= 256
    recent, old = 2 * 1200 - 1, 2 * 1200 - 1 - 2 * 1000
    for sid in (recent, old):
        late = (raw_frame(0x8, 0, sid, (100).to_bytes(4, "big"))
                + raw_frame(0x3, 0, sid, (8).to_bytes(4, "big")))
        assert not terminated(peer.send(late))
        frames = peer.frames()
        assert goaway(frames) is None and not rst_codes(frames)
    # the connection still serves
    assert of_event(peer.request(2 * 1200 + 1), ev.RequestReceived)
    # one bit per stream id remembers how they closed
    assert len(server._closed_normally._bits) <= 2 * 1200 // 8 + 1
    # DATA after END_STREAM both ways, 1,000 streams back: STREAM_CLOSED
    closed = terminated(peer.send(raw_frame(0x0, 0x1, old, b"x")))
    assert closed is not None and closed.error_code == C.STREAM_CLOSED


def test_stream_id_window_slides_over_the_last_ids():
    """The closed-stream memory: exact membership for ids (odd, even, out of
    order) up to _REMEMBERED_SPAN below the highest added, bounded size."""
    from gunicorn.http2.core import _REMEMBERED_SPAN, _StreamIdWindow

    window = _StreamIdWindow()
    assert 1 not in window and 0 not in window and -5 not in window
    for sid in (7, 3, 1, 9, 4):
        window.add(sid)
    assert [sid for sid in range(12) if sid in window] == [1, 3, 4, 7, 9]
    added = set()
    for sid in range(11, 6 * _REMEMBERED_SPAN, 6):
        window.add(sid)
        added.add(sid)
    top = max(added)
    for sid in range(top - _REMEMBERED_SPAN + 1, top + 50):
        assert (sid in window) is (sid in added), sid
    # forgotten below the span, never a wrong "yes"
    assert 1 not in window and 11 not in window
    assert all(sid in added for sid in range(0, top + 1, 1) if sid in window)
    assert len(window._bits) <= _REMEMBERED_SPAN // 8
    window.add(5)  # far below the window: ignored
    assert 5 not in window
    window.add(top + 10 * _REMEMBERED_SPAN + 1)  # a jump: the window moves
    assert top + 10 * _REMEMBERED_SPAN + 1 in window and top not in window
    assert len(window._bits) <= _REMEMBERED_SPAN // 8
