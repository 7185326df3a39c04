"""The server behind a real nginx (Debian package), as most deployments run it.

nginx proxies to the server over TCP (with upstream keep-alive) and over a
unix socket, and sets the usual X-Forwarded-* headers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.support.nginx import free_port, run_nginx
from tests.support.server import run_server

HTTP_BODY = """
    client_max_body_size 20m;
    upstream app_tcp {{ server 127.0.0.1:{app_port}; keepalive 8; }}
    upstream app_unix {{ server unix:{sock}; }}
    server {{
        listen 127.0.0.1:{port};
        location /unix/ {{
            proxy_pass http://app_unix/;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
        location /unbuffered/ {{
            proxy_pass http://app_tcp/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_request_buffering off;
            proxy_buffering off;
        }}
        location / {{
            proxy_pass http://app_tcp;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
"""


@pytest.fixture(scope="module", params=["sync", "gthread"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[str, str]]:
    """(nginx base URL, worker class) with the server behind nginx."""
    tmp = tmp_path_factory.mktemp("nginx")
    sock = str(tmp / "app.sock")
    worker = request.param
    with run_server(
        "--worker-class", worker, "--threads", "4", "--workers", "2",
        "--bind", "unix:%s" % sock, "--keep-alive", "5",
        "--chdir", "tests/integration", "nginx_app:app",
    ) as srv:
        port = free_port()
        body = HTTP_BODY.format(app_port=srv.port, sock=sock, port=port)
        with run_nginx(str(tmp), body, {"http": port}):
            yield "http://127.0.0.1:%d" % port, worker


def test_forwarded_headers_from_trusted_proxy(stack: tuple[str, str]) -> None:
    url, _ = stack
    r = httpx.get(url + "/info?x=1", headers={"X-Forwarded-For": "203.0.113.7"})
    assert r.status_code == 200
    info = r.json()
    assert info["scheme"] == "https"
    assert info["remote_addr"] == "127.0.0.1"
    assert info["forwarded_for"] == "203.0.113.7, 127.0.0.1"
    assert info["path"] == "/info" and info["query"] == "x=1"


def test_upstream_keepalive_many_requests(stack: tuple[str, str]) -> None:
    url, _ = stack
    with httpx.Client() as client:
        for i in range(300):
            r = client.get(url + "/n/%d" % i)
            assert r.status_code == 200
            assert r.json()["path"] == "/n/%d" % i


def test_request_bodies_buffered_and_streamed(stack: tuple[str, str]) -> None:
    url, _ = stack
    blob = os.urandom(3 * 1024 * 1024 + 11)
    r = httpx.post(url + "/upload", content=blob)
    assert r.status_code == 200
    assert r.json()["body_length"] == len(blob)

    # nginx forwards a chunked request body as chunked when not buffering
    def gen() -> Iterator[bytes]:
        for _ in range(64):
            yield b"y" * 4096

    r = httpx.post(url + "/unbuffered/upload", content=gen())
    assert r.status_code == 200
    info = r.json()
    assert info["body_length"] == 64 * 4096
    assert info["transfer_encoding"] == "chunked"


def test_streamed_response(stack: tuple[str, str]) -> None:
    url, _ = stack
    r = httpx.get(url + "/unbuffered/stream")
    assert r.status_code == 200
    assert r.content == b"x" * 100_000


def test_unix_socket_upstream(stack: tuple[str, str]) -> None:
    url, _ = stack
    r = httpx.get(url + "/unix/hello")
    assert r.status_code == 200
    info = r.json()
    # unix-socket peers are trusted, so the forwarded scheme applies
    assert info["scheme"] == "https"
    assert info["path"] == "/hello"


def test_parallel_clients_through_nginx(stack: tuple[str, str]) -> None:
    import concurrent.futures

    url, _ = stack

    def work(n: int) -> int:
        ok = 0
        with httpx.Client() as client:
            for i in range(40):
                if client.get(url + "/p/%d/%d" % (n, i)).status_code == 200:
                    ok += 1
        return ok

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        assert sum(pool.map(work, range(10))) == 400
