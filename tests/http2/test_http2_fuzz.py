"""Property tests: random frame sequences never raise anything but our errors,
and a well-behaved h2 client never meets a connection error."""

from __future__ import annotations

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.exceptions import H2Error
from hpack import Encoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gunicorn.http2 import events as ev
from gunicorn.http2.core import PREFACE, FloodLimits, HTTP2ServerProtocol
from gunicorn.http2.errors import HTTP2Error
from tests.http2.h2_helpers import REQUEST, FakeClock, make_cfg, raw_frame

CFG = make_cfg()
SIDS = st.sampled_from([0, 1, 2, 3, 5, 7, 9, 11, 2 ** 31 - 1])

raw_frames = st.builds(
    lambda t, f, s, p: ("raw", raw_frame(t, f, s, p)),
    st.sampled_from(list(range(11)) + [0x42]), st.integers(0, 255), SIDS,
    st.binary(max_size=40))
header_frames = st.builds(
    lambda s, end, extra: ("headers", s, end, extra),
    SIDS, st.booleans(),
    st.lists(st.tuples(st.sampled_from([b"x-a", b"content-length", b"te", b":path", b"Host",
                                        b"cookie", b"x_y"]),
                       st.sampled_from([b"1", b"", b"trailers", b"/", b" x", b"a\x01b"])),
             max_size=3))
data_frames = st.builds(lambda s, d, f: ("raw", raw_frame(0x0, f, s, d)),
                        SIDS, st.binary(max_size=64), st.sampled_from([0, 1, 8, 9]))
window_frames = st.builds(lambda s, n: ("raw", raw_frame(0x8, 0, s, n.to_bytes(4, "big"))),
                          SIDS, st.integers(0, 2 ** 32 - 1))
rst_frames = st.builds(lambda s, c: ("raw", raw_frame(0x3, 0, s, c.to_bytes(4, "big"))),
                       SIDS, st.integers(0, 15))
settings_frames = st.builds(
    lambda items: ("raw", raw_frame(0x4, 0, 0, b"".join(k.to_bytes(2, "big") + v.to_bytes(4, "big")
                                                        for k, v in items))),
    st.lists(st.tuples(st.integers(0, 9), st.sampled_from([0, 1, 2, 100, 16384, 65535,
                                                           2 ** 31 - 1, 2 ** 31])),
             max_size=3))
server_actions = st.builds(lambda a, s, n: ("server", a, s, n),
                           st.sampled_from(["head", "data", "end", "trailers", "reset", "read",
                                            "hint", "goaway", "error"]),
                           SIDS, st.integers(0, 70000))
actions = st.lists(st.one_of(raw_frames, header_frames, data_frames, window_frames, rst_frames,
                             settings_frames, server_actions), max_size=40)


def _server_action(server, action, sid, n):
    try:
        if action == "head":
            server.send_headers(sid, 200, [("content-length", str(n % 100))])
        elif action == "data":
            server.send_data(sid, b"d" * (n % 40000), end_stream=n % 2 == 0)
        elif action == "end":
            server.end_stream(sid)
        elif action == "trailers":
            server.end_stream(sid, [("x-t", "1")])
        elif action == "reset":
            server.reset_stream(sid, n % 14)
        elif action == "read":
            stream = server.streams.get(sid)
            if stream is not None:
                stream.read_body(n)
        elif action == "hint":
            server.send_informational(sid, 103, [("link", "</x>")])
        elif action == "goaway":
            server.close(0 if n % 3 else n % 14)
        elif action == "error":
            server.send_error(sid, 400 + n % 100, "no")
    except HTTP2Error:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions, st.integers(1, 50))
