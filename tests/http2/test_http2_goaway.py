"""GOAWAY (RFC 9113 section 6.8): graceful shutdown, peer GOAWAY, errors."""

from __future__ import annotations

import pytest

from gunicorn.http2 import events as ev
from gunicorn.http2.errors import HTTP2ConnectionError
from gunicorn.http2.errors import HTTP2ErrorCode as C
from tests.http2.h2_helpers import (
    REQUEST,
    goaway,
    of_event,
    of_type,
    raw_frame,
    rst_codes,
    terminated,
)


def _goaway(last, code, debug=b""):
    return raw_frame(0x7, 0, 0, last.to_bytes(4, "big") + int(code).to_bytes(4, "big") + debug)


def test_graceful_shutdown_finishes_running_streams(peer):
    peer.request(1)
    peer.request(3, end_stream=False)
    srv = peer.server
    srv.close()
    frames = peer.frames()
    g = goaway(frames)
    assert g.error_code == C.NO_ERROR and g.last_stream_id == 3
    assert srv.draining and not srv.is_closed
    # a stream opened after GOAWAY is refused, not processed
    events = peer.send(peer.headers_frame(5, REQUEST))
    assert not of_event(events, ev.RequestReceived)
    assert rst_codes(peer.frames()) == {5: C.REFUSED_STREAM}
    # the running ones still complete, including request content
    peer.send(raw_frame(0x0, 0x1, 3, b"late body"))
    assert srv.streams[3].read_body() == b"late body"
    for sid in (1, 3):
        srv.send_headers(sid, 200, [])
        srv.send_data(sid, b"done", end_stream=True)
    frames = peer.frames()
    assert [f.stream_id for f in of_type(frames, 0x0)] == [1, 3]
    assert srv.active_streams == 0
    # a second graceful GOAWAY with a higher id is not sent
    srv.close()
    assert goaway(peer.frames()) is None


def test_graceful_shutdown_below_running_streams_refuses_them(peer):
    peer.request(1, end_stream=False)
    peer.request(3, end_stream=False)
    peer.server.close(last_stream_id=1)
    frames = peer.frames()
    assert goaway(frames).last_stream_id == 1
    assert rst_codes(frames) == {3: C.REFUSED_STREAM}
    assert list(peer.server.streams) == [1]


def test_close_with_an_error_ends_everything(peer):
    peer.request(1, end_stream=False)
    stream = peer.server.streams[1]
    peer.server.close(C.INTERNAL_ERROR, additional_data=b"bye")
    g = goaway(peer.frames())
    assert g.error_code == C.INTERNAL_ERROR and g.additional_data == b"bye"
    assert peer.server.is_closed
    with pytest.raises(HTTP2ConnectionError):
        peer.server.send_headers(1, 200, [])
    assert peer.server.receive_data(b"anything") == []
    assert stream.reset_code == C.INTERNAL_ERROR


def test_peer_goaway_no_error_lets_streams_finish(peer):
    peer.request(1)
    events = peer.send(_goaway(0, C.NO_ERROR, b"client done"))
    assert events == [ev.ConnectionTerminated(C.NO_ERROR, 0, True, b"client done", None)]
    assert peer.server.draining and not peer.server.is_closed
    peer.server.send_headers(1, 200, [])
    peer.server.send_data(1, b"still answered", end_stream=True)
    assert [f.data for f in of_type(peer.frames(), 0x0)] == [b"still answered"]
    # the peer may not open more streams; one that does is refused
    peer.send(peer.headers_frame(3, REQUEST))
    assert rst_codes(peer.frames()) == {3: C.REFUSED_STREAM}


def test_peer_goaway_with_an_error_ends_the_connection(peer):
    peer.request(1, end_stream=False)
    stream = peer.server.streams[1]
    events = peer.send(_goaway(1, C.PROTOCOL_ERROR))
    end = terminated(events)
    assert end.remote and end.error_code == C.PROTOCOL_ERROR and end.last_stream_id == 1
    assert peer.server.is_closed
    assert peer.frames() == []
    assert stream.reset_code == C.PROTOCOL_ERROR


@pytest.mark.parametrize(("frame", "code"), [
    (raw_frame(0x7, 0, 1, b"\x00" * 8), C.PROTOCOL_ERROR),     # stream id != 0
    (raw_frame(0x7, 0, 0, b"\x00" * 7), C.FRAME_SIZE_ERROR),   # shorter than 8
])
def test_invalid_goaway(peer, frame, code):
    assert terminated(peer.send(frame)).error_code == code


def test_connection_error_goaway_names_the_last_stream(peer):
    peer.request(1)
    peer.request(3)
    peer.send(raw_frame(0x0, 0, 0, b"x"))  # DATA on stream 0
    g = goaway(peer.frames())
    assert g.error_code == C.PROTOCOL_ERROR and g.last_stream_id == 3
