"""Unit tests of the HTTP/1.x Response writer over a socketpair."""

from __future__ import annotations

import re
import sys
from unittest import mock

import pytest

from gunicorn.http.errors import InvalidHeader, InvalidHeaderName
from gunicorn.http.wsgi import FileWrapper, InvalidResponseStatus, Response
from gunicorn.http.wsgi_response import http_date_cached
from tests.wsgi.wsgi_helpers import FakeConfig, FakeRequest, dechunk, exchange, split_head

DATE_RE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")


def respond(req, status, headers, body=(), cfg=None, file=None):
    """Run one response; return (raw bytes, Response, socket calls)."""
    holder = {}

    def run(sock):
        resp = Response(req, sock, cfg or FakeConfig())
        holder["resp"] = resp
        holder["sock"] = sock
        resp.start_response(status, headers)
        if file is not None:
            resp.write_file(file)
        for piece in body:
            resp.write(piece)
        resp.close()

    raw = exchange(run)
    return raw, holder["resp"], holder["sock"].calls


def test_content_length_response_head():
    raw, resp, calls = respond(FakeRequest(), "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")], [b"hello"])
    status, h, pairs, body = split_head(raw)
    assert status == "HTTP/1.1 200 OK"
    assert [k for k, _ in pairs][:3] == ["Server", "Date", "Connection"]
    assert h["server"] == "gunicorn"
    assert DATE_RE.fullmatch(h["date"])
    assert h["connection"] == "keep-alive"
    assert h["content-length"] == "5"
    assert "transfer-encoding" not in h
    assert body == b"hello"
    assert resp.sent == 5 and not resp.should_close()
    # head and small body in one sendall
    assert len(calls) == 1


def test_status_line_uses_request_version():
    raw, resp, _ = respond(FakeRequest(version=(1, 0)), "200 OK", [], [b"abc"])
    status, h, _, body = split_head(raw)
    assert status == "HTTP/1.0 200 OK"
    # no chunking for HTTP/1.0; close-delimited
    assert "transfer-encoding" not in h
    assert h["connection"] == "close"
    assert body == b"abc"
    assert resp.should_close()


def test_http10_keepalive_with_length():
    req = FakeRequest(version=(1, 0), close=False)
    raw, resp, _ = respond(req, "200 OK", [("Content-Length", "2")], [b"ok"])
    _, h, _, _ = split_head(raw)
    assert h["connection"] == "keep-alive"


def test_chunked_when_no_length():
    raw, resp, calls = respond(FakeRequest(), "200 OK", [], [b"hello", b"", b" world"])
    _, h, _, rest = split_head(raw)
    assert h["transfer-encoding"] == "chunked"
    assert h["connection"] == "keep-alive"
    content, after = dechunk(rest)
    assert content == b"hello world"
    assert after == b""
    assert resp.chunked and resp.sent == 11
    # the empty write was skipped: head+chunk, chunk, last-chunk
    assert len(calls) == 3


def test_chunked_empty_body():
    raw, resp, calls = respond(FakeRequest(), "200 OK", [])
    _, h, _, rest = split_head(raw)
    assert h["transfer-encoding"] == "chunked"
    assert rest == b"0\r\n\r\n"
    assert len(calls) == 1


def test_large_body_is_not_joined():
    big = b"x" * (1024 * 1024)
    raw, resp, calls = respond(FakeRequest(), "200 OK", [("Content-Length", str(len(big)))], [big])
    _, _, _, body = split_head(raw)
    assert body == big
    assert len(calls) == 2


@pytest.mark.parametrize("method,status", [("HEAD", "200 OK"), ("GET", "304 Not Modified")])
def test_no_body_keeps_content_length(method, status):
    raw, resp, _ = respond(FakeRequest(method=method), status, [("Content-Length", "5")], [b"hello"])
    _, h, _, body = split_head(raw)
    assert h["content-length"] == "5"
    assert "transfer-encoding" not in h
    assert body == b""
    assert not resp.should_close()


def test_head_without_length_is_not_chunked():
    raw, resp, _ = respond(FakeRequest(method="HEAD"), "200 OK", [], [b"hello"])
    _, h, _, body = split_head(raw)
    assert "transfer-encoding" not in h
    assert h["connection"] == "keep-alive"
    assert body == b""


