"""HTTP/2 conformance, h2spec ``http2`` sections 7, 8.1, 8.1.2.x and 8.2.

One test per h2spec case (error codes, request/response exchange, header
fields, pseudo-header fields, connection-specific fields, malformed requests,
server push), run against every worker of the ``target`` fixture.  Stricter
than h2spec: a connection error must be a GOAWAY with the code RFC 9113 names
(then the close), a stream error a RST_STREAM or GOAWAY with that code; each
expected event must arrive within h2spec's 2 second timeout.
"""

from __future__ import annotations

import pytest
from conf_checks import (
    assert_closed,
    assert_connection_error,
    assert_ping_answered,
    assert_response,
    assert_stream_error,
    h2spec_fields,
    send_each,
)
from raw_h2 import (
    DATA,
    END_HEADERS,
    END_STREAM,
    GOAWAY,
    PING,
    PUSH_PROMISE,
    Code,
    RawH2,
    frame,
    rst_stream,
)

#: an error code RFC 9113 does not define (section 7: no special behaviour)
UNKNOWN_CODE = 0xFF


def _headers(conn: RawH2, sid: int, fields: list[tuple[bytes, bytes]],
             end_stream: bool) -> bytes:
    return conn.headers(sid, fields, end_stream=end_stream)


def _post_then_trailers(conn: RawH2, trailers: list[tuple[bytes, bytes]]) -> int:
    """A POST with content "test", then a second field block without
    END_STREAM."""
    sid = conn.new_stream_id()
    send_each(conn, _headers(conn, sid, h2spec_fields(conn, "POST"), end_stream=False),
              frame(DATA, 0, sid, b"test"),
              _headers(conn, sid, trailers, end_stream=False))
    return sid


def _get_with(conn: RawH2, fields: list[tuple[bytes, bytes]]) -> int:
    sid = conn.new_stream_id()
    conn.send(_headers(conn, sid, fields, end_stream=True))
    return sid


# -- 7. Error Codes ------------------------------------------------------------------------


def test_7_1_goaway_with_unknown_error_code(conn):
    """h2spec http2/7/1: GOAWAY with an unknown code triggers no special
    behaviour (RFC 9113 section 7); the server closes the connection."""
    conn.send(frame(GOAWAY, 0, 0, (0).to_bytes(4, "big") + UNKNOWN_CODE.to_bytes(4, "big")))
    assert_closed(conn)


def test_7_2_rst_stream_with_unknown_error_code(conn):
    """h2spec http2/7/2: RST_STREAM with an unknown code triggers no special
    behaviour (RFC 9113 section 7); the connection answers a PING."""
    sid = conn.new_stream_id()
    opaque = b"h2spec72"
    send_each(conn, _headers(conn, sid, h2spec_fields(conn, "POST"), end_stream=False),
              rst_stream(sid, UNKNOWN_CODE),
              frame(PING, 0, 0, opaque))
    assert_ping_answered(conn, opaque, sent=True)


# -- 8.1, 8.1.2.x: malformed requests ---------------------------------------------------


def _without(fields: list[tuple[bytes, bytes]], name: bytes) -> list[tuple[bytes, bytes]]:
    return [(n, v) for n, v in fields if n != name]


def _empty_path(conn: RawH2) -> int:
    return _get_with(conn, [(n, b"" if n == b":path" else v) for n, v in h2spec_fields(conn)])


def _content_length_1(conn: RawH2, *data: bytes) -> int:
    """A POST announcing content-length 1, then DATA frames of *data* (the
    last with END_STREAM)."""
    sid = conn.new_stream_id()
    frames = [frame(DATA, 0, sid, one) for one in data[:-1]]
    send_each(conn, _headers(conn, sid, h2spec_fields(conn, "POST", [("content-length", "1")]),
                             end_stream=False),
              *frames, frame(DATA, END_STREAM, sid, data[-1]))
    return sid


