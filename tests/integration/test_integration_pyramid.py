"""The Pyramid example served by a real server, with httpx and curl."""

from __future__ import annotations

import pytest

from tests.integration.integration_support import FRAMEWORKS
from tests.support.server import WORKER_ARGS, run_server

pytest.importorskip("pyramid")


@pytest.fixture(scope="module", params=sorted(WORKER_ARGS))
def server(request):
    with run_server("--chdir", FRAMEWORKS, "--workers", "2", *WORKER_ARGS[request.param],
                    "pyramidapp:app") as srv:
        yield srv


def test_home(server, fetch):
    reply = fetch.request("GET", server.url + "/")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.text == "Hello from Pyramid!\n"


def test_hello_escapes_name(server, fetch):
    reply = fetch.request("GET", server.url + "/hello/%3Cb%3Ebob")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert "Hello, &lt;b&gt;bob!" in reply.text


def test_info_json(server, fetch):
    reply = fetch.request("GET", server.url + "/api/info?x=1&y=two")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")
    data = reply.json()
    assert data["method"] == "GET"
    assert data["path"] == "/api/info"
    assert data["query"] == {"x": "1", "y": "two"}
    assert data["scheme"] == "http"
    assert data["server_software"].startswith("gunicorn/")


def test_echo_json(server, fetch):
    payload = {"list": [1, 2, 3], "nested": {"ok": True}, "text": "ünïcode"}
    reply = fetch.request("POST", server.url + "/api/echo", json=payload)
    assert reply.status == 200
    assert reply.json() == {"json": payload}


def test_echo_form(server, fetch):
    fields = {"a": "1", "b": ["x", "y"]}
    reply = fetch.request("POST", server.url + "/api/echo", data=fields)
    assert reply.status == 200
    assert reply.json() == {"form": fields}


def test_echo_bad_json(server, fetch):
    reply = fetch.request("POST", server.url + "/api/echo", content=b"{oops",
                          headers={"Content-Type": "application/json"})
    assert reply.status == 400


def test_not_found(server, fetch):
    assert fetch.request("GET", server.url + "/nowhere").status == 404
    assert fetch.request("GET", server.url + "/api/echo").status == 404