def test_204_drops_length_and_body():
    raw, resp, _ = respond(FakeRequest(), "204 No Content", [("Content-Length", "5"), ("X-A", "1")], [b"hello"])
    _, h, _, body = split_head(raw)
    assert "content-length" not in h
    assert "transfer-encoding" not in h
    assert h["x-a"] == "1"
    assert body == b""
    assert not resp.should_close()


@pytest.mark.parametrize("status", ["204 No Content", "100 Continue", "199 Custom"])
def test_1xx_and_204_forget_content_length_at_start_response(status):
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    resp.start_response(status, [("Content-Length", "9"), ("X-A", "1")])
    assert resp.headers == [("X-A", "1")]
    assert resp.response_length is None and not resp.chunked and resp._omits_body


def test_content_on_a_no_body_response_warns_once(caplog):
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    resp.start_response("204 No Content", [])
    with caplog.at_level("WARNING", logger="gunicorn.http.wsgi"):
        resp.write(b"")
        resp.write(b"dropped")
        resp.write(b"again")
    assert resp.sent == 0
    assert [r.name for r in caplog.records if "no-body response" in r.getMessage()] == [
        "gunicorn.http.wsgi"]


def test_hop_by_hop_headers_dropped():
    headers = [
        ("Connection", "keep-alive"),
        ("Keep-Alive", "timeout=5"),
        ("Proxy-Authenticate", "Basic"),
        ("Proxy-Authorization", "Basic x"),
        ("TE", "trailers"),
        ("Trailers", "X-T"),
        ("Transfer-Encoding", "chunked"),
        ("Upgrade", "h2c"),
        ("Server", "evil"),
        ("Date", "yesterday"),
        ("X-Kept", "yes"),
        ("Content-Length", "2"),
    ]
    raw, resp, _ = respond(FakeRequest(), "200 OK", headers, [b"ok"])
    _, h, pairs, body = split_head(raw)
    names = [k.lower() for k, _ in pairs]
    for hop in ("keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
                "transfer-encoding", "upgrade"):
        assert hop not in names
    assert names.count("server") == 1 and h["server"] == "gunicorn"
    assert names.count("date") == 1 and h["date"] != "yesterday"
    assert names.count("connection") == 1
    assert h["x-kept"] == "yes"
    assert body == b"ok"


def test_connection_upgrade_and_websocket_kept():
    headers = [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Accept", "abc")]
    raw, resp, _ = respond(FakeRequest(), "101 Switching Protocols", headers)
    status, h, _, body = split_head(raw)
    assert status == "HTTP/1.1 101 Switching Protocols"
    assert resp.upgrade
    assert h["connection"] == "upgrade"
    assert h["upgrade"] == "websocket"
    assert "transfer-encoding" not in h
    assert body == b""


def test_connection_close_from_app_closes():
    raw, resp, _ = respond(FakeRequest(), "200 OK", [("Connection", "close"), ("Content-Length", "0")])
    _, h, _, _ = split_head(raw)
    assert h["connection"] == "close"
    assert resp.should_close()


def test_force_close():
    def run(sock):
        resp = Response(FakeRequest(), sock, FakeConfig())
        resp.start_response("200 OK", [("Content-Length", "0")])
        resp.force_close()
        resp.close()
        assert resp.should_close()

    _, h, _, _ = split_head(exchange(run))
    assert h["connection"] == "close"


def test_output_capped_at_content_length():
    raw, resp, _ = respond(FakeRequest(), "200 OK", [("Content-Length", "4")], [b"ab", b"cdef", b"gh"])
    _, _, _, body = split_head(raw)
    assert body == b"abcd"
    assert resp.sent == 4
    assert not resp.should_close()


def test_short_body_closes_connection():
    raw, resp, _ = respond(FakeRequest(), "200 OK", [("Content-Length", "10")], [b"abc"])
    assert resp.should_close()
    raw, resp, _ = respond(FakeRequest(), "200 OK", [("Content-Length", "10")])
    _, h, _, _ = split_head(raw)
    # nothing written before close(): the head itself says close
    assert h["connection"] == "close"


@pytest.mark.parametrize(
    "value",
    ["essai\r\n", "a\nb", "a\rb", "nul\x00", "del\x7f", "bell\x07", "m\u0103r"],
)
def test_invalid_header_value(value):
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(InvalidHeader) as exc_info:
        resp.start_response("200 OK", [("X-Foo", value)])
    assert exc_info.value.status_code == 500
    assert "X-Foo" in str(exc_info.value)
    assert not resp.headers_sent


def test_content_length_too_long_for_int_is_invalid_header():
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(InvalidHeader) as exc_info:
        resp.start_response("200 OK", [("Content-Length", "9" * 5000)])
    assert exc_info.value.status_code == 500
    assert not resp.headers_sent


@pytest.mark.parametrize("name", ["foo a", "foo:", "", "f\u00e9", "a\r\nb", "(x)"])
def test_invalid_header_name(name):
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(InvalidHeaderName) as exc_info:
        resp.start_response("200 OK", [(name, "v")])
    assert exc_info.value.status_code == 500


def test_obs_text_value_allowed():
    raw, resp, _ = respond(FakeRequest(), "200 OK", [("X-A", "h\u00e4der\tx"), ("Content-Length", "0")])
    _, h, _, _ = split_head(raw)
    assert h["x-a"] == "h\u00e4der\tx"


@pytest.mark.parametrize("pair", [(b"X-A", "v"), ("X-A", b"v"), ("X-A", 1), (None, "v")])
def test_non_str_header_type_error(pair):
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(TypeError):
        resp.start_response("200 OK", [pair])


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "1,1", "\u00b2", ""])
def test_invalid_content_length(value):
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(InvalidHeader):
        resp.start_response("200 OK", [("Content-Length", value)])


