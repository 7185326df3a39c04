"""HTTP/2 conformance, h2spec ``hpack`` and ``generic`` cases.

``hpack``: field blocks that RFC 7541 calls decoding errors, each a connection
error of type COMPRESSION_ERROR (RFC 9113 section 4.3).  ``generic``: what
every HTTP/2 server accepts -- the preface, each frame type in the states it
is allowed in, request messages and every HPACK representation -- answered
with the complete response.  One test per h2spec case, against every worker
of the ``target`` fixture; each expected event within h2spec's 2 seconds.
"""

from __future__ import annotations

import pytest
from conf_app import BODY
from conf_checks import (
    ENABLE_PUSH,
    MAX_CONCURRENT_STREAMS,
    MAX_HEADER_LIST_SIZE,
    WAIT,
    assert_closed,
    assert_connection_error,
    assert_ping_answered,
    assert_response,
    assert_server_preface,
    assert_settings_acked,
    h2spec_fields,
    priority_payload,
    pump_until,
    send_each,
    set_initial_window,
)
from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH
from raw_h2 import (
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    GOAWAY,
    HEADER_TABLE_SIZE,
    HEADERS,
    INITIAL_WINDOW_SIZE,
    MAX_FRAME_SIZE,
    PADDED,
    PRIORITY,
    PRIORITY_FLAG,
    Code,
    RawH2,
    frame,
    hpack_int,
    rst_stream,
    settings_frame,
    window_update,
)

#: static table index of ``user-agent`` (RFC 7541 appendix A)
USER_AGENT_INDEX = 58

#: the EOS symbol of the Huffman code (RFC 7541 section 5.2, appendix B)
EOS = 256


# -- helpers ---------------------------------------------------------------------------------


def _block(conn: RawH2, method: str = "GET",
           extra: list[tuple[str, str]] | None = None) -> bytes:
    return conn.encoder.encode(h2spec_fields(conn, method, extra))


def huffman(text: bytes, eos_at: int | None = None, pad: str = "1",
            extra: bytes = b"") -> bytes:
    """*text* Huffman-coded (RFC 7541 section 5.2), padded to an octet with
    *pad* bits ("1": the EOS prefix, as required); *eos_at* puts the EOS code
    before that symbol, *extra* adds octets after the padding."""
    bits = []
    for at, symbol in enumerate(text):
        if at == eos_at:
            bits.append(format(REQUEST_CODES[EOS], "0%db" % REQUEST_CODES_LENGTH[EOS]))
        bits.append(format(REQUEST_CODES[symbol], "0%db" % REQUEST_CODES_LENGTH[symbol]))
    joined = "".join(bits)
    joined += pad * (-len(joined) % 8)
    return int(joined, 2).to_bytes(len(joined) // 8, "big") + extra


def string_literal(value: bytes, use_huffman: bool = False, coded: bytes | None = None) -> bytes:
    """A string literal (RFC 7541 section 5.2): H bit, 7-bit prefix length."""
    if coded is None:
        coded = huffman(value) if use_huffman else value
    return hpack_int(len(coded), 7, 0x80 if use_huffman else 0) + coded


def literal_field(kind: int, prefix_bits: int, name: bytes | int, value: bytes,
                  use_huffman: bool = False) -> bytes:
    """A literal field representation (RFC 7541 section 6.2): *kind* is the
    pattern (0x40 incremental indexing, 0x00 without indexing, 0x10 never
    indexed) with a *prefix_bits* index; *name* an index or a new name."""
    if isinstance(name, int):
        return hpack_int(name, prefix_bits, kind) + string_literal(value, use_huffman)
    return (bytes((kind,)) + string_literal(name, use_huffman)
            + string_literal(value, use_huffman))


def _send_block(conn: RawH2, block: bytes) -> int:
    """A GET whose field block is *block* (one HEADERS frame, END_STREAM)."""
    sid = conn.new_stream_id()
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS, sid, block))
    return sid


# == hpack ================================================================================


def test_hpack_2_3_3_1_indexed_field_with_invalid_index(conn):
    """h2spec hpack/2.3.3/1: an index past both tables is a decoding error:
    connection error COMPRESSION_ERROR (RFC 7541 section 2.3.3)."""
    # 61 static entries and the one ``:authority`` entry our encoder added
    _send_block(conn, _block(conn) + hpack_int(70, 7, 0x80))
    assert_connection_error(conn, Code.COMPRESSION_ERROR)


