"""Embed the server in a program with ``BaseApplication``.

``python examples/standalone_app.py [ADDRESS]`` starts two workers serving the
small app below on ADDRESS (default 127.0.0.1:8080). Options are set in ``load_config``; the command line is not
parsed on this path, so the program owns its own arguments.
"""

import sys
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication


def handler_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """A plain WSGI app that reports the path it was asked for."""
    body = ("You asked for %s\n" % environ.get("PATH_INFO", "/")).encode("utf-8")
    start_response("200 OK", [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ])
    return [body]


class StandaloneApplication(BaseApplication):
    """Serve ``app`` with the settings in ``options`` (setting name -> value)."""

    def __init__(self, app: Callable, options: dict[str, Any] | None = None) -> None:
        self.options = options or {}
        self.application = app
        super().__init__()

    def load_config(self) -> None:
        """Copy known settings from ``options`` into ``self.cfg``; skip None values."""
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self) -> Callable:
        """Return the WSGI callable the workers will serve."""
        return self.application


if __name__ == "__main__":
    StandaloneApplication(handler_app, {
        "bind": sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080",
        "workers": 2,
        "accesslog": "-",
    }).run()
