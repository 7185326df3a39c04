"""HTTP/2 conformance, RFC 9113 section 6 (frame definitions).

One test per case of the external conformance suite's ``http2`` section 6
groups (6.1 DATA ... 6.10 CONTINUATION), each run against every worker class
of the ``target`` fixture.  The expectations are the RFC's, stricter than
the suite where the RFC is: a "connection error of type X" must be a GOAWAY
with X followed by the close; a "stream error of type X" may be a RST_STREAM
with X or a GOAWAY with X (RFC 9113 section 5.4.2).  Every expected event
must arrive within ``WAIT`` seconds, the suite's default timeout (the checks
are those of ``conf_checks``).
"""

from __future__ import annotations

import pytest
from conf_app import BODY
from conf_checks import (
    ENABLE_PUSH,
    WAIT,
    assert_connection_error,
    assert_ping_answered,
    assert_response,
    assert_settings_acked,
    assert_stream_error,
    dummy_block,
    priority_payload,
    set_initial_window,
)
from raw_h2 import (
    ACK,
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    GOAWAY,
    HEADERS,
    INITIAL_WINDOW_SIZE,
    MAX_FRAME_SIZE,
    MAX_WINDOW,
    PADDED,
    PING,
    PRIORITY,
    RST_STREAM,
    SETTINGS,
    WINDOW_UPDATE,
    Code,
    RawH2,
    frame,
    rst_stream,
    settings_frame,
    window_update,
)


def _post_fields(c: RawH2, extra: list[tuple[str, str]] | None = None) -> list[tuple[bytes, bytes]]:
    return c.fields(method="POST", extra=extra)


def _wait_data(c: RawH2, stream_id: int, octets: int) -> None:
    """Wait for *octets* octets of content on *stream_id*, then make sure
    (a PING round trip) that no more follows (RFC 9113 section 6.9.1)."""
    seen = c.stream(stream_id)
    c.wait(lambda: len(seen.data) >= octets or seen.done, timeout=WAIT)
    c.sync()
    assert len(seen.data) == octets, seen.data_frames
    assert not seen.done


def _assert_one_octet_then_rest(c: RawH2, sid: int) -> None:
    """With a stream window of one octet, exactly one octet of DATA comes in
    one frame; once the window is opened for the rest, the whole response
    (RFC 9113 section 6.9.1)."""
    _wait_data(c, sid, 1)
    assert c.streams[sid].data_frames == [1]
    c.grant(sid, len(BODY) - 1)
    assert_response(c, sid)


# -- 6.1 DATA --------------------------------------------------------------------------


def test_6_1_1_data_on_stream_0(conn):
    """h2spec http2/6.1/1: DATA with stream id 0 is a connection error of type
    PROTOCOL_ERROR (RFC 9113 section 6.1)."""
    conn.send(frame(DATA, END_STREAM, 0, b"test"))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_1_2_data_on_half_closed_remote_stream(conn):
    """h2spec http2/6.1/2: DATA on a stream that is not "open" or "half-closed
    (local)" is a stream error of type STREAM_CLOSED (RFC 9113 section 6.1)."""
    sid = conn.new_stream_id()
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS, sid,
                    conn.encoder.encode(_post_fields(conn)))
              + frame(DATA, END_STREAM, sid, b"test"))
    # the POST was complete before the DATA: it may be answered
    assert_stream_error(conn, sid, Code.STREAM_CLOSED, may_answer=True)


def test_6_1_3_data_with_invalid_pad_length(conn):
    """h2spec http2/6.1/3: padding as long as the payload or longer is a
    connection error of type PROTOCOL_ERROR (RFC 9113 section 6.1)."""
    sid = conn.new_stream_id()
    conn.send(frame(HEADERS, END_HEADERS, sid,
                    conn.encoder.encode(_post_fields(conn, [("content-length", "4")])))
              # five octets of payload: pad length 6, then "Test"
              + frame(DATA, END_STREAM | PADDED, sid, b"\x06Test"))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


# -- 6.2 HEADERS -----------------------------------------------------------------------


