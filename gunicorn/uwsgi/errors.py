"""Errors of the uWSGI request packet (``protocol = "uwsgi"``).

Like the HTTP/1.x parse errors, each class carries ``status_code`` and
``reason`` (RFC 9110 section 15) that the workers answer with (an error
page, then the connection closes), and an instance attribute ``code`` with
the same status (the gunicorn 25.0 attribute).  They subclass
``gunicorn.http.errors.ParseException``, itself an ``Exception``, so code
catching either keeps working.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http.errors import ParseException

__all__ = [
    "UWSGIParseException",
    "InvalidUWSGIHeader",
    "UnsupportedModifier",
    "ForbiddenUWSGIRequest",
]


class UWSGIParseException(ParseException):
    """Base class of uWSGI packet errors (400 unless a subclass says otherwise)."""

    status_code = 400
    reason = "Bad Request"


class InvalidUWSGIHeader(UWSGIParseException):
    """The packet head or its vars block is malformed: truncated lengths,
    too many vars, an invalid or repeated CONTENT_LENGTH (400).

    *msg* (str) says what was wrong.
    """

    def __init__(self, msg: str = "") -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = 400

    def __str__(self) -> str:
        return "Invalid uWSGI header: %s" % (self.msg,)


class UnsupportedModifier(UWSGIParseException):
    """modifier1 is not 0 (only WSGI/HTTP requests are served): 501 Not
    Implemented (RFC 9110 section 15.6.2).  *modifier* is the int received."""

    status_code = 501
    reason = "Not Implemented"

    def __init__(self, modifier: Any) -> None:
        super().__init__(modifier)
        self.modifier = modifier
        self.code = 501

    def __str__(self) -> str:
        return "Unsupported uWSGI modifier1: %s" % (self.modifier,)


class ForbiddenUWSGIRequest(UWSGIParseException):
    """The peer's IP is not in ``uwsgi_allow_ips``: 403 Forbidden, before
    anything of the packet is read.  *host* is the peer IP (str)."""

    status_code = 403
    reason = "Forbidden"

    def __init__(self, host: Any) -> None:
        super().__init__(host)
        self.host = host
        self.code = 403

    def __str__(self) -> str:
        return "uWSGI request from %r not allowed" % (self.host,)
