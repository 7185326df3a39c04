"""How the blocking facade reads bodies: read sizes, read-ahead, draining, failures."""

import io
import time
import tracemalloc
from unittest import mock

import pytest

from gunicorn.config import Config
from gunicorn.http import errors as E
from gunicorn.http.body import Body, ChunkedReader, LengthReader
from gunicorn.http.parser import _DRAIN_MAX_BYTES, RequestParser
from gunicorn.http.unreader import IterUnreader, SocketUnreader


class CountingSocket:
    """A socket stand-in serving *data*, remembering each recv() size asked for."""

    def __init__(self, data):
        self.data = memoryview(data)
        self.asked = []

    def recv(self, n):
        self.asked.append(n)
        out = bytes(self.data[:n])
        self.data = self.data[n:]
        return out


def parser_for(data, **settings):
    cfg = Config()
    for k, v in settings.items():
        cfg.set(k, v)
    return RequestParser(cfg, [data] if isinstance(data, bytes) else data, None)


# ---------------------------------------------------------------- unreader


def test_socket_unreader_hint_raises_recv_size_up_to_a_cap():
    sock = CountingSocket(b"z" * (3 << 20))
    unreader = SocketUnreader(sock, max_chunk=4096)
    unreader.chunk()
    unreader.chunk(10)
    unreader.chunk(50000)
    unreader.chunk(1 << 30)
    assert sock.asked == [4096, 4096, 50000, SocketUnreader.max_body_chunk]


def test_unreader_read_ahead_keeps_the_surplus():
    unreader = IterUnreader([b"abcdefgh", b"ijkl"])
    assert unreader.read(3, 100) == b"abc"
    assert unreader.read(2) == b"de"
    unreader.unread(b"XY")
    assert unreader.take_buffered() == b"XYfgh"
    assert unreader.take_buffered() == b""
    assert unreader.read() == b"ijkl"


# ---------------------------------------------------------------- Content-Length


def test_large_body_is_read_in_few_large_recv_calls():
    payload = bytes(range(256)) * 8192          # 2 MiB
    sock = CountingSocket(payload)
    body = Body(LengthReader(SocketUnreader(sock), len(payload)))
    assert body.read() == payload
    assert len(sock.asked) <= 4


def test_piecewise_body_reads_never_reach_past_the_body():
    payload = b"p" * ((1 << 20) + 77)
    after = b"GET /next HTTP/1.1\r\n\r\n"
    sock = CountingSocket(payload + after)
    unreader = SocketUnreader(sock)
    body = Body(LengthReader(unreader, len(payload)))
    got = []
    while piece := body.read(32768):
        got.append(piece)
    assert b"".join(got) == payload
    assert sum(n for n in sock.asked) <= len(payload) + 8192
    assert unreader.read() == after


def test_whole_body_read_does_not_double_memory():
    size = 4 << 20
    body = Body(LengthReader(SocketUnreader(CountingSocket(b"m" * size)), size))
    tracemalloc.start()
    try:
        data = body.read()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(data) == size
    assert peak < 1.5 * size


def test_short_body_at_eof_is_returned_and_closes_the_connection():
    parser = parser_for(b"PUT /x HTTP/1.1\r\nContent-Length: 20\r\n\r\npartial")
    req = next(parser)
    assert req.body.read(100) == b"partial"
    assert req.body.read() == b""
    assert req.should_close()
    with pytest.raises(StopIteration):
        next(parser)


def test_length_reader_short_read_then_empty():
    reader = LengthReader(IterUnreader([b"abc", b"de"]), 10)
    assert reader.read(4) == b"abcd"
    assert reader.read(10) == b"e"
    assert reader.truncated
    assert reader.read(10) == b""


def test_small_reads_fetch_ahead_into_the_body_buffer():
    source = io.BytesIO(b"abc\ndef")
    body = Body(source)
    assert body.read(1) == b"a"
    # the rest was read ahead; later additions to the source still follow
    source.write(b"g\nh")
    source.seek(7)
    assert body.readline() == b"bc\n"
    assert body.readline() == b"defg\n"
    assert body.readline() == b"h"


# ---------------------------------------------------------------- chunked


def test_chunk_data_is_read_in_steps_as_large_as_the_chunk():
    chunk = b"c" * (200 * 1024)
    raw = (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk))
    sock = CountingSocket(raw)
    req = next(RequestParser(Config(), sock, None))
    sock.asked.clear()
    assert req.body.read() == chunk
    assert 8192 < max(sock.asked) <= len(chunk)