def test_hpack_2_3_3_2_literal_field_with_invalid_index(conn):
    """h2spec hpack/2.3.3/2: a literal whose name index is past both tables
    is a decoding error: COMPRESSION_ERROR (RFC 7541 section 2.3.3)."""
    _send_block(conn, _block(conn) + hpack_int(70, 6, 0x40) + string_literal(b""))
    assert_connection_error(conn, Code.COMPRESSION_ERROR)


def test_hpack_4_2_1_table_size_update_at_end_of_block(conn):
    """h2spec hpack/4.2/1: a dynamic table size update after a field is a
    decoding error: COMPRESSION_ERROR (RFC 7541 sections 4.2 and 6.3)."""
    _send_block(conn, _block(conn) + hpack_int(1, 5, 0x20))
    assert_connection_error(conn, Code.COMPRESSION_ERROR)


@pytest.mark.parametrize("coding", [
    # padding longer than 7 bits: a whole octet more of it
    pytest.param({"extra": b"\xff"}, id="5_2_1_huffman_padding_longer_than_7_bits"),
    # padding that is not the most significant bits of EOS
    pytest.param({"pad": "0"}, id="5_2_2_huffman_padded_by_zero"),
    # the EOS symbol inside the string
    pytest.param({"eos_at": 0}, id="5_2_3_huffman_containing_eos"),
])
def test_hpack_5_2_invalid_huffman_string(conn, coding):
    """h2spec hpack/5.2/1-3 (the id names the case): a Huffman-coded value
    with invalid padding or the EOS symbol is a decoding error:
    COMPRESSION_ERROR (RFC 7541 section 5.2)."""
    value = huffman(b"test", **coding)
    rep = b"\x00" + string_literal(b"x-test", True) + string_literal(b"", True, value)
    _send_block(conn, _block(conn) + rep)
    assert_connection_error(conn, Code.COMPRESSION_ERROR)


def test_hpack_6_1_1_indexed_field_with_index_0(conn):
    """h2spec hpack/6.1/1: index 0 is a decoding error: COMPRESSION_ERROR
    (RFC 7541 section 6.1)."""
    _send_block(conn, _block(conn) + b"\x80")
    assert_connection_error(conn, Code.COMPRESSION_ERROR)


def test_hpack_6_3_1_table_size_update_over_settings(conn):
    """h2spec hpack/6.3/1: a size update over the server's
    SETTINGS_HEADER_TABLE_SIZE is a decoding error: COMPRESSION_ERROR
    (RFC 7541 section 6.3)."""
    limit = conn.server_settings.get(HEADER_TABLE_SIZE, 4096)
    _send_block(conn, hpack_int(limit + 1, 5, 0x20) + _block(conn))
    assert_connection_error(conn, Code.COMPRESSION_ERROR)


# == generic ================================================================================

# -- 1. Starting HTTP/2 ----------------------------------------------------------------------


def test_generic_1_1_server_preface_is_settings(target):
    """h2spec generic/1/1: the server's first frame is its connection
    preface, a SETTINGS frame without ACK (RFC 9113 section 3.4)."""
    assert_server_preface(target)


# -- 2. Streams and Multiplexing ------------------------------------------------------------


def test_generic_2_1_priority_on_idle_stream(conn):
    """h2spec generic/2/1: PRIORITY on an idle stream is accepted (RFC 9113
    section 5.1)."""
    conn.send(frame(PRIORITY, 0, 1, priority_payload(0, 255)))
    assert_ping_answered(conn, b"gen-2-1\x00")


def _half_closed_with_zero_window(conn: RawH2) -> int:
    """A GET after SETTINGS_INITIAL_WINDOW_SIZE 0: the response waits for a
    WINDOW_UPDATE, so the stream stays half-closed (remote)."""
    conn.credit = False
    set_initial_window(conn, 0, wait_ack=False)
    return _send_block(conn, _block(conn))


def _assert_first_octet(conn: RawH2, sid: int) -> None:
    """The first octet of BODY, and only that, arrives on *sid* within WAIT
    seconds (the window granted is one octet), no RST_STREAM."""
    seen = conn.stream(sid)
    assert pump_until(conn, lambda: bool(seen.data_frames) or seen.reset is not None), \
        "no DATA on stream %d within %.0fs (goaway: %r)" % (sid, WAIT, conn.goaway)
    assert seen.reset is None and bytes(seen.data) == BODY[:1], seen


def test_generic_2_2_window_update_on_half_closed_remote(conn):
    """h2spec generic/2/2: WINDOW_UPDATE on a half-closed (remote) stream is
    accepted and releases DATA (RFC 9113 sections 5.1 and 6.9)."""
    sid = _half_closed_with_zero_window(conn)
    conn.grant(sid, 1)
    _assert_first_octet(conn, sid)


