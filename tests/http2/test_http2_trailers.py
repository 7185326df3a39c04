"""Trailers both ways (RFC 9113 section 8.1; RFC 9110 section 6.5)."""

from __future__ import annotations

import pytest

from gunicorn.http import errors as http_errors
from gunicorn.http2 import events as ev
from gunicorn.http2.errors import HTTP2Error
from gunicorn.http2.errors import HTTP2ErrorCode as C
from tests.http2.h2_helpers import REQUEST, of_event, of_type, raw_frame, rst_codes

POST = [(b":method", b"POST")] + REQUEST[1:]


def test_request_trailers_reach_the_request(peer):
    peer.request(1, POST, body=b"payload", end_stream=False)
    peer.client.send_headers(1, [(b"x-checksum", b"abc"), (b"x-other", b"1")], end_stream=True)
    events = peer.send()
    (end,) = of_event(events, ev.StreamEnded)
    assert end.trailers == (("X-CHECKSUM", "abc"), ("X-OTHER", "1"))
    stream = peer.server.streams[1]
    assert stream.request.trailers == [("X-CHECKSUM", "abc"), ("X-OTHER", "1")]
    assert stream.trailers == [("x-checksum", "abc"), ("x-other", "1")]
    assert stream.request.body.read() == b"payload"


def test_trailers_without_end_stream_are_malformed(peer):
    peer.request(1, POST, body=b"x", end_stream=False)
    events = peer.send(peer.headers_frame(1, [(b"x-checksum", b"abc")], end_stream=False))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.PROTOCOL_ERROR, False)]
    assert rst_codes(peer.frames()) == {1: C.PROTOCOL_ERROR}
    assert not peer.server.is_closed
    # the trailer block was decoded with the connection's HPACK context
    assert of_event(peer.send(peer.headers_frame(3, REQUEST + [(b"x-checksum", b"abc")])),
                    ev.RequestReceived)


def test_trailers_without_end_stream_in_continuation(peer):
    peer.request(1, POST, body=b"x", end_stream=False)
    block = peer.encode([(b"x-checksum", b"abc")])
    events = peer.send(raw_frame(0x1, 0, 1, block[:2]) + raw_frame(0x9, 0x4, 1, block[2:]))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.PROTOCOL_ERROR, False)]
    assert rst_codes(peer.frames()) == {1: C.PROTOCOL_ERROR}


@pytest.mark.parametrize("trailers", [
    [(b":path", b"/x")],
    [(b"x", b"1"), (b":status", b"200")],
    [(b"transfer-encoding", b"chunked")],
    [(b"X-Upper", b"1")],
    [(b"x", b"a\nb")],
])
def test_malformed_trailers_are_a_stream_error(peer, trailers):
    peer.request(1, POST, body=b"x", end_stream=False)
    events = peer.send(peer.headers_frame(1, trailers, end_stream=True))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.PROTOCOL_ERROR, False)]
    assert not of_event(events, ev.StreamEnded)
    assert rst_codes(peer.frames()) == {1: C.PROTOCOL_ERROR}


def test_trailers_short_of_the_content_length_are_malformed(peer):
    peer.request(1, POST + [(b"content-length", b"10")], body=b"short", end_stream=False)
    events = peer.send(peer.headers_frame(1, [(b"x-checksum", b"1")]))
    assert of_event(events, ev.StreamReset) == [ev.StreamReset(1, C.PROTOCOL_ERROR, False)]


@pytest.mark.parametrize(("trailer", "exc"), [
    ((b"host", b"other"), http_errors.InvalidHeaderName),
    ((b"content-length", b"3"), http_errors.InvalidHeaderName),
    ((b"x", b"a\x01"), http_errors.InvalidHeader),
])
def test_trailers_refused_by_the_field_policy_fail_the_body_read(peer, trailer, exc):
    peer.request(1, POST, body=b"abc", end_stream=False)
    events = peer.send(peer.headers_frame(1, [trailer]))
    assert of_event(events, ev.StreamEnded)
    req = peer.server.streams[1].request
    assert req.body.read(3) == b"abc"
    with pytest.raises(exc):
        req.body.read()


def test_response_trailers_end_the_stream(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_head(200, [("content-type", "text/plain"), ("trailer", "x-checksum")])
    stream.send_data(b"body")
    stream.end([("X-Checksum", "c0ffee"), ("Connection", "close")])
    frames = peer.frames()
    assert [f.type for f in frames] == [0x1, 0x0, 0x1]
    last = frames[-1]
    assert "END_STREAM" in last.flags
    assert last.headers == [(b"x-checksum", b"c0ffee")]
    assert stream.response_trailers == [("X-Checksum", "c0ffee"), ("Connection", "close")]
    names = [type(e).__name__ for e in peer.client_events]
    assert names[-2:] == ["TrailersReceived", "StreamEnded"]


def test_send_trailers_compat_method(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_headers([(":status", "200")])
    stream.send_trailers([("grpc-status", "0")])
    frames = peer.frames()
    assert frames[-1].headers == [(b"grpc-status", b"0")]
    assert stream.response_complete


def test_pseudo_header_in_response_trailers_is_refused(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_head(200, [])
    with pytest.raises(HTTP2Error):
        stream.end([(":status", "200")])


def test_empty_trailers_end_with_data(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_head(200, [])
    stream.end([])
    frames = peer.frames()
    assert frames[-1].type == 0x0 and "END_STREAM" in frames[-1].flags
    assert [n for n, _v in of_type(frames, 0x1)[0].headers] == [b":status", b"date"]
