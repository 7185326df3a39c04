"""h2spec ``http2`` cases of sections 3.5, 4.1-4.3, 5.1, 5.1.1, 5.1.2, 5.3.1,
5.4.1 and 5.5: the connection preface, frame format and size, header block
rules, stream states and identifiers, concurrency, self-dependency,
connection error handling and extension frames (RFC 9113, RFC 7541).

Each expected event must arrive within ``WAIT`` seconds, as in h2spec.  A
connection error must be a GOAWAY with the expected code followed by the
close; a stream error an RST_STREAM on that stream with the expected code
(the connection then still answers PING) or a GOAWAY with it and the close
(RFC 9113 section 5.4.2 allows both).
"""

from __future__ import annotations

from conf_checks import (
    MAX_CONCURRENT_STREAMS,
    WAIT,
    assert_connection_error,
    assert_ping_answered,
    assert_response,
    assert_server_preface,
    assert_stream_ended,
    assert_stream_error,
    dummy_block,
    dummy_fields,
    priority_payload,
    pump_until,
    set_initial_window,
)
from raw_h2 import (
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    HEADERS,
    PING,
    PRIORITY,
    PRIORITY_FLAG,
    Code,
    RawH2,
    frame,
    rst_stream,
    window_update,
)

#: a frame type no specification defines (h2spec uses 0x16)
UNKNOWN_TYPE = 0x16


def _headers(conn: RawH2, sid: int, end_stream: bool, end_headers: bool = True,
             method: str = "GET") -> bytes:
    """A HEADERS frame of a request on *sid*, registered as opened."""
    conn.stream(sid)
    return conn.headers(sid, conn.fields(method=method), end_stream, end_headers)


def _unknown_frame() -> bytes:
    return frame(UNKNOWN_TYPE, 0, 0, b"\x00" * 8)


# -- 3.5 HTTP/2 connection preface ---------------------------------------------------


def test_3_5_1_sends_client_connection_preface(target):
    """h2spec http2/3.5/1: the server connection preface is a SETTINGS frame
    and the first frame the server sends (RFC 9113 section 3.4)."""
    assert_server_preface(target)


def test_3_5_2_sends_invalid_connection_preface(target):
    """h2spec http2/3.5/2: an invalid client preface is a connection error of
    type PROTOCOL_ERROR; the server closes (a GOAWAY may be omitted,
    RFC 9113 section 3.4)."""
    client = target.connect(preface=False)
    try:
        client.send(b"INVALID CONNECTION PREFACE\r\n\r\n")
        assert pump_until(client, lambda: client.closed) or client.closed, \
            "not closed within %.0fs (frames: %r)" % (WAIT, client.frames)
        if client.goaway is not None:
            assert client.goaway.error_code == Code.PROTOCOL_ERROR, client.goaway
    finally:
        client.close()
    target.assert_serving()


# -- 4.1 Frame format ----------------------------------------------------------------


def test_4_1_1_sends_frame_with_unknown_type(conn):
    """h2spec http2/4.1/1: a frame of unknown type is ignored and discarded
    (RFC 9113 section 4.1); a PING after it is answered."""
    conn.send(_unknown_frame())
    assert_ping_answered(conn, b"unknown1")


def test_4_1_2_sends_frame_with_undefined_flag(conn):
    """h2spec http2/4.1/2: flags without defined semantics are ignored
    (RFC 9113 section 4.1): a PING with flags 0x16 is acknowledged."""
    conn.send(frame(PING, 0x16, 0, b"undefflg"))
    assert_ping_answered(conn, b"undefflg", sent=True)


def test_4_1_3_sends_frame_with_reserved_field_bit(conn):
    """h2spec http2/4.1/3: the reserved bit of the stream identifier is
    ignored on receipt (RFC 9113 section 4.1): that PING is acknowledged."""
    conn.send(frame(PING, 0x16, 0x80000000, b"reserved"))
    assert_ping_answered(conn, b"reserved", sent=True)


# -- 4.2 Frame size ------------------------------------------------------------------


def test_4_2_1_sends_data_frame_with_max_frame_size(conn):
    """h2spec http2/4.2/1: a DATA frame of SETTINGS_MAX_FRAME_SIZE (2^14)
    octets is received and processed (RFC 9113 section 4.2)."""
    size = conn.server_settings.get(0x5, 16384)
    conn.send(_headers(conn, 1, end_stream=False, method="POST"))
    conn.send(frame(DATA, END_STREAM, 1, b"x" * size))
    assert_response(conn, 1)


