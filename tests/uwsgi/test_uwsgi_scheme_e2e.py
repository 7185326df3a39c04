"""The scheme and SCRIPT_NAME of uWSGI requests on real servers: behind a real
nginx ``uwsgi_pass`` with the stock ``uwsgi_params`` (nginx on 127.0.0.1 is
in ``forwarded_allow_ips``), and as raw packets from 127.0.0.2 (allowed to
speak uWSGI, not trusted for forwarded fields).  The WSGI environ
(``wsgi.url_scheme``, SCRIPT_NAME, PATH_INFO) and the ASGI scope
(``scheme``, ``root_path``, ``path``) say the same."""

from __future__ import annotations

import json
import os
import socket
import textwrap
from collections.abc import Iterator

import httpx
import pytest

from tests.support.nginx import NGINX, UWSGI_PARAMS, free_port, run_nginx
from tests.support.server import run_server
from tests.uwsgi.packets import read_response, request

APP = textwrap.dedent('''
    import json

    def app(environ, start_response):
        """WSGI: the request as the application sees it."""
        info = {"scheme": environ["wsgi.url_scheme"], "root_path": environ["SCRIPT_NAME"],
                "path": environ["PATH_INFO"],
                "request_scheme": environ.get("REQUEST_SCHEME")}
        data = json.dumps(info).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(data)))])
        return [data]

    async def asgi_app(scope, receive, send):
        """ASGI: the same keys from the scope."""
        if scope["type"] != "http":
            return
        info = {"scheme": scope["scheme"], "root_path": scope["root_path"],
                "path": scope["path"], "request_scheme": None}
        data = json.dumps(info).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})
''')

HTTP_BODY = """
    upstream app_tcp {{ server 127.0.0.1:{app_port}; }}
    server {{
        listen 127.0.0.1:{port};
        location /app/ {{
            include {params};
            uwsgi_param SCRIPT_NAME /app;
            uwsgi_pass app_tcp;
        }}
        location / {{
            include {params};
            uwsgi_pass app_tcp;
        }}
    }}
"""

WORKERS = {
    "sync": ("--worker-class", "sync", "gap_uwsgi_app:app"),
    "asgi": ("--worker-class", "asgi", "gap_uwsgi_app:asgi_app"),
}

UNTRUSTED = "127.0.0.2"


@pytest.fixture(scope="module", params=sorted(WORKERS))
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[str, object, str]]:
    """(nginx base URL, server, worker)."""
    if not os.access(NGINX, os.X_OK) or not os.path.exists(UWSGI_PARAMS):
        pytest.fail("nginx (with %s) is required: run tests/install-deps.sh" % UWSGI_PARAMS)
    tmp = tmp_path_factory.mktemp("gap-uwsgi")
    (tmp / "gap_uwsgi_app.py").write_text(APP)
    worker = request.param
    with run_server("--protocol", "uwsgi", "--uwsgi-allow-from", "127.0.0.1,%s" % UNTRUSTED,
                    "--forwarded-allow-ips", "127.0.0.1", "--pythonpath", str(tmp),
                    *WORKERS[worker]) as srv:
        port = free_port()
        body = HTTP_BODY.format(app_port=srv.port, port=port, params=UWSGI_PARAMS)
        with run_nginx(str(tmp), body, {"http": port}):
            yield "http://127.0.0.1:%d" % port, srv, worker


def _via_nginx(url: str, path: str, headers=None) -> dict:
    r = httpx.get(url + path, headers=headers, timeout=20)
    assert r.status_code == 200, r.text
    return r.json()


def _raw(srv, data: bytes, source: str = UNTRUSTED) -> tuple[int, dict]:
    with socket.create_connection((srv.host, srv.port), timeout=10,
                                  source_address=(source, 0)) as sock:
        sock.sendall(data)
        status, _, body = read_response(sock)
    return status, (json.loads(body) if status == 200 else {})


def test_plain_http_through_nginx(stack):
    url, _, worker = stack
    info = _via_nginx(url, "/x")
    assert info["scheme"] == "http" and info["path"] == "/x" and info["root_path"] == ""
    if worker != "asgi":
        assert info["request_scheme"] == "http"


def test_forwarded_proto_through_a_trusted_nginx(stack):
    # nginx (127.0.0.1, trusted) passes the balancer's X-Forwarded-Proto as
    # HTTP_X_FORWARDED_PROTO; its own REQUEST_SCHEME is http
    url, _, _ = stack
    assert _via_nginx(url, "/x", {"X-Forwarded-Proto": "https"})["scheme"] == "https"
    assert _via_nginx(url, "/x", {"X-Forwarded-Ssl": "on"})["scheme"] == "https"
    assert _via_nginx(url, "/x", {"X-Forwarded-Proto": "wss"})["scheme"] == "http"


def test_contradictory_scheme_headers_through_nginx_are_400(stack):
    url, _, _ = stack
    r = httpx.get(url + "/x", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "off"},
                  timeout=20)
    assert r.status_code == 400


def test_untrusted_front_end_fields_do_not_change_the_scheme(stack):
    _, srv, _ = stack
    status, info = _raw(srv, request("GET", "/y", REQUEST_SCHEME="http",
                                     headers=[("X-Forwarded-Proto", "https")]))
    assert status == 200 and info["scheme"] == "http"
    # the front end's own vars still count
    status, info = _raw(srv, request("GET", "/y", HTTPS="on"))
    assert status == 200 and info["scheme"] == "https"
    status, info = _raw(srv, request("GET", "/y", REQUEST_SCHEME="https"))
    assert status == 200 and info["scheme"] == "https"


def test_script_name_through_nginx_wsgi(stack):
    url, _, worker = stack
    if worker == "asgi":
        pytest.skip("WSGI environ check; the ASGI scope is the next test")
    info = _via_nginx(url, "/app/a/b")
    assert info["root_path"] == "/app" and info["path"] == "/a/b"


def test_script_name_through_nginx_is_the_asgi_root_path(stack):
    url, _, worker = stack
    if worker != "asgi":
        pytest.skip("ASGI scope check; the WSGI environ is the previous test")
    info = _via_nginx(url, "/app/a/b")
    assert info["root_path"] == "/app" and info["path"] == "/app/a/b"


def test_script_name_outside_path_info_is_400(stack):
    _, srv, _ = stack
    status, _ = _raw(srv, request("GET", "/other", SCRIPT_NAME="/app"), source="127.0.0.1")
    assert status == 400