def test_conflicting_content_length():
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(InvalidHeader):
        resp.start_response("200 OK", [("Content-Length", "1"), ("Content-Length", "2")])
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    resp.start_response("200 OK", [("Content-Length", "2"), ("content-length", "2")])
    assert resp.response_length == 2
    assert len(resp.headers) == 1


@pytest.mark.parametrize("status", ["OK", "20 OK", "2000 OK", "200OK", "099 X", "200 OK\r\nX: y", "abc def", " 200 OK"])
def test_invalid_status(status):
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(InvalidResponseStatus) as exc_info:
        resp.start_response(status, [])
    assert exc_info.value.status_code == 500
    assert resp.status is None


def test_status_must_be_str():
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(TypeError):
        resp.start_response(b"200 OK", [])


@pytest.mark.parametrize("status,code", [("200 OK", 200), ("404", 404), ("599 Custom reason", 599), ("200 ", 200)])
def test_valid_status(status, code):
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    resp.start_response(status, [])
    assert resp.status_code == code
    assert resp.status == status


def test_start_response_twice_without_exc_info():
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    resp.start_response("200 OK", [])
    with pytest.raises(AssertionError):
        resp.start_response("200 OK", [])


def test_exc_info_before_headers_sent_replaces_response():
    def run(sock):
        resp = Response(FakeRequest(), sock, FakeConfig())
        resp.start_response("200 OK", [("X-First", "1"), ("Content-Length", "100")])
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            resp.start_response("500 Internal Server Error", [("Content-Length", "3")], sys.exc_info())
        resp.write(b"err")
        resp.close()

    status, h, _, body = split_head(exchange(run))
    assert status == "HTTP/1.1 500 Internal Server Error"
    assert "x-first" not in h
    assert h["content-length"] == "3"
    assert body == b"err"


def test_exc_info_after_headers_sent_reraises():
    def run(sock):
        resp = Response(FakeRequest(), sock, FakeConfig())
        resp.start_response("200 OK", [])
        resp.write(b"partial")
        try:
            raise KeyError("late")
        except KeyError:
            info = sys.exc_info()
        with pytest.raises(KeyError) as exc_info:
            resp.start_response("500 Internal Server Error", [], info)
        assert exc_info.value is info[1]
        resp.close()

    exchange(run)


def test_write_callable_and_type_check():
    def run(sock):
        resp = Response(FakeRequest(), sock, FakeConfig())
        write = resp.start_response("200 OK", [("Content-Length", "6")])
        with pytest.raises(TypeError):
            write("text")
        # a rejected write sends nothing, so the worker can still answer 500
        assert not resp.headers_sent
        write(b"abc")
        write(bytearray(b"def"))
        resp.close()

    _, _, _, body = split_head(exchange(run))
    assert body == b"abcdef"


