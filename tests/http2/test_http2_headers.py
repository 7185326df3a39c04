"""Request field blocks: RFC 9113 sections 8.1-8.3 (malformed requests are
stream errors of type PROTOCOL_ERROR), HPACK errors (COMPRESSION_ERROR), and the
HTTP/1.1 field policy applied to HTTP/2 requests."""

from __future__ import annotations

import pytest

from gunicorn.http import errors as http_errors
from gunicorn.http2 import events as ev
from gunicorn.http2.errors import HTTP2ErrorCode as C
from tests.http2.h2_helpers import (
    REQUEST,
    UNTRUSTED_PEER,
    Peer,
    goaway,
    make_cfg,
    of_event,
    raw_frame,
    rst_codes,
    terminated,
)

M, S, A, P = REQUEST


def _with(*extra):
    return REQUEST + list(extra)


MALFORMED = {
    "uppercase name": _with((b"X-Foo", b"1")),
    "connection": _with((b"connection", b"keep-alive")),
    "transfer-encoding": _with((b"transfer-encoding", b"chunked")),
    "upgrade": _with((b"upgrade", b"h2c")),
    "keep-alive": _with((b"keep-alive", b"5")),
    "proxy-connection": _with((b"proxy-connection", b"close")),
    "te gzip": _with((b"te", b"gzip")),
    "te trailers, gzip": _with((b"te", b"trailers, gzip")),
    "missing :method": [S, A, P],
    "missing :scheme": [M, A, P],
    "missing :path": [M, S, A],
    "empty :path": [M, S, A, (b":path", b"")],
    "relative :path": [M, S, A, (b":path", b"index.html")],
    "asterisk with GET": [M, S, A, (b":path", b"*")],
    "repeated :path": REQUEST + [(b":path", b"/x")],
    "repeated :method": [M, M, S, A, P],
    "unknown pseudo-header": _with((b":foo", b"bar")),
    "response pseudo-header": [(b":status", b"200")] + REQUEST,
    "informational :status": [(b":status", b"103")] + REQUEST,
    ":protocol without extended CONNECT": _with((b":protocol", b"websocket")),
    "pseudo-header after regular field": [M, S, (b"x", b"1"), A, P],
    "NUL in value": _with((b"x", b"a\x00b")),
    "CR in value": _with((b"x", b"a\rb")),
    "LF in value": _with((b"x", b"a\nb")),
    "leading space": _with((b"x", b" a")),
    "trailing tab": _with((b"x", b"a\t")),
    "space in name": _with((b"x y", b"1")),
    "colon in name": _with((b"x:y", b"1")),
    "empty name": _with((b"", b"1")),
    "non-ASCII name": _with((b"caf\xe9", b"1")),
    "DEL in name": _with((b"x\x7f", b"1")),
    "CR in :path": [M, S, A, (b":path", b"/a\rb")],
    "empty :authority": [M, S, (b":authority", b""), P],
    "userinfo in :authority": [M, S, (b":authority", b"user@example.com"), P],
    "host differs from :authority": _with((b"host", b"other.example")),
    "content-length not digits": _with((b"content-length", b"5a")),
    "content-length negative": _with((b"content-length", b"-1")),
    "content-length list": _with((b"content-length", b"1, 1")),
    "content-lengths differ": _with((b"content-length", b"1"), (b"content-length", b"2")),
    "CONNECT with :path": [(b":method", b"CONNECT"), (b":authority", b"a:443"), P],
    "CONNECT with :scheme": [(b":method", b"CONNECT"), (b":authority", b"a:443"), S],
    "CONNECT without :authority": [(b":method", b"CONNECT")],
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_request_is_a_stream_error(peer, name):
    events = peer.send(peer.headers_frame(1, MALFORMED[name]))
    assert not of_event(events, ev.RequestReceived)
    assert terminated(events) is None
    frames = peer.frames()
    assert rst_codes(frames) == {1: C.PROTOCOL_ERROR}
    assert goaway(frames) is None
    # the connection and its HPACK context survive
    events = peer.send(peer.headers_frame(3, REQUEST + [(b"x-after", b"ok")]))
    (got,) = of_event(events, ev.RequestReceived)
    assert ("X-AFTER", "ok") in got.request.headers


@pytest.mark.parametrize("headers", [
    _with((b"te", b"trailers")),
    _with((b"te", b"Trailers")),
    [M, S, A, (b":path", b"/a?b=c")],
    [(b":method", b"OPTIONS"), S, A, (b":path", b"*")],
    _with((b"host", b"EXAMPLE.com")),
    _with((b"host", b"example.com:443")),
    [M, S, P],  # no authority at all is not malformed in HTTP/2
    [M, (b":scheme", b"http"), A, P],
    _with((b"content-length", b"0")),
    _with((b"x", b"")),
    _with((b"x", b"a \t b")),
])
def test_well_formed_requests(peer, headers):
    events = peer.send(peer.headers_frame(1, headers))
    assert of_event(events, ev.RequestReceived), events
    assert rst_codes(peer.frames()) == {}


def test_request_fields_become_an_http1_style_request(peer):
    headers = [(b":method", b"POST"), (b":scheme", b"https"), (b":authority", b"h.example"),
               (b":path", b"/p/a?q=1&r=2"), (b"cookie", b"a=1"), (b"accept", b"*/*"),
               (b"cookie", b"b=2"), (b"content-type", b"text/plain")]
    (got,) = of_event(peer.send(peer.headers_frame(1, headers, end_stream=False)),
                      ev.RequestReceived)
    req = got.request
    assert got.stream_id == 1 and got.end_stream is False
    assert req.version == (2, 0)
    assert req.method == "POST"
    assert req.uri == "/p/a?q=1&r=2"
    assert (req.path, req.query, req.fragment) == ("/p/a", "q=1&r=2", "")
    # :authority becomes HOST; cookies are one field (RFC 9113 8.2.3)
    assert req.headers == [("HOST", "h.example"), ("COOKIE", "a=1; b=2"),
                           ("ACCEPT", "*/*"), ("CONTENT-TYPE", "text/plain")]
    assert req.get_header("host") == "h.example"
    assert req.content_type == "text/plain"
    assert req.content_length is None
    assert req.req_number == 1
    assert req.stream is peer.server.streams[1]
    assert req.proxy_protocol_info is None
    assert req._expected_100_continue is False
    assert req.should_close() is False
    req.force_close()
    assert req.should_close() is True
    stream = req.stream
    assert stream.get_pseudo_headers()[":method"] == "POST"
    assert ("cookie", "a=1; b=2") in stream.get_regular_headers()
    assert stream.request_headers[0] == (":method", "POST")


def test_authority_replaces_host_in_place(peer):
    (got,) = of_event(peer.send(peer.headers_frame(1, [M, S, (b":authority", b"Ex.com"), P,
                                                       (b"accept", b"x"),
                                                       (b"host", b"ex.com")])),
                      ev.RequestReceived)
    assert got.request.headers == [("ACCEPT", "x"), ("HOST", "Ex.com")]


def test_connect_request(peer):
    (got,) = of_event(peer.send(peer.headers_frame(
        1, [(b":method", b"CONNECT"), (b":authority", b"example.com:443")], end_stream=False)),
        ev.RequestReceived)
    assert got.request.method == "CONNECT"
    assert got.request.uri == "example.com:443"
    assert got.request.path == ""


# -- HPACK ---------------------------------------------------------------------

@pytest.mark.parametrize("block", [
    b"\x80",                 # index 0 (RFC 7541 6.1)
    b"\xff\xff\xff\xff\x0f",  # index far beyond the tables
    b"\x3f\xe9\x26",         # table size update above SETTINGS_HEADER_TABLE_SIZE
    b"\x82\x3f\x00",         # table size update after a field (RFC 7541 4.2)
    b"\x00\x85abc",          # truncated literal
])
def test_hpack_decoding_error_is_compression_error(peer, block):
    events = peer.send(raw_frame(0x1, 0x5, 1, block))
    assert terminated(events).error_code == C.COMPRESSION_ERROR
    assert goaway(peer.frames()).error_code == C.COMPRESSION_ERROR


def test_hpack_bomb_is_enhance_your_calm(peer):
    # one 4000-octet entry in the dynamic table, then 40 one-octet references
    # to it: 160 kB of fields from 4 kB of input
    entry = b"\x40" + bytes([6]) + b"x-bomb" + b"\x7f" + _varint(4000 - 127) + b"v" * 4000
    block = b"\x82\x87\x84" + entry + b"\xbe" * 40
    events = peer.send(raw_frame(0x1, 0x5, 1, block))
    assert terminated(events).error_code == C.ENHANCE_YOUR_CALM
    assert goaway(peer.frames()).error_code == C.ENHANCE_YOUR_CALM


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def test_header_list_over_the_advertised_size_is_431():
    peer = Peer(make_cfg(http2_max_header_list_size=1000))
    events = peer.send(peer.headers_frame(1, _with((b"x-big", b"a" * 1200))))
    (rej,) = of_event(events, ev.RequestRejected)
    assert isinstance(rej.error, http_errors.LimitRequestHeaders)
    assert rej.error.status_code == 431
    # answered on the stream, the connection lives on
    assert peer.server.send_error(1, 431, "too large") == b""
    frames = peer.frames()
    (head,) = [f for f in frames if f.type == 0x1]
    assert (b":status", b"431") in head.headers
    assert of_event(peer.send(peer.headers_frame(3, REQUEST)), ev.RequestReceived)


# -- HTTP/1.1 field policy ------------------------------------------------------

POLICY = [
    ({}, _with((b"x(y", b"1")), http_errors.InvalidHeaderName, 400),
    ({}, _with((b"x", b"a\x01b")), http_errors.InvalidHeader, 400),
    ({}, _with((b"x", b"a\x7fb")), http_errors.InvalidHeader, 400),
    ({}, _with((b"host", b"example.com"), (b"host", b"example.com")),
     http_errors.InvalidHeader, 400),
    ({}, _with((b"content-type", b"a/b"), (b"content-type", b"a/b")),
     http_errors.InvalidHeader, 400),
    ({}, _with((b"content-length", b"0"), (b"content-length", b"0")),
     http_errors.InvalidHeader, 400),
    ({}, _with((b"expect", b"something")), http_errors.ExpectationFailed, 417),
    ({}, [(b":method", b"get"), S, A, P], http_errors.InvalidRequestMethod, 400),
    ({}, [(b":method", b"G\"T"), S, A, P], http_errors.InvalidRequestMethod, 400),
    ({}, [(b":method", b"G T"), S, A, P], http_errors.InvalidRequestMethod, 400),
    ({}, [M, S, A, (b":path", b"/caf\xc3\xa9")], http_errors.InvalidRequestLine, 400),
    ({}, [M, S, A, (b":path", b"/a b")], http_errors.InvalidRequestLine, 400),
    ({"limit_request_line": 100}, [M, S, A, (b":path", b"/" + b"a" * 200)],
     http_errors.LimitRequestLine, 414),
    ({"limit_request_fields": 3}, _with(*[(b"x%d" % i, b"1") for i in range(4)]),
     http_errors.LimitRequestHeaders, 431),
    ({"limit_request_field_size": 50}, _with((b"x", b"a" * 60)),
     http_errors.LimitRequestHeaders, 431),
    ({"header_map": "refuse"}, _with((b"x_y", b"1")), http_errors.InvalidHeaderName, 400),
    ({}, [M, S, (b":authority", b"a\x01b"), P], http_errors.InvalidHeader, 400),
]


@pytest.mark.parametrize(("settings", "headers", "exc", "status"), POLICY)
def test_field_policy_rejections(settings, headers, exc, status):
    peer = Peer(make_cfg(**settings))
    events = peer.send(peer.headers_frame(1, headers, end_stream=False))
    assert not of_event(events, ev.RequestReceived)
    (rej,) = of_event(events, ev.RequestRejected)
    assert isinstance(rej.error, exc)
    assert rej.error.status_code == status
    assert rst_codes(peer.frames()) == {}
    # the request content is discarded; the error answer ends the stream and
    # asks the client to stop sending (RST_STREAM NO_ERROR, RFC 9113 8.1)
    if (b"content-length", b"0") not in headers:
        peer.send(raw_frame(0x0, 0, 1, b"ignored"))
        assert peer.server.streams[1].get_request_body() == b""
    peer.server.send_error(1, status, str(rej.error))
    frames = peer.frames()
    (head,) = [f for f in frames if f.type == 0x1]
    assert (b":status", str(status).encode()) in head.headers
    assert rst_codes(frames) == {1: C.NO_ERROR}
    assert peer.server.active_streams == 0


def test_unconventional_method_allowed_by_setting():
    peer = Peer(make_cfg(permit_unconventional_http_method=True))
    (got,) = of_event(peer.send(peer.headers_frame(1, [(b":method", b"get"), S, A, P])),
                      ev.RequestReceived)
    assert got.request.method == "get"


@pytest.mark.parametrize(("header_map", "kept"), [("drop", False), ("dangerous", True)])
def test_underscore_names_follow_header_map(header_map, kept):
    peer = Peer(make_cfg(header_map=header_map))
    (got,) = of_event(peer.send(peer.headers_frame(1, _with((b"x_y", b"1")))),
                      ev.RequestReceived)
    assert (("X_Y", "1") in got.request.headers) is kept


def test_trusted_forwarder_keeps_underscore_header():
    cfg = make_cfg(header_map="refuse", forwarder_headers="X_FORWARDED_USER")
    peer = Peer(cfg)
    (got,) = of_event(peer.send(peer.headers_frame(1, _with((b"x_forwarded_user", b"bob")))),
                      ev.RequestReceived)
    assert ("X_FORWARDED_USER", "bob") in got.request.headers
    # the same field from an untrusted peer is refused
    peer = Peer(cfg, client_addr=UNTRUSTED_PEER)
    events = peer.send(peer.headers_frame(1, _with((b"x_forwarded_user", b"bob"))))
    assert isinstance(of_event(events, ev.RequestRejected)[0].error,
                      http_errors.InvalidHeaderName)


def test_expect_100_continue_is_recorded(peer):
    (got,) = of_event(peer.send(peer.headers_frame(1, _with((b"expect", b"100-Continue")),
                                                   end_stream=False)), ev.RequestReceived)
    assert got.request.expect_100 is True
    assert got.request._expected_100_continue is False


@pytest.mark.parametrize(("peer_addr", "is_ssl", "claimed", "scheme"), [
    (("127.0.0.1", 1), True, b"http", "http"),     # trusted: :scheme believed
    (("127.0.0.1", 1), False, b"https", "https"),
    (UNTRUSTED_PEER, True, b"http", "https"),      # untrusted: the connection decides
    (UNTRUSTED_PEER, False, b"https", "http"),
])
def test_scheme_trust_gate(peer_addr, is_ssl, claimed, scheme):
    peer = Peer(client_addr=peer_addr, is_ssl=is_ssl)
    (got,) = of_event(peer.send(peer.headers_frame(1, [M, (b":scheme", claimed), A, P])),
                      ev.RequestReceived)
    assert got.request.scheme == scheme


def test_secure_scheme_headers_from_trusted_peer_only():
    peer = Peer(is_ssl=False)
    (got,) = of_event(peer.send(peer.headers_frame(
        1, [M, (b":scheme", b"http"), A, P, (b"x-forwarded-proto", b"https")])),
        ev.RequestReceived)
    assert got.request.scheme == "https"
    peer = Peer(client_addr=UNTRUSTED_PEER, is_ssl=False)
    (got,) = of_event(peer.send(peer.headers_frame(
        1, [M, (b":scheme", b"http"), A, P, (b"x-forwarded-proto", b"https")])),
        ev.RequestReceived)
    assert got.request.scheme == "http"


def test_conflicting_secure_scheme_headers_are_rejected():
    peer = Peer(is_ssl=False)
    events = peer.send(peer.headers_frame(1, _with((b"x-forwarded-proto", b"https"),
                                                   (b"x-forwarded-ssl", b"off"))))
    (rej,) = of_event(events, ev.RequestRejected)
    assert isinstance(rej.error, http_errors.InvalidSchemeHeaders)


def test_head_response_carries_no_data(peer):
    (got,) = of_event(peer.send(peer.headers_frame(1, [(b":method", b"HEAD"), S, A, P])),
                      ev.RequestReceived)
    srv = peer.server
    srv.send_headers(1, 200, [("content-length", "5")])
    assert srv.send_data(1, b"hello", end_stream=True) == 5
    frames = peer.frames()
    assert [f.type for f in frames] == [0x1, 0x0]
    assert frames[1].data == b"" and "END_STREAM" in frames[1].flags
    assert (b"content-length", b"5") in frames[0].headers


@pytest.mark.parametrize("status", [204, 304])
def test_no_content_statuses_carry_no_data(peer, status):
    peer.send(peer.headers_frame(1, REQUEST))
    peer.server.send_headers(1, status, [])
    assert peer.server.send_data(1, b"body", end_stream=True) == 4
    frames = peer.frames()
    assert [f.data for f in frames if f.type == 0x0] == [b""]
