"""Informational responses: 103 Early Hints as HEADERS frames with :status 103,
several times (RFC 8297, RFC 9113 section 8.1)."""

from __future__ import annotations

import pytest

from gunicorn.http.early_hints import InvalidEarlyHint, _make_early_hints_callback
from gunicorn.http2 import events as ev
from gunicorn.http2.errors import HTTP2Error, HTTP2StreamError
from tests.http2.h2_helpers import REQUEST, of_event, of_type


def test_several_early_hints_before_the_response(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_informational(103, [("Link", "</a.css>; rel=preload; as=style")])
    stream.send_informational(103, [("Link", "</b.js>; rel=preload; as=script"),
                                    ("Link", "</c.js>; rel=preload; as=script")])
    stream.send_informational(103, [])
    stream.send_head(200, [("content-type", "text/html")])
    stream.send_data(b"<html>", end_stream=True)
    frames = peer.frames()
    heads = of_type(frames, 0x1)
    assert [h.headers[0] for h in heads] == [(b":status", b"103")] * 3 + [(b":status", b"200")]
    assert all("END_STREAM" not in h.flags for h in heads)
    assert heads[1].headers[1:] == [(b"link", b"</b.js>; rel=preload; as=script"),
                                    (b"link", b"</c.js>; rel=preload; as=script")]
    assert stream.informational_sent == 3
    names = [type(e).__name__ for e in peer.client_events]
    assert names.count("InformationalResponseReceived") == 3
    assert "ResponseReceived" in names


def test_early_hints_after_the_final_head_are_refused(peer):
    peer.request(1)
    stream = peer.server.streams[1]
    stream.send_head(200, [])
    with pytest.raises(HTTP2StreamError):
        stream.send_informational(103, [("link", "</x>")])


@pytest.mark.parametrize("status", [101, 99, 200, 600])
def test_invalid_informational_status(peer, status):
    peer.request(1)
    with pytest.raises(HTTP2Error):
        peer.server.send_informational(1, status, [])


def test_100_continue_is_an_informational_response(peer):
    peer.request(1, [(b":method", b"POST")] + REQUEST[1:] + [(b"expect", b"100-continue")],
                 end_stream=False)
    peer.server.send_informational(1, 100)
    (head,) = of_type(peer.frames(), 0x1)
    assert head.headers == [(b":status", b"100")]


def test_wsgi_early_hints_callback_uses_the_stream():
    from tests.http2.h2_helpers import Peer

    peer = Peer()
    (got,) = of_event(peer.request(1), ev.RequestReceived)

    class Resp:
        headers_sent = False

    hints = _make_early_hints_callback(got.request, None, Resp())
    hints([("Link", "</style.css>; rel=preload")])
    hints([("Link", "</app.js>; rel=preload")])
    with pytest.raises(InvalidEarlyHint):
        hints([("Bad Name", "x")])
    frames = of_type(peer.frames(), 0x1)
    assert [f.headers for f in frames] == [
        [(b":status", b"103"), (b"link", b"</style.css>; rel=preload")],
        [(b":status", b"103"), (b"link", b"</app.js>; rel=preload")],
    ]
    got.request.stream.send_head(200, [])
    hints([("Link", "</late>")])  # silently skipped once the response started
    assert len(of_type(peer.frames(), 0x1)) == 1
