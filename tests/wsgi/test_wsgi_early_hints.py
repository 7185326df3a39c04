"""Unit tests of wsgi.early_hints over HTTP/1.x (RFC 8297)."""

from __future__ import annotations

from unittest import mock

import pytest

from gunicorn.http.wsgi import InvalidEarlyHint, Response, _make_early_hints_callback, create
from tests.wsgi.wsgi_helpers import FakeConfig, FakeRequest, exchange


def test_one_block_then_final_response():
    def run(sock):
        resp, env = create(FakeRequest(), sock, ("127.0.0.1", 1), ("127.0.0.1", 2), FakeConfig())
        env["wsgi.early_hints"]([("Link", "</style.css>; rel=preload; as=style")])
        resp.start_response("200 OK", [("Content-Length", "2")])
        resp.write(b"ok")
        resp.close()

    raw = exchange(run)
    hint, sep, final = raw.partition(b"\r\n\r\n")
    assert hint == b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style"
    assert final.startswith(b"HTTP/1.1 200 OK\r\n")
    assert final.endswith(b"\r\n\r\nok")


def test_several_blocks_and_bytes_pairs():
    def run(sock):
        resp, env = create(FakeRequest(), sock, ("127.0.0.1", 1), ("127.0.0.1", 2), FakeConfig())
        hints = env["wsgi.early_hints"]
        hints([("Link", "</a.js>; rel=preload"), ("Link", "</b.js>; rel=preload")])
        hints([(b"Link", b"</c.css>; rel=preload")])
        resp.start_response("204 No Content", [])
        resp.close()

    raw = exchange(run)
    blocks = raw.split(b"\r\n\r\n")
    assert blocks[0] == (b"HTTP/1.1 103 Early Hints\r\nLink: </a.js>; rel=preload\r\n"
                         b"Link: </b.js>; rel=preload")
    assert blocks[1] == b"HTTP/1.1 103 Early Hints\r\nLink: </c.css>; rel=preload"
    assert blocks[2].startswith(b"HTTP/1.1 204 No Content\r\n")
    assert blocks[3] == b""


def test_noop_after_headers_sent():
    sock = mock.MagicMock()
    resp = Response(FakeRequest(), sock, FakeConfig())
    hints = _make_early_hints_callback(FakeRequest(), sock, resp)
    resp.start_response("200 OK", [])
    resp.write(b"x")
    sock.reset_mock()
    hints([("Link", "</x>")])
    assert not sock.sendall.called


@pytest.mark.parametrize("version", [(1, 0), (0, 9)])
def test_skipped_for_old_clients(version):
    sock = mock.MagicMock()
    req = FakeRequest(version=version)
    resp = Response(req, sock, FakeConfig())
    _make_early_hints_callback(req, sock, resp)([("Link", "</x>")])
    assert not sock.sendall.called


@pytest.mark.parametrize(
    "headers",
    [
        [("Link", "</x>\r\nX-Injected: 1")],
        [("Link", "a\nb")],
        [("Link", "nul\x00")],
        [("Bad Name", "v")],
        [("", "v")],
        [("Link:", "v")],
        [("Link", 5)],
        [(None, "v")],
        [("Link",)],
        ["Link: </x>"],
        [("Link", "\u0103")],
    ],
)
def test_invalid_hints_raise_before_writing(headers):
    sock = mock.MagicMock()
    req = FakeRequest()
    resp = Response(req, sock, FakeConfig())
    hints = _make_early_hints_callback(req, sock, resp)
    with pytest.raises(ValueError):
        hints([("Link", "</ok>")] + headers)
    assert not sock.sendall.called
    assert issubclass(InvalidEarlyHint, ValueError)


def test_empty_hint_list_writes_bare_103():
    # the application asked for an interim response: send one with no fields
    sock = mock.MagicMock()
    req = FakeRequest()
    hints = _make_early_hints_callback(req, sock, Response(req, sock, FakeConfig()))
    hints([])
    sock.sendall.assert_called_once_with(b"HTTP/1.1 103 Early Hints\r\n\r\n")


def test_bad_hint_errors_are_header_errors_answered_500():
    from gunicorn.http.errors import InvalidHeader, InvalidHeaderName

    sock = mock.MagicMock()
    req = FakeRequest()
    hints = _make_early_hints_callback(req, sock, Response(req, sock, FakeConfig()))
    with pytest.raises(InvalidHeaderName) as name_err:
        hints([("Bad Name", "x")])
    with pytest.raises(InvalidHeader) as value_err:
        hints([("Link", "</a>\r\nSet-Cookie: secret")])
    assert "secret" not in str(value_err.value)
    assert name_err.value.status_code == value_err.value.status_code == 500
    assert not sock.sendall.called


class _H2Conn:
    def __init__(self):
        self.sent = []

    def send_informational(self, stream_id, status, headers):
        self.sent.append((stream_id, status, headers))


class _H2Stream:
    def __init__(self, conn):
        self.stream_id = 5
        self.connection = conn
        self.response_started = False


def _h2_request(conn):
    req = FakeRequest(version=(2, 0))
    req.stream = _H2Stream(conn)
    req.priority_weight = 32
    req.priority_depends_on = 3
    return req


def test_http2_request_uses_informational_headers():
    conn = _H2Conn()
    sock = mock.MagicMock()
    req = _h2_request(conn)
    resp, env = create(req, sock, ("127.0.0.1", 1), ("127.0.0.1", 2), FakeConfig())
    env["wsgi.early_hints"]([("Link", "</a.css>; rel=preload"), (b"X-Hint", b"1")])
    assert conn.sent == [(5, 103, [("link", "</a.css>; rel=preload"), ("x-hint", "1")])]
    # never raw HTTP/1 bytes on an HTTP/2 connection
    assert not sock.sendall.called
    with pytest.raises(ValueError):
        env["wsgi.early_hints"]([("Link", "a\r\nb")])
    assert len(conn.sent) == 1
    req.stream.response_started = True
    env["wsgi.early_hints"]([("Link", "</b>")])
    assert len(conn.sent) == 1
    assert env["SERVER_PROTOCOL"] == "HTTP/2.0"
    assert env["HTTP_VERSION"] == "2"
    assert env["gunicorn.http2.priority_weight"] == 32
    assert env["gunicorn.http2.priority_depends_on"] == 3


def test_http2_request_without_connection_is_noop():
    sock = mock.MagicMock()
    req = FakeRequest(version=(2, 0), expect_continue=True)
    resp, env = create(req, sock, ("127.0.0.1", 1), ("127.0.0.1", 2), FakeConfig())
    env["wsgi.early_hints"]([("Link", "</a>")])
    assert not sock.sendall.called  # neither hints nor 100 Continue as HTTP/1 bytes
    assert env["gunicorn.http2.priority_weight"] == 16
    assert env["gunicorn.http2.priority_depends_on"] == 0
