"""Building uWSGI request packets and reading the HTTP/1.x answers."""

from __future__ import annotations

import socket
import struct
import time


def vars_block(pairs) -> bytes:
    """The vars block of *pairs* ((key, value) str or bytes, or a dict)."""
    items = pairs.items() if hasattr(pairs, "items") else pairs
    out = []
    for key, value in items:
        k = key.encode("latin-1") if isinstance(key, str) else key
        v = value.encode("latin-1") if isinstance(value, str) else value
        out.append(struct.pack("<H", len(k)) + k + struct.pack("<H", len(v)) + v)
    return b"".join(out)


def packet(pairs=(), modifier1: int = 0, modifier2: int = 0, block: bytes | None = None) -> bytes:
    """A whole packet head: 4-byte header plus the vars block."""
    if block is None:
        block = vars_block(pairs)
    return struct.pack("<BHB", modifier1, len(block), modifier2) + block


def request(method: str = "GET", path: str = "/", query: str = "", body: bytes = b"",
            headers=(), **extra: str) -> bytes:
    """A packet like nginx's (uwsgi_params) followed by *body*."""
    pairs = [("QUERY_STRING", query), ("REQUEST_METHOD", method),
             ("CONTENT_TYPE", extra.pop("CONTENT_TYPE", "")),
             ("CONTENT_LENGTH", str(len(body)) if body else ""),
             ("REQUEST_URI", path + ("?" + query if query else "")),
             ("PATH_INFO", path), ("SERVER_PROTOCOL", "HTTP/1.1")]
    pairs += list(extra.items())
    pairs += [("HTTP_" + name.upper().replace("-", "_"), value) for name, value in headers]
    return packet(pairs) + body


class ResponseReader:
    """Reads HTTP/1.x responses one after the other from *sock* (bytes of a
    next response that arrived early are kept)."""

    def __init__(self, sock: socket.socket, timeout: float = 10.0) -> None:
        self.sock = sock
        self.timeout = timeout
        self.buf = b""

    def _more(self, deadline: float) -> bytes:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("response incomplete: %r" % self.buf[:300])
        self.sock.settimeout(left)
        return self.sock.recv(65536)

    def read(self) -> tuple[int, dict[str, str], bytes]:
        """One response: Content-Length framed, else up to EOF.
        Returns (status, headers with lowercase names, body)."""
        deadline = time.monotonic() + self.timeout
        while b"\r\n\r\n" not in self.buf:
            chunk = self._more(deadline)
            if not chunk:
                raise AssertionError("closed before a response head: %r" % self.buf)
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            size = int(headers["content-length"])
            while len(rest) < size:
                chunk = self._more(deadline)
                if not chunk:
                    break
                rest += chunk
            self.buf = rest[size:]
            return status, headers, rest[:size]
        while True:
            chunk = self._more(deadline)
            if not chunk:
                self.buf = b""
                return status, headers, rest
            rest += chunk


def read_response(sock: socket.socket, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """The first response on *sock* (see ResponseReader.read)."""
    return ResponseReader(sock, timeout).read()
