"""Sans-IO chunked decoder, PROXY prefix and RequestReader events."""

import socket
import struct

import pytest

from gunicorn.config import Config
from gunicorn.http import errors as E
from gunicorn.http.core import (
    NEED_DATA,
    ChunkedDecoder,
    Data,
    EndOfMessage,
    ParserSettings,
    RequestHead,
    RequestReader,
    parse_proxy_prefix,
)
from gunicorn.http.core.connection import CLOSED, PAUSED
from gunicorn.http.core.proxy import PP_V2_SIGNATURE


def settings(**kw):
    cfg = Config()
    for k, v in kw.items():
        cfg.set(k, v)
    return ParserSettings(cfg)


def decode(data, step=None, **kw):
    d = ChunkedDecoder(settings(**kw))
    out = b""
    if step is None:
        out = d.feed(data)
    else:
        for i in range(0, len(data), step):
            out += d.feed(data[i:i + step])
    return d, out


BODY = b"5\r\nhello\r\n6;ext=1;q=\"a b\"\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT"


@pytest.mark.parametrize("step", [None, 1, 2, 3, 7])
def test_chunked_any_split(step):
    d, out = decode(BODY, step)
    assert out == b"hello world"
    assert d.done and d.trailers == [("X-T", "1")] and d.unused == b"NEXT"


def test_no_trailers():
    d, out = decode(b"3\r\nabc\r\n0\r\n\r\n")
    assert out == b"abc" and d.done and d.trailers == []


@pytest.mark.parametrize("data, exc", [
    (b"x\r\n", E.InvalidChunkSize),
    (b"\r\n", E.InvalidChunkSize),
    (b"-1\r\n", E.InvalidChunkSize),
    (b"5 \r\nhello\r\n", E.InvalidChunkSize),
    (b"5\nhello\r\n", E.InvalidChunkSize),
    (b"1" * 17 + b"\r\n", E.InvalidChunkSize),
    (b"5;\r\n", E.InvalidChunkExtension),
    (b"5;a=\"b\r\n", E.InvalidChunkExtension),
    (b"5;a\rb\r\n", E.InvalidChunkExtension),
    (b"5;a=b c\r\n", E.InvalidChunkExtension),
    (b"5\r\nhelloXX", E.ChunkMissingTerminator),
    (b"5\r\nhello\n", E.ChunkMissingTerminator),
    (b"0\r\nContent-Length: 5\r\n\r\n", E.InvalidHeaderName),
    (b"0\r\nHost: x\r\n\r\n", E.InvalidHeaderName),
    (b"0\r\nTransfer-Encoding: chunked\r\n\r\n", E.InvalidHeaderName),
    (b"0\r\nA: b\nC: d\r\n\r\n", E.InvalidHeader),
    (b"0\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n", E.InvalidHeader),
])
def test_chunked_errors(data, exc):
    with pytest.raises(exc):
        decode(data)
    with pytest.raises(exc):
        decode(data, 1)


def test_extension_is_a_chunk_size_error():
    assert issubclass(E.InvalidChunkExtension, E.InvalidChunkSize)


def test_chunk_line_limit():
    with pytest.raises(E.InvalidChunkSize):
        decode(b"5;" + b"a" * 100, limit_request_field_size=50)


def test_trailer_limits():
    with pytest.raises(E.LimitRequestHeaders):
        decode(b"0\r\n" + b"A: b\r\n" * 5 + b"\r\n", limit_request_fields=4)


@pytest.mark.parametrize("data, exc", [
    (b"5\r\nhel", E.NoMoreData),
    (b"5\r\nhello", E.ChunkMissingTerminator),
    (b"5\r\nhello\r\n0\r\n", E.ChunkMissingTerminator),
    (b"5\r\nhello\r\n0\r\nA: b\r\n", E.ChunkMissingTerminator),
])
def test_truncation(data, exc):
    d, _ = decode(data)
    with pytest.raises(exc):
        d.eof()


