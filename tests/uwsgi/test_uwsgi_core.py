"""The sans-IO uWSGI packet parser through ``ServerConnection``: bytes in,
request heads and content out, no sockets."""

from __future__ import annotations

import struct

import pytest

from gunicorn.config import Config
from gunicorn.http.core import (
    CONNECTION_CLOSED,
    NEED_DATA,
    PAUSED,
    Data,
    EndOfMessage,
    InformationalResponse,
    Response,
    ServerConnection,
    settings_for,
)
from gunicorn.http.core.uwsgi import MAX_UWSGI_VARS, UWSGIHead, UWSGIHeadParser, parse_vars
from gunicorn.http.errors import (
    InvalidHeader,
    InvalidHeaderName,
    InvalidRequestMethod,
    LimitRequestHeaders,
    LimitRequestLine,
    NoMoreData,
)
from gunicorn.uwsgi.errors import ForbiddenUWSGIRequest, InvalidUWSGIHeader, UnsupportedModifier
from tests.uwsgi.packets import packet, request, vars_block

PEER = ("127.0.0.1", 50000)


def _settings(**values):
    cfg = Config()
    cfg.set("protocol", "uwsgi")
    for name, value in values.items():
        cfg.set(name, value)
    return settings_for(cfg)


def _conn(peer=PEER, **values) -> ServerConnection:
    return ServerConnection(_settings(**values), peer)


def _head(data: bytes, **values) -> UWSGIHead:
    conn = _conn(**values)
    conn.receive_data(data)
    head = conn.next_event()
    assert isinstance(head, UWSGIHead)
    return head


def _body(conn: ServerConnection) -> bytes:
    out = b""
    while True:
        event = conn.next_event()
        if type(event) is Data:
            out += event.data
        else:
            assert type(event) is EndOfMessage
            return out


# -- the head --------------------------------------------------------------------


def test_nginx_like_packet():
    head = _head(request("POST", "/a/b", "x=1", b"hello", CONTENT_TYPE="text/plain",
                         headers=[("Host", "example.org"), ("X-Forwarded-For", "203.0.113.1"),
                                  ("Connection", "keep-alive")],
                         REMOTE_ADDR="203.0.113.1"))
    assert head.method == "POST"
    assert head.path == "/a/b" and head.query == "x=1" and head.fragment == ""
    assert head.uri == "/a/b?x=1"
    assert head.version == (1, 1)
    assert head.headers == [("HOST", "example.org"), ("X-FORWARDED-FOR", "203.0.113.1"),
                            ("CONNECTION", "keep-alive"), ("CONTENT-TYPE", "text/plain"),
                            ("CONTENT-LENGTH", "5")]
    assert head.content_length == 5 and not head.chunked and not head.expect_100
    assert head.connection == "keep-alive" and head.scheme == "http"
    assert head.uwsgi_vars["REMOTE_ADDR"] == "203.0.113.1"
    assert head.modifier1 == 0 and head.modifier2 == 0


def test_defaults_of_an_empty_packet():
    head = _head(packet())
    assert head.method == "GET" and head.path == "/" and head.uri == "/"
    assert head.query == "" and head.headers == [] and head.content_length == 0
    assert head.connection is None and head.uwsgi_vars == {}


def test_empty_content_length_and_type_mean_none():
    # nginx sends both, empty, for a request without content
    head = _head(packet({"CONTENT_LENGTH": "", "CONTENT_TYPE": "", "PATH_INFO": "/"}))
    assert head.content_length == 0 and head.headers == []


def test_modifier2_is_kept():
    assert _head(packet({"PATH_INFO": "/"}, modifier2=7)).modifier2 == 7


@pytest.mark.parametrize("value, scheme", [
    ("on", "https"), ("ON", "https"), ("1", "https"), ("true", "https"),
    ("off", "http"), ("", "http")])
def test_https_var_sets_the_scheme(value, scheme):
    assert _head(packet({"HTTPS": value})).scheme == scheme


def test_wsgi_url_scheme_var():
    assert _head(packet({"wsgi.url_scheme": "https"})).scheme == "https"
    assert _head(packet({"wsgi.url_scheme": "gopher"})).scheme == "http"


