"""Raw-socket HTTP client helpers for malformed and low-level requests."""

from __future__ import annotations

import socket


def raw_request(host: str, port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` and read until the server closes the connection.

    Returns whatever arrived (possibly b"" when the server closed at once).
    Raises socket.timeout when the server neither answers nor closes in time.
    """
    with socket.create_connection((host, port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_until_close(s, reset_ends=True)


def read_until_close(sock: socket.socket, *, reset_ends: bool = False) -> bytes:
    """Read from a connected socket until the peer closes it; return everything.

    With *reset_ends*, a reset (ConnectionResetError) ends the reading like a
    close does (a server that closes with unread input resets); otherwise it
    propagates.  socket.timeout propagates when the socket has a timeout.
    """
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            if not reset_ends:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def parse_response_head(data: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """Split one HTTP/1.x response into (status, reason, headers, rest).

    ``rest`` is everything after the blank line (the body and any following
    responses, undecoded). Raises ValueError when there is no complete head.
    """
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("incomplete response head: %r" % data[:200])
    lines = head.decode("latin-1").split("\r\n")
    version, _, status_reason = lines[0].partition(" ")
    if not version.startswith("HTTP/"):
        raise ValueError("not a status line: %r" % lines[0])
    code, _, reason = status_reason.partition(" ")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    return int(code), reason, headers, rest


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of ``name`` (case-insensitive) or None."""
    lname = name.lower()
    for k, v in headers:
        if k.lower() == lname:
            return v
    return None
