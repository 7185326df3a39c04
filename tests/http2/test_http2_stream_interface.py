"""HTTP2Stream offers the protocol-neutral ``Stream`` operations (sans-IO)."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest

from gunicorn.http.core.framing import BODY_CHUNKED, BODY_LENGTH, BODY_NONE
from gunicorn.http2.errors import HTTP2ErrorCode as C
from gunicorn.http2.errors import HTTP2StreamError
from tests.http2.h2_helpers import REQUEST, goaway, of_type, raw_frame, terminated

POST = [(b":method", b"POST")] + REQUEST[1:]


def test_send_head_keywords(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_head(200, [("Content-Type", "text/plain")], reason="OK", content_length=3,
                     close=True, server="gunicorn")
    stream.send_data(b"abc")
    stream.end()
    head = of_type(peer.frames(), 0x1)[0]
    assert head.headers[:4] == [(b":status", b"200"), (b"content-type", b"text/plain"),
                                (b"content-length", b"3"), (b"server", b"gunicorn")]
    # RFC 9110 section 6.6.1, as on HTTP/1.1
    (name, value), = head.headers[4:]
    assert name == b"date" and abs(parsedate_to_datetime(value.decode()).timestamp()
                                   - time.time()) < 5
    assert stream.keep_alive
    stream.request_close()
    stream.flush()
    assert stream.socket is None
    assert stream.can_sendfile() is False and stream.sendfile(None, 0, 1) is None


def test_send_head_end_ends_the_stream(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_head(204, [], end=True)
    frames = peer.frames()
    assert "END_STREAM" in frames[0].flags
    assert stream.response_complete


def test_upgrade_is_refused(peer):
    peer.request(1)
    with pytest.raises(HTTP2StreamError):
        peer.server.streams[1].send_head(200, [], upgrade=True)


@pytest.mark.parametrize(("method", "status", "length", "framing"), [
    (b"GET", 200, None, BODY_CHUNKED),
    (b"GET", 200, 5, BODY_LENGTH),
    (b"HEAD", 200, 5, BODY_NONE),
    (b"GET", 204, None, BODY_NONE),
    (b"GET", 304, None, BODY_NONE),
])
def test_plan_response(peer, method, status, length, framing):
    peer.request(1, [(b":method", method)] + REQUEST[1:])
    stream = peer.server.streams[1]
    assert stream.plan_response(status, length) == (framing, True)
    assert stream.response_framing(status, length) == framing


def test_send_continue_once(peer):
    peer.request(1, POST + [(b"expect", b"100-continue")], end_stream=False)
    stream = peer.server.streams[1]
    stream.send_continue()
    stream.send_continue()
    heads = of_type(peer.frames(), 0x1)
    assert [h.headers for h in heads] == [[(b":status", b"100")]]


def test_no_continue_without_expectation(peer):
    peer.request(1, POST, end_stream=False)
    peer.server.streams[1].send_continue()
    assert peer.frames() == []


@pytest.mark.parametrize("frame", [
    raw_frame(0x0, 0x8, 1, b"\x05abc"),          # DATA: padding longer than the payload
    raw_frame(0x1, 0x0C, 3, b"\x09\x82\x84"),    # HEADERS: the same
])
def test_invalid_padding_is_a_protocol_error(peer, frame):
    peer.request(1, POST, end_stream=False)
    assert terminated(peer.send(frame)).error_code == C.PROTOCOL_ERROR
    assert goaway(peer.frames()).error_code == C.PROTOCOL_ERROR


def test_padded_data_without_pad_length_is_frame_size_error(peer):
    peer.request(1, POST, end_stream=False)
    assert terminated(peer.send(raw_frame(0x0, 0x8, 1, b""))).error_code == C.FRAME_SIZE_ERROR


@pytest.mark.parametrize("literal", [
    b"\x81\x7f",          # a Huffman string that is not a whole code
    b"\x84\xff\xff\xff\xff",  # the EOS symbol
])
def test_invalid_huffman_is_a_compression_error(peer, literal):
    block = b"\x82\x87\x84\x40\x81\x61" + literal
    assert terminated(peer.send(raw_frame(0x1, 0x5, 1, block))).error_code \
        == C.COMPRESSION_ERROR
