"""uWSGI request packets, sans-IO: the head parser used instead of the
HTTP/1.1 one when ``protocol = "uwsgi"``.

A front end (nginx ``uwsgi_pass``, uWSGI routers) sends each request as one
packet followed by the request content::

    u8 modifier1 | u16le vars size | u8 modifier2 | vars block | content

The vars block is a run of ``u16le key length, key, u16le value length,
value`` pairs, CGI-style (RFC 3875 section 4.1 names: REQUEST_METHOD,
PATH_INFO, QUERY_STRING, CONTENT_LENGTH, HTTP_<field> ...), decoded as
latin-1.  Only modifier1 0 (a WSGI/HTTP request) is served.

``UWSGIHeadParser`` has the ``HeadParser`` interface (``parse(buf, pos)``
-> head or None, ``reset()``), so ``ServerConnection`` keeps doing
everything after the head: content framing (the CONTENT_LENGTH var,
never chunked), keep-alive, draining, error pages.  The response is an
HTTP/1.x status line and fields, which is what nginx's uwsgi module reads;
the connection frames it as HTTP/1.0 (``UWSGI_RESPONSE_VERSION``): nginx
(checked with 1.22) reads the content up to the Content-Length or else
until the connection closes, understands neither the chunked coding nor
interim (1xx) responses, and closes its side after every response (it never
reuses a uWSGI connection, even with ``keepalive`` in its upstream block).

The scheme comes from the front end's HTTPS / ``wsgi.url_scheme`` /
REQUEST_SCHEME vars and, for a front end in ``forwarded_allow_ips``, its
``secure_scheme_headers`` (``uwsgi_scheme``); a SCRIPT_NAME var that does not
prefix PATH_INFO is an ``InvalidUWSGIHeader`` (400).

Limits (answers as for HTTP/1.1): more than ``MAX_UWSGI_VARS`` vars or an
inconsistent vars block: ``InvalidUWSGIHeader`` (400); more HTTP_* vars than
``limit_request_fields``, or one whose ``name: value`` line would be longer
than ``limit_request_field_size``: ``LimitRequestHeaders`` (431); a
REQUEST_URI longer than ``limit_request_line``: ``LimitRequestLine`` (414).
The vars block itself is at most 65535 bytes (its size is 16 bits).
"""

from __future__ import annotations

import re
import struct
from typing import Any
from urllib.parse import quote

from gunicorn.uwsgi.errors import InvalidUWSGIHeader, UnsupportedModifier

from ..errors import (
    InvalidHeader,
    InvalidHeaderName,
    InvalidRequestMethod,
    LimitRequestHeaders,
    LimitRequestLine,
)
from .grammar import FIELD_VALUE_BADCHAR_RE, TCHAR, TOKEN_RE
from .head import RequestHead
from .policy import secure_scheme
from .settings import ParserSettings

__all__ = [
    "MAX_UWSGI_VARS",
    "UWSGIHead",
    "UWSGIHeadParser",
    "parse_vars",
    "uwsgi_peer_allowed",
    "uwsgi_scheme",
]

#: Most vars in one packet (a bound on work per packet).
MAX_UWSGI_VARS = 1000

_PACKET_HEAD = struct.Struct("<BHB")
_PAIR_ROUNDS = range(MAX_UWSGI_VARS)
_HTTP11 = (1, 1)
_TRUE = frozenset({"on", "1", "true"})
_SCHEMES = frozenset({"http", "https"})
_NO_SECURE: dict[str, str] = {}
# vars that must not appear twice (one request has one of each)
_SINGLE = frozenset({"CONTENT_LENGTH", "CONTENT_TYPE", "HTTP_HOST"})
# HTTP_* vars not turned into header fields: the body length and type come
# from CONTENT_LENGTH / CONTENT_TYPE alone (RFC 3875 4.1.2, 4.1.3), and the
# front end already removed any transfer coding of the request content.
_NOT_FIELDS = frozenset({"HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE", "HTTP_TRANSFER_ENCODING"})
_DIGITS_RE = re.compile(r"[0-9]{1,18}")
# field-names, one a line (RFC 9110 5.1: a token each)
_TOKEN_LINES_RE = re.compile(r"[%s]+(?:\n[%s]+)*" % (TCHAR, TCHAR))
# characters a path keeps as they are when re-encoded (RFC 3986 pchar and "/"
# without "%"): anything else becomes %XX so that decoding gives PATH_INFO back
_PATH_PLAIN_RE = re.compile(r"[A-Za-z0-9/!$&'()*+,;=:@._~-]*")
_PATH_SAFE = "/!$&'()*+,;=:@._~-"


class UWSGIHead(RequestHead):
    """A ``RequestHead`` read from a uWSGI packet.

    Adds ``uwsgi_vars`` (dict str -> str, the last value of a repeated var),
    ``modifier1`` and ``modifier2`` (ints).  ``version`` is always (1, 1),
    ``chunked`` and ``expect_100`` False (the front end already answered
    any ``Expect`` and removed any transfer coding).
    """

    __slots__ = ("uwsgi_vars", "modifier1", "modifier2")

    uwsgi_vars: dict[str, str]
    modifier1: int
    modifier2: int