@pytest.mark.parametrize(
    "method,version,status,length,chunked,close",
    [
        ("GET", (1, 1), "200 OK", None, True, False),
        ("GET", (1, 1), "200 OK", "3", False, False),
        ("GET", (1, 0), "200 OK", None, False, True),
        ("HEAD", (1, 0), "200 OK", None, False, True),  # 1.0 closes by default
        ("HEAD", (1, 1), "200 OK", None, False, False),
        ("GET", (1, 1), "204 No Content", None, False, False),
        ("GET", (1, 1), "304 Not Modified", None, False, False),
        ("GET", (1, 1), "100 Continue", None, False, False),
    ],
)
def test_should_close_and_chunked_matrix(method, version, status, length, chunked, close):
    resp = Response(FakeRequest(method=method, version=version), mock.MagicMock(), FakeConfig())
    headers = [("Content-Length", length)] if length else []
    resp.start_response(status, headers)
    assert resp.chunked is chunked
    assert resp.is_chunked() is chunked
    assert resp.should_close() is close


def test_request_should_close_wins():
    resp = Response(FakeRequest(close=True), mock.MagicMock(), FakeConfig())
    resp.start_response("200 OK", [("Content-Length", "0")])
    assert resp.should_close()


def test_defaults_before_start_response():
    resp = Response(FakeRequest(), mock.MagicMock(), None)
    assert resp.version == "gunicorn"
    assert resp.status is None and resp.status_code is None
    assert resp.headers == [] and not resp.headers_sent
    assert resp.response_length is None and resp.sent == 0
    assert not resp.chunked and not resp.must_close and not resp.upgrade
    assert resp.can_sendfile()


def test_header_encoding_with_mocked_request():
    # as in upstream tests: a latin-1 value works, a non-latin-1 one fails to encode
    sock = mock.MagicMock()
    req = mock.MagicMock()
    resp = Response(req, sock, None)
    resp.headers.append(("foo", "h\u00e4der"))
    resp.send_headers()
    assert sock.sendall.called
    resp = Response(req, sock, None)
    resp.headers.append(("apple", "m\u0103r"))
    with pytest.raises(UnicodeEncodeError):
        resp.send_headers()


def test_default_headers_shape():
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    resp.start_response("200 OK", [])
    lines = resp.default_headers()
    assert lines[0] == "HTTP/1.1 200 OK\r\n"
    assert lines[1] == "Server: gunicorn\r\n"
    assert lines[2].startswith("Date: ") and lines[2].endswith(" GMT\r\n")
    assert lines[3] == "Connection: keep-alive\r\n"
    assert lines[4] == "Transfer-Encoding: chunked\r\n"


def test_date_cached_per_second(monkeypatch):
    import gunicorn.http.wsgi_response as mod

    monkeypatch.setattr(mod.time, "time", lambda: 784111777.5)
    first = http_date_cached()
    assert first == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http_date_cached() is first
    monkeypatch.setattr(mod.time, "time", lambda: 784111778.1)
    assert http_date_cached() == "Sun, 06 Nov 1994 08:49:38 GMT"


# ---------------------------------------------------------------- sendfile


@pytest.fixture
def datafile(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 100)
    return path


def _calls_of(calls, kind):
    return [arg for name, arg in calls if name == kind]


def test_sendfile_content_length(datafile):
    data = datafile.read_bytes()
    with open(datafile, "rb") as f:
        raw, resp, calls = respond(FakeRequest(), "200 OK", [("Content-Length", str(len(data)))],
                                   file=FileWrapper(f))
    _, h, _, body = split_head(raw)
    assert body == data
    assert _calls_of(calls, "sendfile") == [(0, len(data))]
    assert resp.sent == len(data)
    assert not resp.should_close()


def test_sendfile_from_current_position_and_capped(datafile):
    data = datafile.read_bytes()
    with open(datafile, "rb") as f:
        f.seek(1000)
        raw, resp, calls = respond(FakeRequest(), "200 OK", [("Content-Length", "500")], file=FileWrapper(f))
    _, _, _, body = split_head(raw)
    assert body == data[1000:1500]
    assert _calls_of(calls, "sendfile") == [(1000, 500)]


def test_sendfile_after_buffered_read(datafile):
    data = datafile.read_bytes()
    with open(datafile, "rb") as f:
        f.read(10)  # the buffered reader read ahead; tell() is the logical position
        raw, _, calls = respond(FakeRequest(), "200 OK", [("Content-Length", str(len(data) - 10))],
                                file=FileWrapper(f))
    assert split_head(raw)[3] == data[10:]
    assert _calls_of(calls, "sendfile") == [(10, len(data) - 10)]


def test_sendfile_chunked(datafile):
    data = datafile.read_bytes()
    with open(datafile, "rb") as f:
        raw, resp, calls = respond(FakeRequest(), "200 OK", [], file=FileWrapper(f))
    _, h, _, rest = split_head(raw)
    assert h["transfer-encoding"] == "chunked"
    content, after = dechunk(rest)
    assert content == data and after == b""
    assert len(_calls_of(calls, "sendfile")) == 1