def test_6_2_1_headers_then_priority_before_end_headers(conn):
    """h2spec http2/6.2/1: a HEADERS frame without END_HEADERS followed by a
    PRIORITY frame is a connection error of type PROTOCOL_ERROR (RFC 9113
    section 6.2)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields(), end_stream=False, end_headers=False)
              + frame(PRIORITY, 0, sid, priority_payload(0, 255))
              + frame(CONTINUATION, END_HEADERS, sid, dummy_block(conn)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_2_2_headers_to_another_stream_before_end_headers(conn):
    """h2spec http2/6.2/2: a HEADERS frame for another stream while a field
    block is open is a connection error of type PROTOCOL_ERROR (RFC 9113
    section 6.2)."""
    sid = conn.new_stream_id()
    other = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields(), end_stream=False, end_headers=False)
              + conn.headers(other, conn.fields())
              + frame(CONTINUATION, END_HEADERS, sid, dummy_block(conn)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_2_3_headers_on_stream_0(conn):
    """h2spec http2/6.2/3: HEADERS with stream id 0 is a connection error of
    type PROTOCOL_ERROR (RFC 9113 section 6.2)."""
    conn.send(conn.headers(0, conn.fields()))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_2_4_headers_with_invalid_pad_length(conn):
    """h2spec http2/6.2/4: padding that exceeds the field block fragment is a
    PROTOCOL_ERROR (RFC 9113 section 6.2)."""
    sid = conn.new_stream_id()
    block = conn.encoder.encode(conn.fields())
    # the pad length counts one octet more than the payload holds
    payload = bytes((len(block) + 2,)) + block
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS | PADDED, sid, payload))
    assert_stream_error(conn, sid, Code.PROTOCOL_ERROR)


# -- 6.3 PRIORITY ----------------------------------------------------------------------


def test_6_3_1_priority_on_stream_0(conn):
    """h2spec http2/6.3/1: PRIORITY with stream id 0 is a connection error of
    type PROTOCOL_ERROR (RFC 9113 section 6.3)."""
    conn.send(frame(PRIORITY, 0, 0, priority_payload(0, 255)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_3_2_priority_with_length_other_than_5(conn):
    """h2spec http2/6.3/2: a PRIORITY frame of other than 5 octets is a stream
    error of type FRAME_SIZE_ERROR (RFC 9113 section 6.3)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields())
              + frame(PRIORITY, 0, sid, b"\x80\x00\x00\x01"))
    # the GET was complete before the PRIORITY frame: it may be answered
    assert_stream_error(conn, sid, Code.FRAME_SIZE_ERROR, may_answer=True)


def test_6_3_3_priority_on_idle_stream_then_lower_stream(conn):
    """h2spec http2/6.3/3: PRIORITY for an idle stream leaves it idle; a
    request on a lower stream id is answered (RFC 9113 sections 5.1.1, 6.3)."""
    conn.send(frame(PRIORITY, 0, 3, priority_payload(0, 255)))
    sid = conn.new_stream_id()
    assert sid == 1
    conn.send(conn.headers(sid, conn.fields()))
    assert_response(conn, sid)


# -- 6.4 RST_STREAM --------------------------------------------------------------------