#: h2spec case -> what it sends (a function of the connection returning the
#: stream id); the RFC 9113 rule it breaks in the comment above
MALFORMED = [
    # 8.1: a second HEADERS frame (trailers) must carry END_STREAM
    pytest.param(lambda c: _post_then_trailers(c, [(b"x-test", b"ok")]),
                 id="8_1_1_second_headers_without_end_stream"),
    # 8.2.1: field names are lowercase
    pytest.param(lambda c: _get_with(c, h2spec_fields(c, extra=[("X-TEST", "ok")])),
                 id="8_1_2_1_uppercase_field_name"),
    # 8.3: only the defined pseudo-header fields, only the request ones
    pytest.param(lambda c: _get_with(c, h2spec_fields(c, extra=[(":test", "ok")])),
                 id="8_1_2_1_1_unknown_pseudo_header"),
    pytest.param(lambda c: _get_with(c, h2spec_fields(c, extra=[(":status", "200")])),
                 id="8_1_2_1_2_response_pseudo_header_in_request"),
    # 8.1: no pseudo-header fields in trailers
    pytest.param(lambda c: _post_then_trailers(c, [(b":method", b"POST")]),
                 id="8_1_2_1_3_pseudo_header_in_trailers"),
    # 8.3: pseudo-header fields before the regular ones
    pytest.param(lambda c: _get_with(c, [(b"x-test", b"ok")] + h2spec_fields(c)),
                 id="8_1_2_1_4_pseudo_header_after_regular_field"),
    # 8.2.2: no connection-specific fields; te only "trailers"
    pytest.param(lambda c: _get_with(c, h2spec_fields(c, extra=[("connection", "keep-alive")])),
                 id="8_1_2_2_1_connection_specific_field"),
    pytest.param(lambda c: _get_with(c, h2spec_fields(c, extra=[("trailers", "test"),
                                                                ("te", "trailers, deflate")])),
                 id="8_1_2_2_2_te_other_than_trailers"),
    # 8.3.1: :path not empty for https; :method, :scheme, :path exactly once
    pytest.param(_empty_path, id="8_1_2_3_1_empty_path"),
    pytest.param(lambda c: _get_with(c, _without(h2spec_fields(c), b":method")),
                 id="8_1_2_3_2_omits_method"),
    pytest.param(lambda c: _get_with(c, _without(h2spec_fields(c), b":scheme")),
                 id="8_1_2_3_3_omits_scheme"),
    pytest.param(lambda c: _get_with(c, _without(h2spec_fields(c), b":path")),
                 id="8_1_2_3_4_omits_path"),
    pytest.param(lambda c: _get_with(c, h2spec_fields(c, extra=[(":method", "GET")])),
                 id="8_1_2_3_5_duplicated_method"),
    pytest.param(lambda c: _get_with(c, h2spec_fields(c, extra=[(":scheme", c.scheme)])),
                 id="8_1_2_3_6_duplicated_scheme"),
    pytest.param(lambda c: _get_with(c, h2spec_fields(c, extra=[(":path", "/")])),
                 id="8_1_2_3_7_duplicated_path"),
    # 8.1.1: content-length equals the sum of the DATA frames
    pytest.param(lambda c: _content_length_1(c, b"test"),
                 id="8_1_2_6_1_content_length_differs_from_data"),
    pytest.param(lambda c: _content_length_1(c, b"test", b"test"),
                 id="8_1_2_6_2_content_length_differs_from_sum_of_data"),
]


@pytest.mark.parametrize("send_request", MALFORMED)
def test_8_malformed_request(conn, send_request):
    """h2spec http2/8.1/1, 8.1.2/1, 8.1.2.1/1-4, 8.1.2.2/1-2, 8.1.2.3/1-7 and
    8.1.2.6/1-2 (the id names the case): a malformed request is a stream
    error of type PROTOCOL_ERROR, never answered (RFC 9113 section 8.1.1)."""
    sid = send_request(conn)
    assert_stream_error(conn, sid, Code.PROTOCOL_ERROR)


# -- 8.2. Server Push ------------------------------------------------------------------------


def test_8_2_1_push_promise_from_client(conn):
    """h2spec http2/8.2/1: a client cannot push; PUSH_PROMISE is a
    connection error PROTOCOL_ERROR (RFC 9113 section 8.4)."""
    block = conn.encoder.encode(h2spec_fields(conn))
    conn.send(frame(PUSH_PROMISE, END_HEADERS, 1, (3).to_bytes(4, "big") + block))
    assert_connection_error(conn, Code.PROTOCOL_ERROR)


# the fields every case above builds on are a valid request (a sanity check of
# the helpers, so a failure above is the server's and not the request's)
def test_common_fields_are_answered(conn):
    """The h2spec request fields get the complete 200 response (RFC 9113 8.1)."""
    sid = _get_with(conn, h2spec_fields(conn))
    assert_response(conn, sid)
