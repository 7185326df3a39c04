"""The HTTP/1.1 stream between the connection and the WSGI adapter:
what reaches the socket, in how many writes, and the stream entry of the
WSGI runner (``WSGICall.call_stream``)."""

from __future__ import annotations

import logging
import os
import socket

import pytest

from gunicorn.config import Config
from gunicorn.http.core import ServerConnection, settings_for
from gunicorn.http.parser import RequestParser
from gunicorn.http.stream import JOIN_LIMIT, HTTP1Stream, Stream
from gunicorn.workers.base import Worker
from gunicorn.workers.wsgi_call import WSGICall


class Recorder:
    """A socket stand-in that records each sendall / sendfile / shutdown."""

    def __init__(self, timeout=None):
        self.calls = []
        self.timeout = timeout

    def sendall(self, data):
        self.calls.append(("sendall", bytes(data)))

    def gettimeout(self):
        return self.timeout

    def sendfile(self, file, offset=0, count=None):
        file.seek(offset)
        data = file.read(count)
        self.calls.append(("sendfile", data))
        return len(data)

    def shutdown(self, how):
        self.calls.append(("shutdown", how))

    @property
    def data(self):
        return b"".join(d for kind, d in self.calls if kind != "shutdown")


def stream_for(raw: bytes, sock=None):
    conn = ServerConnection(settings_for(Config()), ("127.0.0.1", 1))
    conn.receive_data(raw)
    conn.next_event()
    return HTTP1Stream(conn, sock or Recorder())


def test_is_a_stream_and_holds_the_head_for_the_first_content():
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    assert isinstance(stream, Stream) and stream.socket is stream.sock
    stream.send_head(200, [("Content-Length", "5")], "OK", 5)
    assert stream.sock.calls == []
    assert stream.send_data(b"hello") == 5
    stream.end()
    # head and content in one write; nothing for the end of a length body
    assert len(stream.sock.calls) == 1 and stream.sock.data.endswith(b"\r\n\r\nhello")
    assert stream.keep_alive


def test_head_with_first_content_in_one_write_and_counts():
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    assert stream.send_head(200, [("Content-Length", "3")], "OK", 3, data=b"abcdef") == 3
    assert stream.send_data(b"more") == 0
    stream.end()
    assert len(stream.sock.calls) == 1 and stream.sock.data.endswith(b"\r\n\r\nabc")


def test_chunked_pieces_and_end():
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    stream.send_head(200, [])
    stream.send_data(b"one")
    stream.send_data(b"")
    stream.send_data(b"two")
    stream.end([("X-Sum", "1")])
    kinds = [d for _, d in stream.sock.calls]
    assert kinds[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert kinds[1:] == [b"3\r\ntwo\r\n", b"0\r\nX-Sum: 1\r\n\r\n"]


def test_large_content_is_not_copied_into_one_write():
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    big = b"x" * (JOIN_LIMIT + 1)
    stream.send_head(200, [], data=big)
    writes = [d for _, d in stream.sock.calls]
    assert len(writes) == 3 and writes[1] is big and writes[2] == b"\r\n"
    assert writes[0].endswith(b"\r\n\r\n%X\r\n" % len(big))


def test_head_only_response_and_flush():
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    stream.send_head(204, [], end=True)
    assert len(stream.sock.calls) == 1 and stream.keep_alive
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    stream.send_head(200, [])
    stream.flush()
    assert stream.sock.data.endswith(b"chunked\r\n\r\n")


def test_sendfile_frames_and_keeps_the_crlf_for_the_next_write(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    stream.send_head(200, [])
    with open(path, "rb") as f:
        assert stream.sendfile(f, 2, 5) == 5
    stream.end()
    calls = stream.sock.calls
    assert calls[0][1].endswith(b"\r\n\r\n5\r\n") and calls[1] == ("sendfile", b"23456")
    assert calls[2] == ("sendall", b"\r\n0\r\n\r\n")


def test_no_sendfile_on_a_non_blocking_or_missing_socket(tmp_path):
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n", Recorder(timeout=0.0))
    assert not stream.can_sendfile() and stream.sendfile(None, 0, 1) is None

    class Plain:
        def sendall(self, data):
            pass

    assert not stream_for(b"GET / HTTP/1.1\r\n\r\n", Plain()).can_sendfile()


def test_short_sendfile_breaks_the_framing(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    stream.send_head(200, [("Content-Length", "10")], content_length=10)
    with open(path, "rb") as f:
        assert stream.sendfile(f, 0, 10) == 3
    stream.end()
    assert stream.sock.calls[-1] == ("sendfile", b"abc") and not stream.keep_alive


def test_continue_on_first_read_and_informational():
    stream = stream_for(b"PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")

    class Source:
        def read(self, size):
            return b"ok"[:size]

    stream.attach_source(Source())
    stream.send_informational(103, [("Link", "</a>")])
    assert stream.read(10) == b"ok"
    stream.read(10)
    assert stream.sock.data == (b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                                b"HTTP/1.1 100 Continue\r\n\r\n")
    old = stream_for(b"GET / HTTP/1.0\r\n\r\n")
    old.send_informational(103, [("Link", "</a>")])
    assert old.sock.calls == [] and old.read(5) == b""


def test_abort_and_request_close():
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    stream.send_head(200, [("Content-Length", "10")], content_length=10, data=b"12345")
    stream.abort()
    assert stream.sock.calls[-1] == ("shutdown", socket.SHUT_RDWR) and not stream.keep_alive
    stream.end()
    assert stream.sock.calls[-1][0] == "shutdown"   # nothing after an abort
    stream = stream_for(b"GET / HTTP/1.1\r\n\r\n")
    stream.request_close()
    stream.send_head(200, [("Content-Length", "0")], content_length=0, end=True)
    assert b"Connection: close\r\n" in stream.sock.data and not stream.keep_alive


def test_plan_response_before_sending():
    stream = stream_for(b"HEAD / HTTP/1.1\r\n\r\n")
    from gunicorn.http.core.framing import BODY_CHUNKED, BODY_NONE

    assert stream.plan_response(200, None) == (BODY_NONE, True)
    assert stream_for(b"GET / HTTP/1.1\r\n\r\n").response_framing(200, None) == BODY_CHUNKED


# ---------------------------------------------------------------- the WSGI runner's stream entry


class _Log:
    def __init__(self):
        self.error_log = logging.getLogger("test.wsgi_stream")
        self.lines = []

    def __getattr__(self, level):
        return lambda msg, *a, **kw: self.lines.append((level, msg % a if a else msg))

    def access(self, resp, req, environ, request_time):
        self.lines.append(("access", resp.status))


def _worker(app):
    w = Worker(1, os.getpid(), [], None, 15.0, Config(), _Log())
    w.tmp.close()
    w.wsgi = app
    return w


def test_call_stream_runs_the_application_through_the_stream():
    def app(environ, start_response):
        assert environ["gunicorn.socket"] is stream.socket
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"via ", b"stream"]

    req = next(RequestParser(Config(), iter([b"GET /s HTTP/1.1\r\nHost: h\r\n\r\n"]), None))
    stream = HTTP1Stream(req.connection, Recorder())
    w = _worker(app)
    resp = WSGICall(w).call_stream(req, stream, ("127.0.0.1", 1), ("127.0.0.1", 80),
                                   lambda resp, environ: None)
    assert resp.stream is stream and not resp.should_close()
    assert stream.sock.data.endswith(b"4\r\nvia \r\n6\r\nstream\r\n0\r\n\r\n")
    assert ("access", "200 OK") in w.log.lines


def test_call_stream_aborts_after_the_head():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "10")])
        yield b"12345"
        raise ValueError("mid-body")

    req = next(RequestParser(Config(), iter([b"GET / HTTP/1.1\r\n\r\n"]), None))
    stream = HTTP1Stream(req.connection, Recorder())
    assert WSGICall(_worker(app)).call_stream(req, stream, ("127.0.0.1", 1), ("127.0.0.1", 80),
                                              lambda resp, environ: None) is None
    assert stream.sock.calls[-1] == ("shutdown", socket.SHUT_RDWR)
    assert not stream.keep_alive


