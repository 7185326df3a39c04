"""The uWSGI binary protocol (``--protocol uwsgi``, nginx ``uwsgi_pass``).

Thin blocking facades over the sans-IO packet parser in
``gunicorn.http.core.uwsgi``; every worker except tornado serves the
protocol through the shared HTTP/1.1 ``ServerConnection``.  Peers must be
listed in ``uwsgi_allow_ips`` (``--uwsgi-allow-from``).
"""

from __future__ import annotations

from .errors import (
    ForbiddenUWSGIRequest,
    InvalidUWSGIHeader,
    UnsupportedModifier,
    UWSGIParseException,
)
from .message import UWSGIRequest
from .parser import UWSGIParser

__all__ = [
    "UWSGIParser",
    "UWSGIRequest",
    "UWSGIParseException",
    "InvalidUWSGIHeader",
    "UnsupportedModifier",
    "ForbiddenUWSGIRequest",
]
