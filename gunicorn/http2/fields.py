"""HTTP/2 field rules (RFC 9113 section 8.2 and 8.3).

Inbound: ``check_request_fields`` and ``check_trailer_fields`` take the field
list the HPACK decoder produced (``(name, value)`` bytes pairs in wire order)
and either raise ``MalformedMessage`` -- the request is malformed, a stream
error of type PROTOCOL_ERROR (RFC 9113 section 8.1.1) -- or return the fields
as latin-1 ``str``.  The HTTP/1.1 field policy (tokens, control characters,
``header_map``, limits) is applied afterwards by ``gunicorn.http2.request``.

Outbound: ``response_block`` and ``trailer_block`` turn WSGI-style
``(name, value)`` pairs into an HTTP/2 field block: lowercase names
(RFC 9113 section 8.2), connection-specific fields removed (section 8.2.2),
no surrounding whitespace in values (section 8.2.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hpack import NeverIndexedHeaderTuple

from gunicorn.http.core.serialize import http_date_cached

from .errors import HTTP2ErrorCode, HTTP2StreamError

__all__ = [
    "MalformedMessage",
    "RequestFields",
    "check_request_fields",
    "check_trailer_fields",
    "response_block",
    "response_head",
    "informational_block",
    "trailer_block",
    "CONNECTION_SPECIFIC",
]

REQUEST_PSEUDO = frozenset((b":method", b":scheme", b":authority", b":path"))
# with SETTINGS_ENABLE_CONNECT_PROTOCOL advertised, ``:protocol`` too (RFC 8441 section 4)
_EXTENDED_PSEUDO = REQUEST_PSEUDO | {b":protocol"}

# Connection-specific fields never appear in HTTP/2 (RFC 9113 section 8.2.2).
CONNECTION_SPECIFIC = frozenset(
    (b"connection", b"proxy-connection", b"keep-alive", b"transfer-encoding", b"upgrade")
)
_CONNECTION_SPECIFIC_STR = frozenset(n.decode() for n in CONNECTION_SPECIFIC) | {"te"}

# A field name must not contain 0x00-0x20, 0x41-0x5a (uppercase) or
# 0x7f-0xff, nor a colon except as a pseudo-header prefix (RFC 9113 8.2.1).
_BAD_NAME = re.compile(rb"[\x00-\x20A-Z:\x7f-\xff]")
# A field value must not contain NUL, LF or CR (RFC 9113 8.2.1).
_BAD_VALUE = re.compile(rb"[\x00\n\r]")
_WS = (b" ", b"\t")
_DIGITS = re.compile(rb"[0-9]+")
_HTTP_SCHEMES = ("http", "https")

# Header list size per field: name + value + 32 octets (RFC 9113 6.5.2, RFC 7541 4.1).
FIELD_OVERHEAD = 32

# Response fields HPACK must not index: credentials that could be guessed by
# an attacker who observes compressed sizes (RFC 7541 section 7.1.3).
_NEVER_INDEX = frozenset((b"set-cookie", b"authorization", b"proxy-authorization"))

# A value without NUL, CR or LF and without whitespace at either end: the
# two rules of _check_value in one match (RFC 9113 section 8.2.1).
_GOOD_VALUE = re.compile(rb"(?:[^\x00\n\r \t](?:[^\x00\n\r]*[^\x00\n\r \t])?)?")

# What check_request_fields does with a field, by name.  Names that passed
# the name rules are remembered with their kind and str form: requests
# repeat a few dozen names, and one dict lookup stands for the regex, the
# set lookups and the comparisons.  The memory is bounded (first come,
# never evicted; longer names are checked every time) and holds only names
# that are valid whatever their value (``te`` is checked per value).
_PLAIN, _COOKIE, _LENGTH, _HOST, _TE, _PSEUDO, _PROTOCOL = range(7)
_SPECIAL_KINDS = {b"cookie": _COOKIE, b"content-length": _LENGTH, b"host": _HOST, b"te": _TE}
_KNOWN_NAMES: dict[bytes, tuple[int, str]] = {
    name: (_PSEUDO, name.decode()) for name in REQUEST_PSEUDO}
_KNOWN_NAMES[b":protocol"] = (_PROTOCOL, ":protocol")
_KNOWN_MAX = 1024
_KNOWN_NAME_LEN = 64


class MalformedMessage(HTTP2StreamError):
    """Malformed request (RFC 9113 section 8.1.1)."""

    error_code = HTTP2ErrorCode.PROTOCOL_ERROR


class RequestFields:
    """A request field block that passed the RFC 9113 rules.

    Attributes: ``pseudo`` (dict ":method" etc. -> str), ``fields`` (list of
    (lowercase name, value) str, cookies joined into one field, RFC 9113
    8.2.3), ``content_length`` (int or None), ``list_size`` (octets as
    SETTINGS_MAX_HEADER_LIST_SIZE counts them).
    """

    __slots__ = ("pseudo", "fields", "content_length", "list_size")

    def __init__(self, pseudo: dict[str, str], fields: list[tuple[str, str]],
                 content_length: int | None, list_size: int) -> None:
        self.pseudo = pseudo
        self.fields = fields
        self.content_length = content_length
        self.list_size = list_size


def _check_value(stream_id: int, name: bytes, value: bytes) -> None:
    if _BAD_VALUE.search(value) is not None:
        raise MalformedMessage(stream_id, "NUL, CR or LF in field %r" % name.decode("latin-1"))
    if value[:1] in _WS or value[-1:] in _WS:
        raise MalformedMessage(stream_id, "whitespace around the value of %r" % name.decode("latin-1"))


def _check_name(stream_id: int, name: bytes) -> None:
    """The rules of a regular field name (RFC 9113 sections 8.2.1, 8.2.2)."""
    if not name or _BAD_NAME.search(name) is not None:
        raise MalformedMessage(stream_id, "invalid field name %r" % name.decode("latin-1"))
    if name in CONNECTION_SPECIFIC:
        raise MalformedMessage(stream_id, "connection-specific field %r" % name.decode("latin-1"))


def _check_regular(stream_id: int, name: bytes, value: bytes) -> None:
    _check_name(stream_id, name)
    if name == b"te" and value.lower() != b"trailers":
        raise MalformedMessage(stream_id, "te other than trailers")
    _check_value(stream_id, name, value)


def _authority_host(value: bytes, scheme: bytes) -> bytes:
    """Scheme-based normalization of an authority for comparison (RFC 3986 6.2.3)."""
    value = value.lower()
    default = b":443" if scheme == b"https" else b":80"
    if value.endswith(default):
        value = value[: -len(default)]
    return value


def _learn_name(stream_id: int, name: bytes, regular: bool) -> tuple[int, str]:
    """(kind, str name) of a field name not in _KNOWN_NAMES; raises
    MalformedMessage for the name rules of RFC 9113 sections 8.2.1, 8.2.2
    and 8.3 (every allowed pseudo-header is known, so any other is invalid)."""
    if name[:1] == b":":
        if regular:
            raise MalformedMessage(stream_id, "pseudo-header field after a regular field")
        raise MalformedMessage(stream_id, "invalid pseudo-header field %r" % name.decode("latin-1"))
    _check_name(stream_id, name)
    entry = (_SPECIAL_KINDS.get(name, _PLAIN), name.decode("latin-1"))
    if len(_KNOWN_NAMES) < _KNOWN_MAX and len(name) <= _KNOWN_NAME_LEN:
        _KNOWN_NAMES[name] = entry
    return entry


def check_request_fields(stream_id: int, block: Iterable[tuple[bytes, bytes]], *,
                         extended_connect: bool = False) -> RequestFields:
    """Validate a request field block (RFC 9113 sections 8.1, 8.2 and 8.3).

    Args:
        stream_id: the stream, for the error.
        block: decoded (name, value) bytes pairs in wire order.
        extended_connect: True when we advertised
            SETTINGS_ENABLE_CONNECT_PROTOCOL=1: a CONNECT request may then
            carry ``:protocol`` and must carry ``:scheme``, ``:path`` and
            ``:authority`` with it (RFC 8441 section 4).  When False,
            ``:protocol`` is an undefined pseudo-header (malformed, RFC 8441
            section 3).

    Returns a RequestFields.  Raises MalformedMessage (a stream error of type
    PROTOCOL_ERROR) for: an empty or invalid name (uppercase, controls, SP,
    non-ASCII, a colon outside a pseudo-header), NUL/CR/LF or surrounding
    whitespace in a value, connection-specific fields, ``te`` other than
    "trailers", undefined, repeated or late pseudo-headers (including
    ``:status`` and ``:protocol``), a missing ``:method``/``:scheme``/
    ``:path`` (or a CONNECT request with ``:scheme``/``:path`` or without
    ``:authority``), an empty or non-absolute ``:path`` for http(s) (``*`` only
    with OPTIONS), an empty ``:authority``, userinfo in ``:authority``, a Host
    that differs from ``:authority`` (after RFC 3986 6.2.3 normalization), a
    content-length that is not 1*DIGIT or whose values differ.
    """
    pseudo: dict[str, str] = {}
    fields: list[tuple[str, str]] = []
    size = 0
    regular = False
    cookies: list[bytes] | None = None
    cookie_at = -1
    lengths: list[bytes] | None = None
    hosts: list[bytes] | None = None
    known = _KNOWN_NAMES
    good_value = _GOOD_VALUE.fullmatch
    for name, value in block:
        size += len(name) + len(value) + FIELD_OVERHEAD
        entry = known.get(name)
        if entry is None:
            entry = _learn_name(stream_id, name, regular)
        kind, key = entry
        if kind >= _PSEUDO:
            if regular:
                raise MalformedMessage(stream_id, "pseudo-header field after a regular field")
            if kind == _PROTOCOL and not extended_connect:
                raise MalformedMessage(stream_id, "invalid pseudo-header field ':protocol'")
            if key in pseudo:
                raise MalformedMessage(stream_id, "repeated pseudo-header field %r" % key)
            if good_value(value) is None:
                _check_value(stream_id, name, value)
            pseudo[key] = value.decode("latin-1")
            continue
        regular = True
        if kind == _PLAIN:
            if good_value(value) is None:
                _check_value(stream_id, name, value)
            fields.append((key, value.decode("latin-1")))
            continue
        if kind == _TE and value.lower() != b"trailers":
            raise MalformedMessage(stream_id, "te other than trailers")
        if good_value(value) is None:
            _check_value(stream_id, name, value)
        if kind == _COOKIE:
            # several cookie fields form one (RFC 9113 section 8.2.3)
            if cookies is None:
                cookies = [value]
                cookie_at = len(fields)
                fields.append(("cookie", ""))
            else:
                cookies.append(value)
            continue
        if kind == _LENGTH:
            if lengths is None:
                lengths = [value]
            else:
                lengths.append(value)
        elif kind == _HOST:
            if hosts is None:
                hosts = [value]
            else:
                hosts.append(value)
        fields.append((key, value.decode("latin-1")))
    if cookies is not None:
        fields[cookie_at] = ("cookie", b"; ".join(cookies).decode("latin-1"))

    method = pseudo.get(":method")
    if method is None:
        raise MalformedMessage(stream_id, "missing :method")
    scheme = pseudo.get(":scheme")
    path = pseudo.get(":path")
    authority = pseudo.get(":authority")
    protocol = pseudo.get(":protocol")
    if protocol is not None:
        # extended CONNECT (RFC 8441 section 4): only on CONNECT, with all of
        # :scheme, :path and :authority
        if method != "CONNECT" or not protocol or scheme is None or not path \
                or not authority:
            raise MalformedMessage(stream_id, "malformed extended CONNECT request")
        if scheme.lower() in _HTTP_SCHEMES and path[:1] != "/":
            raise MalformedMessage(stream_id, "invalid :path")
    elif method == "CONNECT":
        # RFC 9113 section 8.5: :scheme and :path omitted, :authority required
        if scheme is not None or path is not None or not authority:
            raise MalformedMessage(stream_id, "malformed CONNECT request")
    else:
        if scheme is None or path is None:
            raise MalformedMessage(stream_id, "missing :scheme or :path")
        if not path:
            raise MalformedMessage(stream_id, "empty :path")
        if scheme.lower() in _HTTP_SCHEMES:
            if path[:1] != "/" and not (path == "*" and method == "OPTIONS"):
                raise MalformedMessage(stream_id, "invalid :path")
    if authority is not None:
        if not authority:
            raise MalformedMessage(stream_id, "empty :authority")
        if "@" in authority and (scheme is None or scheme.lower() in _HTTP_SCHEMES):
            raise MalformedMessage(stream_id, "userinfo in :authority")
    if hosts is not None and authority is not None:
        # "A server SHOULD treat a request as malformed if it contains a Host
        # header field that identifies an entity that differs from the entity
        # in the :authority pseudo-header field" (RFC 9113 section 8.3.1)
        bscheme = scheme.encode("latin-1") if scheme else b""
        want = _authority_host(authority.encode("latin-1"), bscheme)
        for host in hosts:
            if _authority_host(host, bscheme) != want:
                raise MalformedMessage(stream_id, "host differs from :authority")
    content_length = None
    if lengths is not None:
        first = lengths[0]
        if _DIGITS.fullmatch(first) is None or any(v != first for v in lengths[1:]):
            raise MalformedMessage(stream_id, "invalid content-length")
        content_length = int(first)
    return RequestFields(pseudo, fields, content_length, size)


def check_trailer_fields(stream_id: int, block: Iterable[tuple[bytes, bytes]]
                         ) -> tuple[list[tuple[str, str]], int]:
    """Validate a trailer section; return ([(lowercase name, value) str], list size).

    Raises MalformedMessage for pseudo-header fields (RFC 9113 section 8.1)
    and for the name/value rules of ``check_request_fields``.
    """
    out = []
    size = 0
    for name, value in block:
        size += len(name) + len(value) + FIELD_OVERHEAD
        if name[:1] == b":":
            raise MalformedMessage(stream_id, "pseudo-header field in trailers")
        _check_regular(stream_id, name, value)
        out.append((name.decode("latin-1"), value.decode("latin-1")))
    return out, size


# What _regular_block does with an outbound field name (str, as given),
# remembered with its lowercase bytes form: responses repeat a few names.
# Bounded like _KNOWN_NAMES.
_OUT_PLAIN, _OUT_NEVER_INDEX, _OUT_LENGTH, _OUT_DROP, _OUT_PSEUDO, _OUT_NOT_LATIN1 = range(6)
_OUT_NAMES: dict[str, tuple[int, bytes]] = {}


def _out_name(name: str) -> tuple[int, bytes]:
    lname = name.lower()
    if lname in _CONNECTION_SPECIFIC_STR:
        # meaningless in HTTP/2, forbidden by RFC 9113 section 8.2.2
        kind = _OUT_DROP
    elif lname[:1] == ":":
        kind = _OUT_PSEUDO
    elif lname == "content-length":
        kind = _OUT_LENGTH
    else:
        kind = _OUT_PLAIN
    try:
        bname = lname.encode("latin-1")
    except UnicodeEncodeError:
        # raised again once the value was converted, as ever
        return (_OUT_NOT_LATIN1, b"") if kind == _OUT_PLAIN else (kind, b"")
    if bname in _NEVER_INDEX:
        kind = _OUT_NEVER_INDEX
    entry = (kind, bname)
    if len(_OUT_NAMES) < _KNOWN_MAX and len(name) <= _KNOWN_NAME_LEN:
        _OUT_NAMES[name] = entry
    return entry


def _regular_block(headers: Iterable[tuple[Any, Any]], out: list[Any], *,
                   trailers: bool) -> bytes | None:
    """Append *headers* to *out* as HPACK input; return the first
    content-length value (None when there is none)."""
    length = None
    known = _OUT_NAMES
    for name, value in headers:
        if type(name) is not str:
            name = bytes(name).decode("latin-1")
        entry = known.get(name)
        if entry is None:
            entry = _out_name(name)
        kind, bname = entry
        if kind == _OUT_DROP or kind == _OUT_PSEUDO:
            if kind == _OUT_DROP:
                continue
            raise ValueError("pseudo-header field %r in %s" % (
                name, "trailers" if trailers else "response fields"))
        if type(value) is str:
            raw = value.strip(" \t").encode("latin-1")
        elif isinstance(value, (bytes, bytearray)):
            raw = bytes(value).strip(b" \t")
        else:
            raw = str(value).strip(" \t").encode("latin-1")
        if kind == _OUT_PLAIN:
            out.append((bname, raw))
        elif kind == _OUT_NEVER_INDEX:
            out.append(NeverIndexedHeaderTuple(bname, raw))
        elif kind == _OUT_LENGTH:
            if length is None:
                length = raw
            out.append((bname, raw))
        else:
            name.lower().encode("latin-1")  # raises UnicodeEncodeError
    return length


def response_head(status: int, headers: Iterable[tuple[Any, Any]]) -> tuple[list[Any], bytes | None]:
    """``response_block(status, headers)`` and the first content-length value
    in it (bytes, None when there is none)."""
    if not 200 <= status <= 999:
        raise ValueError("invalid final status %r" % (status,))
    block: list[Any] = [(b":status", b"%d" % status)]
    length = _regular_block(headers, block, trailers=False)
    for field in block:
        if field[0] == b"date":
            break
    else:
        # "An origin server with a clock MUST generate a Date header field"
        # (RFC 9110 section 6.6.1), as the HTTP/1.1 path does
        block.append((b"date", http_date_cached().encode("latin-1")))
    return block, length


def response_block(status: int, headers: Iterable[tuple[Any, Any]]) -> list[Any]:
    """The HPACK input for a response head: ``:status``, the lowercased
    fields, then ``date`` (now) unless they have one (RFC 9110 section 6.6.1).

    *headers* are (name, value) pairs of str (or bytes, read as latin-1);
    connection-specific fields (connection, keep-alive, proxy-connection,
    transfer-encoding, upgrade, te) are dropped.  Raises ValueError for a
    status outside 200..999 or a pseudo-header name.
    """
    return response_head(status, headers)[0]


def informational_block(status: int, headers: Iterable[tuple[Any, Any]]) -> list[Any]:
    """The HPACK input for a 1xx response (RFC 9113 section 8.1).

    Raises ValueError unless 100 <= status <= 199 and status is not 101
    (Switching Protocols does not exist in HTTP/2, RFC 9113 section 8.6).
    """
    if not 100 <= status <= 199 or status == 101:
        raise ValueError("invalid informational status %r" % (status,))
    block: list[Any] = [(b":status", b"%d" % status)]
    _regular_block(headers, block, trailers=False)
    return block


def trailer_block(headers: Iterable[tuple[Any, Any]]) -> list[Any]:
    """The HPACK input for a trailer section; pseudo-headers raise ValueError."""
    block: list[Any] = []
    _regular_block(headers, block, trailers=True)
    return block