def test_generic_2_3_priority_on_half_closed_remote(conn):
    """h2spec generic/2/3: PRIORITY on a half-closed (remote) stream is
    accepted (RFC 9113 section 5.1)."""
    sid = _half_closed_with_zero_window(conn)
    conn.send(frame(PRIORITY, 0, sid, priority_payload(0, 255)))
    conn.grant(sid, 1)
    _assert_first_octet(conn, sid)


def test_generic_2_4_rst_stream_on_half_closed_remote(conn):
    """h2spec generic/2/4: RST_STREAM on a half-closed (remote) stream is
    accepted; the connection goes on (RFC 9113 section 5.1)."""
    sid = _send_block(conn, _block(conn))
    conn.send(rst_stream(sid, Code.CANCEL))
    assert_ping_answered(conn, b"gen-2-4\x00")


def test_generic_2_5_priority_on_closed_stream(conn):
    """h2spec generic/2/5: PRIORITY on a closed stream is accepted (RFC 9113
    section 5.1)."""
    sid = _send_block(conn, _block(conn))
    assert_response(conn, sid)
    conn.send(frame(PRIORITY, 0, sid, priority_payload(0, 255)))
    assert_ping_answered(conn, b"gen-2-5\x00")


# -- 3.1. DATA ------------------------------------------------------------------------------


def _post(conn: RawH2, extra: list[tuple[str, str]] | None = None) -> int:
    sid = conn.new_stream_id()
    conn.send(frame(HEADERS, END_HEADERS, sid, _block(conn, "POST", extra)))
    return sid


def test_generic_3_1_1_data_frame(conn):
    """h2spec generic/3.1/1: a request with one DATA frame is answered
    (RFC 9113 section 6.1)."""
    sid = _post(conn)
    conn.send(frame(DATA, END_STREAM, sid, b"test"))
    assert_response(conn, sid)


def test_generic_3_1_2_multiple_data_frames(conn):
    """h2spec generic/3.1/2: a request with two DATA frames is answered
    (RFC 9113 section 6.1)."""
    sid = _post(conn)
    send_each(conn, frame(DATA, 0, sid, b"test"), frame(DATA, END_STREAM, sid, b"test"))
    assert_response(conn, sid)


def test_generic_3_1_3_data_frame_with_padding(conn):
    """h2spec generic/3.1/3: a padded DATA frame is accepted (RFC 9113
    section 6.1); h2spec's padding octets are not zero, which a receiver
    need not check."""
    sid = _post(conn)
    padding = b"padded"
    conn.send(frame(DATA, END_STREAM | PADDED, sid, bytes((len(padding),)) + b"test" + padding))
    assert_response(conn, sid)


# -- 3.2. HEADERS ---------------------------------------------------------------------------


def test_generic_3_2_1_headers_frame(conn):
    """h2spec generic/3.2/1: a HEADERS frame opens a stream that is answered
    (RFC 9113 section 6.2)."""
    assert_response(conn, _send_block(conn, _block(conn)))


def test_generic_3_2_2_headers_frame_with_padding(conn):
    """h2spec generic/3.2/2: a padded HEADERS frame is accepted (RFC 9113
    section 6.2)."""
    sid = conn.new_stream_id()
    payload = b"\x08" + _block(conn) + b"\x00" * 8
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS | PADDED, sid, payload))
    assert_response(conn, sid)


def test_generic_3_2_3_headers_frame_with_priority(conn):
    """h2spec generic/3.2/3: a HEADERS frame with the PRIORITY flag is
    accepted (RFC 9113 section 6.2)."""
    sid = conn.new_stream_id()
    payload = priority_payload(0, 255) + _block(conn)
    conn.send(frame(HEADERS, END_STREAM | END_HEADERS | PRIORITY_FLAG, sid, payload))
    assert_response(conn, sid)


# -- 3.3. PRIORITY ----------------------------------------------------------------------------


def _priority_then_get(conn: RawH2, on: int, payload: bytes) -> None:
    conn.send(frame(PRIORITY, 0, on, payload))
    assert_response(conn, _send_block(conn, _block(conn)))


def test_generic_3_3_1_priority_weight_1(conn):
    """h2spec generic/3.3/1: PRIORITY with weight 1 (field 0) is accepted
    (RFC 9113 section 6.3)."""
    _priority_then_get(conn, 1, priority_payload(0, 0))


def test_generic_3_3_2_priority_weight_256(conn):
    """h2spec generic/3.3/2: PRIORITY with weight 256 (field 255) is
    accepted (RFC 9113 section 6.3)."""
    _priority_then_get(conn, 1, priority_payload(0, 255))


