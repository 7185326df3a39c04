"""Send a ``103 Early Hints`` response before the final one (RFC 8297).

The server puts a callable in ``environ["wsgi.early_hints"]``; it takes a list of
``(name, value)`` header pairs and writes an informational response at once.
Servers or protocols that cannot send one (HTTP/1.0) make it a no-op.

Try it with ``curl -v http://127.0.0.1:8000/`` (curl prints the 103 block).
"""

from collections.abc import Callable, Iterable

_PAGE = b"""<!doctype html>
<html><head><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>
<body><h1>Early hints</h1></body></html>
"""


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Hint two sub-resources, then answer with a small HTML page."""
    send_hints = environ.get("wsgi.early_hints")
    if send_hints is not None:
        send_hints([
            ("Link", "</style.css>; rel=preload; as=style"),
            ("Link", "</app.js>; rel=preload; as=script"),
        ])
    start_response("200 OK", [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(_PAGE))),
        ("Link", "</style.css>; rel=preload; as=style"),
    ])
    return [_PAGE]


application = app
