"""The Flask example served by a real server, exercised with httpx and curl."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.integration.integration_support import FRAMEWORKS, UPLOAD_SIZE
from tests.support.server import WORKER_ARGS, run_server, skip_foreign_http

pytest.importorskip("flask")

STREAM_LINES = 1000
# Download sizes: odd, so the last piece is partial; and 10 MiB.
DOWNLOAD_SIZES = [100_003, UPLOAD_SIZE]


def pattern_digest(size: int) -> str:
    """sha256 of the first ``size`` bytes of the 0..255 repeating pattern."""
    whole, part = divmod(size, 256)
    return hashlib.sha256(bytes(range(256)) * whole + bytes(range(part))).hexdigest()


@pytest.fixture(scope="module", params=sorted(WORKER_ARGS))
def server(request):
    # One worker: items created by POST live in that worker's memory.
    with run_server("--chdir", FRAMEWORKS, "--workers", "1", "--timeout", "60",
                    *WORKER_ARGS[request.param], "flaskapp:app") as srv:
        srv.worker = request.param
        yield srv


def test_index_html(server, fetch):
    reply = fetch.request("GET", server.url + "/")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert "<h1>Flask on gunicorn</h1>" in reply.text
    assert int(reply.headers["content-length"]) == len(reply.body)


def test_head_has_no_body(server, fetch):
    reply = fetch.request("HEAD", server.url + "/")
    assert reply.status == 200
    assert reply.body == b""


def test_api_list(server, fetch):
    reply = fetch.request("GET", server.url + "/api/items")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    data = reply.json()
    assert {"id": 1, "name": "first"} in data["items"]
    assert data["count"] == len(data["items"])


def test_api_create_then_get(server, fetch):
    reply = fetch.request("POST", server.url + "/api/items", json={"name": "via " + fetch.name})
    assert reply.status == 201
    item = reply.json()
    assert item["name"] == "via " + fetch.name
    assert reply.headers["location"] == "/api/items/%d" % item["id"]
    again = fetch.request("GET", server.url + "/api/items/%d" % item["id"])
    assert again.status == 200
    assert again.json() == item
    listed = fetch.request("GET", server.url + "/api/items").json()
    assert item in listed["items"]


def test_api_create_rejects_bad_json(server, fetch):
    reply = fetch.request("POST", server.url + "/api/items", content=b"{not json",
                          headers={"Content-Type": "application/json"})
    assert reply.status == 400
    assert "error" in reply.json()


def test_api_unknown_item(server, fetch):
    assert fetch.request("GET", server.url + "/api/items/999999").status == 404


def test_unknown_route_and_method(server, fetch):
    assert fetch.request("GET", server.url + "/no/such/page").status == 404
    assert fetch.request("DELETE", server.url + "/api/items").status == 405


def test_form_get(server, fetch):
    reply = fetch.request("GET", server.url + "/form")
    assert reply.status == 200
    assert '<form method="post" action="/form">' in reply.text


def test_form_post_echoes_fields(server, fetch):
    fields = {"name": "Zoë & co", "email": "a+b@example.com", "tag": ["x", "y"]}
    reply = fetch.request("POST", server.url + "/form", data=fields)
    assert reply.status == 200
    assert reply.json() == {"fields": fields}


def test_upload_multipart_10mb(server, fetch, upload_blob):
    blob, digest = upload_blob
    reply = fetch.request("POST", server.url + "/upload", files={"file": ("big.bin", blob)})
    assert reply.status == 200
    assert reply.json() == {"size": len(blob), "sha256": digest, "filename": "big.bin"}


def test_upload_raw_body_10mb(server, fetch, upload_blob):
    blob, digest = upload_blob
    reply = fetch.request("POST", server.url + "/upload", content=blob,
                          headers={"Content-Type": "application/octet-stream"})
    assert reply.status == 200
    assert reply.json() == {"size": len(blob), "sha256": digest, "filename": None}


def test_stream_is_chunked(server, fetch):
    reply = fetch.request("GET", server.url + "/stream?n=%d" % STREAM_LINES)
    assert reply.status == 200
    assert reply.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in reply.headers
    expected = b"".join(b"line %d\n" % i for i in range(STREAM_LINES))
    assert reply.body == expected


def test_stream_bad_argument(server, fetch):
    assert fetch.request("GET", server.url + "/stream?n=lots").status == 400


@pytest.mark.parametrize("size", DOWNLOAD_SIZES)
def test_download(server, fetch, size):
    reply = fetch.request("GET", server.url + "/download?size=%d" % size)
    assert reply.status == 200
    assert reply.headers["content-length"] == str(size)
    assert len(reply.body) == size
    assert hashlib.sha256(reply.body).hexdigest() == pattern_digest(size)


def test_download_streamed_by_httpx(server):
    # Read the 10 MiB body incrementally, as a streaming client would.
    import httpx

    digest = hashlib.sha256()
    total = 0
    with httpx.stream("GET", server.url + "/download?size=%d" % UPLOAD_SIZE, timeout=30) as resp:
        assert resp.status_code == 200
        for piece in resp.iter_bytes():
            total += len(piece)
            digest.update(piece)
    assert total == UPLOAD_SIZE
    assert digest.hexdigest() == pattern_digest(UPLOAD_SIZE)


def test_server_header_and_no_errors_logged(server, fetch):
    skip_foreign_http(server.worker, "the Server: gunicorn response field")
    reply = fetch.request("GET", server.url + "/api/items")
    assert reply.headers.get("server", "").startswith("gunicorn")
    assert not re.search(r"Traceback|Error handling request", server.output())