def test_underscores_become_dashes_and_cgi_body_fields_are_not_duplicated():
    head = _head(packet({"HTTP_ACCEPT_ENCODING": "gzip", "HTTP_CONTENT_LENGTH": "99",
                         "HTTP_CONTENT_TYPE": "x/y", "HTTP_TRANSFER_ENCODING": "chunked",
                         "CONTENT_LENGTH": "0"}))
    assert head.headers == [("ACCEPT-ENCODING", "gzip"), ("CONTENT-LENGTH", "0")]
    assert not head.chunked and head.content_length == 0


def test_repeated_field_vars_are_all_kept():
    head = _head(packet([("HTTP_COOKIE", "a=1"), ("HTTP_COOKIE", "b=2")]))
    assert head.headers == [("COOKIE", "a=1"), ("COOKIE", "b=2")]
    assert head.uwsgi_vars["HTTP_COOKIE"] == "b=2"


def test_connection_close_option():
    assert _head(packet({"HTTP_CONNECTION": "Keep-Alive, Close"})).connection == "close"
    assert _head(packet({"HTTP_CONNECTION": "upgrade"})).connection == "upgrade"


def test_path_info_is_re_encoded_so_one_decoding_gives_it_back():
    # nginx sends PATH_INFO decoded ($document_uri); the head's path is raw
    head = _head(packet({"PATH_INFO": "/a b/%41/\xe9", "REQUEST_URI": "/a%20b/%2541/%C3%A9"}))
    assert head.path == "/a%20b/%2541/%E9"
    assert head.uri == "/a%20b/%2541/%C3%A9"


def test_uri_without_request_uri():
    assert _head(packet({"PATH_INFO": "/p", "QUERY_STRING": "a=b"})).uri == "/p?a=b"


def test_latin1_values():
    head = _head(packet([(b"HTTP_X_NAME", b"caf\xe9")]))
    assert head.headers == [("X-NAME", "caf\xe9")]


# -- errors ------------------------------------------------------------------------


def _error(data: bytes, **values) -> BaseException:
    conn = _conn(**values)
    conn.receive_data(data)
    with pytest.raises(Exception) as info:
        conn.next_event()
    return info.value


def test_modifier1_other_than_0_is_501_from_the_first_byte():
    conn = _conn()
    conn.receive_data(b"\x05")
    with pytest.raises(UnsupportedModifier) as info:
        conn.next_event()
    assert info.value.modifier == 5 and info.value.code == 501
    assert type(info.value).status_code == 501
    # the error page closes the connection
    page = conn.send_error(info.value)
    assert page.startswith(b"HTTP/1.1 501 Not Implemented\r\n")
    assert b"Connection: close\r\n" in page
    assert not conn.keep_alive


@pytest.mark.parametrize("block, message", [
    (b"\x01", "truncated key size"),
    (b"\x05\x00PATH", "truncated key"),
    (b"\x04\x00PATH\x01", "truncated key"),
    (b"\x04\x00PATH\x05\x00/abc", "truncated value"),
    (b"\x00\x00\x01\x00x", "empty variable name"),
])
def test_inconsistent_vars_block_is_400(block, message):
    exc = _error(packet(block=block))
    assert isinstance(exc, InvalidUWSGIHeader) and exc.code == 400
    assert message in str(exc)


def test_truncated_at_every_offset_of_a_vars_block():
    pairs = [("REQUEST_METHOD", "GET"), ("PATH_INFO", "/x"), ("HTTP_HOST", "h")]
    whole = vars_block(pairs)
    # a cut between two pairs leaves a shorter valid block
    boundaries = {len(vars_block(pairs[:n])) for n in range(len(pairs) + 1)}
    for cut in range(len(whole) + 1):
        if cut in boundaries:
            assert parse_vars(whole[:cut]) == pairs[:sorted(boundaries).index(cut)]
        else:
            with pytest.raises(InvalidUWSGIHeader):
                parse_vars(whole[:cut])
        # declared as the block size, the cut block is the packet's error too
        if cut not in boundaries:
            exc = _error(packet(block=whole[:cut]))
            assert isinstance(exc, InvalidUWSGIHeader)


