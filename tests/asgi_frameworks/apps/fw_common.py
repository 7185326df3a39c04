"""What every framework app of these tests shares: the lifespan marker files
and the fixed data the tests compare against.

``FW_MARKER_DIR`` (environment) names a directory; at startup an app writes
``<framework>.startup`` and at shutdown ``<framework>.shutdown`` there, each
holding the worker's pid, so a test sees both lifespan events happen.
"""

from __future__ import annotations

import hashlib
import os

#: the pieces /stream sends, one ASGI body message each
STREAM_PIECES = [b"piece-%d\n" % n for n in range(5)]

#: what the early-hints middleware sends before the response (RFC 8297)
HINT_LINK = b"</static/app.css>; rel=preload; as=style"


def mark(framework: str, event: str) -> None:
    """Record a lifespan *event* ("startup" or "shutdown") of *framework*."""
    directory = os.environ.get("FW_MARKER_DIR")
    if directory:
        path = os.path.join(directory, "%s.%s" % (framework, event))
        with open(path, "w") as f:
            f.write(str(os.getpid()))


def upload_summary(body: bytes) -> dict[str, object]:
    """{size, sha256} of a request body."""
    return {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


class EarlyHintsMiddleware:
    """Pure ASGI middleware: a GET of ``/hints`` gets a ``103 Early Hints``
    (``http.response.informational``) before the application answers."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/hints" \
                and "http.response.informational" in scope.get("extensions", {}):
            await send({"type": "http.response.informational", "status": 103,
                        "headers": [(b"link", HINT_LINK)]})
        await self.app(scope, receive, send)
