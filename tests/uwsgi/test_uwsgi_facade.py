"""The public names of gunicorn.uwsgi (gunicorn 25.0 surface) as thin
facades over the sans-IO packet parser: blocking requests from iterables,
``get_parser``, the error classes, the environ and scope mapping."""

from __future__ import annotations

import io

import pytest

from gunicorn import http
from gunicorn.asgi.uwsgi import uwsgi_addresses
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.errors import NoMoreData, ParseException
from gunicorn.http.unreader import IterUnreader
from gunicorn.http.wsgi_environ import InvalidScriptName
from gunicorn.uwsgi import (
    ForbiddenUWSGIRequest,
    InvalidUWSGIHeader,
    UnsupportedModifier,
    UWSGIParseException,
    UWSGIParser,
    UWSGIRequest,
)
from gunicorn.uwsgi.message import uwsgi_environ
from tests.uwsgi.packets import packet, request

PEER = ("127.0.0.1", 40000)


class PlainConfig:
    """A configuration double without ``protocol`` (as upstream tests use)."""

    is_ssl = False
    limit_request_line = 4094
    limit_request_fields = 100
    limit_request_field_size = 8190
    uwsgi_allow_ips = ["127.0.0.1", "::1"]
    forwarded_allow_ips = ["127.0.0.1"]
    secure_scheme_headers = {}
    workers = 1
    errorlog = "-"


def _cfg() -> Config:
    cfg = Config()
    cfg.set("protocol", "uwsgi")
    return cfg


def test_errors():
    assert issubclass(UWSGIParseException, Exception)
    assert issubclass(UWSGIParseException, ParseException)
    exc = InvalidUWSGIHeader("truncated value")
    assert (exc.code, type(exc).status_code, type(exc).reason) == (400, 400, "Bad Request")
    assert exc.msg == "truncated value" and "truncated value" in str(exc)
    assert InvalidUWSGIHeader().msg == ""
    exc = UnsupportedModifier(5)
    assert (exc.code, exc.modifier, type(exc).status_code) == (501, 5, 501)
    assert type(exc).reason == "Not Implemented"
    exc = ForbiddenUWSGIRequest("10.0.0.1")
    assert (exc.code, exc.host, type(exc).status_code, type(exc).reason) == (
        403, "10.0.0.1", 403, "Forbidden")
    for cls in (InvalidUWSGIHeader, UnsupportedModifier, ForbiddenUWSGIRequest):
        assert issubclass(cls, UWSGIParseException)
        assert cls.__module__ == "gunicorn.uwsgi.errors"


def test_get_parser_picks_uwsgi():
    parser = http.get_parser(_cfg(), iter([]), PEER)
    assert type(parser) is UWSGIParser and parser.mesg_class is UWSGIRequest
    assert type(http.get_parser(Config(), iter([]), PEER)).__name__ == "RequestParser"


def test_request_from_an_iterable_in_small_pieces():
    data = request("POST", "/p", "a=1", b"hello world", headers=[("Host", "h")],
                   HTTPS="on") + request("GET", "/next", headers=[("Connection", "close")])
    pieces = [data[i:i + 3] for i in range(0, len(data), 3)]
    parser = UWSGIParser(_cfg(), pieces, PEER)
    first = next(parser)
    assert isinstance(first, UWSGIRequest)
    assert (first.method, first.path, first.query, first.uri) == ("POST", "/p", "a=1", "/p?a=1")
    assert first.version == (1, 1) and first.scheme == "https"
    assert first.uwsgi_vars["HTTPS"] == "on" and first.modifier1 == 0 and first.modifier2 == 0
    assert ("HOST", "h") in first.headers
    assert first.body.read() == b"hello world"
    assert first.req_number == 1 and not first.should_close()
    second = next(parser)
    assert second.path == "/next" and second.req_number == 2 and second.should_close()
    assert second.body.read() == b""
    with pytest.raises(StopIteration):
        next(parser)


def test_unread_body_is_skipped_by_the_parser():
    data = request("POST", "/a", body=b"x" * 5000) + request("GET", "/b")
    parser = UWSGIParser(_cfg(), [data], PEER)
    assert next(parser).path == "/a"
    assert next(parser).path == "/b"


def test_configuration_without_the_protocol_setting():
    req = UWSGIRequest(PlainConfig(), IterUnreader([packet({"PATH_INFO": "/x"})]), PEER)
    assert req.path == "/x" and req.method == "GET" and req.uri == "/x"


