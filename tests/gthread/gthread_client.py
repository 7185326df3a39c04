"""A tiny keep-alive HTTP/1.1 client over a raw socket, for worker tests."""

from __future__ import annotations

import socket


class ResponseReader:
    """Read successive HTTP/1.1 responses from one socket.

    Handles Content-Length and chunked bodies; 1xx responses are returned
    like any other (call :meth:`read_response` again for the final one).
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def _read_until(self, sep: bytes) -> bytes:
        while sep not in self.buf:
            if not self._fill():
                raise ConnectionError("closed while waiting for %r; have %r" % (sep, self.buf[:200]))
        head, _, self.buf = self.buf.partition(sep)
        return head

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("closed with %d of %d bytes" % (len(self.buf), n))
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        """Return (status, headers with lowercase names, body)."""
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if head_only or status < 200 or status in (204, 304):
            return status, headers, b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                parts.append(self._read_exact(size))
                self._read_exact(2)
            return status, headers, b"".join(parts)
        if "content-length" in headers:
            return status, headers, self._read_exact(int(headers["content-length"]))
        while self._fill():
            pass
        body, self.buf = self.buf, b""
        return status, headers, body

    def is_closed(self, timeout: float) -> bool:
        """True when the server closes the connection within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        return data == b""


def get(path: str, host: str = "localhost", extra: str = "") -> bytes:
    """A GET request head for ``path``."""
    return ("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (path, host, extra)).encode("latin-1")