def test_sendfile_head_sends_no_body(datafile):
    with open(datafile, "rb") as f:
        raw, _, calls = respond(FakeRequest(method="HEAD"), "200 OK", [("Content-Length", "25600")],
                                file=FileWrapper(f))
    _, h, _, body = split_head(raw)
    assert body == b"" and h["content-length"] == "25600"
    assert _calls_of(calls, "sendfile") == []


@pytest.mark.parametrize("cfg", [FakeConfig(sendfile=False), FakeConfig(is_ssl=True)])
def test_sendfile_disabled_falls_back(datafile, cfg):
    data = datafile.read_bytes()
    with open(datafile, "rb") as f:
        raw, resp, calls = respond(FakeRequest(), "200 OK", [("Content-Length", str(len(data)))],
                                   cfg=cfg, file=FileWrapper(f, 4096))
    assert split_head(raw)[3] == data
    assert _calls_of(calls, "sendfile") == []
    assert len(_calls_of(calls, "sendall")) == len(data) // 4096 + 1


def test_sendfile_without_fileno_falls_back():
    import io

    raw, resp, calls = respond(FakeRequest(), "200 OK", [], file=FileWrapper(io.BytesIO(b"x" * 10000)))
    content, _ = dechunk(split_head(raw)[3])
    assert content == b"x" * 10000
    assert _calls_of(calls, "sendfile") == []


def test_sendfile_text_file_falls_back(datafile):
    datafile.write_text("hello text")
    with open(datafile, encoding="latin-1") as f:
        resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
        resp.start_response("200 OK", [])
        assert resp.sendfile(FileWrapper(f)) is False


def test_sendfile_pipe_falls_back():
    import os

    r, w = os.pipe()
    os.write(w, b"piped")
    os.close(w)
    with os.fdopen(r, "rb") as f:
        raw, _, calls = respond(FakeRequest(), "200 OK", [("Content-Length", "5")], file=FileWrapper(f))
    assert split_head(raw)[3] == b"piped"
    assert _calls_of(calls, "sendfile") == []


def test_sendfile_short_file_closes(datafile):
    with open(datafile, "rb") as f:
        raw, resp, _ = respond(FakeRequest(), "200 OK", [("Content-Length", "999999")], file=FileWrapper(f))
    assert resp.sent == 25600
    assert resp.should_close()


# ---------------------------------------------------------------- FileWrapper


def test_file_wrapper_iteration_and_close():
    import io

    f = io.BytesIO(b"abcdefg")
    fw = FileWrapper(f, 3)
    assert fw[0] == b"abc"
    assert list(fw) == [b"def", b"g"]
    with pytest.raises(IndexError):
        fw[0]
    fw.close()
    assert f.closed


def test_file_wrapper_without_close():
    class Reader:
        def read(self, n):
            return b""

    fw = FileWrapper(Reader())
    assert not hasattr(fw, "close")
    assert list(fw) == []


def test_failed_start_response_leaves_no_state():
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(InvalidHeader):
        resp.start_response("200 OK", [("Content-Length", "5"), ("Connection", "close"), ("X-Bad", "a\nb")])
    assert resp.response_length is None and not resp.must_close and resp.headers == []
    resp.start_response("200 OK", [("X-Good", "1")])
    assert resp.chunked and resp.headers == [("X-Good", "1")]


# ---------------------------------------------------------------- caches keep validating


@pytest.mark.parametrize("status", ["200 OK", "404 Not Found"])
def test_cached_status_and_names_still_validate_every_value(status):
    from gunicorn.http.errors import InvalidResponseHeader, InvalidResponseStatus

    for _ in range(2):
        resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
        resp.start_response(status, [("X-Cached", "fine")])
        assert resp.status_code == int(status[:3])
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(InvalidResponseHeader):
        resp.start_response(status, [("X-Cached", "bad\r\nX-Evil: 1")])
    for _ in range(2):
        resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
        with pytest.raises(InvalidResponseStatus):
            resp.start_response("20 OK", [])
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    with pytest.raises(TypeError):
        resp.start_response(status, [("X-Cached", 5)])


def test_custom_server_version_is_sent():
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    resp.version = "custom/1"
    resp.start_response("200 OK", [])
    assert resp.default_headers()[1] == "Server: custom/1\r\n"