def test_forbidden_before_reading():
    class Unreadable:
        def read(self, *args):
            raise AssertionError("nothing may be read from a forbidden peer")

        def unread(self, data):
            raise AssertionError("nothing may be read from a forbidden peer")

    with pytest.raises(ForbiddenUWSGIRequest) as info:
        UWSGIRequest(_cfg(), Unreadable(), ("192.0.2.1", 1))
    assert info.value.host == "192.0.2.1"


def test_errors_from_the_facade():
    with pytest.raises(UnsupportedModifier):
        UWSGIRequest(_cfg(), IterUnreader([b"\x01\x00\x00\x00"]), PEER)
    with pytest.raises(InvalidUWSGIHeader):
        UWSGIRequest(_cfg(), IterUnreader([packet(block=b"\x09\x00abc")]), PEER)
    with pytest.raises(NoMoreData):
        UWSGIRequest(_cfg(), IterUnreader([packet({"PATH_INFO": "/"})[:5]]), PEER)
    with pytest.raises(StopIteration):
        UWSGIRequest(_cfg(), IterUnreader([]), PEER)


def test_wsgi_environ_of_a_uwsgi_request():
    data = request("GET", "/app/a%b", "q=1", headers=[("Host", "example.org"), ("X-Id", "7")],
                   REMOTE_ADDR="203.0.113.5", REMOTE_PORT="6000", SERVER_NAME="example.org",
                   SERVER_PORT="443", HTTPS="on", SCRIPT_NAME="/app", DOCUMENT_ROOT="/srv",
                   REQUEST_SCHEME="https")
    cfg = _cfg()
    req = UWSGIRequest(cfg, IterUnreader([data + b"\xff" * 0]), PEER)
    resp, environ = wsgi.create(req, io.BytesIO(), PEER, ("127.0.0.1", 8000), cfg)
    assert environ["REMOTE_ADDR"] == "203.0.113.5" and environ["REMOTE_PORT"] == "6000"
    assert environ["SERVER_NAME"] == "example.org" and environ["SERVER_PORT"] == "443"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["SCRIPT_NAME"] == "/app" and environ["PATH_INFO"] == "/a%b"
    assert environ["QUERY_STRING"] == "q=1" and environ["RAW_URI"] == "/app/a%b?q=1"
    assert environ["DOCUMENT_ROOT"] == "/srv" and environ["REQUEST_URI"] == "/app/a%b?q=1"
    assert environ["HTTP_HOST"] == "example.org" and environ["HTTP_X_ID"] == "7"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert "CONTENT_TYPE" not in environ and "CONTENT_LENGTH" not in environ


def test_uwsgi_environ_never_overrides_server_keys():
    environ = {"REQUEST_METHOD": "GET", "wsgi.input": "kept", "REMOTE_ADDR": "127.0.0.1",
               "SERVER_PROTOCOL": "HTTP/1.1"}
    assert not uwsgi_environ(environ, {
        "REQUEST_METHOD": "POST", "wsgi.input": "x", "gunicorn.socket": "x",
        "HTTP_HOST": "h", "CONTENT_LENGTH": "5", "REMOTE_ADDR": "", "SERVER_PROTOCOL": "HTTP/2",
        "UWSGI_SCHEME": "https", "PATH_INFO": "/p"})
    assert environ == {"REQUEST_METHOD": "GET", "wsgi.input": "kept", "REMOTE_ADDR": "127.0.0.1",
                       "SERVER_PROTOCOL": "HTTP/1.1", "UWSGI_SCHEME": "https"}


def test_script_name_var():
    environ = {}
    assert uwsgi_environ(environ, {"SCRIPT_NAME": "/my app", "PATH_INFO": "/my app/caf\xe9"})
    assert environ == {"SCRIPT_NAME": "/my app", "PATH_INFO": "/caf\xe9"}
    with pytest.raises(InvalidScriptName) as info:
        uwsgi_environ({}, {"SCRIPT_NAME": "/app", "PATH_INFO": "/other"})
    assert type(info.value).status_code == 400


def test_asgi_addresses():
    vars_ = {"REMOTE_ADDR": "203.0.113.5", "REMOTE_PORT": "6000",
             "SERVER_NAME": "example.org", "SERVER_PORT": "443"}
    assert uwsgi_addresses(vars_, ("127.0.0.1", 1), ("127.0.0.1", 2)) == (
        ("203.0.113.5", 6000), ("example.org", 443))
    assert uwsgi_addresses({}, ("127.0.0.1", 1), "/sock") == (("127.0.0.1", 1), "/sock")
    assert uwsgi_addresses({"REMOTE_ADDR": "::1", "REMOTE_PORT": "x"}, None, None) == (
        ("::1", 0), None)