def uwsgi_peer_allowed(settings: ParserSettings, peer_addr: Any) -> bool:
    """True if *peer_addr* may speak uWSGI: its IP is listed in
    ``uwsgi_allow_ips`` (an exact string compare, not CIDR) or the list has
    ``*``; UNIX-socket peers (and an unknown peer, None) always may."""
    allow = settings.uwsgi_allow_ips
    if allow is None or not isinstance(peer_addr, tuple):
        return True
    return str(peer_addr[0]) in allow


def parse_vars(block: bytes | bytearray | memoryview) -> list[tuple[str, str]]:
    """Split a vars block into (key, value) str pairs (latin-1), in order.

    Raises InvalidUWSGIHeader when a length runs past the block, a key is
    empty, or there are more than ``MAX_UWSGI_VARS`` pairs.
    """
    data = bytes(block)
    # latin-1 maps each byte to one character: offsets in data and text agree
    text = data.decode("latin-1")
    n = len(data)
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    pos = 0
    try:
        # at most MAX_UWSGI_VARS rounds, whatever the block holds
        for _ in _PAIR_ROUNDS:
            if pos >= n:
                return pairs
            key = pos + 2
            key_end = key + (data[pos] | data[pos + 1] << 8)
            value = key_end + 2
            value_end = value + (data[key_end] | data[key_end + 1] << 8)
            if value_end > n:
                raise InvalidUWSGIHeader("truncated value")
            if key_end == key:
                raise InvalidUWSGIHeader("empty variable name")
            append((text[key:key_end], text[value:value_end]))
            pos = value_end
    except IndexError:
        # a length field cut by the end of the block
        raise InvalidUWSGIHeader("truncated key size" if pos + 2 > n
                                 else "truncated key") from None
    if pos < n:
        raise InvalidUWSGIHeader("too many variables (more than %d)" % MAX_UWSGI_VARS)
    return pairs


def uwsgi_scheme(uwsgi_vars: dict[str, str], headers: list[tuple[str, str]],
                 secure: dict[str, str], default: str) -> str:
    """The URL scheme ("http" or "https") of a uWSGI request.

    Args:
        uwsgi_vars: the packet's vars (str -> str).
        headers: the header fields rebuilt from the HTTP_* vars, as
            (UPPERCASE name with dashes, value) pairs.
        secure: ``secure_scheme_headers`` (UPPERCASE name -> the value that
            means https) when the front end is in ``forwarded_allow_ips``,
            else an empty dict.
        default: the listener's scheme ("https" on a TLS listener).

    The front end's own vars say how the client reached it: ``HTTPS``
    on/1/true (nginx's ``uwsgi_params``: ``$https``) gives https, else a
    ``wsgi.url_scheme`` var, else ``REQUEST_SCHEME`` (nginx: ``$scheme``),
    when they are http or https; else *default*.  Then, as for an HTTP/1.1
    request from a trusted peer, each listed secure-scheme field sets https
    when its value matches exactly and http otherwise (a front end behind a
    TLS-terminating balancer passes its X-Forwarded-Proto along).

    Raises InvalidSchemeHeaders (400) when two such fields disagree.
    """
    if uwsgi_vars.get("HTTPS", "").lower() in _TRUE:
        scheme = "https"
    else:
        scheme = uwsgi_vars.get("wsgi.url_scheme") or ""
        if scheme not in _SCHEMES:
            scheme = (uwsgi_vars.get("REQUEST_SCHEME") or "").lower()
            if scheme not in _SCHEMES:
                scheme = default
    return secure_scheme(headers, secure, scheme) if secure else scheme


def _encode_path(path_info: str) -> str:
    """PATH_INFO (already percent-decoded by the front end) as a raw path:
    ``%`` and octets outside pchar become %XX, so the one percent-decoding
    that the WSGI and ASGI layers apply gives PATH_INFO back exactly."""
    if _PATH_PLAIN_RE.fullmatch(path_info) is not None:
        return path_info
    return quote(path_info.encode("latin-1"), safe=_PATH_SAFE)


