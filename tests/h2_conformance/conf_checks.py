"""Checks and request builders shared by the HTTP/2 conformance tests.

Every check waits for the event it asserts at most ``WAIT`` seconds (h2spec's
default timeout), reading what the server sends through a ``RawH2``
connection.  The checks are stricter than h2spec's verifiers:

* a connection error (RFC 9113 section 5.4.1) is a GOAWAY with one of the
  expected codes, whose last stream id names no stream the client did not
  open, followed by the close;
* a stream error (RFC 9113 section 5.4.2) is an RST_STREAM on that stream
  with one of the codes, after which the connection still answers a PING, or
  a connection error with one of the codes (section 5.4.2 allows both);
* an expected response is the complete ``200`` with the application's BODY.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from conf_app import BODY
from raw_h2 import INITIAL_WINDOW_SIZE, PING, SETTINGS, Code, RawH2, frame, settings_frame

#: seconds: h2spec's default wait for each expected event
WAIT = 2.0

# SETTINGS parameters raw_h2 does not name (RFC 9113 section 6.5.2)
ENABLE_PUSH = 0x2
MAX_CONCURRENT_STREAMS = 0x3
MAX_HEADER_LIST_SIZE = 0x6

#: octets in the value of each dummy header field (h2spec's default
#: --max-header-length)
DUMMY_LEN = 4000

#: the PING payload the stream-error check sends after an RST_STREAM
_AFTER_RESET = b"after-rs"


# -- building requests --------------------------------------------------------------


def send_each(conn: RawH2, *frames: bytes) -> None:
    """Write each of *frames* (encoded frames) on its own, as h2spec writes
    them, so the server may see each in a separate read."""
    for one in frames:
        conn.send(one)


def h2spec_fields(conn: RawH2, method: str = "GET",
                  extra: list[tuple[str, str]] | None = None) -> list[tuple[bytes, bytes]]:
    """The request fields h2spec sends with its cases, in its order
    (``:method``, ``:scheme``, ``:path`` ``/``, ``:authority``), then *extra*
    (name, value) pairs; as (name, value) octet pairs for an HPACK encoder."""
    pairs = [(":method", method), (":scheme", conn.scheme), (":path", "/"),
             (":authority", conn.authority)] + list(extra or [])
    return [(n.encode(), v.encode()) for n, v in pairs]


def dummy_fields(count: int = 1) -> list[tuple[bytes, bytes]]:
    """*count* header fields ``x-dummyN`` with DUMMY_LEN octets of value
    each, as h2spec pads its field blocks."""
    return [(b"x-dummy%d" % n, b"x" * DUMMY_LEN) for n in range(count)]


def dummy_block(conn: RawH2, count: int = 1) -> bytes:
    """``dummy_fields(count)`` encoded with *conn*'s HPACK context (bytes)."""
    return conn.encoder.encode(dummy_fields(count))


def priority_payload(dependency: int = 0, weight: int = 255, exclusive: bool = False) -> bytes:
    """The 5 octets of a PRIORITY frame or priority block (RFC 9113 section
    6.3): E bit, stream *dependency*, *weight* as the field carries it (0-255)."""
    return ((dependency | (0x80000000 if exclusive else 0)).to_bytes(4, "big")
            + bytes((weight,)))


def set_initial_window(conn: RawH2, value: int, wait_ack: bool = True) -> None:
    """Send SETTINGS_INITIAL_WINDOW_SIZE = *value* (octets) and make the
    client's flow-control accounting follow, for the streams already open
    too (RFC 9113 section 6.9.2).  With *wait_ack*, assert its SETTINGS ACK
    within WAIT seconds (``assert_settings_acked``); without, return at once
    (the case writes its next frames right behind, as h2spec does)."""
    acks = conn.settings_acks
    delta = value - conn.initial_window
    conn.initial_window = value
    for seen in conn.streams.values():
        seen.granted += delta
    conn.send(settings_frame({INITIAL_WINDOW_SIZE: value}))
    if wait_ack:
        assert_settings_acked(conn, acks)


# -- reading ------------------------------------------------------------------------


def code_name(code: int) -> str:
    """The RFC 9113 section 7 name of error *code*, or its hex value."""
    try:
        return Code(code).name
    except ValueError:
        return hex(code)


def _names(codes: tuple[int, ...]) -> str:
    return "/".join(code_name(c) for c in codes)


