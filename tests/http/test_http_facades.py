"""Blocking facades: RequestParser, Request, Body readers, Unreaders, errors."""

import io
import random
import socket

import pytest

from gunicorn.config import Config
from gunicorn.http import Message, Request, RequestParser, get_parser
from gunicorn.http import errors as E
from gunicorn.http.body import Body, ChunkedReader, EOFReader, LengthReader
from gunicorn.http.message import TOKEN_RE
from gunicorn.http.unreader import IterUnreader, SocketUnreader, Unreader


def cfg_with(**kw):
    cfg = Config()
    for k, v in kw.items():
        cfg.set(k, v)
    return cfg


def chunkings(data):
    rnd = random.Random(1234)
    yield [data]
    yield [data[i:i + 1] for i in range(len(data))]
    yield [data[:1], data[1:]]
    parts, i = [], 0
    while i < len(data):
        n = rnd.randint(1, 17)
        parts.append(data[i:i + n])
        i += n
    yield parts


PIPELINE = (
    b"\r\nPOST /one?a=b HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nline1\nline2"
    b"POST /two HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4\r\nab\nc\r\n3;e=\"q\"\r\ndef\r\n0\r\nVary: *\r\n\r\n"
    b"GET /three HTTP/1.1\r\nConnection: close\r\n\r\n"
    b"GET /never HTTP/1.1\r\n\r\n"
)


@pytest.mark.parametrize("mode", ["read", "read1", "readline", "readlines", "iter"])
def test_pipeline_every_chunking(mode):
    for parts in chunkings(PIPELINE):
        reqs = []
        for req in RequestParser(cfg_with(), iter(parts), None):
            if mode == "read":
                body = req.body.read()
            elif mode == "read1":
                body = b"".join(iter(lambda r=req: r.body.read(1), b""))
            elif mode == "readline":
                body = b"".join(iter(req.body.readline, b""))
            elif mode == "readlines":
                body = b"".join(req.body.readlines())
            else:
                body = b"".join(req.body)
            reqs.append((req.method, req.path, req.query, body, req.trailers, req.req_number))
        assert reqs == [
            ("POST", "/one", "a=b", b"line1\nline2", [], 1),
            ("POST", "/two", "", b"ab\ncdef", [("VARY", "*")], 2),
            ("GET", "/three", "", b"", [], 3),
        ]


def test_unread_body_is_drained():
    data = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n"
    paths = [r.path for r in RequestParser(cfg_with(), [data], None)]
    assert paths == ["/", "/b"]