def test_proxy_v1():
    buf = b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n\r\n"
    info, n = parse_proxy_prefix(buf, "auto", True)
    assert info == {"proxy_protocol": "TCP4", "client_addr": "192.168.0.1", "client_port": 56324,
                    "proxy_addr": "192.168.0.11", "proxy_port": 443}
    assert buf[n:].startswith(b"GET")
    assert parse_proxy_prefix(b"PROX", "v1", True) is None
    assert parse_proxy_prefix(b"GET / HTTP/1.1\r\n", "auto", True) == (None, 0)


@pytest.mark.parametrize("line", [
    b"PROXY UNKNOWN\r\n", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
    b"PROXY TCP4 1.2.3.999 5.6.7.8 1 2\r\n", b"PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",
    b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", b"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
])
def test_proxy_v1_bad(line):
    with pytest.raises(E.InvalidProxyLine):
        parse_proxy_prefix(line, "v1", True)


def test_proxy_forbidden():
    with pytest.raises(E.ForbiddenProxyRequest) as exc:
        parse_proxy_prefix(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "auto", False, "10.0.0.1")
    assert exc.value.status_code == 403


def v2(cmd=0x21, fam=0x11, addr=None):
    if addr is None:
        addr = socket.inet_pton(socket.AF_INET, "10.0.0.1") + socket.inet_pton(
            socket.AF_INET, "10.0.0.2") + struct.pack(">HH", 1234, 80)
    return PP_V2_SIGNATURE + bytes([cmd, fam]) + struct.pack(">H", len(addr)) + addr


def test_proxy_v2():
    data = v2() + b"GET / HTTP/1.1\r\n\r\n"
    info, n = parse_proxy_prefix(data, "v2", True)
    assert info["proxy_protocol"] == "TCP4" and info["client_port"] == 1234
    assert data[n:] == b"GET / HTTP/1.1\r\n\r\n"
    assert parse_proxy_prefix(data[:20], "v2", True) is None
    info, _ = parse_proxy_prefix(v2(cmd=0x20, addr=b""), "auto", True)
    assert info["proxy_protocol"] == "LOCAL" and info["client_addr"] is None
    with pytest.raises(E.InvalidProxyHeader):
        parse_proxy_prefix(v2(cmd=0x11), "v2", True)
    with pytest.raises(E.InvalidProxyHeader):
        parse_proxy_prefix(v2(fam=0x12), "v2", True)
    assert E.InvalidProxyHeader("x").status_code == 400


def drain(reader):
    events = []
    while True:
        ev = reader.next_event()
        if ev is NEED_DATA or ev is PAUSED or ev is CLOSED:
            return events, ev
        events.append(ev)


def test_reader_events_pipelined():
    r = RequestReader(settings())
    r.receive_data(b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcPOST /b HTTP/1.1\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nT: 1\r\n\r\n")
    events, last = drain(r)
    assert last is PAUSED
    assert isinstance(events[0], RequestHead) and events[0].path == "/a"
    assert events[1:] == [Data(b"abc"), EndOfMessage([])]
    r.start_next_request()
    events, last = drain(r)
    assert events[0].path == "/b" and events[1:] == [Data(b"x"), EndOfMessage([("T", "1")])]
    r.start_next_request()
    assert r.next_event() is NEED_DATA
    r.receive_data(b"")
    assert r.next_event() is CLOSED


def test_reader_byte_by_byte_with_proxy():
    r = RequestReader(settings(proxy_protocol="v1"), ("127.0.0.1", 1))
    data = b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
    body = b""
    seen = []
    for i in range(len(data)):
        r.receive_data(data[i:i + 1])
        events, _ = drain(r)
        seen += events
    body = b"".join(e.data for e in seen if isinstance(e, Data))
    assert body == b"hi" and isinstance(seen[-1], EndOfMessage)
    assert r.proxy_protocol_info["client_addr"] == "1.2.3.4"


def test_reader_truncated():
    r = RequestReader(settings())
    r.receive_data(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
    drain(r)
    r.receive_data(b"")
    with pytest.raises(E.NoMoreData):
        drain(r)