def test_4_2_2_sends_data_frame_exceeding_max_frame_size(conn):
    """h2spec http2/4.2/2: a DATA frame over SETTINGS_MAX_FRAME_SIZE is a
    FRAME_SIZE_ERROR (RFC 9113 section 4.2)."""
    size = conn.server_settings.get(0x5, 16384)
    conn.send(_headers(conn, 1, end_stream=False, method="POST"))
    conn.send(frame(DATA, END_STREAM, 1, b"x" * (size + 1)))
    assert_stream_error(conn, 1, Code.FRAME_SIZE_ERROR)


def test_4_2_3_sends_headers_frame_exceeding_max_frame_size(conn):
    """h2spec http2/4.2/3: a HEADERS frame over SETTINGS_MAX_FRAME_SIZE is a
    connection error of type FRAME_SIZE_ERROR (RFC 9113 section 4.2)."""
    conn.stream(1)
    block = conn.encoder.encode(conn.fields() + dummy_fields(5))
    assert len(block) > conn.server_settings.get(0x5, 16384)
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
    assert_connection_error(conn, Code.FRAME_SIZE_ERROR)


# -- 4.3 Header compression and decompression ----------------------------------------


def test_4_3_1_sends_invalid_header_block_fragment(conn):
    """h2spec http2/4.3/1: a field block that does not decode (a literal
    with incremental indexing cut after its first octet) is a connection
    error of type COMPRESSION_ERROR (RFC 9113 section 4.3)."""
    conn.stream(1)  # the HEADERS frame opens stream 1 (GOAWAY may name it)
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\x40"))
    assert_connection_error(conn, Code.COMPRESSION_ERROR)


