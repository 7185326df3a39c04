"""HTTP/2 floods and protocol limits, end to end.

A real ``gunicorn -k WORKER --http-protocols h2,h1`` server (one worker; every
WSGI worker class that serves HTTP/2: gthread, gevent, eventlet) is
attacked over TLS with ALPN h2 and over cleartext with prior knowledge by a
frame-level client that writes whatever bytes a test needs.  Every test
asserts the exact error code RFC 9113 (section 7) or RFC 7541 call for --
GOAWAY for a connection error, RST_STREAM for a stream error,
ENHANCE_YOUR_CALM for abuse (RFC 9113 section 10.5) -- and then that the
worker still serves: a new connection gets a 200 from the same worker pid.
The limits live in the one HTTP/2 layer, so every worker that drives it must
answer each flood alike.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from h2_flood_app import pattern
from h2e2e_support import HERE, tls_args
from raw_h2 import (
    ACK,
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    HEADER_TABLE_SIZE,
    HEADERS,
    INITIAL_WINDOW_SIZE,
    MAX_FRAME_SIZE,
    MAX_WINDOW,
    PADDED,
    PING,
    PRIORITY,
    PUSH_PROMISE,
    SETTINGS,
    Code,
    RawH2,
    frame,
    hpack_int,
    rst_stream,
    settings_frame,
    window_update,
)

from tests.support.server import run_server

# what the module's servers are started with
MAX_CONCURRENT_STREAMS = 4
MAX_HEADER_LIST_SIZE = 8192
TIMEOUT = 3  # seconds: also the zero-window timeout of a stream
SERVER_ARGS = ("--http2-max-concurrent-streams", str(MAX_CONCURRENT_STREAMS),
               "--http2-max-header-list-size", str(MAX_HEADER_LIST_SIZE),
               "--timeout", str(TIMEOUT), "--keep-alive", "30", "--workers", "1")
APP_ARGS = ("--chdir", HERE, "h2_flood_app:app")


# -- servers ---------------------------------------------------------------------------


@dataclass
class Target:
    """A running server and how to reach it (TLS or cleartext prior knowledge)."""

    srv: Any
    ctx: ssl.SSLContext | None
    worker: int

    def connect(self, **kw: Any) -> RawH2:
        return RawH2(self.srv.host, self.srv.port, self.ctx, **kw)

    def assert_serving(self) -> None:
        """A new connection gets a 200 from the same worker process."""
        client = self.connect()
        try:
            seen = client.get("/")
            assert seen.status == 200 and seen.ended
            assert int(seen.data) == self.worker
        finally:
            client.close()
        assert self.srv.worker_pids() == [self.worker]


def _start(worker: str, files: Any, *extra: str) -> Iterator[Target]:
    args = ["--worker-class", worker, "--http-protocols", "h2,h1", *SERVER_ARGS, *extra]
    if worker == "gthread":
        args += ["--threads", "4"]
    if files is not None:
        args += tls_args(files)
    with run_server(*args, *APP_ARGS) as srv:
        (pid,) = srv.wait_workers(1)
        ctx = files.client_context(alpn=["h2"]) if files is not None else None
        yield Target(srv, ctx, pid)


@pytest.fixture(scope="module")
def tls_target(worker: str, tls_files: Any) -> Iterator[Target]:
    """A TLS (ALPN h2) server of *worker* (conftest.py: every H2_WSGI_WORKERS)."""
    yield from _start(worker, tls_files)


@pytest.fixture(scope="module")
def h2c_target(worker: str) -> Iterator[Target]:
    yield from _start(worker, None, "--http2-cleartext", "prior-knowledge")


@pytest.fixture(params=["tls", "h2c"])
def target(request: pytest.FixtureRequest, worker: str) -> Target:
    # *worker* named here (the target is looked up by name) so that every
    # test is parametrized over the workers
    return request.getfixturevalue(request.param + "_target")


@pytest.fixture
def client(target: Target) -> Iterator[RawH2]:
    c = target.connect()
    try:
        # the handshake is done: SETTINGS both ways, acknowledged
        c.sync()
        yield c
    finally:
        c.close()
    target.assert_serving()


def _open_post(c: RawH2, path: str = "/echo") -> int:
    """A request whose content is still coming: the stream stays open."""
    sid = c.new_stream_id()
    c.send(c.headers(sid, c.fields(path, "POST"), end_stream=False))
    return sid


def _assert_connection_error(c: RawH2, code: Code) -> None:
    goaway = c.wait_goaway()
    assert Code(goaway.error_code) is code, goaway
    # the last stream id names streams the peer opened, never more
    assert goaway.last_stream_id < c.next_stream_id


# -- floods: GOAWAY ENHANCE_YOUR_CALM (RFC 9113 section 10.5) -----------------------


def test_continuation_flood_of_empty_frames(client):
    """A header block that never ends: HEADERS without END_HEADERS, then
    CONTINUATION frames without END_HEADERS (empty ones cost the most per
    octet).  Bounded by a count of CONTINUATION frames."""
    sid = client.new_stream_id()
    block = client.encoder.encode(client.fields())
    flood = frame(HEADERS, END_STREAM, sid, block[:3]) + frame(CONTINUATION, 0, sid) * 2000
    client.send(flood)
    _assert_connection_error(client, Code.ENHANCE_YOUR_CALM)
    assert not client.streams[sid].blocks


def test_continuation_flood_of_large_frames(client):
    """The same with full-size CONTINUATION frames: bounded in octets long
    before the count limit, the block is never buffered in full."""
    sid = client.new_stream_id()
    flood = frame(HEADERS, END_STREAM, sid, b"\x00" * 100)
    for _ in range(12):
        flood += frame(CONTINUATION, 0, sid, b"\x00" * 16384)
    client.send(flood)
    _assert_connection_error(client, Code.ENHANCE_YOUR_CALM)


def test_settings_flood(client):
    client.send(settings_frame({INITIAL_WINDOW_SIZE: 65535}) * 500)
    _assert_connection_error(client, Code.ENHANCE_YOUR_CALM)
    # those taken before the limit were acknowledged (RFC 9113 section 6.5.3)
    assert 1 < client.settings_acks < 500


def test_ping_flood(client):
    opaque = [n.to_bytes(8, "big") for n in range(1000)]
    client.ping_acks.clear()
    client.send(b"".join(frame(PING, 0, 0, data) for data in opaque))
    _assert_connection_error(client, Code.ENHANCE_YOUR_CALM)
    # the PINGs answered before the limit: ACKs in order, same payload (6.7)
    acks = client.ping_acks
    assert 0 < len(acks) < 1000
    assert acks == opaque[:len(acks)]


def _empty_data_frames(c: RawH2) -> bytes:
    # no content, no END_STREAM: work for the server, nothing for the request
    sid = _open_post(c)
    return frame(DATA, 0, sid) * 3000


def _padding_only_data_frames(c: RawH2) -> bytes:
    sid = _open_post(c)
    return frame(DATA, PADDED, sid, b"\x08" + b"\x00" * 8) * 3000


FLOODS = [
    pytest.param(_empty_data_frames, id="empty-data"),
    pytest.param(_padding_only_data_frames, id="padding-only-data"),
    # WINDOW_UPDATE frames of 1 octet, far more than any transfer needs
    pytest.param(lambda c: window_update(0, 1) * 3000, id="tiny-window-updates"),
    # acknowledgements of PINGs and SETTINGS the server never sent
    pytest.param(lambda c: frame(PING, ACK, 0, b"\x00" * 8) * 3000, id="unsolicited-ping-acks"),
    pytest.param(lambda c: frame(SETTINGS, ACK, 0) * 3000, id="unsolicited-settings-acks"),
    # frames of unknown types are ignored (RFC 9113 section 5.5), within limits
    pytest.param(lambda c: frame(0xFA, 0, 0, b"x") * 3000, id="unknown-frame-types"),
    pytest.param(lambda c: b"".join(frame(PRIORITY, 0, 2 * n + 1, b"\x00\x00\x00\x00\x0f")
                                    for n in range(3000)), id="priority"),
    # RST_STREAM over and over on a stream that is already closed
    pytest.param(lambda c: (c.headers(c.new_stream_id(), c.fields())
                            + rst_stream(1, Code.CANCEL) * 3000), id="rst-stream-on-closed"),
]


@pytest.mark.parametrize("make", FLOODS)
def test_floods(client, make):
    """Frames that are legal one at a time but cost work and achieve
    nothing in bulk close the connection with ENHANCE_YOUR_CALM."""
    client.send(make(client))
    _assert_connection_error(client, Code.ENHANCE_YOUR_CALM)


# -- HPACK (RFC 7541; RFC 9113 sections 4.3 and 10.5.1) -------------------------------


def test_header_list_over_the_advertised_size_gets_431(client):
    """A field block that decodes to more than SETTINGS_MAX_HEADER_LIST_SIZE
    (but not absurdly more) is answered 431 on its stream; the HPACK context
    stays in step, so the connection goes on."""
    big = ("x-big", "v" * 1000)
    # one literal with incremental indexing, then 1-octet references to it
    seen = client.get("/", extra=[big] * 10)
    assert seen.status == 431 and seen.ended
    # the dynamic table entry the server decoded is referenced again
    seen = client.get("/", extra=[big])
    assert seen.status == 200 and seen.ended
    assert client.goaway is None


def test_hpack_bomb(client):
    """A few KiB of HPACK that decode to megabytes (one large table entry
    referenced over and over): the connection is closed once the decoded
    list passes the hard limit, long before it is all decoded."""
    bomb = ("x-bomb", "b" * 3900)
    fields = client.fields(extra=[bomb] * 4000)
    block = client.encoder.encode(fields)
    assert len(block) < 16384  # one frame, under the header block limits
    sid = client.new_stream_id()
    client.send(frame(HEADERS, END_STREAM | END_HEADERS, sid, block))
    _assert_connection_error(client, Code.ENHANCE_YOUR_CALM)
    assert not client.streams[sid].blocks


@pytest.mark.parametrize("block", [
    # a dynamic table size update above SETTINGS_HEADER_TABLE_SIZE (4096 by
    # default): "MUST be treated as a decoding error" (RFC 7541 section 6.3)
    pytest.param(hpack_int(4097, 5, 0x20) + b"\x82\x86\x84", id="table-size-over-limit"),
    pytest.param(hpack_int(1 << 30, 5, 0x20) + b"\x82\x86\x84", id="table-size-huge"),
    # a size update after a field (RFC 7541 section 4.2: at the beginning)
    pytest.param(b"\x82" + hpack_int(0, 5, 0x20) + b"\x86\x84", id="table-size-after-field"),
    # an index past both tables (RFC 7541 section 2.3.3)
    pytest.param(b"\x82\x86\x84" + hpack_int(70, 7, 0x80), id="index-out-of-range"),
    # a string longer than the block (RFC 7541 section 5.2)
    pytest.param(b"\x82\x86\x84\x00\x7f\x10abc", id="truncated-string"),
])
def test_hpack_decoding_errors_are_compression_errors(client, block):
    """RFC 9113 section 4.3: a field block that cannot be decoded is a
    connection error of type COMPRESSION_ERROR."""
    client.send(frame(HEADERS, END_STREAM | END_HEADERS, client.new_stream_id(), block))
    _assert_connection_error(client, Code.COMPRESSION_ERROR)


def test_dynamic_table_size_updates_within_the_limit_are_fine(client):
    """Shrinking the table to 0 and growing it back to the limit at the start
    of a block is legal (RFC 7541 section 4.2); the server evicts its
    entries in step with the client, and the requests are served."""
    extra = [("x-entry", "e" * 100)]
    assert client.get("/", extra=extra).status == 200  # the entry is in both tables
    client.encoder.header_table_size = 0
    client.encoder.header_table_size = 4096
    sid = client.new_stream_id()
    block = client.encoder.encode(client.fields(extra=extra))
    assert block.startswith(hpack_int(0, 5, 0x20) + hpack_int(4096, 5, 0x20))
    client.send(frame(HEADERS, END_STREAM | END_HEADERS, sid, block))
    seen = client.stream(sid)
    client.wait(lambda: seen.done)
    assert seen.status == 200 and seen.ended
    assert client.get("/", extra=extra).status == 200
    assert client.goaway is None


@pytest.mark.parametrize("advertised", [0, 256, 2 ** 32 - 1])
def test_server_encoder_table_is_bounded(target, advertised):
    """The server's HPACK encoder honours a smaller SETTINGS_HEADER_TABLE_SIZE
    (RFC 7541 section 4.2: the decoder here fails otherwise) and keeps its
    table to 4096 octets even when the client allows 4 GiB: responses with
    distinct field values do not make it grow with the connection."""
    c = target.connect(settings={HEADER_TABLE_SIZE: advertised})
    try:
        c.sync()
        for n in range(1, 201):
            seen = c.get("/big?%d" % n)
            assert seen.status == 200 and len(seen.data) == n
        table = c.decoder.header_table
        assert table.maxsize <= min(advertised, 4096)
        assert table._current_size <= table.maxsize
    finally:
        c.close()
    target.assert_serving()


# -- streams -------------------------------------------------------------------------


def test_streams_beyond_max_concurrent_streams_are_refused(client):
    """RFC 9113 section 5.1.2: streams past SETTINGS_MAX_CONCURRENT_STREAMS
    get RST_STREAM(REFUSED_STREAM); the open ones are answered, and the
    refused field blocks were still decoded (HPACK context in step)."""
    open_sids = [_open_post(client) for _ in range(MAX_CONCURRENT_STREAMS)]
    refused = []
    burst = b""
    for n in range(3):
        sid = client.new_stream_id()
        refused.append(sid)
        burst += client.headers(sid, client.fields(extra=[("x-refused", "%d" % n)]))
    client.send(burst)
    client.wait(lambda: all(client.streams[s].reset is not None for s in refused))
    assert [client.streams[s].reset for s in refused] == [Code.REFUSED_STREAM] * 3
    assert not any(client.streams[s].blocks for s in refused)
    bodies = b""
    for n, sid in enumerate(open_sids):
        bodies += frame(DATA, END_STREAM, sid, b"x" * (n + 1))
    client.send(bodies)
    client.wait(lambda: all(client.streams[s].done for s in open_sids))
    for n, sid in enumerate(open_sids):
        seen = client.streams[sid]
        assert (seen.status, seen.reset, bytes(seen.data)) == (200, None, b"%d" % (n + 1))
    # these references into the dynamic table only decode if the refused
    # blocks were decoded
    for n in range(3):
        seen = client.get("/", extra=[("x-refused", "%d" % n)])
        assert seen.status == 200
    assert client.goaway is None


def test_tiny_windows_one_octet_at_a_time(target):
    """The client opens the stream window 1 octet at a time: the server
    never sends past the window, and the response completes intact."""
    size = 200
    c = target.connect(settings={INITIAL_WINDOW_SIZE: 0}, credit=False)
    try:
        sid = c.request("/big?%d" % size)
        seen = c.stream(sid)
        c.wait(lambda: seen.status is not None)
        for n in range(1, size + 1):
            c.grant(sid, 1)
            c.wait(lambda n=n: len(seen.data) >= n)
            assert len(seen.data) == n  # RawH2 also checks every frame
        c.wait(lambda: seen.done)
        assert seen.ended and seen.reset is None and seen.status == 200
        assert bytes(seen.data) == pattern(size)
        assert max(seen.data_frames) == 1
        assert c.goaway is None
    finally:
        c.close()
    target.assert_serving()


def test_zero_window_times_out_with_cancel(tls_target):
    """A client that never opens its window: after the zero-window timeout
    (``--timeout``) the stream is reset with CANCEL, while the connection
    serves other streams meanwhile."""
    c = tls_target.connect(settings={INITIAL_WINDOW_SIZE: 0}, credit=False)
    try:
        started = time.monotonic()
        sid = c.request("/big?100000")
        seen = c.stream(sid)
        # a response without content still goes out meanwhile
        head = c.get("/", method="HEAD")
        assert head.status == 200 and head.ended and not head.data
        assert not seen.done
        c.wait(lambda: seen.done, timeout=TIMEOUT + 15)
        assert seen.reset == Code.CANCEL and not seen.data and seen.status == 200
        assert time.monotonic() - started >= TIMEOUT - 0.05
        assert c.goaway is None
    finally:
        c.close()
    tls_target.assert_serving()


def test_response_head_is_not_held_back_by_a_closed_window(target):
    """HEADERS are not flow controlled (RFC 9113 section 6.9): the response
    head of a large response arrives while the window is still closed."""
    c = target.connect(settings={INITIAL_WINDOW_SIZE: 0}, credit=False)
    try:
        c.sync()  # nothing else the server reads will make it write
        seen = c.stream(c.request("/big?100000"))
        c.wait(lambda: seen.status is not None or seen.done, timeout=TIMEOUT - 1)
        assert seen.status == 200 and not seen.done
    finally:
        c.close()


# -- connection errors (RFC 9113 section 5.4.1) ---------------------------------------


def _oversized_data(c: RawH2) -> bytes:
    sid = _open_post(c)
    return frame(DATA, 0, sid, b"d" * 16385)


def _oversized_headers(c: RawH2) -> bytes:
    block = c.encoder.encode(c.fields(extra=[("x-pad", "p" * 30000)]))
    assert 16384 < len(block) < 24576
    return frame(HEADERS, END_STREAM | END_HEADERS, c.new_stream_id(), block)


def _oversized_header_only(c: RawH2) -> bytes:
    # the length alone decides: no payload follows (RFC 9113 section 4.2)
    return (16777215).to_bytes(3, "big") + bytes((DATA, 0)) + (1).to_bytes(4, "big")


def _window_overflow(c: RawH2) -> bytes:
    return window_update(0, MAX_WINDOW)


def _settings_window_overflow(c: RawH2) -> bytes:
    # an open stream's window would pass 2**31-1 (RFC 9113 section 6.9.2)
    sid = c.new_stream_id()
    return (c.headers(sid, c.fields("/echo", "POST"), end_stream=False)
            + window_update(sid, MAX_WINDOW - 65535)
            + settings_frame({INITIAL_WINDOW_SIZE: 65536}))


def _data_after_both_ends(c: RawH2) -> bytes:
    seen = c.get("/")
    assert seen.status == 200 and seen.ended
    return frame(DATA, END_STREAM, 1, b"late")


def _data_on_idle_stream(c: RawH2) -> bytes:
    return frame(DATA, END_STREAM, 99, b"x")


def _interleaved_block(c: RawH2) -> bytes:
    block = c.encoder.encode(c.fields())
    sid = c.new_stream_id()
    return frame(HEADERS, END_STREAM, sid, block) + frame(PING, 0, 0, b"\x00" * 8)


def _decreasing_stream_ids(c: RawH2) -> bytes:
    c.next_stream_id = 9
    return c.headers(7, c.fields()) + c.headers(5, c.fields())


CONNECTION_ERRORS = [
    # RFC 9113 section 4.2: larger than SETTINGS_MAX_FRAME_SIZE
    pytest.param(_oversized_data, Code.FRAME_SIZE_ERROR, id="data-over-max-frame-size"),
    pytest.param(_oversized_headers, Code.FRAME_SIZE_ERROR, id="headers-over-max-frame-size"),
    pytest.param(_oversized_header_only, Code.FRAME_SIZE_ERROR, id="frame-length-16M"),
    # section 6.5: a SETTINGS payload is a multiple of 6 octets
    pytest.param(lambda c: frame(SETTINGS, 0, 0, b"\x00" * 5), Code.FRAME_SIZE_ERROR,
                 id="settings-length"),
    # section 6.7: PING carries 8 octets
    pytest.param(lambda c: frame(PING, 0, 0, b"\x00" * 7), Code.FRAME_SIZE_ERROR,
                 id="ping-length"),
    # section 6.9.1: a connection window past 2**31-1
    pytest.param(_window_overflow, Code.FLOW_CONTROL_ERROR, id="window-update-overflow"),
    pytest.param(_settings_window_overflow, Code.FLOW_CONTROL_ERROR,
                 id="initial-window-overflow"),
    # section 6.5.2: SETTINGS_INITIAL_WINDOW_SIZE above 2**31-1
    pytest.param(lambda c: settings_frame({INITIAL_WINDOW_SIZE: 2 ** 31}),
                 Code.FLOW_CONTROL_ERROR, id="initial-window-too-large"),
    # section 6.5.2: SETTINGS_MAX_FRAME_SIZE outside 16384..16777215
    pytest.param(lambda c: settings_frame({MAX_FRAME_SIZE: 16383}), Code.PROTOCOL_ERROR,
                 id="max-frame-size-too-small"),
    # section 5.1: frames after END_STREAM both ways
    pytest.param(_data_after_both_ends, Code.STREAM_CLOSED, id="data-on-closed-stream"),
    # section 5.1: idle streams take HEADERS and PRIORITY only
    pytest.param(_data_on_idle_stream, Code.PROTOCOL_ERROR, id="data-on-idle-stream"),
    # section 6.8/6.10: CONTINUATION must follow a header frame of its stream
    pytest.param(lambda c: frame(CONTINUATION, END_HEADERS, 1, b"\x82"), Code.PROTOCOL_ERROR,
                 id="continuation-without-headers"),
    pytest.param(_interleaved_block, Code.PROTOCOL_ERROR, id="frame-inside-header-block"),
    # section 6.1: DATA on stream 0
    pytest.param(lambda c: frame(DATA, 0, 0, b"x"), Code.PROTOCOL_ERROR, id="data-on-stream-0"),
    # section 6.2: HEADERS on stream 0
    pytest.param(lambda c: c.headers(0, c.fields()), Code.PROTOCOL_ERROR,
                 id="headers-on-stream-0"),
    # sections 6.4 and 6.9: RST_STREAM and WINDOW_UPDATE on an idle stream
    pytest.param(lambda c: rst_stream(5, Code.CANCEL), Code.PROTOCOL_ERROR,
                 id="rst-stream-on-idle-stream"),
    pytest.param(lambda c: window_update(5, 10), Code.PROTOCOL_ERROR,
                 id="window-update-on-idle-stream"),
    # section 5.1.1: stream ids of new streams only grow
    pytest.param(_decreasing_stream_ids, Code.PROTOCOL_ERROR, id="decreasing-stream-id"),
    # section 5.1.1: a client stream id must be odd
    pytest.param(lambda c: c.headers(2, c.fields()), Code.PROTOCOL_ERROR, id="even-stream-id"),
    # section 8.4: a client cannot push
    pytest.param(lambda c: frame(PUSH_PROMISE, END_HEADERS, 1, b"\x00\x00\x00\x02\x82"),
                 Code.PROTOCOL_ERROR, id="push-promise-from-client"),
]


@pytest.mark.parametrize("make, code", CONNECTION_ERRORS)
def test_connection_errors(client, make, code):
    client.send(make(client))
    _assert_connection_error(client, code)


# -- stream errors (RFC 9113 section 5.4.2) -------------------------------------------


MALFORMED_FIELDS = [
    # RFC 9113 section 8.2.1: field names are lowercase
    pytest.param(("X-Upper", "1"), id="uppercase-name"),
    # section 8.2.2: connection-specific fields
    pytest.param(("connection", "keep-alive"), id="connection"),
    pytest.param(("keep-alive", "timeout=5"), id="keep-alive"),
    pytest.param(("proxy-connection", "keep-alive"), id="proxy-connection"),
    pytest.param(("transfer-encoding", "chunked"), id="transfer-encoding"),
    pytest.param(("upgrade", "h2c"), id="upgrade"),
    # section 8.2.2: te carries "trailers" only
    pytest.param(("te", "gzip"), id="te-gzip"),
    # section 8.2.1: no leading or trailing whitespace, NUL, CR or LF in a value
    pytest.param(("x-value", " padded"), id="value-leading-space"),
    pytest.param(("x-value", "a\x00b"), id="value-nul"),
    pytest.param(("x-value", "a\r\nx-injected: 1"), id="value-crlf"),
    # section 8.3: only the defined pseudo-header fields
    pytest.param((":foo", "1"), id="unknown-pseudo-header"),
]


@pytest.mark.parametrize("bad", MALFORMED_FIELDS)
def test_malformed_request_is_a_stream_error(client, bad):
    """A malformed request (RFC 9113 section 8.1.1) is a stream error of type
    PROTOCOL_ERROR; the next request on the connection, which references
    the bad field's dynamic table entry, is answered."""
    seen = client.get("/", extra=[bad])
    assert seen.reset == Code.PROTOCOL_ERROR and not seen.blocks
    again = client.get("/", extra=[bad, ("x-after", "1")])
    assert again.reset == Code.PROTOCOL_ERROR
    ok = client.get("/", extra=[("x-after", "1")])
    assert ok.status == 200 and ok.ended
    assert client.goaway is None


