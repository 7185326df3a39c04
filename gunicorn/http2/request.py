"""HTTP/2 requests as the WSGI layer sees them.

``HTTP2Request`` mirrors ``gunicorn.http.message.Request`` (method, path,
query, headers as (UPPERCASE name, value), version (2, 0), scheme, body) for
one stream whose field block already passed the RFC 9113 checks of
``gunicorn.http2.fields``.  It then applies the same field policy as HTTP/1.1,
with the HTTP/1.1 code: request-line limit (414), method and request-target
rules, field count and size limits (431), field-name tokens, control
characters in values, ``header_map`` for names with "_", duplicate Host /
Content-Type / Content-Length, ``Expect`` (417) and the trusted
secure-scheme headers.  Violations raise the ``gunicorn.http.errors``
exception HTTP/1.1 would raise, which carries the status to answer.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from gunicorn.http.body import Body
from gunicorn.http.core.fields import apply_underscore_policy, check_trailer_fields
from gunicorn.http.core.grammar import FIELD_VALUE_BADCHAR_RE, TARGET_RE, TOKEN_RE
from gunicorn.http.core.head import parse_request_line, split_target
from gunicorn.http.core.policy import secure_scheme
from gunicorn.http.core.settings import ParserSettings, settings_for
from gunicorn.http.errors import (
    ExpectationFailed,
    InvalidHeader,
    InvalidHeaderName,
    InvalidRequestLine,
    InvalidRequestMethod,
    LimitRequestHeaders,
    LimitRequestLine,
)

from .errors import HTTP2Error

__all__ = ["HTTP2Body", "HTTP2Request", "check_trailer_policy"]

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
# Methods for which parse_request_line returns an origin-form request-line
# unchanged (conventional methods, RFC 9110 section 9)
_PLAIN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"))
# fields whose repetitions or values HTTP2Request checks by name
_COUNTED = frozenset(("HOST", "CONTENT-TYPE", "CONTENT-LENGTH", "EXPECT"))

# Field names that passed TOKEN_RE, with their UPPERCASE form: requests repeat
# a few dozen names, and one dict lookup stands for the match and the
# upper().  Bounded: first come, never evicted; longer names are checked
# every time.
_UPPER_NAMES: dict[str, str] = {}
_UPPER_MAX = 1024
_UPPER_NAME_LEN = 64


def _upper_name(name: str) -> str:
    """*name* in UPPERCASE; raises InvalidHeaderName unless it is a token
    (RFC 9110 section 5.1)."""
    if TOKEN_RE.fullmatch(name) is None:
        raise InvalidHeaderName(name)
    key = name.upper()
    if len(_UPPER_NAMES) < _UPPER_MAX and len(name) <= _UPPER_NAME_LEN:
        _UPPER_NAMES[name] = key
    return key


class _StreamReader:
    """``read(size)`` over a stream's buffered body, without waiting.

    Used when nothing better is installed: it works once the body is complete.
    I/O drivers give HTTP2Body a reader that waits for more data instead.
    """

    __slots__ = ("stream",)

    # no declared length (HTTP2Body asks; a class attribute spares it the
    # AttributeError of getattr's default)
    length = None

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def read(self, size: int) -> bytes:
        data = self.stream.read_body(size)
        if data is None:
            raise HTTP2Error("request body not received yet; this reader does not wait")
        return data

    def close(self) -> None:
        pass


class HTTP2Body(Body):
    """File-like request body (PEP 3333 ``wsgi.input``) of an HTTP/2 stream.

    Args:
        data: the whole body as bytes, or a reader: an object whose
            ``read(size)`` returns 1..size octets, or b"" at the end (it may
            block), and optionally ``close()`` and a ``length`` attribute.

    ``read(size=None)``, ``readline(size=None)``, ``readlines(hint=None)`` and
    iteration behave as for HTTP/1.1 bodies.  ``len()`` is the length of a
    bytes body, else the reader's ``length`` (the declared content-length) or 0.
    """

    def __init__(self, data: Any = b"") -> None:
        if isinstance(data, (bytes, bytearray, memoryview)):
            raw = bytes(data)
            self._length: int | None = len(raw)
            reader: Any = io.BytesIO(raw)
        else:
            reader = data
            self._length = getattr(data, "length", None)
        super().__init__(reader)

    def __len__(self) -> int:
        return self._length or 0

    def close(self) -> None:
        """Close the reader; later reads return b""."""
        closer = getattr(self.reader, "close", None)
        if closer is not None:
            closer()
        self._buf = b""
        self.reader = io.BytesIO(b"")


def _check_fields(fields: list[tuple[str, str]], s: ParserSettings
                  ) -> tuple[list[tuple[str, str]], bool]:
    """Field count, size, name and value rules of HTTP/1.1 (RFC 9110 section 5).

    Returns the fields as (UPPERCASE name, value) pairs and whether a name
    holds "_" (``header_map`` applies).  Raises LimitRequestHeaders,
    InvalidHeaderName, InvalidHeader.
    """
    if len(fields) > s.limit_request_fields:
        raise LimitRequestHeaders("limit request headers fields")
    size_limit = s.limit_request_field_size - 4  # as "name: value" CRLF counts in HTTP/1.1
    upper = _UPPER_NAMES
    bad_value = FIELD_VALUE_BADCHAR_RE.search
    out: list[tuple[str, str]] = []
    underscore = False
    for name, value in fields:
        if len(name) + len(value) > size_limit:
            raise LimitRequestHeaders("limit request headers fields size")
        key = upper.get(name)
        if key is None:
            key = _upper_name(name)
        if bad_value(value) is not None:
            raise InvalidHeader(key)
        if "_" in key:
            underscore = True
        out.append((key, value))
    return out, underscore


def check_trailer_policy(trailers: list[tuple[str, str]], settings: ParserSettings
                         ) -> list[tuple[str, str]]:
    """Apply the HTTP/1.1 trailer policy; return (UPPERCASE name, value) pairs.

    Raises LimitRequestHeaders, InvalidHeaderName (not a token, or a field
    that may not appear in trailers, RFC 9110 section 6.5.1), InvalidHeader
    (control characters, repeated Content-Type).  Names with "_" follow
    ``header_map`` as for an untrusted peer (trailers are never trusted).
    """
    out, underscore = _check_fields(trailers, settings)
    check_trailer_fields(out)
    if underscore:
        out = apply_underscore_policy(out, settings, False)
    return out


class HTTP2Request:
    """The request carried by one HTTP/2 stream, shaped like an HTTP/1.1 Request.

    Args:
        stream: an HTTP2Stream whose request fields were received.
        cfg: the gunicorn Config.
        peer_addr: the client address ((host, port), a UNIX path or None).
        settings: the ParserSettings of *cfg* (looked up when None).
        trusted: whether the peer is in ``forwarded_allow_ips`` (looked up
            when None).
        default_scheme: the scheme of the connection ("https" over TLS);
            ``cfg.is_ssl`` decides when None.

    Attributes: ``version`` (2, 0), ``method``, ``scheme``, ``uri`` (the
    ``:path``, or the ``:authority`` of CONNECT), ``path``, ``query``,
    ``fragment``, ``protocol`` (the ``:protocol`` of an extended CONNECT,
    RFC 8441, else None; its target is then the ``:path``),
    ``headers`` (list of (UPPERCASE name, value); ``:authority``
    becomes HOST in place of any Host field), ``trailers`` (filled when the
    trailer section arrives), ``body`` (HTTP2Body), ``must_close``,
    ``expect_100`` (the client sent ``Expect: 100-continue``),
    ``_expected_100_continue`` (always False: HTTP/1 interim bytes never
    reach an HTTP/2 stream), ``req_number`` (the stream id),
    ``proxy_protocol_info`` (None), ``priority_weight``,
    ``priority_depends_on``, ``stream``, ``cfg``, ``peer_addr`` /
    ``remote_addr``.

    Scheme: the ``:scheme`` pseudo-header is believed only from peers in
    ``forwarded_allow_ips`` (as HTTP/1.1 believes X-Forwarded-Proto only from
    them); other peers get the connection's scheme.  Trusted
    ``secure_scheme_headers`` then apply as for HTTP/1.1.

    Raises the ``gunicorn.http.errors`` exception HTTP/1.1 would raise for the
    same request: LimitRequestLine (414), InvalidRequestMethod,
    InvalidRequestLine, InvalidHeaderName, InvalidHeader, InvalidSchemeHeaders
    (400), LimitRequestHeaders (431), ExpectationFailed (417).
    """

    version = (2, 0)
    # defaults every request starts with (set on the instance when they change)
    proxy_protocol_info: dict[str, Any] | None = None
    must_close = False
    _expected_100_continue = False
    expect_100 = False
    protocol: str | None = None

    def __init__(self, stream: Any, cfg: Any, peer_addr: Any, *,
                 settings: ParserSettings | None = None, trusted: bool | None = None,
                 default_scheme: str | None = None) -> None:
        self.stream = stream
        self.cfg = cfg
        self.peer_addr = self.remote_addr = peer_addr
        s = settings if settings is not None else settings_for(cfg)
        self._settings = s
        policy = s.policy
        if trusted is None:
            trusted = policy.forwarded_trusted(peer_addr)
        if default_scheme is None:
            default_scheme = policy.default_scheme
        self.req_number = stream.stream_id
        self.trailers: list[tuple[str, str]] = []
        self.priority_weight = stream.priority_weight
        self.priority_depends_on = stream.priority_depends_on

        pseudo = stream.get_pseudo_headers()
        method = pseudo.get(":method", "GET")
        authority = pseudo.get(":authority")
        protocol = pseudo.get(":protocol")
        if protocol is not None:
            self.protocol = protocol
        if method == "CONNECT" and protocol is None:
            target = authority or ""
        else:
            target = pseudo.get(":path", "/")
        line_length = len(method) + len(target) + 10  # "M T HTTP/2.0"
        limit = s.limit_request_line
        if limit and line_length > limit:
            raise LimitRequestLine(line_length, limit)
        plain = method in _PLAIN_METHODS  # tokens all
        if not plain and TOKEN_RE.fullmatch(method) is None:
            raise InvalidRequestMethod(method)
        if TARGET_RE.fullmatch(target) is None:
            # controls, SP or raw octets above 0x7f (RFC 9112 3.2, RFC 3986 2)
            raise InvalidRequestLine("%s %s" % (method, target))
        # method and request-target rules of HTTP/1.1 (RFC 9110 9.1, RFC 9112 3.2)
        if target[:1] == "/" and (plain or protocol is not None):
            # what parse_request_line returns unchanged for a conventional
            # method and an origin-form target that TARGET_RE accepted
            pass
        elif protocol is not None:
            # an extended CONNECT names its target with :path in origin-form
            # (RFC 8441 section 4), which the request-line rules check as
            # they would for any other method
            _method, target, _version = parse_request_line("GET %s HTTP/1.1" % target, s)
        else:
            method, target, _version = parse_request_line("%s %s HTTP/1.1" % (method, target), s)
        self.method = method
        self.uri = target
        if method == "CONNECT" and protocol is None:
            self.path, self.query, self.fragment = "", "", ""
        else:
            try:
                self.path, self.query, self.fragment = split_target(target)
            except ValueError:
                raise InvalidRequestLine("%s %s" % (method, target)) from None
        self.headers = headers = self._request_headers(stream.get_regular_headers(), authority,
                                                       s, trusted)

        scheme = default_scheme
        claimed = pseudo.get(":scheme")
        if trusted and claimed:
            if claimed == "https" or claimed == "http":
                scheme = claimed
            elif claimed[0].isalpha() and set(claimed) <= _SCHEME_CHARS:
                scheme = claimed.lower()
        if trusted and policy.secure_scheme_headers:
            scheme = secure_scheme(headers, policy.secure_scheme_headers, scheme)
        self.scheme = scheme
        self.body = HTTP2Body(_StreamReader(stream))

    def _request_headers(self, fields: list[tuple[str, str]], authority: str | None,
                         s: ParserSettings, trusted: bool) -> list[tuple[str, str]]:
        """The (UPPERCASE name, value) fields after the HTTP/1.1 field policy:
        ``_check_fields``, then the ``:authority`` value, then the first
        repeated Host / Content-Type / Content-Length or bad Expect."""
        headers, underscore = _check_fields(fields, s)
        if authority is not None and FIELD_VALUE_BADCHAR_RE.search(authority) is not None:
            raise InvalidHeader("HOST")
        hosts = types = lengths = 0
        for i, (key, value) in enumerate(headers):
            if key not in _COUNTED:
                continue
            if key == "HOST":
                hosts += 1
                if hosts > 1:
                    raise InvalidHeader("HOST")
                if authority is not None:
                    # :authority wins over Host (RFC 9113 section 8.3.1)
                    headers[i] = ("HOST", authority)
            elif key == "CONTENT-TYPE":
                types += 1
                if types > 1:
                    raise InvalidHeader("CONTENT-TYPE")
            elif key == "CONTENT-LENGTH":
                lengths += 1
                if lengths > 1:
                    raise InvalidHeader("CONTENT-LENGTH")
            elif value.lower() == "100-continue":
                # the Expect value is case-insensitive (RFC 9110 10.1.1)
                self.expect_100 = True
            else:
                raise ExpectationFailed(value)
        if authority is not None and not hosts:
            headers.insert(0, ("HOST", authority))
        if underscore:
            headers = apply_underscore_policy(headers, s, trusted)
        return headers

    @classmethod
    def from_http1(cls, stream: Any, cfg: Any, peer_addr: Any, head: Any, *,
                   settings: ParserSettings | None = None,
                   default_scheme: str | None = None) -> HTTP2Request:
        """The request of an ``Upgrade: h2c`` exchange, which becomes stream 1.

        *head* is the HTTP/1.1 request (method, uri, path, query, fragment,
        headers as (UPPERCASE name, value), scheme) that already passed the
        HTTP/1.1 policy.  Connection-specific fields (Connection, Upgrade,
        HTTP2-Settings, Keep-Alive, Proxy-Connection, Transfer-Encoding, TE)
        are left out (RFC 9113 section 8.2.2).
        """
        self = cls.__new__(cls)
        self.stream = stream
        self.cfg = cfg
        self.peer_addr = self.remote_addr = peer_addr
        self._settings = settings if settings is not None else settings_for(cfg)
        self.req_number = stream.stream_id
        self.proxy_protocol_info = None
        self.must_close = False
        self._expected_100_continue = False
        self.expect_100 = False
        self.trailers = []
        self.priority_weight = stream.priority_weight
        self.priority_depends_on = stream.priority_depends_on
        self.protocol = None
        self.method = head.method
        self.uri = head.uri
        self.path, self.query, self.fragment = head.path, head.query, head.fragment
        drop = {"CONNECTION", "UPGRADE", "HTTP2-SETTINGS", "KEEP-ALIVE", "PROXY-CONNECTION",
                "TRANSFER-ENCODING", "TE"}
        self.headers = [(n, v) for n, v in head.headers if n not in drop]
        self.scheme = getattr(head, "scheme", None) or default_scheme or "http"
        self.body = HTTP2Body(_StreamReader(stream))
        return self

    def force_close(self) -> None:
        """Mark the request so that ``should_close()`` is True."""
        self.must_close = True

    def should_close(self) -> bool:
        """``must_close``: HTTP/2 streams never keep a connection open by themselves."""
        return self.must_close

    def get_header(self, name: str) -> str | None:
        """The value of the first field called *name* (any case), or None."""
        key = name.upper()
        for hname, value in self.headers:
            if hname == key:
                return value
        return None

    @property
    def content_length(self) -> int | None:
        """The declared content-length as int, or None."""
        return self.stream.content_length

    @property
    def content_type(self) -> str | None:
        """The Content-Type value, or None."""
        return self.get_header("CONTENT-TYPE")

    def set_trailers(self, trailers: Iterable[tuple[str, str]]) -> None:
        """Store the policy-checked request trailers (UPPERCASE names)."""
        self.trailers = list(trailers)