@pytest.mark.parametrize("exc", [ValueError("before"), KeyError("x")])
def test_call_stream_raises_before_the_head(exc):
    def app(environ, start_response):
        raise exc

    req = next(RequestParser(Config(), iter([b"GET / HTTP/1.1\r\n\r\n"]), None))
    stream = HTTP1Stream(req.connection, Recorder())
    with pytest.raises(type(exc)):
        WSGICall(_worker(app)).call_stream(req, stream, ("127.0.0.1", 1), ("127.0.0.1", 80), lambda r, e: None)
    assert stream.sock.calls == []
    # the worker may still answer with an error page through the connection
    assert req.connection.send_error(exc).startswith(b"HTTP/1.1 500 ")


def test_a_driver_feeding_the_connection_itself():
    """What an event loop does: it feeds the connection until a head, hands
    ``Request.from_head`` and an ``HTTP1Stream`` to a pool thread, and moves
    the connection to the next (pipelined) request afterwards."""
    from gunicorn.http.core import NEED_DATA, RequestHead
    from gunicorn.http.message import Request
    from gunicorn.http.unreader import IterUnreader

    cfg = Config()
    conn = ServerConnection(settings_for(cfg), ("127.0.0.1", 1))
    # the loop received the head and part of the body, then a pipelined head
    conn.receive_data(b"POST /a HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc")
    head = conn.next_event()
    assert isinstance(head, RequestHead)
    # the pool thread reads the rest of the body itself (blocking source)
    rest = IterUnreader([b"defGET /b HTTP/1.1\r\n\r\n"])
    req = Request.from_head(cfg, rest, ("127.0.0.1", 1), conn, head)
    sock = Recorder()

    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    w = _worker(app)
    resp = WSGICall(w).call_stream(req, HTTP1Stream(conn, sock), ("127.0.0.1", 1),
                                   ("127.0.0.1", 80), lambda r, e: None)
    assert sock.data.endswith(b"\r\n\r\nabcdef") and not resp.should_close()
    # the pipelined request came with the body's last read: it is here
    conn.start_next_cycle()
    head = conn.next_event()
    assert isinstance(head, RequestHead) and head.path == "/b"
    assert conn.next_event() is not NEED_DATA


@pytest.mark.parametrize("size", [16 * 1024, 64 * 1024, 3 * 1024 * 1024 + 7])
def test_head_and_big_content_in_gather_writes_on_a_real_socket(size):
    """A head with big content on a plain socket goes out with sendmsg (no
    copy of the content); a socket that takes only part of it at a time
    (small buffers, a timeout set) still gets every byte, in order."""
    import threading

    from gunicorn.http.stream import VECTOR_MIN

    assert size >= VECTOR_MIN
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    a.settimeout(10)  # sendmsg may then return after a partial write
    received = bytearray()

    def drain():
        while True:
            chunk = b.recv(65536)
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        conn = ServerConnection.for_request("GET", (1, 1))
        stream = HTTP1Stream(conn, a)
        body = os.urandom(size)
        taken = stream.send_head(200, [("Content-Length", str(size))], content_length=size,
                                 data=body)
        stream.end()
        assert taken == size
    finally:
        a.close()
        reader.join(10)
        b.close()
    head, _, content = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: %d" % size in head
    assert content == body