def test_te_trailers_is_allowed(client):
    seen = client.get("/", extra=[("te", "trailers")])
    assert seen.status == 200 and seen.ended


def _stream_window_overflow(c: RawH2) -> tuple[bytes, int]:
    sid = c.new_stream_id()
    return (c.headers(sid, c.fields("/big?100")) + window_update(sid, MAX_WINDOW)), sid


def _data_on_half_closed_stream(c: RawH2) -> tuple[bytes, int]:
    # one write: the request ended, the response cannot have ended yet
    sid = c.new_stream_id()
    return c.headers(sid, c.fields()) + frame(DATA, 0, sid, b"late"), sid


def _zero_window_increment(c: RawH2) -> tuple[bytes, int]:
    sid = c.new_stream_id()
    return c.headers(sid, c.fields("/echo", "POST"), end_stream=False) \
        + window_update(sid, 0), sid


def _self_dependency(c: RawH2) -> tuple[bytes, int]:
    sid = c.new_stream_id()
    return (c.headers(sid, c.fields("/echo", "POST"), end_stream=False)
            + frame(PRIORITY, 0, sid, sid.to_bytes(4, "big") + b"\x0f")), sid


def _second_headers_without_end_stream(c: RawH2) -> tuple[bytes, int]:
    sid = c.new_stream_id()
    return (c.headers(sid, c.fields("/echo", "POST"), end_stream=False)
            + c.headers(sid, [(b"x-trailer", b"1")], end_stream=False)), sid