def test_6_4_1_rst_stream_on_stream_0(conn):
    """h2spec http2/6.4/1: RST_STREAM with stream id 0 is a connection error of
    type PROTOCOL_ERROR (RFC 9113 section 6.4)."""
    conn.send(rst_stream(0, Code.CANCEL))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_4_2_rst_stream_on_idle_stream(conn):
    """h2spec http2/6.4/2: RST_STREAM for an idle stream is a connection error
    of type PROTOCOL_ERROR (RFC 9113 section 6.4)."""
    conn.send(rst_stream(1, Code.CANCEL))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_4_3_rst_stream_with_length_other_than_4(conn):
    """h2spec http2/6.4/3: a RST_STREAM frame of other than 4 octets is a
    connection error of type FRAME_SIZE_ERROR (RFC 9113 section 6.4)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields()) + frame(RST_STREAM, 0, sid, b"\x00\x00\x00"))
    assert_connection_error(conn, Code.FRAME_SIZE_ERROR)


# -- 6.5 SETTINGS ----------------------------------------------------------------------


def test_6_5_1_settings_ack_with_payload(conn):
    """h2spec http2/6.5/1: SETTINGS with ACK and a payload is a connection
    error of type FRAME_SIZE_ERROR (RFC 9113 section 6.5)."""
    conn.send(frame(SETTINGS, ACK, 0, b"\x00"))
    assert_connection_error(conn, Code.FRAME_SIZE_ERROR)


def test_6_5_2_settings_on_stream_1(conn):
    """h2spec http2/6.5/2: SETTINGS with a stream id other than 0 is a
    connection error of type PROTOCOL_ERROR (RFC 9113 section 6.5)."""
    conn.send(frame(SETTINGS, 0, 1, b"\x00\x03\x00\x00\x00\x64"))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_5_3_settings_length_not_multiple_of_6(conn):
    """h2spec http2/6.5/3: a SETTINGS frame whose length is not a multiple of
    6 is a connection error of type FRAME_SIZE_ERROR (RFC 9113 section 6.5;
    the suite also accepts PROTOCOL_ERROR).  As the suite does, the header
    announces 9 octets and only 8 follow: the length alone must tell."""
    header = frame(SETTINGS, 0, 0, bytes(9))[:9]
    conn.send(header + b"\x00\x03\x00\x00\x00\x64\x00\x02")
    assert_connection_error(conn, Code.FRAME_SIZE_ERROR, Code.PROTOCOL_ERROR)


# -- 6.5.2 Defined SETTINGS Parameters -------------------------------------------------


@pytest.mark.parametrize("setting, value, code", [
    # SETTINGS_ENABLE_PUSH must be 0 or 1
    pytest.param(ENABLE_PUSH, 2, Code.PROTOCOL_ERROR, id="6_5_2_1_enable_push_other_than_0_or_1"),
    # SETTINGS_INITIAL_WINDOW_SIZE at most 2^31-1
    pytest.param(INITIAL_WINDOW_SIZE, MAX_WINDOW + 1, Code.FLOW_CONTROL_ERROR,
                 id="6_5_2_2_initial_window_size_above_maximum"),
    # SETTINGS_MAX_FRAME_SIZE between 2^14 and 2^24-1
    pytest.param(MAX_FRAME_SIZE, 16383, Code.PROTOCOL_ERROR,
                 id="6_5_2_3_max_frame_size_below_initial_value"),
    pytest.param(MAX_FRAME_SIZE, 1 << 24, Code.PROTOCOL_ERROR,
                 id="6_5_2_4_max_frame_size_above_maximum"),
])
def test_6_5_2_invalid_setting_value(conn, setting, value, code):
    """h2spec http2/6.5.2/1-4 (the id names the case): a SETTINGS value out
    of its range is a connection error of type *code* (RFC 9113 section 6.5.2)."""
    conn.send(settings_frame({setting: value}))
    assert_connection_error(conn, code)


def test_6_5_2_5_unknown_setting_is_ignored(conn):
    """h2spec http2/6.5.2/5: an unknown SETTINGS identifier is ignored
    (RFC 9113 section 6.5.2): the SETTINGS is acknowledged, a PING answered."""
    acks = conn.settings_acks
    conn.send(settings_frame({0xFF: 1}) + frame(PING, 0, 0, bytes(8)))
    assert_ping_answered(conn, bytes(8), sent=True)
    assert conn.settings_acks == acks + 1


# -- 6.5.3 Settings Synchronization ----------------------------------------------------


def test_6_5_3_1_initial_window_size_values_in_order(quiet):
    """h2spec http2/6.5.3/1: the values of one SETTINGS frame apply in order
    (RFC 9113 section 6.5.3): of 100 then 1, the window is 1."""
    c = quiet
    acks = c.settings_acks
    c.send(frame(SETTINGS, 0, 0, b"\x00\x04\x00\x00\x00\x64" b"\x00\x04\x00\x00\x00\x01"))
    assert_settings_acked(c, acks)
    c.initial_window = 1
    _assert_one_octet_then_rest(c, c.request())


def test_6_5_3_2_settings_is_acknowledged(conn):
    """h2spec http2/6.5.3/2: a SETTINGS frame without ACK is answered at once
    with a SETTINGS frame with ACK (RFC 9113 section 6.5.3)."""
    acks = conn.settings_acks
    conn.send(settings_frame({ENABLE_PUSH: 0}))
    assert_settings_acked(conn, acks)


# -- 6.7 PING --------------------------------------------------------------------------


def test_6_7_1_ping_is_answered(conn):
    """h2spec http2/6.7/1: a PING is answered by a PING with ACK and the
    identical payload (RFC 9113 section 6.7)."""
    assert_ping_answered(conn, b"h2spec\x00\x00")


def test_6_7_2_ping_ack_is_not_answered(conn):
    """h2spec http2/6.7/2: a PING with ACK gets no response (RFC 9113
    section 6.7); the next PING is answered."""
    unexpected = b"invalid\x00"
    opaque = b"h2spec\x00\x00"
    conn.send(frame(PING, ACK, 0, unexpected) + frame(PING, 0, 0, opaque))
    assert_ping_answered(conn, opaque, sent=True)
    conn.sync()
    assert unexpected not in conn.ping_acks
    assert conn.goaway is None


def test_6_7_3_ping_on_stream_1(conn):
    """h2spec http2/6.7/3: PING with a stream id other than 0 is a connection
    error of type PROTOCOL_ERROR (RFC 9113 section 6.7)."""
    conn.send(frame(PING, 0, 1, bytes(8)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_7_4_ping_with_length_other_than_8(conn):
    """h2spec http2/6.7/4: a PING frame of other than 8 octets is a connection
    error of type FRAME_SIZE_ERROR (RFC 9113 section 6.7)."""
    conn.send(frame(PING, 0, 0, bytes(6)))
    assert_connection_error(conn, Code.FRAME_SIZE_ERROR)


# -- 6.8 GOAWAY ------------------------------------------------------------------------


def test_6_8_1_goaway_on_stream_1(conn):
    """h2spec http2/6.8/1: GOAWAY with a stream id other than 0 is a
    connection error of type PROTOCOL_ERROR (RFC 9113 section 6.8)."""
    conn.send(frame(GOAWAY, 0, 1, bytes(8)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


# -- 6.9 WINDOW_UPDATE -----------------------------------------------------------------


def test_6_9_1_window_update_of_0_on_connection(conn):
    """h2spec http2/6.9/1: a WINDOW_UPDATE of 0 on the connection is a
    connection error of type PROTOCOL_ERROR (RFC 9113 section 6.9)."""
    conn.send(window_update(0, 0))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_9_2_window_update_of_0_on_stream(conn):
    """h2spec http2/6.9/2: a WINDOW_UPDATE of 0 on a stream is a stream error
    of type PROTOCOL_ERROR (RFC 9113 section 6.9)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields(), end_stream=False) + window_update(sid, 0))
    assert_stream_error(conn, sid, Code.PROTOCOL_ERROR)