def test_packet_cut_at_every_offset_needs_data_then_completes():
    data = request("POST", "/p", "q=1", b"body!", headers=[("Host", "h")])
    for cut in range(len(data)):
        conn = _conn()
        if cut:
            conn.receive_data(data[:cut])
        head_len = 4 + struct.unpack_from("<H", data, 1)[0]
        event = conn.next_event()
        if cut < head_len:
            assert event is NEED_DATA, cut
            conn.receive_data(data[cut:])
            event = conn.next_event()
            assert isinstance(event, UWSGIHead)
            assert _body(conn) == b"body!"
        else:
            assert isinstance(event, UWSGIHead)
            conn.receive_data(data[cut:]) if cut < len(data) else None
            assert _body(conn) == b"body!"


def test_peer_closing_inside_a_packet_is_no_more_data():
    data = request("GET", "/")
    for cut in (1, 3, 4, len(data) - 1):
        conn = _conn()
        conn.receive_data(data[:cut])
        conn.receive_data(b"")
        with pytest.raises(NoMoreData):
            conn.next_event()


def test_peer_closing_between_packets():
    conn = _conn()
    conn.receive_data(b"")
    assert conn.next_event() is CONNECTION_CLOSED


def test_too_many_vars():
    pairs = [("V%d" % i, "") for i in range(MAX_UWSGI_VARS)]
    assert isinstance(_head(packet(pairs)), UWSGIHead)
    exc = _error(packet(pairs + [("ONE_MORE", "")]))
    assert isinstance(exc, InvalidUWSGIHeader) and "too many" in str(exc)


def test_header_vars_count_against_limit_request_fields():
    pairs = [("HTTP_X_%d" % i, "v") for i in range(10)]
    assert len(_head(packet(pairs), limit_request_fields=10).headers) == 10
    exc = _error(packet(pairs + [("HTTP_X_MORE", "v")]), limit_request_fields=10)
    assert isinstance(exc, LimitRequestHeaders) and type(exc).status_code == 431


def test_field_size_limit():
    # "X-LONG: value" as a field line: 6 + 2 + value + 2 (CRLF)
    ok = packet({"HTTP_X_LONG": "v" * 90})
    assert _head(ok, limit_request_field_size=100)
    exc = _error(packet({"HTTP_X_LONG": "v" * 91}), limit_request_field_size=100)
    assert isinstance(exc, LimitRequestHeaders)


def test_uri_limit_is_414():
    exc = _error(packet({"REQUEST_URI": "/" + "a" * 200}), limit_request_line=100)
    assert isinstance(exc, LimitRequestLine) and type(exc).status_code == 414


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", " 5", "5 ", "0x10", "1" * 19])
def test_bad_content_length_is_400(value):
    exc = _error(packet({"CONTENT_LENGTH": value}))
    assert isinstance(exc, InvalidUWSGIHeader) and "CONTENT_LENGTH" in str(exc)


def test_repeated_content_length_is_400():
    exc = _error(packet([("CONTENT_LENGTH", "1"), ("CONTENT_LENGTH", "1")]))
    assert isinstance(exc, InvalidUWSGIHeader) and "duplicate" in str(exc)


@pytest.mark.parametrize("pairs, error", [
    ({"HTTP_X_A": "a\rb"}, InvalidHeader),
    ({"HTTP_X_A": "a\x00b"}, InvalidHeader),
    ({"HTTP_X(A": "v"}, InvalidHeaderName),
    ({"HTTP_": "v"}, InvalidHeaderName),
    ({"REQUEST_METHOD": "GE T"}, InvalidRequestMethod),
    ({"REQUEST_URI": "/a\nb"}, InvalidUWSGIHeader),
    ({"QUERY_STRING": "a\r\nb"}, InvalidUWSGIHeader),
    ({"CONTENT_TYPE": "a\nb"}, InvalidHeader),
])
def test_bad_values(pairs, error):
    exc = _error(packet(pairs))
    assert isinstance(exc, error) and type(exc).status_code == 400


# -- peers -------------------------------------------------------------------------


def test_forbidden_peer_before_any_byte():
    conn = _conn(peer=("10.0.0.1", 4000))
    with pytest.raises(ForbiddenUWSGIRequest) as info:
        conn.next_event()
    assert info.value.host == "10.0.0.1" and info.value.code == 403
    assert conn.send_error(info.value).startswith(b"HTTP/1.1 403 Forbidden\r\n")


