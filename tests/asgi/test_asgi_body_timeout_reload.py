"""Two bounds of the asgi worker: a request body that stalls ends after
``--timeout`` seconds (the application gets ``http.disconnect``, the
connection closes), and with ``--reload`` an application module with a
SyntaxError is answered with an error page showing it instead of the worker
dying, until the file is fixed."""

from __future__ import annotations

import os
import textwrap
import time

import httpx

from tests.asgi.asgi_support import connect, recv_until, wait_for
from tests.support.server import run_server

STALL_APP = textwrap.dedent('''
    """Reports every receive() message on stdout; answers with their types."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        kinds = []
        while True:
            message = await receive()
            kinds.append(message["type"])
            print("stall-app %s got %s %d" % (scope["path"], message["type"],
                                              len(message.get("body", b""))), flush=True)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        body = " ".join(kinds).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})
''')


def _asgi(tmp_path, *args, **kwargs):
    return run_server("--worker-class", "asgi", "--pythonpath", str(tmp_path), *args, **kwargs)


def test_stalled_request_body_ends_in_disconnect_after_timeout(tmp_path):
    (tmp_path / "stall_app.py").write_text(STALL_APP)
    with _asgi(tmp_path, "--timeout", "2", "--log-level", "info", "stall_app:app") as srv:
        sock = connect(srv, timeout=15)
        try:
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
                         + b"a" * 10)
            srv.wait_for_output(r"stall-app /upload got http\.request 10")
            started = time.monotonic()
            # the client sends nothing more: the server closes without answering
            sock.settimeout(15)
            assert sock.recv(65536) == b""
            waited = time.monotonic() - started
            assert 1.0 < waited < 8.0, waited
        finally:
            sock.close()
        srv.wait_for_output(r"stall-app /upload got http\.disconnect 0")
        srv.wait_for_output(r"Request body from .* stalled for 2\.0s")
        # the worker is fine: a complete body is served as usual
        r = httpx.post(srv.url + "/", content=b"x" * 100, timeout=10)
        assert r.status_code == 200 and r.text == "http.request"


def test_body_arriving_slowly_but_steadily_is_not_cut(tmp_path):
    # the bound is per wait: each piece that arrives restarts it
    (tmp_path / "stall_app.py").write_text(STALL_APP)
    with _asgi(tmp_path, "--timeout", "2", "stall_app:app") as srv:
        sock = connect(srv, timeout=15)
        try:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
            for n in range(1, 5):
                sock.sendall(b"z")
                # wait until the application received this byte (1.2 s apart:
                # 4.8 s in all, over twice the timeout, each gap under it)
                srv.wait_for_output(r"(stall-app / got http\.request 1\n.*){%d}" % n)
                time.sleep(1.2)  # the gap being tested, not a wait for state
            reply = recv_until(sock, b" ".join([b"http.request"] * 4))
        finally:
            sock.close()
        assert reply.startswith(b"HTTP/1.1 200 ")
        assert "stalled" not in srv.output()


GOOD_APP = textwrap.dedent('''
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"VERSION"})
''')


def _get(srv):
    try:
        return httpx.get(srv.url + "/", timeout=5)
    except httpx.HTTPError:
        return None


def _bump_mtime(path, step):
    # a distinct modification time whatever the file system's granularity
    future = time.time() + step
    os.utime(path, (future, future))


def test_reload_syntax_error_page_then_recovers(tmp_path):
    appfile = tmp_path / "reload_asgi_app.py"
    appfile.write_text(GOOD_APP.replace("VERSION", "v1"))
    with _asgi(tmp_path, "--reload", "-w", "1", "reload_asgi_app:app") as srv:
        assert _get(srv).text == "v1"
        appfile.write_text("async def app(scope, receive, send)\n    broken\n")
        _bump_mtime(appfile, 10)
        # the worker restarts, fails to import the module, and serves the page
        broken = wait_for(lambda: (r := _get(srv)) is not None and r.status_code == 500 and r,
                          timeout=20)
        assert broken.headers["content-type"] == "text/plain"
        assert "SyntaxError" in broken.text
        assert "reload_asgi_app.py" in broken.text
        assert srv.proc.poll() is None  # the master did not halt
        # fixing the file (watched now) brings the application back
        appfile.write_text(GOOD_APP.replace("VERSION", "v2"))
        _bump_mtime(appfile, 20)
        wait_for(lambda: (r := _get(srv)) is not None and r.text == "v2", timeout=20)
        assert "Worker reloading:" in srv.output()


def test_syntax_error_without_reload_is_a_boot_failure(tmp_path):
    (tmp_path / "broken_asgi_app.py").write_text("async def app(scope, receive, send)\n")
    with _asgi(tmp_path, "broken_asgi_app:app", wait_ready=False) as srv:
        assert srv.proc.wait(20) == 3
        assert "SyntaxError" in srv.output()
        assert "Worker failed to boot." in srv.output()
