"""Many simultaneous clients against two sync workers: every request must succeed.

50 client threads share 2000 requests. Each test is bounded in time: threads that
have not finished by the deadline count as failures.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time

import httpx
import pytest

from tests.integration.integration_support import EXAMPLES, FRAMEWORKS
from tests.support.client import parse_response_head
from tests.support.server import WORKER_ARGS, run_server

CLIENTS = 50
TOTAL = 2000
DEADLINE = 120.0  # seconds for the whole batch


def run_clients(one_request) -> tuple[int, list[str]]:
    """Run TOTAL calls of ``one_request(state, client_index, n)`` over CLIENTS threads.

    Returns (completed, errors). Every thread waits on a barrier so the load
    really is concurrent.
    """
    per_client = TOTAL // CLIENTS
    barrier = threading.Barrier(CLIENTS)
    lock = threading.Lock()
    done = [0]
    errors: list[str] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(30)
        except threading.BrokenBarrierError:
            with lock:
                errors.append("client %d: barrier broken" % index)
            return
        state: dict = {}
        try:
            for n in range(per_client):
                try:
                    one_request(state, index, n)
                except Exception as exc:  # recorded, the test fails below
                    with lock:
                        errors.append("client %d request %d: %r" % (index, n, exc))
                else:
                    with lock:
                        done[0] += 1
        finally:
            client = state.get("client")
            if client is not None:
                client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CLIENTS)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, DEADLINE - (time.monotonic() - start)))
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        errors.append("%d client threads still running after %.0fs" % (stuck, DEADLINE))
    return done[0], errors


@pytest.fixture(scope="module", params=sorted(WORKER_ARGS))
def hello_server(request):
    with run_server("--chdir", EXAMPLES, "--workers", "2", *WORKER_ARGS[request.param],
                    "hello:app") as srv:
        yield srv


def flask_request(client: httpx.Client, url: str, index: int, n: int) -> None:
    """One of four Flask routes, chosen by (index + n), checked in full."""
    kind = (index + n) % 4
    if kind == 0:
        resp = client.get(url + "/api/items")
        assert resp.status_code == 200 and resp.json()["count"] >= 2
    elif kind == 1:
        resp = client.post(url + "/form", data={"client": str(index), "n": str(n)})
        assert resp.status_code == 200
        assert resp.json() == {"fields": {"client": str(index), "n": str(n)}}
    elif kind == 2:
        resp = client.get(url + "/download?size=16384")
        assert resp.status_code == 200
        assert hashlib.sha256(resp.content).hexdigest() == DOWNLOAD_DIGEST
    else:
        resp = client.get(url + "/stream?n=20")
        assert resp.status_code == 200 and resp.content.count(b"\n") == 20


def django_request(client: httpx.Client, url: str, index: int, n: int) -> None:
    """The template page or a form echo."""
    if n % 2:
        resp = client.get(url + "/")
        assert resp.status_code == 200 and b"Django on gunicorn" in resp.content
    else:
        resp = client.post(url + "/echo/", data={"client": str(index), "n": str(n)})
        assert resp.status_code == 200
        assert resp.json()["fields"] == {"client": str(index), "n": str(n)}


def pyramid_request(client: httpx.Client, url: str, index: int, n: int) -> None:
    """The JSON info route or a JSON echo."""
    if n % 2:
        resp = client.get(url + "/api/info?n=%d" % n)
        assert resp.status_code == 200 and resp.json()["query"] == {"n": str(n)}
    else:
        resp = client.post(url + "/api/echo", json={"client": index, "n": n})
        assert resp.status_code == 200
        assert resp.json() == {"json": {"client": index, "n": n}}


DOWNLOAD_DIGEST = hashlib.sha256(bytes(range(256)) * 64).hexdigest()
APPS = {
    "flask": ("flask", ("--chdir", FRAMEWORKS, "flaskapp:app"), flask_request),
    "django": ("django", ("--chdir", os.path.join(FRAMEWORKS, "djangoapp"), "djangoapp.wsgi"),
               django_request),
    "pyramid": ("pyramid", ("--chdir", FRAMEWORKS, "pyramidapp:app"), pyramid_request),
}


@pytest.mark.parametrize("worker", sorted(WORKER_ARGS))
@pytest.mark.parametrize("name", sorted(APPS))
def test_framework_httpx_clients(name, worker):
    module, args, call = APPS[name]
    with run_server("--workers", "2", *WORKER_ARGS[worker], *args) as srv:
        url = srv.url

        def one_request(state: dict, index: int, n: int) -> None:
            client = state.get("client")
            if client is None:
                client = state["client"] = httpx.Client(timeout=30)
            call(client, url, index, n)

        done, errors = run_clients(one_request)
        output = srv.output()
    assert errors == [], "%d errors, first: %s" % (len(errors), errors[:5])
    assert done == TOTAL
    assert "WORKER TIMEOUT" not in output
    assert "Error handling request" not in output


def test_hello_raw_socket_clients(hello_server):
    address = (hello_server.host, hello_server.port)

    def one_request(state: dict, index: int, n: int) -> None:
        payload = b"GET /c%d/%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % (index, n)
        with socket.create_connection(address, timeout=30) as sock:
            sock.sendall(payload)
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        status, _, _, body = parse_response_head(b"".join(chunks))
        assert status == 200 and body == b"Hello, World!\n"

    done, errors = run_clients(one_request)
    assert errors == [], "%d errors, first: %s" % (len(errors), errors[:5])
    assert done == TOTAL


def test_workers_survive_load(hello_server):
    # both workers are still the originals after the load: none crashed or timed out
    pids = hello_server.worker_pids()
    assert len(pids) == 2
    assert hello_server.output().count("Booting worker with pid") == 2
