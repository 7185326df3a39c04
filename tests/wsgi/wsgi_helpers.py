"""Helpers for the WSGI unit tests: fake requests/config, socket pairs and a
small HTTP/1.x response reader."""

from __future__ import annotations

import socket
import threading
from typing import Any


class FakeReader:
    """A reader with ``read(size)`` over fixed bytes (like LengthReader)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.length = len(data)

    def read(self, size: int) -> bytes:
        out, self.data = self.data[:size], self.data[size:]
        return out


class FakeBody:
    """Body-like wrapper that delegates to ``self.reader`` as Body does."""

    def __init__(self, data: bytes) -> None:
        self.reader = FakeReader(data)

    def read(self, size: int | None = None) -> bytes:
        if size is None or size < 0:
            chunks = []
            while True:
                chunk = self.reader.read(8192)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        return self.reader.read(size)


class FakeRequest:
    """The Request attributes the WSGI adapter reads."""

    def __init__(
        self,
        method: str = "GET",
        uri: str = "/",
        version: tuple[int, int] = (1, 1),
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        scheme: str = "http",
        close: bool | None = None,
        proxy_protocol_info: dict[str, Any] | None = None,
        expect_continue: bool = False,
    ) -> None:
        self.method = method
        self.uri = uri
        path, _, query = uri.partition("?")
        self.path = path
        self.query = query
        self.fragment = ""
        self.version = version
        self.headers = headers or []
        self.body = FakeBody(body)
        self.scheme = scheme
        self._close = close
        self.must_close = False
        self.proxy_protocol_info = proxy_protocol_info
        self._expected_100_continue = expect_continue

    def should_close(self) -> bool:
        if self.must_close:
            return True
        if self._close is not None:
            return self._close
        return self.version <= (1, 0)

    def force_close(self) -> None:
        self.must_close = True


class FakeConfig:
    """The Config attributes the WSGI adapter reads."""

    def __init__(self, workers: int = 1, errorlog: str = "-", is_ssl: bool = False, sendfile: Any = None) -> None:
        self.workers = workers
        self.errorlog = errorlog
        self.is_ssl = is_ssl
        self.sendfile = sendfile


class RecordingSocket:
    """Wraps a real socket and records sendall / sendfile calls."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.calls: list[tuple[str, Any]] = []

    def sendall(self, data: bytes, *args: Any) -> None:
        self.calls.append(("sendall", bytes(data)))
        self._sock.sendall(data, *args)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        self.calls.append(("sendfile", (offset, count)))
        return self._sock.sendfile(file, offset=offset, count=count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def exchange(fn: Any) -> bytes:
    """Run ``fn(server_side_socket)`` in a thread and return every byte it
    wrote, read from the other end of a socketpair until it closes."""
    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    rsock = RecordingSocket(a)
    error: list[BaseException] = []

    def run() -> None:
        try:
            fn(rsock)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            error.append(exc)
        finally:
            a.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=run)
    t.start()
    chunks = []
    while True:
        data = b.recv(65536)
        if not data:
            break
        chunks.append(data)
    t.join()
    a.close()
    b.close()
    if error:
        raise error[0]
    return b"".join(chunks)


def split_head(data: bytes) -> tuple[str, dict[str, str], list[tuple[str, str]], bytes]:
    """Return (status line, {lowercased name: value}, raw header list, rest)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    assert sep, data
    lines = head.decode("latin-1").split("\r\n")
    pairs = []
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        pairs.append((name, value))
    return lines[0], {k.lower(): v for k, v in pairs}, pairs, rest


def dechunk(data: bytes) -> tuple[bytes, bytes]:
    """Decode a chunked body; return (content, bytes after the last-chunk)."""
    out = []
    while True:
        line, sep, data = data.partition(b"\r\n")
        assert sep, "truncated chunk-size line"
        size = int(line, 16)
        if size == 0:
            assert data.startswith(b"\r\n"), data
            return b"".join(out), data[2:]
        out.append(data[:size])
        assert data[size : size + 2] == b"\r\n", data[size : size + 10]
        data = data[size + 2 :]


class ResponseReader:
    """Reads HTTP/1.x responses one by one from a connected socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            if not self._fill():
                raise EOFError("connection closed; have %r" % self.buf[:300])
        out, _, self.buf = self.buf.partition(marker)
        return out

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError("connection closed after %d of %d bytes" % (len(self.buf), n))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self) -> tuple[int, dict[str, str], list[tuple[str, str]]]:
        """Return (status code, {lowercase name: value}, raw pairs) of the next head."""
        head = self._until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        code = int(lines[0].split(" ")[1])
        pairs = [tuple(line.split(": ", 1)) for line in lines[1:]]
        return code, {k.lower(): v for k, v in pairs}, pairs  # type: ignore[misc]

    def read_response(self, head_request: bool = False) -> tuple[int, dict[str, str], bytes]:
        """Return (status, headers, body) of the next final response, skipping 1xx."""
        while True:
            code, headers, _ = self.read_head()
            if code >= 200 or code == 101:
                break
        if head_request or code in (204, 304) or code < 200:
            return code, headers, b""
        if headers.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int(self._until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._until(b"\r\n")
                    return code, headers, b"".join(parts)
                parts.append(self._exact(size))
                assert self._exact(2) == b"\r\n"
        if "content-length" in headers:
            return code, headers, self._exact(int(headers["content-length"]))
        while self._fill():
            pass
        body, self.buf = self.buf, b""
        return code, headers, body
