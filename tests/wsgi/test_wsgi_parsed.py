"""WSGI adapter tests over requests parsed by RequestParser with a real Config."""

from __future__ import annotations

import socket

import pytest

from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.errors import ConfigurationProblem
from gunicorn.http.parser import RequestParser
from tests.wsgi.wsgi_helpers import dechunk, split_head

PEER = ("127.0.0.1", 40000)
LISTENER = ("127.0.0.1", 8000)


def parse(data: bytes, cfg: Config | None = None, peer=PEER):
    cfg = cfg or Config()
    parser = RequestParser(cfg, iter([data]), peer)
    return next(parser), parser, cfg


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.settimeout(5)
    b.settimeout(5)
    yield a, b
    a.close()
    b.close()


def drain(b):
    chunks = []
    while True:
        data = b.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def test_environ_from_parsed_request(pair):
    a, b = pair
    req, _, cfg = parse(
        b"GET /x%2Fy/%C3%A9?q=1&r=2 HTTP/1.1\r\nHost: example.org\r\nContent-Type: a/b\r\n"
        b"X-Multi: 1\r\nX-Multi: 2\r\nUser-Agent: t\r\n\r\n"
    )
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    assert env["REQUEST_METHOD"] == "GET"
    assert env["RAW_URI"] == "/x%2Fy/%C3%A9?q=1&r=2"
    assert env["PATH_INFO"] == "/x/y/\u00c3\u00a9"
    assert env["QUERY_STRING"] == "q=1&r=2"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["HTTP_HOST"] == "example.org"
    assert env["CONTENT_TYPE"] == "a/b"
    assert env["HTTP_X_MULTI"] == "1,2"
    assert env["HTTP_USER_AGENT"] == "t"
    assert env["wsgi.input"] is req.body
    assert env["wsgi.input"].read() == b""
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multiprocess"] is False
    assert env["SERVER_SOFTWARE"] == "gunicorn/25.0.3"


def test_secure_scheme_header_from_trusted_peer(pair):
    a, _ = pair
    req, _, cfg = parse(b"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n\r\n")
    _, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    assert env["wsgi.url_scheme"] == "https"


def test_script_name_header_from_trusted_peer(pair, monkeypatch):
    monkeypatch.delenv("SCRIPT_NAME", raising=False)
    a, _ = pair
    req, _, cfg = parse(b"GET /mnt/app/x HTTP/1.1\r\nHost: h\r\nSCRIPT_NAME: /mnt/app\r\n\r\n")
    _, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    assert env["SCRIPT_NAME"] == "/mnt/app"
    assert env["PATH_INFO"] == "/x"


def test_script_name_header_mismatch(pair):
    a, _ = pair
    req, _, cfg = parse(b"GET /other HTTP/1.1\r\nHost: h\r\nSCRIPT_NAME: /mnt\r\n\r\n")
    with pytest.raises(ConfigurationProblem):
        wsgi.create(req, a, PEER, LISTENER, cfg)


@pytest.mark.parametrize("peer", [PEER, ("10.9.8.7", 40000)])
def test_hyphenated_script_name_field_is_not_script_name(pair, monkeypatch, peer):
    # "Script-Name" is an ordinary field any client may send: it shows up as
    # HTTP_SCRIPT_NAME but must never set SCRIPT_NAME (nor cause a 500).
    monkeypatch.delenv("SCRIPT_NAME", raising=False)
    a, _ = pair
    req, _, cfg = parse(b"GET /x HTTP/1.1\r\nHost: h\r\nScript-Name: /mnt\r\n\r\n", peer=peer)
    _, env = wsgi.create(req, a, peer, LISTENER, cfg)
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/x"
    assert env["HTTP_SCRIPT_NAME"] == "/mnt"


def test_proxy_protocol_v1_environ(pair):
    a, _ = pair
    cfg = Config()
    cfg.set("proxy_protocol", "v1")
    req, _, cfg = parse(
        b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", cfg
    )
    _, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    assert env["PROXY_PROTOCOL"] == "TCP4"
    assert env["REMOTE_ADDR"] == "192.0.2.10"
    assert env["REMOTE_PORT"] == "56324"
    assert env["PROXY_ADDR"] == "198.51.100.1"
    assert env["PROXY_PORT"] == "443"