def _duck_request(field_size=8190, total=8190 * 32):
    req = mock.Mock()
    req.limit_request_field_size = field_size
    req.max_buffer_headers = total
    req.parse_headers.return_value = [("X-CHECK", "ok")]
    return req


def test_chunked_reader_works_for_a_duck_typed_request():
    raw = b"3;ext=1\r\nabc\r\n0\r\nX-Check: ok\r\n\r\nNEXT"
    unreader = IterUnreader([raw[i:i + 1] for i in range(len(raw))])
    req = _duck_request()
    assert Body(ChunkedReader(req, unreader)).read() == b"abc"
    req.parse_headers.assert_called_once_with(b"X-Check: ok", from_trailer=True)
    assert req.trailers == [("X-CHECK", "ok")]
    assert b"".join(iter(unreader.read, b"")) == b"NEXT"


def test_parse_chunk_size_stops_at_the_line_limit():
    reads = []
    unreader = IterUnreader(iter(lambda: reads.append(1) or b"f" * 4096, None))
    reader = ChunkedReader(_duck_request(field_size=5000), unreader)
    with pytest.raises(E.InvalidChunkSize):
        reader.parse_chunk_size(unreader)
    assert len(reads) <= 3
    assert reader.parse_chunk_size(IterUnreader([b"1a;x=y\r\nrest"])) == (26, b"rest")


def test_parse_trailers_stops_at_the_buffer_limit():
    unreader = IterUnreader(b"T" * 4096 for _ in range(100))
    reader = ChunkedReader(_duck_request(total=6000), unreader)
    with pytest.raises(E.LimitRequestHeaders):
        reader.parse_trailers(unreader, b"")


def test_trailer_errors_end_the_connection():
    raw = (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"1\r\na\r\n0\r\nHost: other\r\n\r\n"
           b"GET /smuggled HTTP/1.1\r\n\r\n")
    parser = parser_for(raw)
    req = next(parser)
    with pytest.raises(E.InvalidHeaderName):
        req.body.read()
    assert req.body.failed and req.should_close()
    assert parser.finish_body() is False
    with pytest.raises(StopIteration):
        next(parser)


# ---------------------------------------------------------------- finish_body


def _post(n):
    return b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (n, b"b" * n)


def test_finish_body_reports_a_complete_drain():
    parser = parser_for(_post(100000))
    next(parser)
    assert parser.finish_body() is True


def test_finish_body_byte_cap():
    parser = parser_for(_post(5000))
    next(parser)
    assert parser.finish_body(max_bytes=1000) is False


def test_finish_body_cap_is_the_connection_drain_limit():
    from gunicorn.http.core.connection import DRAIN_LIMIT

    # one drain policy: the connection's limit, with or without a deadline
    assert _DRAIN_MAX_BYTES == DRAIN_LIMIT
    parser = parser_for(_post(_DRAIN_MAX_BYTES * 2))
    next(parser)
    assert parser.finish_body(deadline=time.monotonic() + 30) is False
    parser = parser_for(_post(_DRAIN_MAX_BYTES * 2))
    next(parser)
    assert parser.finish_body() is False
    # iterating stops rather than read on to a pipelined request
    parser = parser_for(_post(_DRAIN_MAX_BYTES * 2) + b"GET /next HTTP/1.1\r\n\r\n")
    next(parser)
    with pytest.raises(StopIteration):
        next(parser)


def test_finish_body_passed_deadline_restores_the_socket_timeout():
    parser = parser_for(b"POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\nsome")
    next(parser)
    sock = mock.Mock()
    sock.gettimeout.return_value = 7.5
    parser.unreader.sock = sock
    assert parser.finish_body(deadline=time.monotonic() - 1) is False
    sock.settimeout.assert_called_with(7.5)


def test_finish_body_gives_up_when_tls_has_no_data_ready():
    import ssl

    parser = parser_for(_post(10))
    next(parser)
    body = mock.Mock()
    body.read.side_effect = [b"x" * 1024, ssl.SSLWantReadError()]
    parser.mesg.body = body
    assert parser.finish_body() is False
    assert [c.args[0] for c in body.read.call_args_list] == [1024, 65536]
