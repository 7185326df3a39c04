"""Helpers for the greenlet-worker tests: raw HTTP/1.1 over sockets."""

from __future__ import annotations

import socket
import time

import pytest

from tests.support.client import header, parse_response_head

#: the greenlet workers under test (``-k`` short names)
ASYNC_WORKERS = ("gevent", "gevent_pywsgi", "eventlet")
APP = "tests.workers_async.async_apps:app"


def connect(srv, timeout: float = 10.0) -> socket.socket:
    """A TCP connection to the server's first listener."""
    return socket.create_connection((srv.host, srv.port), timeout=timeout)


class ResponseReader:
    """Reads HTTP/1.1 responses (Content-Length or chunked framing, or
    until close) from one socket, keeping what follows for the next one."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def head(self) -> tuple[int, list[tuple[str, str]]]:
        """The next response head (interim ones included): (status, headers)."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError("closed before a response head; have %r" % self.buf[:200])
        status, _, headers, rest = parse_response_head(self.buf)
        self.buf = rest
        return status, headers

    def body(self, headers: list[tuple[str, str]]) -> bytes:
        length = header(headers, "Content-Length")
        if length is not None:
            n = int(length)
            while len(self.buf) < n:
                if not self._fill():
                    raise ConnectionError("closed in a body")
            data, self.buf = self.buf[:n], self.buf[n:]
            return data
        if (header(headers, "Transfer-Encoding") or "").lower() == "chunked":
            out = b""
            while True:
                while b"\r\n" not in self.buf:
                    if not self._fill():
                        raise ConnectionError("closed in a chunk size")
                line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    if not self._fill():
                        raise ConnectionError("closed in a chunk")
                out, self.buf = out + self.buf[:size], self.buf[size + 2:]
                if size == 0:
                    return out
        while self._fill():
            pass
        data, self.buf = self.buf, b""
        return data

    def response(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """The next final response: (status, headers, body); interim ones are skipped."""
        while True:
            status, headers = self.head()
            if status >= 200:
                return status, headers, self.body(headers)


def get(path: str, extra: str = "") -> bytes:
    """The bytes of a GET request for *path*."""
    return ("GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (path, extra)).encode()


def closed_by_server(sock: socket.socket, timeout: float = 10.0) -> bool:
    """True once the peer closed (EOF or reset) within *timeout* seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def env_of(body: bytes) -> dict[str, str]:
    """The ``key=value`` lines of ``/env`` as a dict."""
    return dict(line.split("=", 1) for line in body.decode().splitlines())


def wait_until(predicate, timeout: float, step: float = 0.05):
    """Poll *predicate* until it returns a true value (returned) or *timeout* s pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


@pytest.fixture(params=ASYNC_WORKERS)
def worker(request) -> str:
    """Each greenlet worker's short name in turn."""
    return request.param