def test_6_9_3_window_update_with_length_other_than_4(conn):
    """h2spec http2/6.9/3: a WINDOW_UPDATE frame of other than 4 octets is a
    connection error of type FRAME_SIZE_ERROR (RFC 9113 section 6.9)."""
    conn.send(frame(WINDOW_UPDATE, 0, 0, b"\x00\x00\x01"))
    assert_connection_error(conn, Code.FRAME_SIZE_ERROR)


# -- 6.9.1 The Flow-Control Window -----------------------------------------------------


def test_6_9_1_1_initial_window_of_1(quiet):
    """h2spec http2/6.9.1/1: with SETTINGS_INITIAL_WINDOW_SIZE 1 the server
    sends one octet of DATA, no more (RFC 9113 section 6.9.1)."""
    c = quiet
    set_initial_window(c, 1)
    _assert_one_octet_then_rest(c, c.request())


def test_6_9_1_2_connection_window_above_maximum(conn):
    """h2spec http2/6.9.1/2: WINDOW_UPDATE frames that take the connection
    window above 2^31-1 are a connection error of type FLOW_CONTROL_ERROR
    (RFC 9113 section 6.9.1)."""
    conn.send(window_update(0, MAX_WINDOW) + window_update(0, MAX_WINDOW))
    assert_connection_error(conn, Code.FLOW_CONTROL_ERROR)


