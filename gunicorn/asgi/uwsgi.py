"""uWSGI requests on the asgi worker (``protocol = "uwsgi"``).

Nothing to parse here: the worker's ``ServerConnection`` reads uWSGI packets
with ``gunicorn.http.core.uwsgi`` and yields a ``UWSGIHead`` like any
request head, so framing, keep-alive and error pages are the HTTP/1.1
path's, and so is ``scope["scheme"]``: the head's scheme comes from the
HTTPS / ``wsgi.url_scheme`` / REQUEST_SCHEME vars and, when the front end
is in ``forwarded_allow_ips``, its ``secure_scheme_headers``
(``gunicorn.http.core.uwsgi.uwsgi_scheme``), exactly as ``wsgi.url_scheme``
on the WSGI workers.  This module only maps the front end's CGI vars onto
the scope, as the WSGI environ does (``gunicorn.uwsgi.message``):

* ``client`` from REMOTE_ADDR/REMOTE_PORT and ``server`` from
  SERVER_NAME/SERVER_PORT when the vars carry them (the peer is a trusted
  front end, ``uwsgi_allow_ips``);
* ``root_path`` from a non-empty SCRIPT_NAME var (WSGI's SCRIPT_NAME is
  the ASGI ``root_path``, ASGI HTTP spec 2.4), else the ``root_path``
  setting.  ``path`` stays the whole request path, which starts with it, as
  for the ``root_path`` setting on HTTP/1.1 (``gunicorn.asgi.scope``):
  frameworks take ``root_path`` off ``path`` themselves.  The core already
  refused a PATH_INFO that does not start with SCRIPT_NAME (400).
"""

from __future__ import annotations

from typing import Any

__all__ = ["uwsgi_addresses", "uwsgi_root_path", "uwsgi_scope"]


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


def uwsgi_root_path(uwsgi_vars: dict[str, str], root_path: str) -> str:
    """The scope's ``root_path`` for a uWSGI request.

    Args:
        uwsgi_vars: the packet's vars (latin-1 str -> str).
        root_path: the ``root_path`` setting (used without a SCRIPT_NAME var).

    The SCRIPT_NAME var is octets as latin-1 text (like PATH_INFO); the scope
    holds text decoded as UTF-8 (invalid sequences become U+FFFD), as
    ``path`` is, so that ``path`` starts with ``root_path``.
    """
    script_name = uwsgi_vars.get("SCRIPT_NAME")
    if not script_name:
        return root_path
    if script_name.isascii():
        return script_name
    return script_name.encode("latin-1").decode("utf-8", "replace")


def uwsgi_scope(scope: dict[str, Any], uwsgi_vars: dict[str, str]) -> dict[str, Any]:
    """Apply what the vars say to an ``http`` *scope* built from a uWSGI
    head (``client``, ``server`` and ``root_path``; see the module doc) and
    return it.  The ``websocket`` scope made from it inherits them."""
    client, server = uwsgi_addresses(uwsgi_vars, scope.get("client"), scope.get("server"))
    scope["client"] = client
    scope["server"] = server
    scope["root_path"] = uwsgi_root_path(uwsgi_vars, scope.get("root_path", ""))
    return scope