def pump_until(conn: RawH2, predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Read from *conn* until *predicate()* holds, the server closes or
    *timeout* seconds pass; returns whether *predicate()* held."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if conn.closed:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        conn.pump(left)
    return True


def _recent(conn: RawH2) -> str:
    return "goaway: %r, closed: %s, last frames: %r" % (conn.goaway, conn.closed,
                                                        conn.frames[-8:])


def highest_opened(conn: RawH2) -> int:
    """The highest client stream id *conn* opened (0 for none): those taken
    with ``new_stream_id()`` and the odd ones registered with ``stream()``."""
    registered = max((sid for sid in conn.streams if sid % 2), default=0)
    return max(registered, conn.next_stream_id - 2, 0)


# -- assertions ---------------------------------------------------------------------


def assert_connection_error(conn: RawH2, *codes: int) -> None:
    """A connection error with one of *codes* (RFC 9113 section 5.4.1): a
    GOAWAY within WAIT seconds whose last stream id is no higher than the
    highest stream the client opened, then the close within WAIT seconds more.
    AssertionError otherwise."""
    pump_until(conn, lambda: conn.goaway is not None)
    goaway = conn.goaway
    assert goaway is not None, "no GOAWAY %s within %.0fs (%s)" % (_names(codes), WAIT,
                                                                  _recent(conn))
    assert goaway.error_code in codes, "GOAWAY %s, expected %s" % (
        code_name(goaway.error_code), _names(codes))
    assert goaway.last_stream_id <= highest_opened(conn), \
        "GOAWAY names stream %d; the client opened up to %d" % (
            goaway.last_stream_id, highest_opened(conn))
    assert pump_until(conn, lambda: conn.closed), \
        "GOAWAY %r but the connection stayed open %.0fs more" % (goaway, WAIT)


def assert_stream_error(conn: RawH2, sid: int, *codes: int, may_answer: bool = False) -> None:
    """A stream error on *sid* with one of *codes* (RFC 9113 section 5.4.2):
    within WAIT seconds an RST_STREAM on *sid*, after which the connection
    still answers a PING, or a connection error (``assert_connection_error``).

    The request must not have been answered before the RST_STREAM (a
    malformed or refused request never is, RFC 9113 sections 8.1.1 and
    5.1.2) unless *may_answer*: for requests that were complete and valid
    before the offending frame, which the server may already have answered.
    """
    seen = conn.stream(sid)
    pump_until(conn, lambda: seen.reset is not None or conn.goaway is not None)
    if seen.reset is None:
        assert conn.goaway is not None, "neither RST_STREAM nor GOAWAY %s within %.0fs " \
            "(%s)" % (_names(codes), WAIT, _recent(conn))
        assert_connection_error(conn, *codes)
        return
    assert seen.reset in codes, "RST_STREAM %s on stream %d, expected %s" % (
        code_name(seen.reset), sid, _names(codes))
    if not may_answer:
        assert seen.status is None, "stream %d answered %s before the reset" % (
            sid, seen.status)
    assert_ping_answered(conn, _AFTER_RESET)


def assert_ping_answered(conn: RawH2, opaque: bytes, sent: bool = False) -> None:
    """A PING carrying *opaque* (8 octets; sent here unless *sent*) is
    acknowledged within WAIT seconds and the server reported no error
    (RFC 9113 section 6.7)."""
    if not sent:
        conn.send(frame(PING, 0, 0, opaque))
    assert pump_until(conn, lambda: opaque in conn.ping_acks), \
        "no PING ACK within %.0fs (%s)" % (WAIT, _recent(conn))
    assert conn.goaway is None and not conn.closed, _recent(conn)


def assert_settings_acked(conn: RawH2, before: int) -> None:
    """Exactly one more SETTINGS ACK than *before* (the count when one
    SETTINGS frame was sent) within WAIT seconds, and no GOAWAY (RFC 9113
    section 6.5.3)."""
    assert pump_until(conn, lambda: conn.settings_acks > before), \
        "no SETTINGS ACK within %.0fs (%s)" % (WAIT, _recent(conn))
    assert conn.settings_acks == before + 1, conn.settings_acks
    assert conn.goaway is None, conn.goaway


def assert_response(conn: RawH2, sid: int, body: bytes = BODY) -> None:
    """The complete ``200`` response with *body* on *sid* within WAIT
    seconds, no RST_STREAM and no GOAWAY (RFC 9113 section 8.1)."""
    seen = conn.stream(sid)
    assert pump_until(conn, lambda: seen.done), \
        "no complete response on stream %d within %.0fs (%s)" % (sid, WAIT, _recent(conn))
    assert seen.reset is None, "RST_STREAM %s on stream %d" % (code_name(seen.reset), sid)
    assert seen.status == 200 and seen.ended, seen
    assert bytes(seen.data) == body, bytes(seen.data)
    assert conn.goaway is None, conn.goaway


def assert_stream_ended(conn: RawH2, sid: int) -> None:
    """A DATA or HEADERS frame with END_STREAM on *sid* within WAIT seconds
    (h2spec's stream close check)."""
    seen = conn.stream(sid)
    assert pump_until(conn, lambda: seen.ended), \
        "stream %d not ended within %.0fs (%s)" % (sid, WAIT, _recent(conn))


def assert_closed(conn: RawH2) -> None:
    """The server closes the connection within WAIT seconds; a GOAWAY it
    sends first reports NO_ERROR (RFC 9113 section 6.8)."""
    assert pump_until(conn, lambda: conn.closed), \
        "connection still open after %.0fs (%s)" % (WAIT, _recent(conn))
    if conn.goaway is not None:
        assert conn.goaway.error_code == Code.NO_ERROR, code_name(conn.goaway.error_code)


def assert_server_preface(target: Any) -> None:
    """On a new connection of *target* (the conftest ``Target``), the
    server's first frame within WAIT seconds is a SETTINGS frame on stream 0
    with no flags: its connection preface (RFC 9113 section 3.4)."""
    client = target.connect(settings={INITIAL_WINDOW_SIZE: 65535})
    try:
        assert pump_until(client, lambda: bool(client.frames)), \
            "nothing within %.0fs (%s)" % (WAIT, _recent(client))
        assert client.frames[0] == (SETTINGS, 0, 0), client.frames[:3]
    finally:
        client.close()
