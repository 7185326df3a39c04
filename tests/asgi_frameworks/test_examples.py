"""The examples of ``examples/asgi`` started as documented (``-k asgi``) and
exercised with real clients."""

from __future__ import annotations

import socket

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from tests.asgi_frameworks.fw_support import example_server, recv_until


@pytest.fixture(scope="module")
def hints_server():
    with example_server("fastapi_early_hints:app") as srv:
        yield srv


@pytest.fixture(scope="module")
def chat_server():
    with example_server("starlette_chat:app") as srv:
        yield srv


def test_fastapi_early_hints_example(hints_server):
    with socket.create_connection((hints_server.host, hints_server.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = recv_until(sock, b"</html>")
    interim, _, final = data.partition(b"\r\n\r\n")
    assert interim.split(b"\r\n") == [
        b"HTTP/1.1 103 Early Hints",
        b"link: </static/site.css>; rel=preload; as=style",
        b"link: </static/site.js>; rel=preload; as=script",
    ]
    assert final.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'href="/static/site.css"' in final
    # the hinted resources are served, and other paths get no hint
    with httpx.Client(base_url=hints_server.url, timeout=10) as client:
        css = client.get("/static/site.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert client.get("/static/site.js").status_code == 200
    with socket.create_connection((hints_server.host, hints_server.port), timeout=10) as sock:
        sock.sendall(b"GET /static/site.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = recv_until(sock, b"sans-serif; }\n")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")


def test_starlette_chat_example_broadcasts(chat_server):
    base = "ws://%s:%d/ws" % (chat_server.host, chat_server.port)
    assert "WebSocket" in httpx.get(chat_server.url + "/", timeout=10).text
    with ws_connect(base + "?name=alice", open_timeout=10) as alice:
        assert alice.recv(timeout=10) == "* alice joined"
        with ws_connect(base + "?name=bob", open_timeout=10) as bob:
            assert bob.recv(timeout=10) == "* bob joined"
            assert alice.recv(timeout=10) == "* bob joined"
            alice.send("hello bob")
            assert alice.recv(timeout=10) == "alice: hello bob"
            assert bob.recv(timeout=10) == "alice: hello bob"
            bob.send("hi alice ✓")
            assert bob.recv(timeout=10) == "bob: hi alice ✓"
            assert alice.recv(timeout=10) == "bob: hi alice ✓"
        # bob closed: alice is told
        assert alice.recv(timeout=10) == "* bob left"
        alice.send("still here")
        assert alice.recv(timeout=10) == "alice: still here"
