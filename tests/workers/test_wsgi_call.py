"""WSGICall: the request/response cycle shared by the sync and gthread workers."""

import logging
import os
import socket

import pytest

from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
from gunicorn.settings import hooks
from gunicorn.workers import wsgi_call
from gunicorn.workers.base import Worker
from tests.support.client import read_until_close


class _Log:
    def __init__(self, level=logging.INFO):
        self.error_log = logging.getLogger("test.wsgi_call")
        self.error_log.setLevel(level)
        self.lines = []

    def debug(self, msg, *a, **kw):
        self.lines.append(("debug", msg % a if a else msg))

    def info(self, msg, *a, **kw):
        self.lines.append(("info", msg % a if a else msg))

    def exception(self, msg, *a, **kw):
        self.lines.append(("exception", msg % a if a else msg))

    def access(self, resp, req, environ, request_time):
        self.lines.append(("access", resp.status))


def _worker(app, cfg=None, level=logging.INFO):
    w = Worker(1, os.getpid(), [], None, 15.0, cfg or Config(), _Log(level))
    w.tmp.close()
    w.wsgi = app
    return w


def _serve(w, before_app=None, request=b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"):
    a, b = socket.socketpair()
    try:
        b.sendall(request)
        req = next(RequestParser(w.cfg, a, ("127.0.0.1", 1)))
        resp = wsgi_call.WSGICall(w)(req, a, ("127.0.0.1", 1), ("127.0.0.1", 80),
                                     before_app or (lambda resp, environ: resp.force_close()))
        a.close()
        b.settimeout(2)
        data = read_until_close(b)
    finally:
        a.close()
        b.close()
    return resp, data


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"hi"]


def test_response_written_access_logged_and_before_app_called():
    seen = []
    w = _worker(_hello)
    resp, data = _serve(w, lambda resp, environ: seen.append(environ["PATH_INFO"]) or resp.force_close())
    assert seen == ["/x"]
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"\r\n\r\nhi")
    assert resp.should_close()
    assert ("access", "200 OK") in w.log.lines


def test_default_pre_request_skipped_unless_debug():
    assert wsgi_call.WSGICall(_worker(_hello)).pre_request is not hooks.pre_request
    w = _worker(_hello, level=logging.DEBUG)
    assert wsgi_call.WSGICall(w).pre_request is hooks.pre_request
    _serve(w)
    assert ("debug", "GET /x") in w.log.lines


def test_custom_hooks_run_and_post_request_errors_are_logged():
    calls = []
    cfg = Config()
    cfg.set("pre_request", lambda worker, req: calls.append(("pre", req.path)))

    def post(worker, req, environ, resp):
        calls.append(("post", resp.status))
        raise RuntimeError("hook failed")

    cfg.set("post_request", post)
    w = _worker(_hello, cfg)
    _serve(w)
    assert calls == [("pre", "/x"), ("post", "200 OK")]
    assert ("exception", "Exception in post_request hook") in w.log.lines


def test_error_before_headers_is_raised_for_a_500():
    def broken(environ, start_response):
        raise ValueError("boom")

    with pytest.raises(ValueError):
        _serve(_worker(broken))


def test_error_after_headers_returns_none_and_cuts_the_connection():
    def half(environ, start_response):
        start_response("200 OK", [("Content-Length", "10")])
        yield b"12345"
        raise ValueError("mid-body")

    w = _worker(half)
    resp, data = _serve(w)
    assert resp is None
    assert data.endswith(b"12345")
    assert ("exception", "Error handling request") in w.log.lines


def test_peer_gone_is_raised():
    def gone(environ, start_response):
        raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(BrokenPipeError):
        _serve(_worker(gone))