def test_generic_3_3_3_priority_with_dependency(conn):
    """h2spec generic/3.3/3: PRIORITY with a stream dependency is accepted
    (RFC 9113 section 6.3)."""
    _priority_then_get(conn, 3, priority_payload(1, 0))


def test_generic_3_3_4_priority_exclusive(conn):
    """h2spec generic/3.3/4: PRIORITY with the exclusive bit is accepted
    (RFC 9113 section 6.3)."""
    _priority_then_get(conn, 1, priority_payload(0, 0, exclusive=True))


def test_generic_3_3_5_priority_on_idle_then_lower_stream(conn):
    """h2spec generic/3.3/5: PRIORITY on idle stream 3 does not open it; a
    request on stream 1 is then answered (RFC 9113 section 6.3)."""
    _priority_then_get(conn, 3, priority_payload(0, 255))


# -- 3.4. RST_STREAM ------------------------------------------------------------------------


def test_generic_3_4_1_rst_stream(conn):
    """h2spec generic/3.4/1: RST_STREAM on an open stream is accepted; the
    connection goes on (RFC 9113 section 6.4)."""
    sid = conn.new_stream_id()
    send_each(conn, frame(HEADERS, END_HEADERS, sid, _block(conn)), rst_stream(sid, Code.CANCEL))
    assert_ping_answered(conn, b"gen-3-4\x00")


# -- 3.5. SETTINGS --------------------------------------------------------------------------


def test_generic_3_5_1_settings_frame(conn):
    """h2spec generic/3.5/1: a SETTINGS frame with every parameter is
    acknowledged (RFC 9113 sections 6.5 and 6.5.3)."""
    acks = conn.settings_acks
    conn.send(settings_frame({HEADER_TABLE_SIZE: 4096, ENABLE_PUSH: 1,
                              MAX_CONCURRENT_STREAMS: 100, INITIAL_WINDOW_SIZE: 65535,
                              MAX_FRAME_SIZE: 16384, MAX_HEADER_LIST_SIZE: 100}))
    assert_settings_acked(conn, acks)


# -- 3.7. PING --------------------------------------------------------------------------------


def test_generic_3_7_1_ping_frame(conn):
    """h2spec generic/3.7/1: a PING is answered with the same payload
    (RFC 9113 section 6.7)."""
    assert_ping_answered(conn, b"h2spec\x00\x00")


# -- 3.8. GOAWAY ------------------------------------------------------------------------------


def test_generic_3_8_1_goaway_frame(conn):
    """h2spec generic/3.8/1: after the client's GOAWAY the server closes the
    connection (RFC 9113 section 6.8)."""
    conn.send(frame(GOAWAY, 0, 0, (0).to_bytes(4, "big") + int(Code.NO_ERROR).to_bytes(4, "big")
                    + b"h2spec"))
    assert_closed(conn)


# -- 3.9. WINDOW_UPDATE ---------------------------------------------------------------------


def test_generic_3_9_1_window_update_on_connection(conn):
    """h2spec generic/3.9/1: WINDOW_UPDATE on stream 0 is accepted (RFC 9113
    section 6.9)."""
    conn.send(window_update(0, 1))
    assert_ping_answered(conn, b"gen-3-9\x00")


def test_generic_3_9_2_window_update_on_stream(conn):
    """h2spec generic/3.9/2: WINDOW_UPDATE on a request's stream is accepted
    (RFC 9113 section 6.9)."""
    sid = _send_block(conn, _block(conn))
    conn.grant(sid, 1)
    assert_response(conn, sid)
    assert_ping_answered(conn, b"gen-3-9b")


# -- 3.10. CONTINUATION -----------------------------------------------------------------------


def test_generic_3_10_1_continuation_frame(conn):
    """h2spec generic/3.10/1: a field block split over HEADERS and one
    CONTINUATION is answered (RFC 9113 section 6.10)."""
    sid = conn.new_stream_id()
    block = _block(conn)
    send_each(conn, frame(HEADERS, END_STREAM, sid, block[:5]),
              frame(CONTINUATION, END_HEADERS, sid, block[5:]))
    assert_response(conn, sid)


def test_generic_3_10_2_multiple_continuation_frames(conn):
    """h2spec generic/3.10/2: a field block split over HEADERS and two
    CONTINUATION frames is answered (RFC 9113 section 6.10)."""
    sid = conn.new_stream_id()
    block = _block(conn)
    send_each(conn, frame(HEADERS, END_STREAM, sid, block[:5]),
              frame(CONTINUATION, 0, sid, block[5:10]),
              frame(CONTINUATION, END_HEADERS, sid, block[10:]))
    assert_response(conn, sid)