def _content_length_mismatch(c: RawH2) -> tuple[bytes, int]:
    sid = c.new_stream_id()
    return (c.headers(sid, c.fields("/echo", "POST", [("content-length", "10")]),
                      end_stream=False) + frame(DATA, END_STREAM, sid, b"12345")), sid


STREAM_ERRORS = [
    # RFC 9113 section 6.9.1: a stream window past 2**31-1
    pytest.param(_stream_window_overflow, Code.FLOW_CONTROL_ERROR,
                 id="stream-window-update-overflow"),
    # section 5.1: half-closed (remote) takes no more DATA
    pytest.param(_data_on_half_closed_stream, Code.STREAM_CLOSED, id="data-on-half-closed"),
    # section 6.9: an increment of 0 on a stream
    pytest.param(_zero_window_increment, Code.PROTOCOL_ERROR, id="window-update-zero"),
    # section 5.3.1: a stream cannot depend on itself
    pytest.param(_self_dependency, Code.PROTOCOL_ERROR, id="priority-self-dependency"),
    # section 8.1: a second HEADERS frame (trailers) must end the stream
    pytest.param(_second_headers_without_end_stream, Code.PROTOCOL_ERROR,
                 id="trailers-without-end-stream"),
    # section 8.1.1: content-length must match the DATA received
    pytest.param(_content_length_mismatch, Code.PROTOCOL_ERROR,
                 id="content-length-mismatch"),
]


