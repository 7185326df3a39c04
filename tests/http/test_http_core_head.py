"""Sans-IO head parsing: request-line, fields, framing, policy (no sockets)."""

import pytest

from gunicorn.config import Config
from gunicorn.http import errors as E
from gunicorn.http.core import HeadParser, ParserSettings


def make(trusted=True, **settings):
    cfg = Config()
    for k, v in settings.items():
        cfg.set(k, v)
    return HeadParser(ParserSettings(cfg), trusted)


def parse(data, trusted=True, **settings):
    head = make(trusted, **settings).parse(data)
    assert head is not None
    return head


def test_simple_get():
    h = parse(b"GET /a/b?x=1#frag HTTP/1.1\r\nHost: example.com\r\nX-A:  v  \r\n\r\nrest")
    assert (h.method, h.uri, h.path, h.query, h.fragment) == (
        "GET", "/a/b?x=1#frag", "/a/b", "x=1", "frag")
    assert h.version == (1, 1)
    assert h.headers == [("HOST", "example.com"), ("X-A", "v")]
    assert h.end == len(b"GET /a/b?x=1#frag HTTP/1.1\r\nHost: example.com\r\nX-A:  v  \r\n\r\n")
    assert h.content_length == 0 and not h.chunked and h.scheme == "http"


def test_incomplete_returns_none():
    p = make()
    assert p.parse(b"GET / HTTP/1.1\r\nHost: x\r\n") is None
    assert p.parse(b"GET / HT") is None


def test_double_slash_is_path():
    h = parse(b"GET //host/p?q HTTP/1.1\r\n\r\n")
    assert (h.path, h.query) == ("//host/p", "q")


def test_absolute_form():
    h = parse(b"GET http://example.com/p?q=1 HTTP/1.1\r\n\r\n")
    assert (h.path, h.query) == ("/p", "q=1")


@pytest.mark.parametrize("line", [
    b"CONNECT example.com:443 HTTP/1.1",
    b"OPTIONS * HTTP/1.1",
])
def test_special_forms(line):
    parse(line + b"\r\n\r\n")


@pytest.mark.parametrize("line", [
    b"GET example.com:443 HTTP/1.1",   # authority-form without CONNECT
    b"GET * HTTP/1.1",                 # asterisk-form without OPTIONS
    b"CONNECT /x HTTP/1.1",            # CONNECT needs authority-form
    b"GET foo/bar HTTP/1.1",           # relative reference
    b"GET /\x7f HTTP/1.1",
    b"GET /\x01 HTTP/1.1",
    b"GET /caf\xc3\xa9 HTTP/1.1",      # raw non-ASCII
    b"GET  / HTTP/1.1",
    b"GET /",
    b"GET",
])
def test_bad_request_line(line):
    with pytest.raises(E.InvalidRequestLine):
        make().parse(line + b"\r\n\r\n")


def test_connect_must_close():
    assert parse(b"CONNECT h:1 HTTP/1.1\r\n\r\n").must_close


@pytest.mark.parametrize("method", [b"get", b"GE", b"G#T", b"X" * 21])
def test_unconventional_method(method):
    with pytest.raises(E.InvalidRequestMethod):
        make().parse(method + b" / HTTP/1.1\r\n\r\n")
    h = parse(method + b" / HTTP/1.1\r\n\r\n", permit_unconventional_http_method=True)
    assert h.method == method.decode()


def test_method_token_always():
    with pytest.raises(E.InvalidRequestMethod):
        make(permit_unconventional_http_method=True).parse(b"G(T / HTTP/1.1\r\n\r\n")


def test_casefold():
    h = parse(b"get / HTTP/1.1\r\n\r\n", permit_unconventional_http_method=True,
              casefold_http_method=True)
    assert h.method == "GET"


@pytest.mark.parametrize("version", [b"HTTP/1.1 x", b"http/1.1", b"HTTP/11", b"HTTP/1.\xb9"])
def test_bad_version_syntax(version):
    with pytest.raises(E.InvalidHTTPVersion):
        make().parse(b"GET / " + version + b"\r\n\r\n")


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/0.9", b"HTTP/3.1"])
def test_unconventional_version(version):
    with pytest.raises(E.InvalidHTTPVersion) as exc:
        make().parse(b"GET / " + version + b"\r\n\r\n")
    assert isinstance(exc.value.version, tuple)
    parse(b"GET / " + version + b"\r\n\r\n", permit_unconventional_http_version=True)