# -- 4. HTTP Message Exchanges ----------------------------------------------------------------


def test_generic_4_1_get_request(conn):
    """h2spec generic/4/1: a GET is answered (RFC 9113 section 8.1)."""
    assert_response(conn, _send_block(conn, _block(conn)))


def test_generic_4_2_head_request(conn):
    """h2spec generic/4/2: a HEAD is answered without content (RFC 9113
    section 8.1, RFC 9110 section 9.3.2)."""
    assert_response(conn, _send_block(conn, _block(conn, "HEAD")), body=b"")


def test_generic_4_3_post_request(conn):
    """h2spec generic/4/3: a POST with content is answered (RFC 9113
    section 8.1)."""
    sid = _post(conn)
    conn.send(frame(DATA, END_STREAM, sid, b"test"))
    assert_response(conn, sid)


def test_generic_4_4_post_request_with_trailers(conn):
    """h2spec generic/4/4: a POST with content and trailers is answered
    (RFC 9113 section 8.1)."""
    sid = _post(conn, [("trailer", "x-test")])
    send_each(conn, frame(DATA, 0, sid, b"test"),
              frame(HEADERS, END_STREAM | END_HEADERS, sid,
                    conn.encoder.encode([(b"x-test", b"ok")])))
    assert_response(conn, sid)


# -- 5. HPACK -----------------------------------------------------------------------------------

INCREMENTAL, WITHOUT_INDEXING, NEVER_INDEXED = 0x40, 0x00, 0x10
PREFIX_BITS = {INCREMENTAL: 6, WITHOUT_INDEXING: 4, NEVER_INDEXED: 4}


def _literal_case(number: int, kind: int, indexed_name: bool, use_huffman: bool):
    """The parameters of h2spec generic/5/*number*, with an id naming it."""
    name = {INCREMENTAL: "incremental_indexing", WITHOUT_INDEXING: "without_indexing",
            NEVER_INDEXED: "never_indexed"}[kind]
    name += "_indexed_name" if indexed_name else "_new_name"
    name += "_huffman" if use_huffman else ""
    return pytest.param(kind, indexed_name, use_huffman, id="5_%d_%s" % (number, name))


def test_generic_5_1_indexed_field(conn):
    """h2spec generic/5/1: an indexed field (static ``user-agent``) is
    accepted (RFC 7541 section 6.1)."""
    rep = hpack_int(USER_AGENT_INDEX, 7, 0x80)
    assert_response(conn, _send_block(conn, _block(conn) + rep))


#: generic/5/2 ... 5/13 in h2spec's order, as (kind, indexed name, Huffman):
#: each literal kind (RFC 7541 sections 6.2.1 incremental indexing, 6.2.2
#: without indexing, 6.2.3 never indexed) with an indexed or a new name, the
#: strings plain or Huffman-coded
_LITERAL_CASES = [(kind, indexed_name, use_huffman)
                  for kind in (INCREMENTAL, WITHOUT_INDEXING, NEVER_INDEXED)
                  for indexed_name in (True, False)
                  for use_huffman in (False, True)]


@pytest.mark.parametrize("kind, indexed_name, use_huffman", [
    _literal_case(number, *case) for number, case in enumerate(_LITERAL_CASES, start=2)])
def test_generic_5_literal_field(conn, kind, indexed_name, use_huffman):
    """h2spec generic/5/2-13 (the id names the case): a GET whose block ends
    with a literal field representation is answered (RFC 7541 section 6.2):
    ``user-agent: h2spec`` by static index, or ``x-test: h2spec``."""
    name: bytes | int = USER_AGENT_INDEX if indexed_name else b"x-test"
    rep = literal_field(kind, PREFIX_BITS[kind], name, b"h2spec", use_huffman)
    assert_response(conn, _send_block(conn, _block(conn) + rep))


def test_generic_5_14_dynamic_table_size_update(conn):
    """h2spec generic/5/14: a size update to 0 at the start of a block is
    accepted (RFC 7541 section 6.3)."""
    # the update empties the server's table, so the block must not refer
    # to earlier entries: this is the connection's first field block
    assert_response(conn, _send_block(conn, hpack_int(0, 5, 0x20) + _block(conn)))


def test_generic_5_15_multiple_dynamic_table_size_updates(conn):
    """h2spec generic/5/15: two size updates (0, then 4096) at the start of a
    block are accepted (RFC 7541 section 4.2)."""
    updates = hpack_int(0, 5, 0x20) + hpack_int(4096, 5, 0x20)
    assert_response(conn, _send_block(conn, updates + _block(conn)))
