"""Validation of the status line and header fields a WSGI application sends.

Shared by the HTTP/1.x response writer and the early-hints callback, so that
both apply the same grammar:

* field-name = token (RFC 9110 section 5.1, tchar in section 5.6.2)
* field-value = *( SP / HTAB / VCHAR / obs-text ) (RFC 9110 section 5.5);
  CR, LF, NUL and the other control characters are refused because they would
  let an application split or smuggle responses.
* status = 3DIGIT [ SP reason-phrase ] (RFC 9112 section 4, PEP 3333).
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.http.errors import (
    InvalidResponseHeader,
    InvalidResponseHeaderName,
    InvalidResponseStatus,
)
from gunicorn.util import HOP_HEADERS

__all__ = [
    "TOKEN_RE",
    "INVALID_VALUE_RE",
    "STATUS_RE",
    "HOP_BY_HOP",
    "InvalidResponseHeader",
    "InvalidResponseHeaderName",
    "InvalidResponseStatus",
    "parse_status",
    "check_name",
    "check_value",
]

# tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA        (RFC 9110 5.6.2)
TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# Anything outside SP / HTAB / VCHAR / obs-text; also catches characters above
# U+00FF, which cannot be sent as latin-1 octets.
INVALID_VALUE_RE = re.compile(r"[^\t\x20-\x7e\x80-\xff]")

# 3DIGIT status-code, then optionally SP and a reason-phrase of
# HTAB / SP / VCHAR / obs-text (RFC 9112 section 4).
STATUS_RE = re.compile(r"([1-9][0-9]{2})(?: [\t\x20-\x7e\x80-\xff]*)?")

# Connection-specific fields the server owns (RFC 9110 section 7.6.1), plus
# Server and Date, which the server always writes itself.
HOP_BY_HOP = HOP_HEADERS


def parse_status(status: Any) -> int:
    """Validate a WSGI status string such as ``"200 OK"`` and return the code.

    Raises:
        TypeError: ``status`` is not a str (PEP 3333 "native string").
        InvalidResponseStatus: not three digits optionally followed by SP and a
            reason-phrase of visible characters (RFC 9112 section 4).
    """
    if not isinstance(status, str):
        raise TypeError("%r is not a string" % (status,))
    m = STATUS_RE.fullmatch(status)
    if m is None:
        raise InvalidResponseStatus(status)
    return int(m.group(1))


def check_name(name: Any) -> str:
    """Return ``name`` if it is a str token (RFC 9110 section 5.1).

    Raises TypeError for a non-str and InvalidResponseHeaderName otherwise.
    """
    if not isinstance(name, str):
        raise TypeError("%r is not a string" % (name,))
    if TOKEN_RE.fullmatch(name) is None:
        raise InvalidResponseHeaderName(name)
    return name


def check_value(value: Any, name: str = "") -> str:
    """Return ``value`` if it is a str field-value (RFC 9110 section 5.5).

    Raises TypeError for a non-str and InvalidResponseHeader (carrying the
    field-name, not the value, so secrets do not reach error pages) when it
    holds CR, LF, NUL, another control character or a character above U+00FF.
    """
    if not isinstance(value, str):
        raise TypeError("%r is not a string" % (value,))
    if INVALID_VALUE_RE.search(value) is not None:
        raise InvalidResponseHeader(name or value)
    return value