def test_6_9_1_3_stream_window_above_maximum(conn):
    """h2spec http2/6.9.1/3: WINDOW_UPDATE frames that take a stream window
    above 2^31-1 are answered with RST_STREAM FLOW_CONTROL_ERROR on that
    stream (RFC 9113 section 6.9.1)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields(), end_stream=False)
              + window_update(sid, MAX_WINDOW) + window_update(sid, MAX_WINDOW))
    assert_stream_error(conn, sid, Code.FLOW_CONTROL_ERROR)
    # h2spec wants the RST_STREAM itself here: a GOAWAY does not do
    assert conn.stream(sid).reset == Code.FLOW_CONTROL_ERROR, conn.goaway


# -- 6.9.2 Initial Flow-Control Window Size --------------------------------------------


def test_6_9_2_1_initial_window_change_applies_to_open_streams(quiet):
    """h2spec http2/6.9.2/1: a new SETTINGS_INITIAL_WINDOW_SIZE changes the
    windows of the streams already open (RFC 9113 section 6.9.2): 0, then 1."""
    c = quiet
    set_initial_window(c, 0)
    sid = c.request()
    # the response waits for window: nothing but the HEADERS may come
    c.sync()
    assert not c.streams[sid].data
    set_initial_window(c, 1)
    _assert_one_octet_then_rest(c, sid)


def test_6_9_2_2_negative_window_is_tracked(quiet):
    """h2spec http2/6.9.2/2: a SETTINGS_INITIAL_WINDOW_SIZE that makes a
    window negative is tracked (RFC 9113 section 6.9.2): 3 sent of a window
    of 3, the window set to 2 (-1), a WINDOW_UPDATE of 2 allows one octet."""
    c = quiet
    set_initial_window(c, 3)
    sid = c.request()
    _wait_data(c, sid, 3)
    set_initial_window(c, 2)
    c.sync()
    assert len(c.streams[sid].data) == 3
    c.grant(sid, 2)
    _wait_data(c, sid, 4)
    assert c.streams[sid].data_frames[-1] == 1
    c.grant(sid, len(BODY) - 4)
    assert_response(c, sid)


def test_6_9_2_3_initial_window_size_above_maximum(conn):
    """h2spec http2/6.9.2/3: SETTINGS_INITIAL_WINDOW_SIZE of 2^31 is a
    connection error of type FLOW_CONTROL_ERROR (RFC 9113 section 6.9.2)."""
    conn.send(frame(SETTINGS, 0, 0, b"\x00\x04\x80\x00\x00\x00"))
    assert_connection_error(conn, Code.FLOW_CONTROL_ERROR)


# -- 6.10 CONTINUATION -----------------------------------------------------------------


def test_6_10_1_multiple_continuation_frames(conn):
    """h2spec http2/6.10/1: a field block in HEADERS and two CONTINUATION
    frames is accepted (RFC 9113 section 6.10)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields(), end_headers=False)
              + frame(CONTINUATION, 0, sid, dummy_block(conn))
              + frame(CONTINUATION, END_HEADERS, sid, dummy_block(conn)))
    assert_response(conn, sid)


def test_6_10_2_continuation_followed_by_data(conn):
    """h2spec http2/6.10/2: a CONTINUATION without END_HEADERS followed by a
    DATA frame is a connection error of type PROTOCOL_ERROR (RFC 9113
    section 6.10)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, _post_fields(conn), end_stream=False, end_headers=False)
              + frame(CONTINUATION, 0, sid, dummy_block(conn))
              + frame(DATA, END_STREAM, sid, b"test"))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_10_3_continuation_on_stream_0(conn):
    """h2spec http2/6.10/3: CONTINUATION with stream id 0 is a connection
    error of type PROTOCOL_ERROR (RFC 9113 section 6.10)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields(), end_headers=False)
              + frame(CONTINUATION, END_HEADERS, 0, dummy_block(conn)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_10_4_continuation_after_headers_with_end_headers(conn):
    """h2spec http2/6.10/4: a CONTINUATION after a HEADERS frame with
    END_HEADERS is a connection error of type PROTOCOL_ERROR (RFC 9113
    section 6.10)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields())
              + frame(CONTINUATION, END_HEADERS, sid, dummy_block(conn)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_10_5_continuation_after_continuation_with_end_headers(conn):
    """h2spec http2/6.10/5: a CONTINUATION after a CONTINUATION with
    END_HEADERS is a connection error of type PROTOCOL_ERROR (RFC 9113
    section 6.10)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, conn.fields(), end_headers=False)
              + frame(CONTINUATION, END_HEADERS, sid, dummy_block(conn))
              + frame(CONTINUATION, END_HEADERS, sid, dummy_block(conn)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_6_10_6_continuation_after_data(conn):
    """h2spec http2/6.10/6: a CONTINUATION preceded by a DATA frame is a
    connection error of type PROTOCOL_ERROR (RFC 9113 section 6.10)."""
    sid = conn.new_stream_id()
    conn.send(conn.headers(sid, _post_fields(conn), end_stream=False, end_headers=False)
              + frame(DATA, END_STREAM, sid, b"test")
              + frame(CONTINUATION, 0, sid, dummy_block(conn))
              + frame(CONTINUATION, END_HEADERS, 0, dummy_block(conn)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)
