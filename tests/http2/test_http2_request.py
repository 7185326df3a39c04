"""HTTP2Request and HTTP2Body built directly (gunicorn 25 constructor shapes)."""

from __future__ import annotations

import pytest

from gunicorn.http2.errors import HTTP2Error
from gunicorn.http2.fields import MalformedMessage
from gunicorn.http2.request import HTTP2Body, HTTP2Request
from gunicorn.http2.stream import HTTP2Stream
from tests.http2.h2_helpers import make_cfg


def test_body_over_bytes():
    body = HTTP2Body(b"line1\nline2\nrest")
    assert len(body) == 16
    assert body.readline() == b"line1\n"
    assert body.read(3) == b"lin"
    assert body.readlines() == [b"e2\n", b"rest"]
    assert body.read() == b""
    body = HTTP2Body(b"a\nb\n")
    assert list(body) == [b"a\n", b"b\n"]
    body = HTTP2Body(b"xyz")
    body.close()
    assert body.read() == b""
    assert len(HTTP2Body()) == 0


def test_body_over_a_reader():
    class Reader:
        length = 6

        def __init__(self):
            self.parts = [b"abc", b"def"]
            self.closed = False

        def read(self, size):
            return self.parts.pop(0) if self.parts else b""

        def close(self):
            self.closed = True

    reader = Reader()
    body = HTTP2Body(reader)
    assert len(body) == 6
    assert body.read() == b"abcdef"
    body.close()
    assert reader.closed


def _stream(headers, end_stream=True):
    stream = HTTP2Stream(1)
    stream.receive_headers(headers, end_stream=end_stream)
    return stream


def test_request_from_a_standalone_stream():
    stream = _stream([(":method", "PUT"), (":scheme", "https"), (":authority", "a.example"),
                      (":path", "/x?y=1#frag"), ("content-length", "4"),
                      ("content-type", "text/plain")], end_stream=False)
    stream.receive_data(b"data", end_stream=True)
    req = HTTP2Request(stream, make_cfg(), ("127.0.0.1", 9))
    assert (req.method, req.path, req.query, req.fragment) == ("PUT", "/x", "y=1", "frag")
    assert req.version == (2, 0)
    assert req.content_length == 4 and req.content_type == "text/plain"
    assert req.peer_addr == req.remote_addr == ("127.0.0.1", 9)
    assert req.priority_weight == 16 and req.priority_depends_on == 0
    assert req.body.read() == b"data"
    assert req.get_header("missing") is None


def test_request_body_read_before_data_arrived():
    stream = _stream([(":method", "POST"), (":scheme", "https"), (":authority", "a"),
                      (":path", "/")], end_stream=False)
    req = HTTP2Request(stream, make_cfg(), None)
    with pytest.raises(HTTP2Error):
        req.body.read(1)


def test_content_length_contradicting_end_stream_is_malformed():
    with pytest.raises(MalformedMessage):
        _stream([(":method", "POST"), (":scheme", "https"), (":path", "/"),
                 ("content-length", "3")])


def test_content_length_exceeded_is_malformed():
    stream = _stream([(":method", "POST"), (":scheme", "https"), (":path", "/"),
                      ("content-length", "3")], end_stream=False)
    with pytest.raises(MalformedMessage):
        stream.receive_data(b"four")
