"""Flood limits: each abuse closes the connection with GOAWAY ENHANCE_YOUR_CALM
(RFC 9113 section 10.5), bounded in CPU and memory; legitimate rates pass."""

from __future__ import annotations

import pytest

from gunicorn.http2 import events as ev
from gunicorn.http2.core import FloodLimits
from gunicorn.http2.errors import HTTP2ErrorCode as C
from tests.http2.h2_helpers import (
    REQUEST,
    Peer,
    goaway,
    make_cfg,
    of_event,
    raw_frame,
    terminated,
)

CALM = C.ENHANCE_YOUR_CALM


def _flood(peer, frames, limit=100000):
    """Feed *frames* (a callable index -> bytes) until the connection ends."""
    for i in range(limit):
        events = peer.send(frames(i))
        end = terminated(events)
        if end is not None:
            return i, end
    return limit, None


def _assert_calm(peer, end):
    assert end is not None and end.error_code == CALM and not end.remote
    assert goaway(peer.frames()).error_code == CALM
    assert peer.server.is_closed


def test_rapid_reset_is_stopped():
    """CVE-2023-44487: open a stream and reset it at once, over and over."""
    peer = Peer()

    def open_and_reset(i):
        sid = 2 * i + 1
        return (peer.headers_frame(sid, REQUEST, end_stream=False)
                + raw_frame(0x3, 0, sid, (C.CANCEL).to_bytes(4, "big")))

    count, end = _flood(peer, open_and_reset)
    _assert_calm(peer, end)
    # the default burst is max(200, 2 * http2_max_concurrent_streams)
    assert count == 200


def test_resets_at_a_sustainable_rate_are_fine():
    peer = Peer(limits=FloodLimits(resets=(10, 5.0)))
    for i in range(100):
        sid = 2 * i + 1
        events = peer.send(peer.headers_frame(sid, REQUEST, end_stream=False)
                           + raw_frame(0x3, 0, sid, (C.CANCEL).to_bytes(4, "big")))
        assert terminated(events) is None
        assert ev.StreamReset(sid, C.CANCEL, True) in events
        peer.clock.advance(0.25)
    assert not peer.server.is_closed


def test_server_side_resets_provoked_by_the_peer_count_too():
    """The "MadeYouReset" variant: the peer makes the server reset streams."""
    peer = Peer(limits=FloodLimits(resets=(50, 1.0)))

    def provoke(i):
        sid = 2 * i + 1
        # a WINDOW_UPDATE of 0 on an open stream is a stream error
        return (peer.headers_frame(sid, REQUEST, end_stream=False)
                + raw_frame(0x8, 0, sid, b"\x00\x00\x00\x00"))

    count, end = _flood(peer, provoke)
    _assert_calm(peer, end)
    assert count == 50


def test_streams_beyond_the_limit_count_as_resets():
    peer = Peer(make_cfg(http2_max_concurrent_streams=2), limits=FloodLimits(resets=(20, 1.0)))
    count, end = _flood(peer, lambda i: peer.headers_frame(2 * i + 1, REQUEST,
                                                           end_stream=False))
    _assert_calm(peer, end)
    assert count == 2 + 20


@pytest.mark.parametrize(("name", "frame", "limits", "allowed"), [
    ("PING", raw_frame(0x6, 0, 0, b"12345678"), FloodLimits(pings=(30, 1.0)), 30),
    # the client preface's SETTINGS frame used one token
    ("SETTINGS", raw_frame(0x4, 0, 0, b""), FloodLimits(settings=(30, 1.0)), 29),
    ("unsolicited PING ACK", raw_frame(0x6, 0x1, 0, b"12345678"),
     FloodLimits(empty_frames=(30, 1.0)), 30),
    ("unknown frame type", raw_frame(0x42, 0, 0, b"junk"), FloodLimits(empty_frames=(30, 1.0)),
     30),
    ("PRIORITY", raw_frame(0x2, 0, 9, b"\x00\x00\x00\x00\x10"),
     FloodLimits(priorities=(30, 1.0)), 30),
    ("tiny WINDOW_UPDATE", raw_frame(0x8, 0, 0, b"\x00\x00\x00\x01"),
     FloodLimits(small_window_updates=(30, 1.0)), 30),
])
def test_control_frame_floods(name, frame, limits, allowed):
    peer = Peer(limits=limits)
    count, end = _flood(peer, lambda i: frame)
    _assert_calm(peer, end)
    assert count == allowed