def test_chunked_request_body_and_response(pair):
    a, b = pair
    req, _, cfg = parse(
        b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    body = env["wsgi.input"].read()
    assert body == b"hello world"
    resp.start_response("200 OK", [("Content-Type", "text/plain")])
    resp.write(body)
    resp.close()
    assert not resp.should_close()
    a.shutdown(socket.SHUT_WR)
    status, h, _, rest = split_head(drain(b))
    assert status == "HTTP/1.1 200 OK"
    assert h["transfer-encoding"] == "chunked"
    assert dechunk(rest) == (b"hello world", b"")


def test_http10_request_closes(pair):
    a, b = pair
    req, _, cfg = parse(b"GET / HTTP/1.0\r\n\r\n")
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.0"
    resp.start_response("200 OK", [])
    resp.write(b"x")
    resp.close()
    a.shutdown(socket.SHUT_WR)
    status, h, _, body = split_head(drain(b))
    assert status == "HTTP/1.0 200 OK"
    assert h["connection"] == "close"
    assert body == b"x"


def test_connection_close_request(pair):
    a, _ = pair
    req, _, cfg = parse(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    resp, _ = wsgi.create(req, a, PEER, LISTENER, cfg)
    resp.start_response("200 OK", [("Content-Length", "0")])
    assert resp.should_close()


def test_expect_continue_lazy_with_real_body(pair):
    a, b = pair
    req, parser, cfg = parse(
        b"PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata"
    )
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(10)
    b.setblocking(True)
    assert env["wsgi.input"].read(2) == b"da"
    assert b.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert env["wsgi.input"].read() == b"ta"
    resp.start_response("201 Created", [("Content-Length", "0")])
    resp.close()
    assert not resp.should_close()
    assert b.recv(1000).startswith(b"HTTP/1.1 201 Created\r\n")


def test_expect_continue_unread_closes(pair):
    a, b = pair
    req, parser, cfg = parse(
        b"PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
    )
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    resp.start_response("413 Content Too Large", [("Content-Length", "0")])
    resp.close()
    assert resp.should_close()
    assert req.should_close()
    data = b.recv(1000)
    assert data.startswith(b"HTTP/1.1 413 Content Too Large\r\n")
    assert b"Connection: close\r\n" in data
    assert b"100 Continue" not in data
    # the parser does not try to read the held-back body as the next request
    with pytest.raises(StopIteration):
        next(parser)


def test_expect_ignored_on_http10(pair):
    a, b = pair
    req, _, cfg = parse(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx")
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    assert env["wsgi.input"].read() == b"x"
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(10)


def test_early_hints_http10_skipped(pair):
    a, b = pair
    req, _, cfg = parse(b"GET / HTTP/1.0\r\n\r\n")
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    env["wsgi.early_hints"]([("Link", "</a>; rel=preload")])
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(10)


def test_sendfile_setting_from_config(tmp_path, pair):
    a, b = pair
    path = tmp_path / "f.bin"
    path.write_bytes(b"z" * 3000)
    cfg = Config()
    cfg.set("sendfile", False)
    req, _, cfg = parse(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", cfg)
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    assert not resp.can_sendfile()
    with open(path, "rb") as f:
        assert resp.sendfile(env["wsgi.file_wrapper"](f)) is False
    cfg2 = Config()
    req2, _, cfg2 = parse(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", cfg2)
    resp2, _ = wsgi.create(req2, a, PEER, LISTENER, cfg2)
    assert resp2.can_sendfile()


def test_short_body_raises_in_the_server_but_not_in_the_parser(pair):
    from gunicorn.http.errors import ClientDisconnected

    a, b = pair
    data = b"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"
    # the parser alone hands over what arrived (gunicorn's documented behaviour)
    req, _, _ = parse(data)
    assert req.body.read() == b"abc" and req.should_close()
    # in the server wsgi.input raises: the message is incomplete (RFC 9112 section 8)
    req, _, cfg = parse(data)
    resp, env = wsgi.create(req, a, PEER, LISTENER, cfg)
    with pytest.raises(ClientDisconnected):
        env["wsgi.input"].read()
    with pytest.raises(ClientDisconnected):
        env["wsgi.input"].read(1)  # every later read fails too, never a short b""
    assert req.should_close() and resp.should_close()


def test_empty_first_write_sends_the_head_at_once(pair):
    a, b = pair
    req, _, cfg = parse(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    resp, _ = wsgi.create(req, a, PEER, LISTENER, cfg)
    resp.start_response("200 OK", [("Content-Type", "text/event-stream")])
    resp.write(b"")
    # a streaming application flushes its head with an empty write
    head = b.recv(4096)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    resp.write(b"data: 1\n\n")
    assert b.recv(4096) == b"9\r\ndata: 1\n\n\r\n"
    resp.close()
    assert b.recv(4096) == b"0\r\n\r\n"


def test_create_with_a_stream_and_pipelined_keep_alive(pair):
    from gunicorn.http.stream import HTTP1Stream

    a, b = pair
    cfg = Config()
    parser = RequestParser(cfg, iter([b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"]),
                           PEER)
    for path in ("/1", "/2"):
        req = next(parser)
        stream = HTTP1Stream(req.connection, a)
        resp, env = wsgi.create(req, stream, PEER, LISTENER, cfg)
        assert env["gunicorn.socket"] is a and resp.stream is stream and env["PATH_INFO"] == path
        resp.start_response("200 OK", [("Content-Length", "1")])
        resp.write(path[1:].encode())
        resp.close()
        assert not resp.should_close() and stream.keep_alive
    a.shutdown(socket.SHUT_WR)
    out = drain(b)
    assert out.count(b"HTTP/1.1 200 OK\r\n") == 2 and out.endswith(b"\r\n\r\n2")
    with pytest.raises(StopIteration):
        next(parser)
