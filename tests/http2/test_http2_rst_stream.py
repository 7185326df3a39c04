"""RST_STREAM (RFC 9113 section 6.4) from the peer and from us."""

from __future__ import annotations

import pytest

from gunicorn.http2 import events as ev
from gunicorn.http2.errors import HTTP2ErrorCode as C
from gunicorn.http2.errors import HTTP2StreamError
from tests.http2.h2_helpers import REQUEST, raw_frame, rst_codes, terminated

POST = [(b":method", b"POST")] + REQUEST[1:]


def _rst(stream_id, code=C.CANCEL):
    return raw_frame(0x3, 0, stream_id, int(code).to_bytes(4, "big"))


def test_reset_by_the_peer_cancels_the_stream(peer):
    peer.request(1, POST, body=b"partial", end_stream=False)
    stream = peer.server.streams[1]
    stream.send_head(200, [])
    peer.frames()
    events = peer.send(_rst(1, C.CANCEL))
    assert events == [ev.StreamReset(1, C.CANCEL, True)]
    assert stream.reset_remote and stream.reset_code == C.CANCEL
    assert peer.server.active_streams == 0
    with pytest.raises(HTTP2StreamError) as info:
        stream.send_data(b"more")
    assert info.value.error_code == C.CANCEL
    with pytest.raises(HTTP2StreamError):
        stream.read_body()
    # the application's late calls never reach the wire
    assert peer.server.data_to_send() == b""


def test_unknown_error_codes_are_passed_on(peer):
    peer.request(1, end_stream=False)
    assert peer.send(_rst(1, 0x1234)) == [ev.StreamReset(1, 0x1234, True)]


def test_frames_after_a_peer_reset_are_stream_closed(peer):
    peer.request(1, POST, end_stream=False)
    peer.send(_rst(1))
    peer.send(raw_frame(0x0, 0, 1, b"late"))
    assert rst_codes(peer.frames()) == {1: C.STREAM_CLOSED}
    assert not peer.server.is_closed


def test_reset_of_a_closed_stream_is_ignored(peer):
    peer.request(1)
    peer.server.send_headers(1, 200, [], end_stream=True)
    peer.frames()
    assert peer.send(_rst(1)) == []
    assert peer.frames() == []


@pytest.mark.parametrize(("frame", "code"), [
    (_rst(1), C.PROTOCOL_ERROR),                          # idle stream (6.4)
    (_rst(2), C.PROTOCOL_ERROR),                          # even: we never open streams
    (_rst(0), C.PROTOCOL_ERROR),                          # stream 0 (6.4)
    (raw_frame(0x3, 0, 1, b"\x00\x00\x08"), C.FRAME_SIZE_ERROR),  # length != 4 (6.4)
])
def test_invalid_rst_stream_is_a_connection_error(peer, frame, code):
    assert terminated(peer.send(frame)).error_code == code


def test_server_reset(peer):
    peer.request(1, end_stream=False)
    stream = peer.server.streams[1]
    stream.reset(C.INTERNAL_ERROR)
    stream.reset(C.CANCEL)  # no-op once closed
    stream.close()
    assert rst_codes(peer.frames()) == {1: C.INTERNAL_ERROR}
    assert stream.reset_code == C.INTERNAL_ERROR and not stream.reset_remote
    with pytest.raises(HTTP2StreamError, match="reset by the server"):
        stream.send_head(200, [])


def test_close_resets_an_open_stream_with_cancel(peer):
    peer.request(1, end_stream=False)
    peer.server.streams[1].close()
    assert rst_codes(peer.frames()) == {1: C.CANCEL}