@pytest.mark.parametrize("make, code", STREAM_ERRORS)
def test_stream_errors(client, make, code):
    data, sid = make(client)
    client.send(data)
    seen = client.stream(sid)
    client.wait(lambda: seen.reset is not None)
    assert Code(seen.reset) is code
    ok = client.get("/")
    assert ok.status == 200 and ok.ended
    assert client.goaway is None


def test_frames_in_flight_after_our_rst_stream_are_ignored(client):
    """Streams refused while their content was already on its way: the DATA
    that follows is ignored (RFC 9113 section 5.1, closed), yet counted and
    credited on the connection window (section 6.9), so more than that
    window of ignored content does not stall the uploads that follow."""
    open_sids = [_open_post(client) for _ in range(MAX_CONCURRENT_STREAMS)]
    refused = []
    for _ in range(20):
        sid = _open_post(client)
        refused.append(sid)
        client.send_data(sid, b"z" * 65535)  # a full stream window each
    client.wait(lambda: all(client.streams[s].reset is not None for s in refused))
    assert {client.streams[s].reset for s in refused} == {Code.REFUSED_STREAM}
    for n, sid in enumerate(open_sids):
        client.send_data(sid, b"y" * (100000 + n))
    client.wait(lambda: all(client.streams[s].done for s in open_sids))
    for n, sid in enumerate(open_sids):
        seen = client.streams[sid]
        assert (seen.status, seen.reset, bytes(seen.data)) == (200, None, b"%d" % (100000 + n))
    assert client.goaway is None


