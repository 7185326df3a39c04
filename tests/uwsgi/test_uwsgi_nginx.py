"""The uWSGI protocol behind a real nginx (Debian package) ``uwsgi_pass``
with the stock ``/etc/nginx/uwsgi_params``, as deployments run it.

nginx (1.22) reads a uWSGI response up to its Content-Length, or until the
connection closes when there is none; it never reuses a uWSGI connection,
even with ``keepalive`` in the upstream block.  The server therefore frames
responses without Content-Length by closing (never chunked): these tests
check that nothing waits for nginx's ``uwsgi_read_timeout``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.client import read_until_close
from tests.support.nginx import NGINX, UWSGI_PARAMS, free_port, run_nginx
from tests.support.server import run_server

HERE = os.path.dirname(os.path.abspath(__file__))

# uwsgi_read_timeout is long on purpose: a response nginx has to wait for
# shows up as a slow test, checked against a bound far below it
HTTP_BODY = """
    client_max_body_size 20m;
    uwsgi_read_timeout 30s;
    upstream app_tcp {{ server 127.0.0.1:{app_port}; keepalive 8; }}
    upstream app_unix {{ server unix:{sock}; }}
    server {{
        listen 127.0.0.1:{port};
        location /unix/ {{
            include {params};
            uwsgi_pass app_unix;
        }}
        location /unbuffered/ {{
            include {params};
            uwsgi_buffering off;
            uwsgi_pass app_tcp;
        }}
        location /prefix/ {{
            include {params};
            uwsgi_param SCRIPT_NAME /prefix;
            uwsgi_param X_CUSTOM custom-value;
            uwsgi_pass app_tcp;
        }}
        location / {{
            include {params};
            uwsgi_param HTTP_X_FORWARDED_FOR $proxy_add_x_forwarded_for;
            uwsgi_pass app_tcp;
        }}
    }}
"""

WORKERS = {
    "sync": ("--worker-class", "sync", "apps:app"),
    "gthread": ("--worker-class", "gthread", "--threads", "4", "apps:app"),
    "gevent": ("--worker-class", "gevent", "apps:app"),
    "asgi": ("--worker-class", "asgi", "apps:asgi_app"),
}


@pytest.fixture(scope="module", params=sorted(WORKERS))
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[str, str]]:
    """(nginx base URL, worker) with the server behind nginx's uwsgi_pass."""
    if not os.access(NGINX, os.X_OK) or not os.path.exists(UWSGI_PARAMS):
        pytest.fail("nginx (with %s) is required: run tests/install-deps.sh" % UWSGI_PARAMS)
    tmp = tmp_path_factory.mktemp("nginx-uwsgi")
    sock = str(tmp / "app.sock")
    worker = request.param
    with run_server("--protocol", "uwsgi", "--bind", "unix:%s" % sock, "--workers", "2",
                    "--keep-alive", "5", "--chdir", HERE, *WORKERS[worker]) as srv:
        port = free_port()
        body = HTTP_BODY.format(app_port=srv.port, sock=sock, port=port, params=UWSGI_PARAMS)
        with run_nginx(str(tmp), body, {"http": port}):
            yield "http://127.0.0.1:%d" % port, worker