@pytest.mark.parametrize("allow, peer, allowed", [
    ("127.0.0.1,::1", ("127.0.0.1", 1), True),
    ("127.0.0.1,::1", ("::1", 1, 0, 0), True),
    ("127.0.0.1,::1", ("127.0.0.2", 1), False),
    # an exact string compare: no networks
    ("127.0.0.0/8", ("127.0.0.1", 1), False),
    ("*", ("192.0.2.1", 1), True),
    ("10.1.1.1", "/run/app.sock", True),
    ("10.1.1.1", None, True),
])
def test_uwsgi_allow_ips(allow, peer, allowed):
    conn = _conn(peer=peer, uwsgi_allow_ips=allow)
    conn.receive_data(packet({"PATH_INFO": "/"}))
    if allowed:
        assert isinstance(conn.next_event(), UWSGIHead)
    else:
        with pytest.raises(ForbiddenUWSGIRequest):
            conn.next_event()


# -- content, keep-alive, responses --------------------------------------------------


def test_body_split_over_many_feeds():
    body = bytes(range(256)) * 40
    data = request("PUT", "/up", body=body)
    conn = _conn()
    received = b""
    for i in range(0, len(data), 7):
        conn.receive_data(data[i:i + 7])
        while True:
            event = conn.next_event()
            if event is NEED_DATA:
                break
            if type(event) is Data:
                received += event.data
            elif type(event) is EndOfMessage:
                break
    assert received == body
    assert conn.next_event() is PAUSED


def test_keep_alive_second_packet_and_pipelining():
    first = request("POST", "/one", body=b"abc", headers=[("Connection", "keep-alive")])
    second = request("GET", "/two")
    conn = _conn()
    conn.receive_data(first + second)
    assert conn.next_event().path == "/one"
    assert _body(conn) == b"abc"
    out = conn.send(Response(200, [("Content-Length", "2")])) + conn.send(Data(b"ok"))
    out += conn.send(EndOfMessage())
    assert out.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"Connection: keep-alive\r\n" in out
    assert conn.keep_alive
    conn.start_next_cycle()
    head = conn.next_event()
    assert head.path == "/two" and conn.req_number == 2
    assert _body(conn) == b""


def test_unread_body_is_drained_before_the_next_packet():
    conn = _conn()
    conn.receive_data(request("POST", "/a", body=b"x" * 1000) + request("GET", "/b"))
    assert conn.next_event().path == "/a"
    conn.send(Response(200, [("Content-Length", "0")]))
    conn.send(EndOfMessage())
    conn.start_next_cycle()
    assert conn.next_event().path == "/b"


def test_connection_close_var_closes_after_the_response():
    conn = _conn()
    conn.receive_data(request("GET", "/", headers=[("Connection", "close")]))
    conn.next_event()
    out = conn.send(Response(200, [("Content-Length", "0")]))
    assert b"Connection: close\r\n" in out
    conn.send(EndOfMessage())
    assert not conn.keep_alive


def test_response_without_length_is_close_delimited_never_chunked():
    conn = _conn()
    conn.receive_data(request("GET", "/"))
    conn.next_event()
    out = conn.send(Response(200, [("Content-Type", "text/plain")]))
    assert b"Transfer-Encoding" not in out and b"Connection: close\r\n" in out
    assert conn.send(Data(b"abc")) == b"abc"
    assert conn.send(EndOfMessage([("x-trailer", "1")])) == b""
    assert not conn.keep_alive


def test_no_interim_responses():
    # nginx's uwsgi module would take a 1xx for the final response
    conn = _conn()
    conn.receive_data(request("POST", "/", body=b"abc", headers=[("Expect", "100-continue")]))
    head = conn.next_event()
    assert not head.expect_100 and not conn.client_is_waiting_for_100_continue
    assert conn.send(InformationalResponse(103, [("Link", "</a>; rel=preload")])) == b""


def test_head_parser_interface():
    parser = UWSGIHeadParser(_settings())
    data = b"junk" + packet({"PATH_INFO": "/x"}) + b"rest"
    assert parser.parse(data[:6], 4) is None
    head = parser.parse(data, 4)
    assert head.path == "/x" and data[head.end:] == b"rest"
    parser.reset()


def test_http_settings_keep_http():
    cfg = Config()
    conn = ServerConnection(settings_for(cfg), PEER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    head = conn.next_event()
    assert type(head).__name__ == "RequestHead" and head.uwsgi_vars is None
