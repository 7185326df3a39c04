"""Response HEADERS, CONTINUATION and DATA frames written by the protocol core
itself (RFC 9113 sections 4.3, 5.1, 6.1, 6.2, 6.10): frame boundaries, flags,
the HPACK context kept in step with the client, and h2's stream states
changed as h2 would change them."""

from __future__ import annotations

import random
import string

import pytest
from h2.stream import StreamState as H2State
from hyperframe.frame import Frame

from gunicorn.http2.errors import HTTP2ErrorCode as C
from gunicorn.http2.errors import HTTP2StreamError
from tests.http2.h2_helpers import REQUEST, of_type, rst_codes

POST = [(b":method", b"POST")] + REQUEST[1:]


def _client_events(peer, name):
    return [e for e in peer.client_events if type(e).__name__ == name]


def _raw_frames(peer):
    """The server's output as frames, without decoding header fragments
    (``Peer.frames`` decodes each END_HEADERS frame on its own), and fed to
    the h2 client."""
    data = peer.server.data_to_send()
    frames, pos = [], 0
    while pos < len(data):
        frame, length = Frame.parse_frame_header(memoryview(data)[pos:pos + 9])
        frame.parse_body(memoryview(data)[pos + 9:pos + 9 + length])
        frames.append(frame)
        pos += 9 + length
    peer.client_events.extend(peer.client.receive_data(data))
    return frames


@pytest.mark.parametrize("end_in_head", [True, False])
def test_a_head_larger_than_a_frame_goes_out_in_continuation_frames(peer, end_in_head):
    peer.request(1)
    stream = peer.server.streams[1]
    # values Huffman coding hardly shrinks: the block is over 16384 octets
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "!#$%&*+-.^_|~"
    fields = [("x-big-%d" % i, "".join(rng.choice(alphabet) for _ in range(600)))
              for i in range(60)]
    stream.send_head(200, fields + [("content-length", "0" if end_in_head else "2")])
    if end_in_head:
        stream.end()
    else:
        stream.send_data(b"ok", end_stream=True)
    frames = _raw_frames(peer)
    heads = [f for f in frames if f.type in (0x1, 0x9)]
    assert heads[0].type == 0x1 and len(heads) >= 2
    assert all(f.type == 0x9 for f in heads[1:])
    assert all(len(f.data) <= 16384 for f in heads)
    assert ["END_HEADERS" in f.flags for f in heads] == [False] * (len(heads) - 1) + [True]
    # END_STREAM only on the HEADERS frame, never on a CONTINUATION (6.10)
    assert all("END_STREAM" not in f.flags for f in heads[1:])
    responses = _client_events(peer, "ResponseReceived")
    assert len(responses) == 1
    received = dict(responses[0].headers)
    for name, value in fields:
        assert received[name.encode()] == value.encode()
    assert _client_events(peer, "StreamEnded")
    assert rst_codes(frames) == {}


def test_many_responses_keep_the_hpack_context_in_step(peer):
    for sid in range(1, 80, 2):
        peer.request(sid)
        stream = peer.server.streams[sid]
        stream.send_head(200, [("content-type", "text/plain"), ("x-n", str(sid % 7)),
                               ("content-length", "5")])
        stream.send_data(b"hello", end_stream=True)
        peer.frames()
    responses = _client_events(peer, "ResponseReceived")
    assert [r.stream_id for r in responses] == list(range(1, 80, 2))
    for r in responses:
        fields = dict(r.headers)
        assert fields[b":status"] == b"200"
        assert fields[b"x-n"] == str(r.stream_id % 7).encode()
    assert len(_client_events(peer, "StreamEnded")) == 40
    assert peer.server.active_streams == 0


def test_h2_states_follow_a_response_that_ends_before_its_request(peer):
    peer.request(1, POST, body=b"part", end_stream=False)
    h2_stream = peer.server.h2_conn.streams[1]
    stream = peer.server.streams[1]
    stream.send_head(200, [("content-length", "2")])
    assert h2_stream.state_machine.state is H2State.OPEN
    assert h2_stream.state_machine.headers_sent
    stream.send_data(b"ok", end_stream=True)
    frames = peer.frames()
    data = of_type(frames, 0x0)
    assert [bytes(f.data) for f in data] == [b"ok"] and "END_STREAM" in data[-1].flags
    # our half ended, then RST_STREAM(NO_ERROR) asks the client to stop
    assert rst_codes(frames) == {1: C.NO_ERROR}


def test_windows_are_charged_for_data_written_by_the_core(peer):
    peer.request(1)
    h2 = peer.server.h2_conn
    before_conn = h2.outbound_flow_control_window
    before_stream = h2.streams[1].outbound_flow_control_window
    stream = peer.server.streams[1]
    stream.send_head(200, [])
    stream.send_data(b"x" * 1000)
    stream.send_data(b"y" * 40000)
    assert h2.outbound_flow_control_window == before_conn - 41000
    assert h2.streams[1].outbound_flow_control_window == before_stream - 41000
    stream.end()
    frames = peer.frames()
    payload = b"".join(bytes(f.data) for f in of_type(frames, 0x0))
    assert payload == b"x" * 1000 + b"y" * 40000
    assert all(len(f.data) <= 16384 for f in of_type(frames, 0x0))
    assert _client_events(peer, "StreamEnded")


def test_a_head_on_a_stream_reset_by_the_peer_is_refused(peer):
    peer.request(1, POST, body=b"part", end_stream=False)
    stream = peer.server.streams[1]
    peer.client.reset_stream(1, C.CANCEL)
    peer.send()
    with pytest.raises(HTTP2StreamError):
        stream.send_head(200, [])
    assert not [f for f in peer.frames() if f.type == 0x1]
