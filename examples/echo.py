"""Echo the request body back to the client.

``curl -d 'hello' http://127.0.0.1:8000/`` prints ``hello``. The body is read in
64 KiB pieces from ``wsgi.input`` so large uploads do not need to fit in memory
twice.
"""

from collections.abc import Callable, Iterable

_PIECE = 64 * 1024


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Return the request body unchanged, typed like the request (PEP 3333)."""
    stream = environ["wsgi.input"]
    parts = []
    while True:
        piece = stream.read(_PIECE)
        if not piece:
            break
        parts.append(piece)
    body = b"".join(parts)
    start_response("200 OK", [
        ("Content-Type", environ.get("CONTENT_TYPE") or "application/octet-stream"),
        ("Content-Length", str(len(body))),
    ])
    return [body]


application = app
