"""``UWSGIRequest``: a request read from a uWSGI packet, blocking facade.

The packet is parsed by the connection's ``ServerConnection`` with the
sans-IO ``gunicorn.http.core.uwsgi.UWSGIHeadParser``; this class only gives
the result the attributes of ``gunicorn.http.message.Request`` plus the
uWSGI ones.  The content is read through the same connection (its length is
the CONTENT_LENGTH var), and keep-alive is the connection's decision.

What the WSGI environ takes from the vars (:func:`uwsgi_environ`):
the front end is a trusted peer (``uwsgi_allow_ips``), so its CGI variables
describe the request as the client made it, as with a uWSGI server:

* ``REMOTE_ADDR``, ``REMOTE_PORT`` (the client of the front end, not the
  front end's own socket address) and ``SERVER_NAME``, ``SERVER_PORT``
  replace the socket values when present and not empty;
* ``SCRIPT_NAME`` works like a trusted ``SCRIPT_NAME`` header: it must
  prefix the PATH_INFO var and is removed from it (else 400);
* every other var that is not ``HTTP_*``, ``CONTENT_TYPE``,
  ``CONTENT_LENGTH`` nor a dotted name (``wsgi.*``, ``gunicorn.*``, ...)
  and that the server did not set itself is copied as it is (for example
  ``REQUEST_URI``, ``DOCUMENT_ROOT``, ``REQUEST_SCHEME``, ``HTTPS`` and
  custom ``uwsgi_param`` values);
* header fields come from the ``HTTP_*`` vars (underscores become dashes);
  ``wsgi.url_scheme`` is https when ``HTTPS`` is on/1/true, else from a
  ``wsgi.url_scheme`` or ``REQUEST_SCHEME`` var (http/https), else the
  listener's; when the front end is in ``forwarded_allow_ips`` the
  ``secure_scheme_headers`` among its HTTP_* vars then decide, as for an
  HTTP/1.1 request (``gunicorn.http.core.uwsgi.uwsgi_scheme``);
  ``PATH_INFO`` is the PATH_INFO var as sent and ``RAW_URI`` the
  REQUEST_URI var (else path and query).
"""

from __future__ import annotations

from typing import Any

# the module, not its names: it may be half-imported here (it imports
# gunicorn.uwsgi.errors, which runs this package's __init__)
from gunicorn.http.core import uwsgi as _core
from gunicorn.http.core.connection import ServerConnection
from gunicorn.http.core.settings import settings_for
from gunicorn.http.message import Request
from gunicorn.http.unreader import Unreader
from gunicorn.http.wsgi_environ import InvalidScriptName

from .errors import ForbiddenUWSGIRequest

__all__ = ["UWSGIRequest", "uwsgi_environ"]

# environ keys the vars replace when they carry a value
_ADDRESS_KEYS = ("REMOTE_ADDR", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT")
# vars never copied into the environ: header fields and body metadata are
# already there (from the rebuilt fields), PATH_INFO/SCRIPT_NAME are set
# from the path
_NOT_COPIED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH", "PATH_INFO", "SCRIPT_NAME"})


class UWSGIRequest(Request):
    """One request of a uWSGI connection, read in the constructor.

    Args:
        cfg: the Config (``uwsgi_allow_ips`` and the request limits).
        unreader: where the packet bytes come from.
        peer_addr: the socket peer: (host, port), a UNIX path, or None.
        req_number: 1-based position on the connection.

    Attributes of ``Request`` (``method``, ``uri``, ``path``, ``query``,
    ``version`` (1, 1), ``headers``, ``scheme``, ``body`` ...) plus
    ``uwsgi_vars`` (dict), ``modifier1`` and ``modifier2`` (ints).

    Raises ForbiddenUWSGIRequest (403) before reading anything when the
    peer is not allowed, UnsupportedModifier (501), InvalidUWSGIHeader
    (400), the limit errors of gunicorn.http.errors, NoMoreData when the
    peer closed inside the packet, StopIteration when it closed between
    requests.
    """

    uwsgi_vars: dict[str, str]
    modifier1 = 0
    modifier2 = 0

    def __init__(self, cfg: Any, unreader: Unreader, peer_addr: Any, req_number: int = 1) -> None:
        self.uwsgi_vars = {}
        if req_number == 1 and not _core.uwsgi_peer_allowed(settings_for(cfg), peer_addr):
            raise ForbiddenUWSGIRequest(peer_addr[0])
        super().__init__(cfg, unreader, peer_addr, req_number)

    def parse(self, unreader: Unreader) -> bytes:
        """Read one packet head through the connection (see the class doc)."""
        self.connection.use_uwsgi()
        return super().parse(unreader)

    def _use_head(self, head: Any, conn: ServerConnection) -> None:
        super()._use_head(head, conn)
        self.uwsgi_vars = head.uwsgi_vars
        self.modifier1 = head.modifier1
        self.modifier2 = head.modifier2


def uwsgi_environ(environ: dict[str, Any], uwsgi_vars: dict[str, str]) -> bool:
    """Add what the vars of a uWSGI request say to a WSGI *environ* (see the
    module doc for the rules).

    Returns True when it also set ``SCRIPT_NAME`` and ``PATH_INFO`` (the
    SCRIPT_NAME var is not empty: it is removed from the front of the
    PATH_INFO var, both as sent); False leaves them to
    ``gunicorn.http.wsgi_environ.path_environ``.  Raises InvalidScriptName
    (400) when PATH_INFO does not start with the SCRIPT_NAME var.
    """
    for key in _ADDRESS_KEYS:
        value = uwsgi_vars.get(key)
        if value:
            environ[key] = value
    for key, value in uwsgi_vars.items():
        if key[:5] == "HTTP_" or key in _NOT_COPIED or "." in key or key in environ:
            continue
        environ[key] = value
    script_name = uwsgi_vars.get("SCRIPT_NAME")
    if not script_name:
        return False
    path_info = uwsgi_vars.get("PATH_INFO") or "/"
    if not path_info.startswith(script_name):
        raise InvalidScriptName("Request path %r does not start with SCRIPT_NAME %r"
                                % (path_info, script_name))
    environ["SCRIPT_NAME"] = script_name
    environ["PATH_INFO"] = path_info[len(script_name):]
    return True