@pytest.mark.parametrize("name", ["PING", "SETTINGS", "PRIORITY"])
def test_default_control_frame_limits(name):
    frame = {
        "PING": raw_frame(0x6, 0, 0, b"12345678"),
        "SETTINGS": raw_frame(0x4, 0, 0, b""),
        "PRIORITY": raw_frame(0x2, 0, 9, b"\x00\x00\x00\x00\x10"),
    }[name]
    peer = Peer()
    count, end = _flood(peer, lambda i: frame)
    _assert_calm(peer, end)
    # (the client preface's SETTINGS frame used one SETTINGS token)
    assert count == {"PING": 200, "SETTINGS": 99, "PRIORITY": 1000}[name]


def test_buckets_refill_over_time():
    peer = Peer(limits=FloodLimits(pings=(5, 10.0)))
    for _ in range(50):
        assert terminated(peer.send(raw_frame(0x6, 0, 0, b"12345678"))) is None
        peer.clock.advance(0.1)


def test_empty_data_flood():
    peer = Peer(limits=FloodLimits(empty_frames=(40, 1.0)))
    peer.send(peer.headers_frame(1, [(b":method", b"POST")] + REQUEST[1:], end_stream=False))
    count, end = _flood(peer, lambda i: raw_frame(0x0, 0, 1, b""))
    _assert_calm(peer, end)
    assert count == 40


def test_padding_only_data_counts_as_empty():
    peer = Peer(limits=FloodLimits(empty_frames=(10, 1.0)))
    peer.send(peer.headers_frame(1, [(b":method", b"POST")] + REQUEST[1:], end_stream=False))
    count, end = _flood(peer, lambda i: raw_frame(0x0, 0x8, 1, b"\x03\x00\x00\x00"))
    _assert_calm(peer, end)
    assert count == 10


def test_continuation_flood_by_count():
    peer = Peer()
    block = peer.encode(REQUEST)
    peer.send(raw_frame(0x1, 0x1, 1, block))  # no END_HEADERS
    count, end = _flood(peer, lambda i: raw_frame(0x9, 0, 1, b""))
    _assert_calm(peer, end)
    assert count == 32  # FloodLimits.max_continuations


def test_continuation_flood_by_size():
    peer = Peer(make_cfg(http2_max_header_list_size=4096))
    peer.send(raw_frame(0x1, 0x1, 1, b"\x00" * 100))
    # the hard limit is max(2 * 4096, 4096 + 16384) octets of header block
    count, end = _flood(peer, lambda i: raw_frame(0x9, 0, 1, b"\x00" * 10000))
    _assert_calm(peer, end)
    assert count == 2


def test_oversized_single_header_block():
    peer = Peer(make_cfg(http2_max_header_list_size=4096, http2_max_frame_size=65536))
    events = peer.send(raw_frame(0x1, 0x5, 1, b"\x00" * 30000))
    _assert_calm(peer, terminated(events))


@pytest.mark.parametrize("frame", [
    lambda p: raw_frame(0x0, 0, 1, b"x"),
    lambda p: raw_frame(0x1, 0x4, 3, p.encode(REQUEST)),
    lambda p: raw_frame(0x9, 0x4, 3, b""),
    lambda p: raw_frame(0x6, 0, 0, b"12345678"),
])
def test_header_block_must_not_be_interleaved(peer, frame):
    block = peer.encode(REQUEST)
    peer.send(raw_frame(0x1, 0x0, 1, block[:3]))
    end = terminated(peer.send(frame(peer)))
    assert end.error_code == C.PROTOCOL_ERROR


def test_header_block_in_continuations(peer):
    block = peer.encode(REQUEST + [(b"x-long", b"v" * 100)])
    parts = [block[i:i + 10] for i in range(0, len(block), 10)]
    data = raw_frame(0x1, 0x1, 1, parts[0])
    for i, part in enumerate(parts[1:], 1):
        data += raw_frame(0x9, 0x4 if i == len(parts) - 1 else 0, 1, part)
    (got,) = of_event(peer.send(data), ev.RequestReceived)
    assert ("X-LONG", "v" * 100) in got.request.headers