def _info(stack: tuple[str, str], response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def test_get_with_query_and_headers(stack):
    url, worker = stack
    r = httpx.get(url + "/some/path?x=1&y=%20z", headers={"X-Custom-Header": "v1"})
    info = _info(stack, r)
    if worker == "asgi":
        assert info["method"] == "GET" and info["path"] == "/some/path"
        assert info["query_string"] == "x=1&y=%20z"
        assert ["x-custom-header", "v1"] in info["headers"]
        assert ["x-forwarded-for", "127.0.0.1"] in info["headers"]
        # the client of nginx, from REMOTE_ADDR / REMOTE_PORT
        assert info["client"][0] == "127.0.0.1" and info["client"][1] > 0
        assert info["http_version"] == "1.1"
        return
    assert info["REQUEST_METHOD"] == "GET"
    assert info["PATH_INFO"] == "/some/path"
    assert info["QUERY_STRING"] == "x=1&y=%20z"
    assert info["RAW_URI"] == info["REQUEST_URI"] == "/some/path?x=1&y=%20z"
    assert info["headers"]["HTTP_X_CUSTOM_HEADER"] == "v1"
    assert info["headers"]["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert info["headers"]["HTTP_HOST"] == "127.0.0.1"
    assert info["REMOTE_ADDR"] == "127.0.0.1"
    assert info["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert info["wsgi.url_scheme"] == "http"
    assert info["REQUEST_SCHEME"] == "http"
    assert "CONTENT_LENGTH" not in info or info["CONTENT_LENGTH"] in ("", "0")


def test_remote_port_is_the_client_port_of_nginx(stack):
    url, worker = stack
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=30) as sock:
        local_port = sock.getsockname()[1]
        sock.sendall(b"GET /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    info = json.loads(data.partition(b"\r\n\r\n")[2])
    if worker == "asgi":
        assert info["client"] == ["127.0.0.1", local_port]
    else:
        assert info["REMOTE_PORT"] == str(local_port)


def test_post_10_mib_body_checksum(stack):
    url, _ = stack
    body = os.urandom(10 * 1024 * 1024)
    r = httpx.post(url + "/upload", content=body, headers={"Content-Type": "application/x-test"},
                   timeout=60)
    info = _info(stack, r)
    assert info["length"] == len(body)
    assert info["sha256"] == hashlib.sha256(body).hexdigest()


def test_close_delimited_response_does_not_wait_for_a_timeout(stack):
    url, _ = stack
    body = b"abc" * 1000
    started = time.monotonic()
    r = httpx.post(url + "/stream", content=body, timeout=60)
    assert r.status_code == 200
    assert r.content == b"part1-part2-" + hashlib.sha256(body).hexdigest().encode()
    # uwsgi_read_timeout is 30 s: a response nginx had to time out on is far slower
    assert time.monotonic() - started < 10


def test_unbuffered_response(stack):
    url, _ = stack
    r = httpx.get(url + "/unbuffered/stream", timeout=60)
    assert r.status_code == 200
    assert r.content.startswith(b"part1-part2-")


def test_200_sequential_requests_with_a_keep_alive_client(stack):
    url, worker = stack
    slowest = 0.0
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(200):
            path = "/stream" if i % 2 else "/seq/%d" % i
            started = time.monotonic()
            r = client.get(path)
            slowest = max(slowest, time.monotonic() - started)
            assert r.status_code == 200, (i, r.text)
            if not i % 2:
                info = r.json()
                got = info["path"] if worker == "asgi" else info["PATH_INFO"]
                assert got == path
    # a request that waited for uwsgi_read_timeout would take 30 s
    assert slowest < 10


def _raw_get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
        return read_until_close(sock)


def test_200_sequential_requests_on_new_connections(stack):
    url, _ = stack
    port = int(url.rsplit(":", 1)[1])
    slowest = 0.0
    for i in range(200):
        path = "/n/%d/stream" % i if i % 2 else "/n/%d" % i
        started = time.monotonic()
        data = _raw_get(port, path)
        slowest = max(slowest, time.monotonic() - started)
        assert data.startswith(b"HTTP/1.1 200 OK\r\n"), (i, data[:300])
    assert slowest < 10


def test_unix_socket_peer(stack):
    url, worker = stack
    info = _info(stack, httpx.get(url + "/unix/x?q=1"))
    if worker == "asgi":
        assert info["path"] == "/unix/x" and info["query_string"] == "q=1"
    else:
        assert info["PATH_INFO"] == "/unix/x" and info["REMOTE_ADDR"] == "127.0.0.1"


def test_script_name_and_custom_params(stack):
    url, worker = stack
    if worker == "asgi":
        pytest.skip("SCRIPT_NAME and custom vars are WSGI environ keys")
    info = _info(stack, httpx.get(url + "/prefix/a/b"))
    assert info["SCRIPT_NAME"] == "/prefix"
    assert info["PATH_INFO"] == "/a/b"
    assert info["X_CUSTOM"] == "custom-value"


def test_percent_encoded_path_is_decoded_once(stack):
    url, worker = stack
    info = _info(stack, httpx.get(url + "/a%2520b/%C3%A9"))
    if worker == "asgi":
        assert info["path"] == "/a%20b/\u00e9"
    else:
        # PATH_INFO: the bytes of the decoded path, as latin-1 (PEP 3333)
        assert info["PATH_INFO"] == "/a%20b/\u00e9".encode().decode("latin-1")
        assert info["RAW_URI"] == "/a%2520b/%C3%A9"
