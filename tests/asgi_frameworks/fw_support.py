"""Helpers for the framework tests: the framework table, servers serving the
apps of ``apps/`` with ``-k asgi``, and small raw-socket readers."""

from __future__ import annotations

import os
import socket
import sys

from tests.asgi.asgi_support import recv_until as _recv_until
from tests.asgi.asgi_support import wait_for
from tests.support.server import run_server

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps")
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(ROOT, "examples", "asgi")

if APPS not in sys.path:
    # fw_common is shared with the apps (which the servers load from APPS)
    sys.path.insert(0, APPS)

from fw_common import HINT_LINK, STREAM_PIECES  # noqa: E402

__all__ = ["APPS", "EXAMPLES", "FRAMEWORKS", "HINT_LINK", "LIFESPAN_WS", "STREAM_PIECES",
           "decode_chunked", "example_server", "framework_server", "read_response",
           "recv_until", "wait_for"]

#: framework -> the application the server loads from apps/
FRAMEWORKS: dict[str, str] = {
    "starlette": "starlette_app:app",
    "fastapi": "fastapi_app:app",
    "quart": "quart_app:app",
    "litestar": "litestar_app:app",
    "django": "django_app:application",
}

#: frameworks with a lifespan protocol and a WebSocket route (Django has
#: neither without channels, which these tests do not install)
LIFESPAN_WS = ["starlette", "fastapi", "quart", "litestar"]


def framework_server(framework: str, *args: str, marker_dir: str | None = None, **kwargs):
    """``run_server`` for one asgi worker serving *framework*'s app."""
    env = {"FW_MARKER_DIR": marker_dir} if marker_dir else None
    return run_server("--worker-class", "asgi", "--workers", "1", "--pythonpath", APPS,
                      *args, FRAMEWORKS[framework], env=env, **kwargs)


def example_server(module: str, *args: str, **kwargs):
    """``run_server`` for an app of ``examples/asgi``."""
    return run_server("--worker-class", "asgi", "--workers", "1", "--pythonpath", EXAMPLES,
                      *args, module, **kwargs)


def recv_until(sock: socket.socket, marker: bytes, timeout: float = 10.0) -> bytes:
    """``tests.asgi.asgi_support.recv_until`` with this directory's 10 s default."""
    return _recv_until(sock, marker, timeout)


def decode_chunked(data: bytes) -> tuple[list[bytes], bytes]:
    """The chunks of a chunked body (RFC 9112 section 7.1) up to the
    last-chunk, and what follows it.  Raises ValueError when incomplete."""
    chunks = []
    pos = 0
    while True:
        eol = data.index(b"\r\n", pos)
        size = int(data[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            end = data.index(b"\r\n\r\n", pos - 2) + 4
            return chunks, data[end:]
        chunks.append(data[pos:pos + size])
        if data[pos + size:pos + size + 2] != b"\r\n":
            raise ValueError("chunk not followed by CRLF")
        pos += size + 2


def read_response(sock: socket.socket) -> tuple[int, list[tuple[str, str]], bytes]:
    """Read one whole response (Content-Length or chunked) from *sock*:
    (status, headers, body).  Bytes after it are an error (nothing was asked)."""
    from tests.support.client import header, parse_response_head

    data = recv_until(sock, b"\r\n\r\n")
    status, _, headers, rest = parse_response_head(data)
    length = header(headers, "content-length")
    while True:
        if length is not None and len(rest) >= int(length):
            body, after = rest[:int(length)], rest[int(length):]
            break
        if length is None:
            try:
                chunks, after = decode_chunked(rest)
            except ValueError:
                pass
            else:
                body = b"".join(chunks)
                break
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("closed before the end of the response: %r" % data)
        rest += chunk
    if after:
        raise AssertionError("unexpected bytes after the response: %r" % after[:100])
    return status, headers, body