def test_clean_close_and_truncation():
    assert list(RequestParser(cfg_with(), [], None)) == []
    with pytest.raises(E.NoMoreData):
        list(RequestParser(cfg_with(), [b"GET / HTTP/1.1\r\n"], None))
    # a Content-Length body cut short by EOF is handed over as it is, and
    # the connection is not reused
    parser = RequestParser(cfg_with(), [b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nab"], None)
    req = next(parser)
    assert not req.should_close()
    assert req.body.read() == b"ab" and req.body.read() == b""
    assert req.should_close()
    assert list(parser) == []
    with pytest.raises(E.ChunkMissingTerminator):
        for req in RequestParser(cfg_with(), [b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked"
                                              b"\r\n\r\n1\r\na\r\n0\r\n"], None):
            req.body.read()


def test_should_close():
    def first(data):
        return next(iter(RequestParser(cfg_with(), [data], None)))

    assert first(b"GET / HTTP/1.0\r\n\r\n").should_close()
    assert not first(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").should_close()
    assert not first(b"GET / HTTP/1.1\r\n\r\n").should_close()
    assert first(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").should_close()
    req = first(b"GET / HTTP/1.1\r\n\r\n")
    req.force_close()
    assert req.should_close() and req.must_close


def test_request_attributes():
    req = next(RequestParser(cfg_with(), [b"POST /p?q#f HTTP/1.1\r\nExpect: 100-continue\r\n"
                                          b"Content-Length: 1\r\n\r\nx"], ("10.0.0.1", 9)))
    assert isinstance(req, Request) and isinstance(req, Message)
    assert req._expected_100_continue and req.req_number == 1
    assert req.proxy_protocol_info is None and req.limit_request_line == 4094
    assert req.scheme == "http" and req.peer_addr == ("10.0.0.1", 9)
    assert (req.uri, req.path, req.query, req.fragment) == ("/p?q#f", "/p", "q", "f")


def test_untrusted_peer_scheme():
    data = [b"GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n\r\n"]
    assert next(RequestParser(cfg_with(), data, ("10.1.1.1", 1))).scheme == "http"
    assert next(RequestParser(cfg_with(), data, ("127.0.0.1", 1))).scheme == "https"
    assert next(RequestParser(cfg_with(), data, "/tmp/sock")).scheme == "https"
    c = cfg_with(forwarded_allow_ips="10.0.0.0/8")
    assert next(RequestParser(c, data, ("10.1.1.1", 1))).scheme == "https"
    c = cfg_with(forwarded_allow_ips="*")
    assert next(RequestParser(c, data, ("8.8.8.8", 1))).scheme == "https"


def test_proxy_protocol_first_request_only():
    data = b"PROXY TCP4 1.2.3.4 5.6.7.8 10 20\r\nGET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"
    for parts in chunkings(data):
        reqs = list(RequestParser(cfg_with(proxy_protocol="v1"), iter(parts), ("127.0.0.1", 1)))
        assert [r.path for r in reqs] == ["/", "/2"]
        assert reqs[0].proxy_protocol_info["client_port"] == 10
    with pytest.raises(E.ForbiddenProxyRequest):
        list(RequestParser(cfg_with(proxy_protocol="v1"), [data], ("10.9.9.9", 1)))
    # auto mode accepts plain HTTP too
    reqs = list(RequestParser(cfg_with(proxy_protocol=True), [b"GET / HTTP/1.1\r\n\r\n"], None))
    assert reqs[0].proxy_protocol_info is None


def test_socket_unreader():
    a, b = socket.socketpair()
    try:
        b.sendall(b"GET /s HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        b.shutdown(socket.SHUT_WR)
        reqs = [(r.path, r.body.read()) for r in RequestParser(cfg_with(), a, None)]
        assert reqs == [("/s", b"abc")]
        u = SocketUnreader(a, max_chunk=4)
        assert u.mxchunk == 4
    finally:
        a.close()
        b.close()


def test_unreader_semantics():
    u = IterUnreader([b"abc", b"def", b"gh"])
    with pytest.raises(TypeError):
        u.read("1")
    assert u.read(0) == b""
    assert u.read(4) == b"abcd"
    u.unread(b"XY")
    assert u.read() == b"XYef"
    assert u.read(-1) == b"gh"
    assert u.read() == b""
    assert u.read(5) == b""
    with pytest.raises(NotImplementedError):
        Unreader().read()


def test_body_readers():
    body = Body(LengthReader(IterUnreader([b"ab\ncd", b"ef\ngh", b"rest"]), 10))
    assert body.read(0) == b""
    assert body.readline() == b"ab\n"
    assert body.readline(2) == b"cd"
    assert body.read(3) == b"ef\n"
    assert list(body) == [b"gh"]
    assert body.read() == b""
    body = Body(EOFReader(IterUnreader([b"a\nb", b"c"])))
    assert body.readlines() == [b"a\n", b"bc"]
    with pytest.raises(TypeError):
        Body(EOFReader(IterUnreader([]))).read("x")
    with pytest.raises(TypeError):
        LengthReader(IterUnreader([]), 1).read(None)
    with pytest.raises(ValueError):
        LengthReader(IterUnreader([]), 1).read(-1)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_read_never_more_than_size(size):
    data = b"x" * 37 + b"\n" + b"y" * 20
    body = Body(LengthReader(IterUnreader([data[:7], data[7:30], data[30:]]), len(data)))
    out = []
    while True:
        chunk = body.read(size)
        assert len(chunk) <= size
        if not chunk:
            break
        out.append(chunk)
    assert b"".join(out) == data


def test_chunked_reader_direct():
    req = next(RequestParser(cfg_with(), [b"GET / HTTP/1.1\r\n\r\n"], None))
    reader = ChunkedReader(req, IterUnreader([b"3\r\nabc\r\n0\r\n\r\nXX"]))
    assert b"".join(reader.parse_chunked()) == b"abc"
    assert reader.unreader.read() == b"XX"
    buf = io.BytesIO()
    reader.get_data(IterUnreader([b"q"]), buf)
    assert buf.getvalue() == b"q"


def test_get_parser():
    assert isinstance(get_parser(cfg_with(), [], None), RequestParser)


def test_token_re():
    assert TOKEN_RE.fullmatch("X-Foo_1")
    assert not TOKEN_RE.fullmatch("a b")


ERRORS = [
    (E.NoMoreData(b"x"), "No more data after: b'x'", 400),
    (E.ConfigurationProblem("c"), "Configuration problem: c", 500),
    (E.InvalidRequestLine("l"), "Invalid HTTP request line: 'l'", 400),
    (E.InvalidRequestMethod("m"), "Invalid HTTP method: 'm'", 400),
    (E.ExpectationFailed("e"), "Unable to comply with expectation: 'e'", 417),
    (E.InvalidHTTPVersion((2, 0)), "Invalid HTTP Version: (2, 0)", 400),
    (E.InvalidHeader("h"), "Invalid HTTP Header: 'h'", 400),
    (E.ObsoleteFolding("h"), "Obsolete line folding is unacceptable: 'h'", 400),
    (E.InvalidHeaderName("h"), "Invalid HTTP header name: 'h'", 400),
    (E.UnsupportedTransferCoding("t"), "Unsupported transfer coding: 't'", 501),
    (E.InvalidChunkSize(b"z"), "Invalid chunk size: b'z'", 400),
    (E.ChunkMissingTerminator(b"z"), "Invalid chunk terminator is not '\\r\\n': b'z'", 400),
    (E.LimitRequestLine(9, 8), "Request Line is too large (9 > 8)", 414),
    (E.LimitRequestHeaders("m"), "m", 431),
    (E.InvalidProxyLine("p"), "Invalid PROXY line: 'p'", 400),
    (E.InvalidProxyHeader("p"), "Invalid PROXY header: p", 400),
    (E.ForbiddenProxyRequest("1.2.3.4"), "Proxy request from '1.2.3.4' not allowed", 403),
    (E.InvalidSchemeHeaders(), "Contradictory scheme headers", 400),
]


@pytest.mark.parametrize("exc, text, status", ERRORS)
def test_error_shapes(exc, text, status):
    assert str(exc) == text
    assert exc.status_code == status and isinstance(exc.reason, str) and exc.reason
    if isinstance(exc, (E.InvalidRequestLine, E.InvalidProxyLine, E.InvalidProxyHeader,
                        E.ForbiddenProxyRequest, E.UnsupportedTransferCoding,
                        E.ConfigurationProblem)):
        assert exc.code == status
    assert E.ConfigurationProblem.reason == "Internal Server Error"
    assert E.UnsupportedTransferCoding.reason == "Not Implemented"


def test_read_line_and_bytes():
    req = next(RequestParser(cfg_with(), [b"GET / HTTP/1.1\r\n\r\n"], None))
    line, rest = req.read_line(IterUnreader([b"b\r\nc"]), bytearray(b"a"))
    assert (line, rest) == (b"ab", bytearray(b"c"))
    with pytest.raises(E.LimitRequestLine):
        req.read_line(IterUnreader([b"aaaaaaa"]), bytearray(), 3)
    data, rest = req.read_bytes(IterUnreader([b"xyz"]), bytearray(b"w"), 2)
    assert (data, rest) == (b"wx", bytearray(b"yz"))
