"""The URL scheme and SCRIPT_NAME of uWSGI requests.

Sans-IO through ``ServerConnection``: the scheme comes from the front end's
HTTPS / ``wsgi.url_scheme`` / REQUEST_SCHEME vars, then from
``secure_scheme_headers`` among its HTTP_* vars only when the front end is
in ``forwarded_allow_ips``; a SCRIPT_NAME var must prefix PATH_INFO.
"""

from __future__ import annotations

import pytest

from gunicorn.asgi.uwsgi import uwsgi_root_path, uwsgi_scope
from gunicorn.config import Config
from gunicorn.http.core import ServerConnection, settings_for
from gunicorn.http.core.uwsgi import UWSGIHead, uwsgi_scheme
from gunicorn.http.errors import InvalidSchemeHeaders
from gunicorn.uwsgi.errors import InvalidUWSGIHeader
from tests.uwsgi.packets import request

TRUSTED = ("127.0.0.1", 50000)
UNTRUSTED = ("192.0.2.7", 50000)
SECURE = {"X-FORWARDED-PROTOCOL": "ssl", "X-FORWARDED-PROTO": "https", "X-FORWARDED-SSL": "on"}


def _head(data: bytes, peer=TRUSTED, **values) -> UWSGIHead:
    cfg = Config()
    cfg.set("protocol", "uwsgi")
    cfg.set("uwsgi_allow_ips", "*")
    for name, value in values.items():
        cfg.set(name, value)
    conn = ServerConnection(settings_for(cfg), peer)
    conn.receive_data(data)
    head = conn.next_event()
    assert isinstance(head, UWSGIHead)
    return head


def _error(data: bytes, peer=TRUSTED) -> BaseException:
    cfg = Config()
    cfg.set("protocol", "uwsgi")
    cfg.set("uwsgi_allow_ips", "*")
    conn = ServerConnection(settings_for(cfg), peer)
    conn.receive_data(data)
    with pytest.raises(Exception) as info:
        conn.next_event()
    return info.value


@pytest.mark.parametrize("variables, scheme", [
    ({}, "http"),
    ({"HTTPS": "on"}, "https"),
    ({"HTTPS": "1", "REQUEST_SCHEME": "http"}, "https"),
    ({"REQUEST_SCHEME": "https"}, "https"),
    ({"REQUEST_SCHEME": "HTTPS"}, "https"),
    ({"REQUEST_SCHEME": "http"}, "http"),
    ({"REQUEST_SCHEME": "gopher"}, "http"),
    ({"wsgi.url_scheme": "https", "REQUEST_SCHEME": "http"}, "https"),
    ({"HTTPS": "off", "REQUEST_SCHEME": "http"}, "http"),
])
def test_scheme_from_the_front_end_vars(variables, scheme):
    assert _head(request("GET", "/", **variables)).scheme == scheme
    # the same whoever the peer is: these vars are the front end's own
    assert _head(request("GET", "/", **variables), peer=UNTRUSTED).scheme == scheme


def test_secure_scheme_header_from_a_trusted_front_end():
    # nginx behind a TLS-terminating balancer: its own scheme is http
    data = request("GET", "/", REQUEST_SCHEME="http", headers=[("X-Forwarded-Proto", "https")])
    assert _head(data).scheme == "https"
    # a UNIX-socket front end is trusted too (gunicorn's rule)
    assert _head(data, peer="/run/app.sock").scheme == "https"
    assert _head(data, peer=UNTRUSTED).scheme == "http"
    assert _head(data, peer=UNTRUSTED, forwarded_allow_ips="192.0.2.0/24").scheme == "https"
    assert _head(data, forwarded_allow_ips="10.0.0.1").scheme == "http"


def test_secure_scheme_header_value_must_match_exactly():
    data = request("GET", "/", HTTPS="on", headers=[("X-Forwarded-Proto", "http")])
    # as on HTTP/1.1: a trusted listed field decides, either way
    assert _head(data).scheme == "http"
    assert _head(data, peer=UNTRUSTED).scheme == "https"
    data = request("GET", "/", headers=[("X-Forwarded-Ssl", "on")])
    assert _head(data).scheme == "https"


def test_contradictory_secure_scheme_headers_are_400():
    data = request("GET", "/", headers=[("X-Forwarded-Proto", "https"),
                                        ("X-Forwarded-Ssl", "off")])
    exc = _error(data)
    assert isinstance(exc, InvalidSchemeHeaders) and exc.status_code == 400
    # from an untrusted front end the fields are only fields
    assert _head(data, peer=UNTRUSTED).scheme == "http"


def test_secure_scheme_headers_setting_is_honoured():
    data = request("GET", "/", headers=[("X-Scheme", "https"), ("X-Forwarded-Proto", "https")])
    head = _head(data, secure_scheme_headers={"X-Scheme": "https"})
    assert head.scheme == "https"
    head = _head(request("GET", "/", headers=[("X-Forwarded-Proto", "https")]),
                 secure_scheme_headers={})
    assert head.scheme == "http"


def test_uwsgi_scheme_function():
    assert uwsgi_scheme({}, [], {}, "https") == "https"
    assert uwsgi_scheme({"REQUEST_SCHEME": "http"}, [], {}, "https") == "http"
    assert uwsgi_scheme({}, [("X-FORWARDED-PROTO", "https")], SECURE, "http") == "https"
    assert uwsgi_scheme({}, [("X-FORWARDED-PROTO", "https")], {}, "http") == "http"
    with pytest.raises(InvalidSchemeHeaders):
        uwsgi_scheme({}, [("X-FORWARDED-PROTO", "https"), ("X-FORWARDED-PROTOCOL", "tls")],
                     SECURE, "http")


def test_script_name_must_prefix_path_info():
    head = _head(request("GET", "/app/x", SCRIPT_NAME="/app"))
    assert head.path == "/app/x" and head.uwsgi_vars["SCRIPT_NAME"] == "/app"
    exc = _error(request("GET", "/other", SCRIPT_NAME="/app"))
    assert isinstance(exc, InvalidUWSGIHeader) and exc.status_code == 400
    # an empty SCRIPT_NAME says nothing
    assert _head(request("GET", "/other", SCRIPT_NAME="")).path == "/other"


def test_asgi_root_path_from_script_name():
    assert uwsgi_root_path({}, "/setting") == "/setting"
    assert uwsgi_root_path({"SCRIPT_NAME": ""}, "/setting") == "/setting"
    assert uwsgi_root_path({"SCRIPT_NAME": "/app"}, "/setting") == "/app"
    # latin-1 text of UTF-8 octets, decoded as the scope's path is
    assert uwsgi_root_path({"SCRIPT_NAME": "/caf\xc3\xa9"}, "") == "/caf\xe9"
    scope = {"client": ("10.0.0.1", 1), "server": ("127.0.0.1", 8000), "root_path": "",
             "path": "/app/x"}
    out = uwsgi_scope(scope, {"SCRIPT_NAME": "/app", "REMOTE_ADDR": "203.0.113.9",
                              "REMOTE_PORT": "4000", "SERVER_NAME": "example.org",
                              "SERVER_PORT": "443"})
    assert out is scope
    assert scope == {"client": ("203.0.113.9", 4000), "server": ("example.org", 443),
                     "root_path": "/app", "path": "/app/x"}