def test_random_frames_never_raise(steps, chunk):
    server = HTTP2ServerProtocol(CFG, ("127.0.0.1", 1), clock=FakeClock(),
                                 limits=FloodLimits(connection_window=65535))
    server.initiate_connection()
    encoder = Encoder()
    wire = bytearray(PREFACE + raw_frame(0x4, 0, 0, b""))
    ended = False

    def feed(data):
        nonlocal ended
        for at in range(0, len(data), chunk):
            events = server.receive_data(bytes(data[at:at + chunk]))
            for event in events:
                assert isinstance(event, ev.Event)
                if isinstance(event, ev.ConnectionTerminated) and not (
                        event.remote and event.error_code == 0):
                    ended = True
            server.data_to_send()
        assert sum(s.body_buffered for s in server.streams.values()) <= 65535

    feed(wire)
    for step in steps:
        if step[0] == "raw":
            feed(step[1])
        elif step[0] == "headers":
            _, sid, end, extra = step
            block = encoder.encode(REQUEST + extra)
            feed(raw_frame(0x1, 0x4 | (0x1 if end else 0), sid, block))
        else:
            _server_action(server, *step[1:])
            server.data_to_send()
        if ended:
            assert server.is_closed
            assert server.receive_data(b"\x00" * 20) == []
            break


client_actions = st.lists(st.one_of(
    st.tuples(st.just("request"), st.booleans(), st.binary(max_size=3000)),
    st.tuples(st.just("data"), st.integers(0, 20), st.binary(max_size=5000), st.booleans()),
    st.tuples(st.just("reset"), st.integers(0, 20)),
    st.tuples(st.just("ping")),
    st.tuples(st.just("window"), st.integers(1, 100000)),
    st.tuples(st.just("settings"), st.integers(0, 2 ** 20), st.integers(16384, 65536)),
    st.tuples(st.just("respond"), st.integers(0, 20), st.integers(0, 100000)),
    st.tuples(st.just("read"), st.integers(0, 20), st.integers(1, 100000)),
), max_size=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client_actions, st.integers(1, 4096), st.integers(0, 70000))
def test_well_behaved_client_never_meets_a_connection_error(steps, chunk, window):
    server = HTTP2ServerProtocol(CFG, ("127.0.0.1", 1), clock=FakeClock())
    server.initiate_connection()
    client = H2Connection(H2Configuration(client_side=True, header_encoding=None))
    client.initiate_connection()
    # the client's stream window is chosen before any stream opens and only
    # grows later: h2 (as a client) rejects a zero-length DATA frame once a
    # SETTINGS change made its window negative, although such a frame uses no
    # window (RFC 9113 section 6.9.1)
    client.update_settings({4: window})
    opened: list[int] = []
    sending: list[int] = []  # streams the client has not ended yet
    next_id = 1

    def pump():
        for _ in range(4):
            data = client.data_to_send()
            for at in range(0, len(data), chunk):
                for event in server.receive_data(data[at:at + chunk]):
                    assert not isinstance(event, ev.ConnectionTerminated), event
            out = server.data_to_send()
            if not out and not data:
                break
            # the h2 client validates everything the server sends
            client.receive_data(out)

    pump()
    for step in steps:
        kind = step[0]
        try:
            if kind == "request":
                _, with_body, body = step
                client.send_headers(next_id, REQUEST, end_stream=not with_body)
                opened.append(next_id)
                if with_body:
                    sending.append(next_id)
                next_id += 2
            elif kind == "data" and sending:
                sid = sending[step[1] % len(sending)]
                room = min(client.local_flow_control_window(sid), len(step[2]),
                           client.max_outbound_frame_size)
                if step[3]:
                    sending.remove(sid)
                client.send_data(sid, step[2][:room], end_stream=step[3])
            elif kind == "reset" and opened:
                sid = opened.pop(step[1] % len(opened))
                if sid in sending:
                    sending.remove(sid)
                client.reset_stream(sid)
            elif kind == "ping":
                client.ping(b"12345678")
            elif kind == "window":
                client.increment_flow_control_window(step[1])
            elif kind == "settings":
                window = max(window, step[1])
                client.update_settings({4: window, 5: step[2]})
            elif kind == "respond" and server.streams:
                sid = sorted(server.streams)[step[1] % len(server.streams)]
                stream = server.streams[sid]
                if not stream.response_headers_sent:
                    stream.send_head(200, [("content-type", "text/plain")])
                stream.send_data(b"r" * step[2], end_stream=True)
            elif kind == "read" and server.streams:
                sid = sorted(server.streams)[step[1] % len(server.streams)]
                server.streams[sid].read_body(step[2])
        except H2Error:
            # the h2 client refused an action (closed stream, window): skip it
            continue
        except HTTP2Error:
            continue
        pump()