def test_4_3_2_sends_priority_frame_while_sending_header_blocks(conn):
    """h2spec http2/4.3/2: a PRIORITY frame inside a field block is a
    connection error of type PROTOCOL_ERROR (RFC 9113 section 4.3)."""
    conn.send(_headers(conn, 1, end_stream=False, end_headers=False))
    conn.send(frame(PRIORITY, 0, 1, priority_payload(0, 255)))
    conn.send(frame(CONTINUATION, END_HEADERS, 1, dummy_block(conn, 1)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_4_3_3_sends_headers_frame_to_another_stream_while_sending_header_blocks(conn):
    """h2spec http2/4.3/3: a HEADERS frame of another stream inside a field
    block is a connection error of type PROTOCOL_ERROR (RFC 9113 section 4.3)."""
    conn.send(_headers(conn, 1, end_stream=False, end_headers=False))
    conn.send(_headers(conn, 3, end_stream=True))
    conn.send(frame(CONTINUATION, END_HEADERS, 1, dummy_block(conn, 1)))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


# -- 5.1 Stream states ---------------------------------------------------------------


def test_5_1_1_idle_sends_data_frame(conn):
    """h2spec http2/5.1/1: DATA on an idle stream is a connection error of
    type PROTOCOL_ERROR (RFC 9113 section 5.1, idle)."""
    conn.send(frame(DATA, END_STREAM, 1, b"test"))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_5_1_2_idle_sends_rst_stream_frame(conn):
    """h2spec http2/5.1/2: RST_STREAM on an idle stream is a connection error
    of type PROTOCOL_ERROR (RFC 9113 sections 5.1 and 6.4)."""
    conn.send(rst_stream(1, Code.CANCEL))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_5_1_3_idle_sends_window_update_frame(conn):
    """h2spec http2/5.1/3: WINDOW_UPDATE on an idle stream is a connection
    error of type PROTOCOL_ERROR (RFC 9113 section 5.1, idle)."""
    conn.send(window_update(1, 100))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_5_1_4_idle_sends_continuation_frame(conn):
    """h2spec http2/5.1/4: CONTINUATION on an idle stream is a connection
    error of type PROTOCOL_ERROR (RFC 9113 sections 5.1 and 6.10)."""
    conn.send(frame(CONTINUATION, END_HEADERS, 1, conn.encoder.encode(conn.fields())))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_5_1_5_half_closed_remote_sends_data_frame(conn):
    """h2spec http2/5.1/5: DATA on a half-closed (remote) stream is a stream
    error of type STREAM_CLOSED (RFC 9113 section 5.1)."""
    conn.send(_headers(conn, 1, end_stream=True))
    conn.send(frame(DATA, END_STREAM, 1, b"test"))
    # the GET was complete before the offending frame: it may be answered
    assert_stream_error(conn, 1, Code.STREAM_CLOSED, may_answer=True)


def test_5_1_6_half_closed_remote_sends_headers_frame(conn):
    """h2spec http2/5.1/6: HEADERS on a half-closed (remote) stream is a
    stream error of type STREAM_CLOSED (RFC 9113 section 5.1)."""
    conn.send(_headers(conn, 1, end_stream=True))
    conn.send(_headers(conn, 1, end_stream=True))
    # the GET was complete before the offending frame: it may be answered
    assert_stream_error(conn, 1, Code.STREAM_CLOSED, may_answer=True)


def test_5_1_7_half_closed_remote_sends_continuation_frame(conn):
    """h2spec http2/5.1/7: CONTINUATION after a complete field block on a
    half-closed (remote) stream is a stream error of type STREAM_CLOSED or
    a PROTOCOL_ERROR (RFC 9113 sections 5.1 and 6.10)."""
    conn.stream(1)
    block = conn.encoder.encode(conn.fields())
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
    conn.send(frame(CONTINUATION, END_HEADERS, 1, block))
    # the GET was complete before the offending frame: it may be answered
    assert_stream_error(conn, 1, Code.STREAM_CLOSED, Code.PROTOCOL_ERROR, may_answer=True)


def test_5_1_8_closed_sends_data_frame_after_rst_stream(conn):
    """h2spec http2/5.1/8: DATA after the client's RST_STREAM is a stream
    error of type STREAM_CLOSED (RFC 9113 section 5.1, closed)."""
    conn.send(_headers(conn, 1, end_stream=False))
    conn.send(rst_stream(1, Code.CANCEL))
    conn.send(frame(DATA, END_STREAM, 1, b"test"))
    assert_stream_error(conn, 1, Code.STREAM_CLOSED)


def test_5_1_9_closed_sends_headers_frame_after_rst_stream(conn):
    """h2spec http2/5.1/9: HEADERS after the client's RST_STREAM is a stream
    error of type STREAM_CLOSED (RFC 9113 section 5.1, closed)."""
    conn.send(_headers(conn, 1, end_stream=False))
    conn.send(rst_stream(1, Code.CANCEL))
    conn.send(_headers(conn, 1, end_stream=True))
    assert_stream_error(conn, 1, Code.STREAM_CLOSED)


def test_5_1_10_closed_sends_continuation_frame_after_rst_stream(conn):
    """h2spec http2/5.1/10: CONTINUATION after the client's RST_STREAM is a
    stream error of type STREAM_CLOSED or a PROTOCOL_ERROR (RFC 9113
    sections 5.1 and 6.10)."""
    conn.send(_headers(conn, 1, end_stream=False))
    conn.send(rst_stream(1, Code.CANCEL))
    conn.send(frame(CONTINUATION, END_HEADERS, 1, dummy_block(conn, 1)))
    assert_stream_error(conn, 1, Code.STREAM_CLOSED, Code.PROTOCOL_ERROR)


def test_5_1_11_closed_sends_data_frame(conn):
    """h2spec http2/5.1/11: DATA on a stream closed by END_STREAM both ways
    is a connection error of type STREAM_CLOSED (RFC 9113 section 5.1, closed)."""
    conn.send(_headers(conn, 1, end_stream=True))
    assert_stream_ended(conn, 1)
    conn.send(frame(DATA, END_STREAM, 1, b"test"))
    assert_connection_error(conn, Code.STREAM_CLOSED)


def test_5_1_12_closed_sends_headers_frame(conn):
    """h2spec http2/5.1/12: HEADERS on a stream closed by END_STREAM both
    ways is a connection error of type STREAM_CLOSED (RFC 9113 section 5.1)."""
    first = _headers(conn, 1, end_stream=True)
    conn.send(first)
    assert_stream_ended(conn, 1)
    conn.send(first)  # the same octets again, as h2spec does
    assert_connection_error(conn, Code.STREAM_CLOSED)


def test_5_1_13_closed_sends_continuation_frame(conn):
    """h2spec http2/5.1/13: CONTINUATION on a closed stream is a connection
    error of type STREAM_CLOSED or PROTOCOL_ERROR (RFC 9113 sections 5.1, 6.10)."""
    conn.send(_headers(conn, 1, end_stream=True))
    assert_stream_ended(conn, 1)
    conn.send(frame(CONTINUATION, END_HEADERS, 1, dummy_block(conn, 1)))
    assert_connection_error(conn, Code.STREAM_CLOSED, Code.PROTOCOL_ERROR)


# -- 5.1.1 Stream identifiers --------------------------------------------------------


def test_5_1_1_1_sends_even_numbered_stream_identifier(conn):
    """h2spec http2/5.1.1/1: a client stream with an even identifier is a
    connection error of type PROTOCOL_ERROR (RFC 9113 section 5.1.1)."""
    conn.send(_headers(conn, 2, end_stream=True))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_5_1_1_2_sends_smaller_stream_identifier_than_previous(conn):
    """h2spec http2/5.1.1/2: a new stream numbered below one already opened
    is a connection error of type PROTOCOL_ERROR (RFC 9113 section 5.1.1)."""
    conn.send(_headers(conn, 5, end_stream=True))
    conn.send(_headers(conn, 3, end_stream=True))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_5_1_1_3_sends_headers_frame_on_half_closed_remote_stream(conn):
    """h2spec http2/5.1.1/3 (in some h2spec versions): a second HEADERS with
    END_STREAM on stream 5 is a stream error of type STREAM_CLOSED (RFC 9113
    sections 5.1 and 5.4.2)."""
    conn.send(_headers(conn, 5, end_stream=True))
    conn.send(_headers(conn, 5, end_stream=True))
    # the GET was complete before the offending frame: it may be answered
    assert_stream_error(conn, 5, Code.STREAM_CLOSED, may_answer=True)


# -- 5.1.2 Stream concurrency --------------------------------------------------------


def test_5_1_2_1_exceeds_concurrent_stream_limit(conn, target):
    """h2spec http2/5.1.2/1: a HEADERS frame beyond the advertised
    SETTINGS_MAX_CONCURRENT_STREAMS is a stream error of type PROTOCOL_ERROR
    or REFUSED_STREAM (RFC 9113 section 5.1.2)."""
    # h2spec skips this case without the setting; this server advertises one
    limit = conn.server_settings.get(MAX_CONCURRENT_STREAMS)
    assert limit is not None, conn.server_settings
    # a zero window keeps every answered stream open (no DATA can be sent)
    set_initial_window(conn, 0, wait_ack=False)
    block = conn.encoder.encode(conn.fields())
    sids = [conn.new_stream_id() for _ in range(limit + 1)]
    for sid in sids:  # one write per frame, as h2spec writes them
        conn.send(frame(HEADERS, END_STREAM | END_HEADERS, sid, block))
    assert_stream_error(conn, sids[-1], Code.PROTOCOL_ERROR, Code.REFUSED_STREAM)
    # h2spec then closes this connection (its streams stalled) and starts the
    # next case at once: a new connection is answered within WAIT seconds
    conn.close()
    client = target.connect()
    try:
        sid = client.request("/")
        assert_response(client, sid)
    finally:
        client.close()


# -- 5.3.1 Stream dependencies -------------------------------------------------------


def test_5_3_1_1_sends_headers_frame_that_depends_on_itself(conn):
    """h2spec http2/5.3.1/1: HEADERS whose priority names its own stream is a
    stream error of type PROTOCOL_ERROR (RFC 9113 section 5.3.1)."""
    conn.stream(1)
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS | PRIORITY_FLAG, 1,
                    priority_payload(1, 255) + conn.encoder.encode(conn.fields())))
    assert_stream_error(conn, 1, Code.PROTOCOL_ERROR)