@pytest.mark.parametrize("late", [
    pytest.param(lambda c, sid: frame(DATA, 0, sid, b"late"), id="data"),
    pytest.param(lambda c, sid: c.headers(sid, [(b"x-trailer", b"1")]), id="headers"),
])
def test_frames_after_the_client_reset_are_stream_closed_errors(client, late):
    """RFC 9113 section 5.1 (closed): a frame other than PRIORITY (and
    WINDOW_UPDATE, section 6.9) after the peer's RST_STREAM is a stream
    error of type STREAM_CLOSED; the connection goes on."""
    sid = _open_post(client)
    client.send(rst_stream(sid, Code.CANCEL) + late(client, sid))
    client.wait(lambda: client.streams[sid].reset is not None)
    assert client.streams[sid].reset == Code.STREAM_CLOSED
    ok = client.get("/")
    assert ok.status == 200
    assert client.goaway is None


def test_window_update_on_a_closed_stream_is_not_an_error(client):
    """RFC 9113 section 6.9: WINDOW_UPDATE can arrive on a closed stream and
    "MUST NOT" be treated as an error; PRIORITY neither (section 5.1)."""
    done = client.get("/")
    assert done.status == 200 and done.ended
    reset = _open_post(client)
    client.send(rst_stream(reset, Code.CANCEL))
    client.send(window_update(1, 100) + frame(PRIORITY, 0, 1, b"\x00\x00\x00\x00\x0f")
                + window_update(reset, 100) + frame(PRIORITY, 0, reset, b"\x00\x00\x00\x00\x0f"))
    client.sync()
    assert client.streams[1].reset is None and client.streams[reset].reset is None
    ok = client.get("/")
    assert ok.status == 200
    assert client.goaway is None
