"""uWSGI requests on the asgi worker (``protocol = "uwsgi"``).

Nothing to parse here: the worker's ``ServerConnection`` reads uWSGI packets
with ``gunicorn.http.core.uwsgi`` and yields a ``UWSGIHead`` like any
request head, so framing, keep-alive and error pages are the HTTP/1.1
path's.  This module only maps the front end's CGI vars onto the scope, as
the WSGI environ does (``gunicorn.uwsgi.message``): ``client`` from
REMOTE_ADDR/REMOTE_PORT and ``server`` from SERVER_NAME/SERVER_PORT when
the vars carry them (the peer is a trusted front end, ``uwsgi_allow_ips``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["uwsgi_addresses"]


def _address(host: str | None, port: str | None) -> tuple[str, int] | None:
    if not host:
        return None
    try:
        return (host, int(port)) if port else (host, 0)
    except ValueError:
        return (host, 0)


def uwsgi_addresses(uwsgi_vars: dict[str, str], client: Any, server: Any) -> tuple[Any, Any]:
    """``(client, server)`` for the scope of a uWSGI request: (host, port)
    tuples from the vars when present (port 0 when the var is missing or not
    a number), else the socket addresses *client* / *server* unchanged."""
    remote = _address(uwsgi_vars.get("REMOTE_ADDR"), uwsgi_vars.get("REMOTE_PORT"))
    local = _address(uwsgi_vars.get("SERVER_NAME"), uwsgi_vars.get("SERVER_PORT"))
    return remote or client, local or server