def test_5_3_1_2_sends_priority_frame_that_depends_on_itself(conn):
    """h2spec http2/5.3.1/2: a PRIORITY frame that makes a stream depend on
    itself is a stream error of type PROTOCOL_ERROR (RFC 9113 section 5.3.1)."""
    conn.send(frame(PRIORITY, 0, 1, priority_payload(1, 255)))
    assert_stream_error(conn, 1, Code.PROTOCOL_ERROR)


# -- 5.4.1 Connection error handling -------------------------------------------------


def test_5_4_1_1_invalid_ping_frame_closes_connection(conn):
    """h2spec http2/5.4.1/1: after a connection error (PING on stream 3, RFC
    9113 section 6.7) the server closes the TCP connection (section 5.4.1)."""
    conn.send(frame(PING, 0, 3, b"\x00" * 8))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


def test_5_4_1_2_invalid_ping_frame_receives_goaway(conn):
    """h2spec http2/5.4.1/2: a connection error is first reported with a
    GOAWAY frame (RFC 9113 section 5.4.1); PING on stream 3 is PROTOCOL_ERROR."""
    conn.send(frame(PING, 0, 3, b"\x00" * 8))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)
    # nothing was opened: the last stream id is 0
    assert conn.goaway.last_stream_id == 0, conn.goaway


# -- 5.5 Extending HTTP/2 ------------------------------------------------------------


def test_5_5_1_sends_unknown_extension_frame(conn):
    """h2spec http2/5.5/1: an unknown extension frame is ignored (RFC 9113
    section 5.5); a PING after it is answered."""
    conn.send(_unknown_frame())
    assert_ping_answered(conn, b"unknown2")


def test_5_5_2_sends_unknown_extension_frame_in_header_block(conn):
    """h2spec http2/5.5/2: an extension frame in the middle of a field block
    is a connection error of type PROTOCOL_ERROR (RFC 9113 section 5.5)."""
    conn.send(_headers(conn, 1, end_stream=True, end_headers=False))
    conn.send(_unknown_frame())
    assert_connection_error(conn, Code.PROTOCOL_ERROR)
