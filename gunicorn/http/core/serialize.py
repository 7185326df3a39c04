"""Bytes of HTTP/1.1 responses: status lines, server fields, chunk framing,
error pages (RFC 9112 sections 4, 6 and 7.1; RFC 9110 sections 5.6.7, 6.6).

The pieces every response head repeats are cached: the status line per
(version, status code, reason), the ``Server`` line, and the ``Date`` line,
formatted at most once per second.  ``ServerConnection`` assembles a head
from them with one join; nothing here keeps per-connection state.
"""

from __future__ import annotations

import html
import time
from http import HTTPStatus
from typing import Any

from gunicorn import SERVER

__all__ = [
    "http_date_cached",
    "date_line",
    "status_line",
    "server_line",
    "reason_phrase",
    "render_fields",
    "error_page",
    "CONNECTION_LINES",
    "TE_CHUNKED_LINE",
    "CONTINUE_100",
    "LAST_CHUNK",
]

# [second, IMF-fixdate, "Date: ...\r\n"]: replaced as a whole so that a
# thread never sees a mixed pair
_date_cache: list[Any] = [-1, "", ""]


def http_date_cached() -> str:
    """The current time as an IMF-fixdate (RFC 9110 section 5.6.7), formatted
    at most once per second."""
    now = int(time.time())
    if _date_cache[0] != now:
        from gunicorn.util import http_date

        date = http_date(now)
        _date_cache[:] = [now, date, "Date: %s\r\n" % date]
    return _date_cache[1]


def date_line() -> str:
    """``Date: <IMF-fixdate>\\r\\n`` (RFC 9110 section 6.6.1), cached per second."""
    cache = _date_cache
    if cache[0] != int(time.time()):
        http_date_cached()
    return cache[2]


_SERVER_LINE = "Server: %s\r\n" % SERVER


def server_line(server: str | None = None) -> str:
    """``Server: <product>\\r\\n`` (RFC 9110 section 10.2.4); *server* None or
    the default name gives the cached line."""
    if server is None or server == SERVER:
        return _SERVER_LINE
    return "Server: %s\r\n" % server


#: The Connection field the server sends, by keep-alive verdict (RFC 9112 9.6).
CONNECTION_LINES = {
    "upgrade": "Connection: upgrade\r\n",
    "close": "Connection: close\r\n",
    "keep-alive": "Connection: keep-alive\r\n",
    # a response other than 101 that carries Upgrade (426, RFC 9110 section 15.5.22)
    "upgrade, close": "Connection: upgrade, close\r\n",
    "upgrade, keep-alive": "Connection: upgrade, keep-alive\r\n",
}
TE_CHUNKED_LINE = "Transfer-Encoding: chunked\r\n"
CONTINUE_100 = b"HTTP/1.1 100 Continue\r\n\r\n"
#: last-chunk and the empty trailer section (RFC 9112 section 7.1)
LAST_CHUNK = b"0\r\n\r\n"

_REASONS: dict[int, str] = {s.value: s.phrase for s in HTTPStatus}
# RFC 9110 names (Python 3.11 still has the older phrases for these)
_REASONS.update({413: "Content Too Large", 414: "URI Too Long", 416: "Range Not Satisfiable",
                 422: "Unprocessable Content"})


def reason_phrase(status_code: int) -> str:
    """The standard reason-phrase of *status_code* (RFC 9110 section 15), or ""."""
    return _REASONS.get(status_code, "")


# (version, status code, reason) -> status line; statuses come from
# applications, so the table is bounded
_STATUS_LINES: dict[tuple[Any, Any, Any], str] = {}
_STATUS_LINES_MAX = 512


def status_line(version: Any, status_code: Any, reason: str | None = None) -> str:
    """``HTTP/x.y <code> <reason>\\r\\n`` (RFC 9112 section 4); *reason* None
    means the standard phrase.  Cached."""
    key = (version, status_code, reason)
    line = _STATUS_LINES.get(key)
    if line is None:
        if reason is None:
            reason = reason_phrase(status_code) if type(status_code) is int else ""
        line = "HTTP/%s.%s %s %s\r\n" % (version[0], version[1], status_code, reason)
        if len(_STATUS_LINES) < _STATUS_LINES_MAX:
            _STATUS_LINES[key] = line
    return line


def render_fields(fields: Any) -> bytes:
    """``name: value\\r\\n`` lines as latin-1 bytes (trailer or interim fields)."""
    if not fields:
        return b""
    return "".join([f"{k}: {v}\r\n" for k, v in fields]).encode("latin-1")


_ERROR_PAGE = (
    "<html>\n  <head>\n    <title>%(reason)s</title>\n  </head>\n"
    "  <body>\n    <h1><p>%(reason)s</p></h1>\n    %(mesg)s\n  </body>\n</html>\n"
)


def error_page(status_code: int, reason: str, message: str) -> bytes:
    """A whole error response: HTTP/1.1 status line, ``Connection: close``,
    ``Content-Type: text/html`` and a small HTML page showing *reason* and
    *message* (both HTML-escaped).  The head is latin-1, the page UTF-8."""
    body = (_ERROR_PAGE % {"reason": html.escape(reason), "mesg": html.escape(message)}).encode("utf-8")
    head = ("HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: text/html\r\n"
            "Content-Length: %d\r\n\r\n" % (status_code, reason, len(body)))
    return head.encode("latin-1") + body
