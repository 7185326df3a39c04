"""The server with ``--protocol uwsgi`` behind nginx ``uwsgi_pass``.

nginx includes the stock /etc/nginx/uwsgi_params and adds
``HTTP_X_FORWARDED_FOR``, as deployments do; it talks to the server over TCP
and over a unix socket, terminates TLS on a second listener (``HTTPS on``)
and connects from an address outside ``--uwsgi-allow-from`` in one location.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.proxies.proxy_apps import download_blob, expected_load_body
from tests.proxies.proxy_support import (
    CLIENT_IP,
    UNTRUSTED_IP,
    UWSGI_PARAMS,
    app_args,
    free_port,
    run_load,
    run_nginx,
)
from tests.support.server import run_server
from tests.tls.tls_support import TLSFiles

if importlib.util.find_spec("gunicorn.uwsgi") is None:
    pytest.skip("gunicorn.uwsgi (the --protocol uwsgi support) is not in this tree yet",
                allow_module_level=True)

TEN_MIB = 10 * 1024 * 1024

NGINX_HTTP = """
    upstream uw {{ server 127.0.0.1:{app}; }}
    upstream uw_untrusted {{ server 127.0.0.1:{app}; }}
    server {{
        listen 127.0.0.1:{http};
        listen 127.0.0.1:{https} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            include {params};
            uwsgi_param HTTP_X_FORWARDED_FOR $proxy_add_x_forwarded_for;
            uwsgi_pass uw;
        }}
        location /unix/ {{
            include {params};
            uwsgi_pass unix:{sock};
        }}
        location /untrusted/ {{
            include {params};
            uwsgi_bind {untrusted};
            uwsgi_pass uw_untrusted;
        }}
    }}
"""


@dataclass
class UwsgiStack:
    """nginx (``http``, ``https`` base URLs) in front of the uWSGI server."""

    http: str
    https: str
    port: int


@pytest.fixture(scope="module", params=["gthread", "sync", "gevent", "asgi"])
def uwsgi_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                tls_files: TLSFiles) -> Iterator[UwsgiStack]:
    """nginx in front of a 2-worker server of each worker class speaking uWSGI."""
    worker = request.param
    if not os.path.exists(UWSGI_PARAMS):
        raise RuntimeError("%s is missing (Debian package nginx-common)" % UWSGI_PARAMS)
    tmp = tmp_path_factory.mktemp("nginx-uwsgi-%s" % worker)
    sock = str(tmp / "app.sock")
    with run_server("--bind", "unix:%s" % sock, "--protocol", "uwsgi", "--workers", "2",
                    "--uwsgi-allow-from", "127.0.0.1", *app_args(worker)) as app:
        ports = {"http": free_port(), "https": free_port()}
        body = NGINX_HTTP.format(app=app.port, sock=sock, params=UWSGI_PARAMS, untrusted=UNTRUSTED_IP,
                                 cert=tls_files.cert_path, key=tls_files.key_path, **ports)
        with run_nginx(str(tmp), body, ports):
            yield UwsgiStack("http://127.0.0.1:%d" % ports["http"],
                             "https://127.0.0.1:%d" % ports["https"], ports["http"])


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """httpx connecting from 127.0.0.5."""
    with httpx.Client(timeout=30, transport=httpx.HTTPTransport(local_address=CLIENT_IP)) as c:
        yield c


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method(uwsgi_stack: UwsgiStack, client: httpx.Client, method: str) -> None:
    body = b"" if method in ("GET", "HEAD", "OPTIONS") else ("uwsgi %s body" % method).encode()
    r = client.request(method, uwsgi_stack.http + "/info?m=" + method, content=body or None,
                       headers={"X-Real-IP": "198.51.100.1"})
    assert r.status_code == 200
    if method == "HEAD":
        assert r.content == b""
        return
    info = r.json()
    assert info["method"] == method
    assert (info["path"], info["query"]) == ("/info", "m=" + method)
    assert (info["body_length"], info["body_sha256"]) == (len(body), hashlib.sha256(body).hexdigest())
    assert info["http_x_real_ip"] == "198.51.100.1"
    assert info["http_x_forwarded_for"] == CLIENT_IP
    # REMOTE_ADDR/REMOTE_PORT come from nginx's uwsgi vars: the client, not nginx
    assert info["remote_addr"] == CLIENT_IP
    assert info["remote_port"].isdigit()
    assert info["scheme"] == "http"


def test_ten_mib_upload_and_download(uwsgi_stack: UwsgiStack, client: httpx.Client,
                                     upload_blob: tuple[bytes, str]) -> None:
    blob, digest = upload_blob
    r = client.post(uwsgi_stack.http + "/info", content=blob)
    assert r.status_code == 200
    info = r.json()
    assert (info["body_length"], info["body_sha256"]) == (len(blob), digest)
    r = client.get(uwsgi_stack.http + "/download?n=%d&seed=3" % TEN_MIB)
    assert r.status_code == 200
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(download_blob(TEN_MIB, 3)).digest()


def test_chunked_client_body(uwsgi_stack: UwsgiStack, client: httpx.Client) -> None:
    """nginx buffers a chunked client body and passes its CONTENT_LENGTH."""
    pieces = [os.urandom(50_000) for _ in range(20)]
    r = client.post(uwsgi_stack.http + "/info", content=iter(pieces))
    assert r.status_code == 200
    info = r.json()
    whole = b"".join(pieces)
    assert (info["body_length"], info["body_sha256"]) == (len(whole), hashlib.sha256(whole).hexdigest())
    assert info["content_length"] == str(len(whole))


def test_https_var_sets_scheme(uwsgi_stack: UwsgiStack) -> None:
    with httpx.Client(verify=False, timeout=30) as c:
        r = c.get(uwsgi_stack.https + "/info")
    assert r.status_code == 200
    assert r.json()["scheme"] == "https"


def test_unix_socket(uwsgi_stack: UwsgiStack, client: httpx.Client) -> None:
    r = client.get(uwsgi_stack.http + "/unix/info?u=1")
    assert r.status_code == 200
    info = r.json()
    assert (info["path"], info["query"]) == ("/unix/info", "u=1")


def test_forbidden_peer(uwsgi_stack: UwsgiStack, client: httpx.Client) -> None:
    """nginx connects from 127.0.0.3, outside --uwsgi-allow-from: 403."""
    r = client.get(uwsgi_stack.http + "/untrusted/info")
    assert r.status_code == 403
    # and the server keeps serving
    assert client.get(uwsgi_stack.http + "/info").status_code == 200


def test_load_through_uwsgi_pass(uwsgi_stack: UwsgiStack) -> None:
    """50 concurrent clients, 2,000 requests, every body checked."""
    result = run_load("127.0.0.1", uwsgi_stack.port, 2000, 50, lambda i: "/load/%d" % i,
                      expected_load_body)
    assert result.errors == []
    assert (result.sent, result.ok) == (2000, 2000)