def test_one_empty_line_before_request_line():
    assert parse(b"\r\nGET / HTTP/1.1\r\n\r\n").method == "GET"
    with pytest.raises(E.InvalidRequestLine):
        make().parse(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n")


def test_request_line_limit():
    with pytest.raises(E.LimitRequestLine):
        make(limit_request_line=20).parse(b"GET /" + b"a" * 30 + b" HTTP/1.1\r\n\r\n")
    # before the line terminator arrives
    with pytest.raises(E.LimitRequestLine):
        make(limit_request_line=20).parse(b"GET /" + b"a" * 30)
    parse(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", limit_request_line=0)
    assert E.LimitRequestLine(1, 2).status_code == 414


def test_bare_lf_rejected_at_once():
    with pytest.raises(E.InvalidRequestLine):
        make().parse(b"GET / HTTP/1.1\n")
    with pytest.raises(E.InvalidHeader):
        make().parse(b"GET / HTTP/1.1\r\nHost: x\n")
    with pytest.raises(E.InvalidHeader):
        make().parse(b"GET / HTTP/1.1\r\nHost: x\nA: b\r\n\r\n")


def test_bare_cr_rejected():
    with pytest.raises(E.InvalidHeader):
        make().parse(b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n")
    with pytest.raises(E.InvalidRequestLine):
        make().parse(b"GET /\r HTTP/1.1\r\n\r\n")


@pytest.mark.parametrize("value", [b"a\x00b", b"a\x01b", b"a\x7fb", b"a\x1bb"])
def test_ctl_in_value(value):
    with pytest.raises(E.InvalidHeader):
        make().parse(b"GET / HTTP/1.1\r\nX: " + value + b"\r\n\r\n")


def test_obs_text_and_htab_allowed():
    h = parse(b"GET / HTTP/1.1\r\nX: caf\xe9\tbar\r\n\r\n")
    assert h.headers == [("X", "caf\xe9\tbar")]


@pytest.mark.parametrize("line", [b"Foo Bar: x", b"Fo(o: x", b"F\xe9: x"])
def test_bad_field_name(line):
    with pytest.raises(E.InvalidHeaderName):
        make().parse(b"GET / HTTP/1.1\r\n" + line + b"\r\n\r\n")


def test_no_colon():
    with pytest.raises(E.InvalidHeader):
        make().parse(b"GET / HTTP/1.1\r\nFoo\r\n\r\n")
    with pytest.raises(E.InvalidHeader):
        make().parse(b"GET / HTTP/1.1\r\n: x\r\n\r\n")


def test_space_before_colon():
    with pytest.raises(E.InvalidHeaderName):
        make().parse(b"GET / HTTP/1.1\r\nFoo : x\r\n\r\n")
    h = parse(b"GET / HTTP/1.1\r\nFoo : x\r\n\r\n", strip_header_spaces=True)
    assert h.headers == [("FOO", "x")]


def test_obs_fold():
    data = b"GET / HTTP/1.1\r\nFoo: a\r\n  b\r\n\tc\r\nBar: d\r\n\r\n"
    with pytest.raises(E.ObsoleteFolding):
        make().parse(data)
    h = parse(data, permit_obsolete_folding=True)
    assert h.headers == [("FOO", "a b c"), ("BAR", "d")]


def test_field_limits():
    many = b"".join(b"X%d: y\r\n" % i for i in range(5))
    with pytest.raises(E.LimitRequestHeaders):
        make(limit_request_fields=4).parse(b"GET / HTTP/1.1\r\n" + many + b"\r\n")
    parse(b"GET / HTTP/1.1\r\n" + many + b"\r\n", limit_request_fields=5)
    with pytest.raises(E.LimitRequestHeaders):
        make(limit_request_field_size=20).parse(b"GET / HTTP/1.1\r\nX: " + b"a" * 30 + b"\r\n\r\n")
    # early, before the terminator
    with pytest.raises(E.LimitRequestHeaders):
        make(limit_request_field_size=20).parse(b"GET / HTTP/1.1\r\nX: " + b"a" * 30)
    parse(b"GET / HTTP/1.1\r\nX: " + b"a" * 30 + b"\r\n\r\n", limit_request_field_size=0)
    assert E.LimitRequestHeaders("x").status_code == 431


def test_max_buffer_headers():
    p = make(limit_request_fields=2, limit_request_field_size=10)
    with pytest.raises(E.LimitRequestHeaders):
        p.parse(b"GET / HTTP/1.1\r\n" + b"A: b\r\n" * 8)


@pytest.mark.parametrize("name", [b"Content-Length", b"Host", b"Content-Type"])
def test_duplicates(name):
    with pytest.raises(E.InvalidHeader):
        make().parse(b"GET / HTTP/1.1\r\n" + name + b": 1\r\n" + name + b": 1\r\n\r\n")


@pytest.mark.parametrize("value", [b"+5", b"-1", b"5,5", b"5 5", b"0x5", b"\xb2", b""])
def test_bad_content_length(value):
    with pytest.raises(E.InvalidHeader):
        make().parse(b"POST / HTTP/1.1\r\nContent-Length: " + value + b"\r\n\r\n")


def test_overlong_content_length_is_400():
    # int() raises ValueError past 4300 digits; such a length is a 400, not a 500
    with pytest.raises(E.InvalidHeader) as exc_info:
        make().parse(b"POST / HTTP/1.1\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n")
    assert exc_info.value.status_code == 400


def test_huge_content_length_still_parses():
    h = parse(b"POST / HTTP/1.1\r\nContent-Length: " + b"9" * 20 + b"\r\n\r\n")
    assert h.content_length == 10 ** 20 - 1


def test_content_length():
    h = parse(b"POST / HTTP/1.1\r\nContent-Length:  007 \r\n\r\n")
    assert h.content_length == 7


@pytest.mark.parametrize("te, chunked", [
    (b"chunked", True), (b"gzip, chunked", True), (b"identity,chunked", True),
    (b"Chunked", True), (b"gzip\t,\tchunked", True),
])
def test_te_ok(te, chunked):
    h = parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: " + te + b"\r\n\r\n")
    assert h.chunked is chunked and h.content_length is None


@pytest.mark.parametrize("te", [
    b"chunked, chunked", b"chunked, gzip", b"gzip", b"identity", b"chunked, identity",
    b"\xa0chunked",
])
def test_te_bad(te):
    with pytest.raises((E.InvalidHeader, E.UnsupportedTransferCoding)):
        make().parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: " + te + b"\r\n\r\n")


def test_te_split_fields_and_unknown():
    with pytest.raises(E.InvalidHeader):
        make().parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(E.UnsupportedTransferCoding) as exc:
        make().parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: br, chunked\r\n\r\n")
    assert exc.value.status_code == 501 and exc.value.reason == "Not Implemented"


def test_te_with_cl_and_http10():
    with pytest.raises(E.InvalidHeader):
        make().parse(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(E.InvalidHeader):
        make().parse(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")


def test_gzip_chunked_forces_close():
    assert parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").must_close


def test_expect():
    assert parse(b"POST / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n").expect_100
    assert not parse(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_100
    with pytest.raises(E.ExpectationFailed) as exc:
        make().parse(b"POST / HTTP/1.1\r\nExpect: teapot\r\n\r\n")
    assert exc.value.status_code == 417


def test_secure_scheme_headers_trusted_only():
    data = b"GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n\r\n"
    assert parse(data).scheme == "https"
    assert parse(data, trusted=False).scheme == "http"
    with pytest.raises(E.InvalidSchemeHeaders):
        make().parse(b"GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\n\r\n")


def test_header_map():
    data = b"GET / HTTP/1.1\r\nX_Foo: 1\r\nScript_Name: /app\r\nA: b\r\n\r\n"
    assert parse(data).headers == [("SCRIPT_NAME", "/app"), ("A", "b")]
    assert parse(data, trusted=False).headers == [("A", "b")]
    assert parse(data, header_map="dangerous").headers[0] == ("X_FOO", "1")
    with pytest.raises(E.InvalidHeaderName):
        make(header_map="refuse").parse(data)


def test_connection_value():
    assert parse(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").connection == "close"


def test_underscore_in_value_is_not_a_name():
    h = parse(b"GET / HTTP/1.1\r\nCookie: _ga=1\r\n\r\n", trusted=False)
    assert h.headers == [("COOKIE", "_ga=1")]