class UWSGIHeadParser:
    """Parse uWSGI request packets for one connection.

    *settings* are the connection's ParserSettings; *trusted* says whether
    the front end (the socket peer) is in ``forwarded_allow_ips``: only then
    do the ``secure_scheme_headers`` among its HTTP_* vars decide the scheme
    (see ``uwsgi_scheme``).  ``parse(buf, start)``
    returns None until the whole packet head (4 bytes plus the vars block)
    is buffered, then a ``UWSGIHead`` whose ``end`` is the offset of the
    first content byte.  Raises UnsupportedModifier (501) as soon as the
    first byte is not 0, InvalidUWSGIHeader (400), LimitRequestHeaders
    (431), LimitRequestLine (414), InvalidHeader / InvalidHeaderName /
    InvalidRequestMethod (400) for what the vars say.
    """

    __slots__ = ("settings", "trusted", "_secure")

    def __init__(self, settings: ParserSettings, trusted: bool = True) -> None:
        self.settings = settings
        self.trusted = trusted
        self._secure = settings.policy.secure_scheme_headers if trusted else _NO_SECURE

    def reset(self) -> None:
        """Nothing to forget: every parse starts from the packet start."""

    def parse(self, buf: bytes | bytearray, start: int = 0) -> UWSGIHead | None:
        """Parse the packet at ``buf[start:]``; None while it is incomplete."""
        avail = len(buf) - start
        if avail < 4:
            if avail and buf[start] != 0:
                raise UnsupportedModifier(buf[start])
            return None
        modifier1, size, modifier2 = _PACKET_HEAD.unpack_from(buf, start)
        if modifier1 != 0:
            raise UnsupportedModifier(modifier1)
        end = start + 4 + size
        if len(buf) < end:
            return None
        pairs = parse_vars(memoryview(buf)[start + 4:end])
        head = self._head(pairs, size)
        head.modifier1 = modifier1
        head.modifier2 = modifier2
        head.end = end
        return head

    def _head(self, pairs: list[tuple[str, str]], size: int) -> UWSGIHead:
        s = self.settings
        invalid = InvalidUWSGIHeader
        env: dict[str, str] = {}
        headers: list[tuple[str, str]] = []
        append = headers.append
        for key, value in pairs:
            if key in env and key in _SINGLE:
                raise invalid("duplicate %s" % key)
            env[key] = value
            if key[:5] == "HTTP_" and key not in _NOT_FIELDS:
                append((key[5:].replace("_", "-"), value))
        if headers:
            # every name and value checked at once: names as token lines,
            # values joined with HTAB (allowed in values, RFC 9110 5.5)
            names = "\n".join([name for name, _ in headers])
            if _TOKEN_LINES_RE.fullmatch(names) is None:
                raise InvalidHeaderName(next(name for name, _ in headers
                                             if TOKEN_RE.fullmatch(name) is None))
            if FIELD_VALUE_BADCHAR_RE.search("\t".join([value for _, value in headers])):
                raise InvalidHeader(next(name for name, value in headers
                                         if FIELD_VALUE_BADCHAR_RE.search(value)))
            limit = s.limit_request_field_size
            # "NAME: value" plus CRLF, as the HTTP/1.1 limit counts a line;
            # no field can be longer than the whole block
            if size + 4 > limit and any(len(n) + len(v) + 4 > limit for n, v in headers):
                raise LimitRequestHeaders("limit request headers fields size")
        bad_value = FIELD_VALUE_BADCHAR_RE.search
        if len(headers) > s.limit_request_fields:
            raise LimitRequestHeaders("limit request headers fields")
        ctype = env.get("CONTENT_TYPE")
        if ctype:
            if bad_value(ctype) is not None:
                raise InvalidHeader("CONTENT-TYPE")
            headers.append(("CONTENT-TYPE", ctype))
        length = env.get("CONTENT_LENGTH")
        content_length = 0
        if length:
            if _DIGITS_RE.fullmatch(length) is None:
                raise invalid("invalid CONTENT_LENGTH: %r" % length)
            content_length = int(length)
            headers.append(("CONTENT-LENGTH", length))

        method = env.get("REQUEST_METHOD") or "GET"
        if TOKEN_RE.fullmatch(method) is None:
            raise InvalidRequestMethod(method)
        path_info = env.get("PATH_INFO") or "/"
        script_name = env.get("SCRIPT_NAME")
        if script_name and not path_info.startswith(script_name):
            # the application is mounted at SCRIPT_NAME: a path outside it
            # cannot be split into SCRIPT_NAME + PATH_INFO (PEP 3333)
            raise invalid("PATH_INFO %r does not start with SCRIPT_NAME %r"
                          % (path_info, script_name))
        path = _encode_path(path_info)
        query = env.get("QUERY_STRING", "")
        uri = env.get("REQUEST_URI") or (path + "?" + query if query else path)
        if bad_value(uri) is not None or bad_value(query) is not None:
            raise invalid("control character in REQUEST_URI or QUERY_STRING")
        line_limit = s.limit_request_line
        if line_limit and len(uri) > line_limit:
            raise LimitRequestLine(len(uri), line_limit)

        head = UWSGIHead()
        head.uwsgi_vars = env
        head.method = method
        head.uri = uri
        head.path = path
        head.query = query
        head.fragment = ""
        head.version = _HTTP11
        head.headers = headers
        head.scheme = uwsgi_scheme(env, headers, self._secure, s.policy.default_scheme)
        head.content_length = content_length
        head.chunked = False
        head.expect_100 = False
        head.must_close = False
        connection = env.get("HTTP_CONNECTION")
        if connection is not None:
            connection = connection.lower().strip(" \t")
            if "close" in connection and "close" in {o.strip(" \t") for o in connection.split(",")}:
                connection = "close"
        head.connection = connection
        return head
