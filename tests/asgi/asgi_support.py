"""Helpers for the asgi worker tests: servers and raw-socket reads."""

from __future__ import annotations

import os
import socket
import time

from tests.support.server import run_server

HERE = os.path.dirname(os.path.abspath(__file__))


def asgi_server(*args: str, app: str = "asgi_apps:app", env: dict[str, str] | None = None,
                **kwargs):
    """``run_server`` for an asgi worker serving *app* from this directory."""
    return run_server("--worker-class", "asgi", "--chdir", HERE, *args, app, env=env, **kwargs)


def connect(srv, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection((srv.host, srv.port), timeout=timeout)


def recv_until(sock: socket.socket, marker: bytes, timeout: float = 5.0) -> bytes:
    """Read until *marker* is in what arrived (or the peer closes); return all of it."""
    deadline = time.monotonic() + timeout
    data = b""
    while marker not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("%r not received; got %r" % (marker, data))
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll *predicate* until it returns a truthy value; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %.1fs" % timeout)
        time.sleep(interval)
