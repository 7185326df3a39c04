"""FastAPI, Starlette, Quart, Litestar and Django served by real ``-k asgi``
server processes, through real clients (httpx, websockets, raw sockets).

Each framework's app (``apps/``) has the same routes: ``/items/{id}?q=``
(path and query parameters), ``/echo`` (JSON POST), ``/stream`` (a streamed
response of five pieces), ``/upload`` (size and SHA-256 of the body) and,
except Django, ``/lifespan`` (state set at startup) and ``/ws`` (WebSocket
echo).  Django-only checks (``request_finished``, lifespan ``off``/``auto``)
are at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from tests.asgi_frameworks.fw_support import (
    LIFESPAN_WS,
    STREAM_PIECES,
    decode_chunked,
    framework_server,
    read_response,
    recv_until,
    wait_for,
)
from tests.support.client import header, parse_response_head

MIB = 1024 * 1024


def test_get_with_path_and_query_parameters(fw_server):
    r = httpx.get(fw_server.url + "/items/42", params={"q": "hello wörld & more"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"item_id": 42, "q": "hello wörld & more", "path": "/items/42"}
    assert r.headers["content-type"].startswith("application/json")
    fw_server.wait_for_output(r'"GET /items/42\?q=hello\+w%C3%B6rld\+%26\+more HTTP/1\.1" 200')


def test_json_post_echo(fw_server):
    payload = {"name": "ünïcode ✓", "n": [1, 2.5, None, True], "nested": {"a": {"b": []}}}
    r = httpx.post(fw_server.url + "/echo", json=payload, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == payload


def test_streaming_response_arrives_as_separate_chunks(fw_server):
    with socket.create_connection((fw_server.host, fw_server.port), timeout=10) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = recv_until(sock, b"\r\n0\r\n\r\n")
    status, _, headers, rest = parse_response_head(data)
    assert status == 200
    assert header(headers, "transfer-encoding") == "chunked"
    assert header(headers, "content-length") is None
    chunks, after = decode_chunked(rest)
    # every piece the application sent went out as a chunk of its own
    assert chunks == STREAM_PIECES
    assert after == b""


def test_streaming_response_with_httpx(fw_server):
    with httpx.stream("GET", fw_server.url + "/stream", timeout=10) as r:
        assert r.status_code == 200
        assert b"".join(r.iter_bytes()) == b"".join(STREAM_PIECES)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_one_mib_upload(fw_server, framing):
    body = os.urandom(MIB)
    content = body if framing == "content-length" else (body[i:i + 100_000]
                                                        for i in range(0, MIB, 100_000))
    r = httpx.post(fw_server.url + "/upload", content=content,
                   headers={"content-type": "application/octet-stream"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"size": MIB, "sha256": hashlib.sha256(body).hexdigest()}


def test_keep_alive_connection_serves_several_requests(fw_server):
    with socket.create_connection((fw_server.host, fw_server.port), timeout=10) as sock:
        for n in range(3):
            sock.sendall(b"GET /items/%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % n)
            status, headers, body = read_response(sock)
            assert status == 200 and json.loads(body)["item_id"] == n
            assert (header(headers, "connection") or "keep-alive").lower() != "close"
            payload = json.dumps({"n": n}).encode()
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                         b"application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(payload), payload))
            status, headers, body = read_response(sock)
            assert status == 200 and json.loads(body) == {"n": n}


# -- lifespan ----------------------------------------------------------------


@pytest.mark.parametrize("fw_server", LIFESPAN_WS, indirect=True)
def test_lifespan_startup_ran_in_the_worker(fw_server):
    r = httpx.get(fw_server.url + "/lifespan", timeout=10)
    assert r.status_code == 200, r.text
    info = r.json()
    # the startup handler ran in the worker serving the request
    assert info["started_pid"] == info["pid"]
    marker = fw_server.marker_dir / ("%s.startup" % fw_server.framework)
    assert marker.read_text() == str(info["pid"])
    assert "ASGI lifespan" not in fw_server.output()  # no failure or refusal logged


@pytest.mark.parametrize("framework", LIFESPAN_WS)
def test_lifespan_on_startup_and_shutdown_markers(framework, tmp_path):
    with framework_server(framework, "--asgi-lifespan", "on", "--graceful-timeout", "5",
                          marker_dir=str(tmp_path)) as srv:
        pid = httpx.get(srv.url + "/lifespan", timeout=10).json()["pid"]
        assert (tmp_path / ("%s.startup" % framework)).read_text() == str(pid)
        assert not (tmp_path / ("%s.shutdown" % framework)).exists()
        srv.signal(signal.SIGTERM)
        assert srv.proc.wait(20) == 0
    # lifespan.shutdown reached the application before the worker exited
    assert (tmp_path / ("%s.shutdown" % framework)).read_text() == str(pid)


# -- WebSocket ---------------------------------------------------------------


@pytest.mark.parametrize("fw_server", LIFESPAN_WS, indirect=True)
def test_websocket_echo(fw_server):
    url = "ws://%s:%d/ws" % (fw_server.host, fw_server.port)
    with ws_connect(url, open_timeout=10, close_timeout=5) as ws:
        for n in range(3):
            ws.send("hello %d ✓" % n)
            assert ws.recv(timeout=10) == "echo:hello %d ✓" % n
        big = os.urandom(200_000)
        ws.send(big)
        assert ws.recv(timeout=10) == b"echo:" + big
        ws.close()
    # the server answered our close frame with the same code (RFC 6455 section 5.5.1)
    assert ws.close_code == 1000
    fw_server.wait_for_output(r'"GET /ws HTTP/1\.1" 101')


@pytest.mark.parametrize("fw_server", LIFESPAN_WS, indirect=True)
def test_websocket_clients_are_independent(fw_server):
    url = "ws://%s:%d/ws" % (fw_server.host, fw_server.port)
    with ws_connect(url, open_timeout=10) as a, ws_connect(url, open_timeout=10) as b:
        a.send("from a")
        b.send("from b")
        assert b.recv(timeout=10) == "echo:from b"
        assert a.recv(timeout=10) == "echo:from a"
        # HTTP still works on the same worker meanwhile
        assert httpx.get(fw_server.url + "/items/7", timeout=10).json()["item_id"] == 7


# -- Django ------------------------------------------------------------------


@pytest.mark.parametrize("fw_server", ["django"], indirect=True)
def test_django_lifespan_auto_serves_without_it(fw_server):
    # Django refuses the lifespan scope: with auto that is "not supported", not a failure
    assert httpx.get(fw_server.url + "/items/1", timeout=10).status_code == 200
    out = fw_server.output()
    assert "Worker failed to boot" not in out
    assert "ASGI lifespan startup failed" not in out


@pytest.mark.parametrize("fw_server", ["django"], indirect=True)
def test_django_request_finished_signal_fires(fw_server):
    url = fw_server.url
    with httpx.Client(base_url=url, timeout=10) as client:
        before = client.get("/finished").json()["finished"]
        for n in range(3):
            assert client.get("/items/%d" % n).status_code == 200
        assert client.post("/echo", json={"x": 1}).json() == {"x": 1}
        polls = 0

        def settled():
            nonlocal polls
            seen = client.get("/finished").json()["finished"]
            # the first /finished, 3 items, 1 echo and every earlier poll
            expected = len(before) + 1 + 3 + 1 + polls
            polls += 1
            return seen if len(seen) == expected else None

        seen = wait_for(settled)
    new = seen[len(before):]
    assert set(new) == {"ASGIHandler"}


def test_django_lifespan_off(tmp_path):
    with framework_server("django", "--asgi-lifespan", "off", "--log-level", "debug") as srv:
        r = httpx.post(srv.url + "/echo", json={"off": True}, timeout=10)
        assert r.json() == {"off": True}
        # not even tried: no "not supported" debug line as with auto
        assert "ASGI lifespan" not in srv.output()


def test_django_lifespan_on_is_a_boot_failure():
    # asked for explicitly, a lifespan the application refuses stops the boot
    with framework_server("django", "--asgi-lifespan", "on", wait_ready=False) as srv:
        assert srv.proc.wait(30) == 3
        out = srv.output()
        assert "ASGI lifespan startup failed" in out
        assert "Django can only handle ASGI/HTTP connections, not lifespan" in out
