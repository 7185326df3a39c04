"""Field section parsing (RFC 9110 section 5, RFC 9112 section 5).

``parse_field_section`` turns a decoded field block (every field line followed
by CRLF, the final empty line excluded) into a list of ``(NAME, value)``
tuples in wire order, with uppercase names and values stripped of SP/HTAB.
A single regular expression validates and splits the usual block in one
pass; only a block it refuses is walked line by line to find the precise
error (or to apply ``permit_obsolete_folding`` / ``strip_header_spaces``).
"""

from __future__ import annotations

from ..errors import (
    InvalidHeader,
    InvalidHeaderName,
    LimitRequestHeaders,
    ObsoleteFolding,
)
from .grammar import FIELD_LINES_RE, FIELD_VALUE_BADCHAR_RE, TOKEN_RE
from .settings import ParserSettings

__all__ = [
    "parse_field_section", "apply_underscore_policy", "check_trailer_fields", "FORBIDDEN_TRAILERS",
]

# Fields a sender must not put in a trailer section because they control
# framing, routing, authentication or the connection (RFC 9110 section 6.5.1).
FORBIDDEN_TRAILERS = frozenset({
    "CONTENT-LENGTH", "TRANSFER-ENCODING", "HOST", "TRAILER", "TE", "EXPECT",
    "CONNECTION", "KEEP-ALIVE", "PROXY-CONNECTION", "UPGRADE", "MAX-FORWARDS",
    "AUTHORIZATION", "PROXY-AUTHORIZATION", "COOKIE", "CONTENT-ENCODING",
    "CONTENT-RANGE", "RANGE",
})


def check_trailer_fields(fields: list[tuple[str, str]]) -> None:
    """Check a trailer section of (UPPERCASE name, value) pairs, HTTP/1.1 or HTTP/2.

    Raises InvalidHeaderName for a field that may not appear in trailers
    (RFC 9110 section 6.5.1) and InvalidHeader for a repeated Content-Type
    (a singleton field, RFC 9110 section 5.3).
    """
    content_type = False
    for name, _value in fields:
        if name in FORBIDDEN_TRAILERS:
            raise InvalidHeaderName(name)
        if name == "CONTENT-TYPE":
            if content_type:
                raise InvalidHeader(name)
            content_type = True


def _check_line_sizes(block: str, limit: int) -> None:
    # a field line with its CRLF must not exceed limit_request_field_size
    if len(block) > limit and max(map(len, block.split("\r\n"))) + 2 > limit:
        raise LimitRequestHeaders("limit request headers fields size")


def parse_field_section(block: str, s: ParserSettings) -> list[tuple[str, str]]:
    """Parse a field block into ``[(NAME, value), ...]``.

    *block* is latin-1 text where each field line ends with CRLF.  Raises
    LimitRequestHeaders (too many fields, a line too long), InvalidHeader
    (no colon, forbidden characters, bare CR/LF), InvalidHeaderName (not a
    token, whitespace before the colon) or ObsoleteFolding.
    """
    if not block:
        return []
    pairs = FIELD_LINES_RE.findall(block)
    if len(pairs) == block.count("\n") and block[-1] == "\n":
        # every line matched whole (see FIELD_LINES_RE)
        if len(pairs) > s.limit_request_fields:
            raise LimitRequestHeaders("limit request headers fields")
        size = s.limit_request_field_size
        if size and len(block) > size:
            _check_line_sizes(block, size)
        return [(name.upper(), value.rstrip(" \t")) for name, value in pairs]
    return _parse_slow(block, s)


def _parse_slow(block: str, s: ParserSettings) -> list[tuple[str, str]]:
    """Line-by-line walk that names the first violation (or applies the permissive settings)."""
    lines = block.split("\r\n")
    lines.pop()  # the block ends with CRLF
    if block.count("\n") != len(lines):
        # bare LF is not a line terminator here (RFC 9112 section 2.2)
        bad = next(line for line in lines if "\n" in line)
        raise InvalidHeader(bad)
    max_fields = s.limit_request_fields
    max_size = s.limit_request_field_size
    headers: list[tuple[str, str]] = []
    i = 0
    n = len(lines)
    count = 0
    while i < n:
        if count >= max_fields:
            raise LimitRequestHeaders("limit request headers fields")
        count += 1
        line = lines[i]
        i += 1
        length = len(line) + 2
        colon = line.find(":")
        if colon <= 0:
            if line[:1] in (" ", "\t"):
                # a continuation with nothing to continue
                if not s.permit_obsolete_folding:
                    raise ObsoleteFolding(line)
            raise InvalidHeader(line)
        name = line[:colon]
        if s.strip_header_spaces:
            name = name.rstrip(" \t")
        if TOKEN_RE.fullmatch(name) is None:
            raise InvalidHeaderName(name)
        name = name.upper()
        value = line[colon + 1:].strip(" \t")
        if i < n and lines[i][:1] in (" ", "\t"):
            # obs-fold = OWS CRLF RWS (RFC 9112 section 5.2)
            if not s.permit_obsolete_folding:
                raise ObsoleteFolding(name)
            parts = [value]
            while i < n and lines[i][:1] in (" ", "\t"):
                cont = lines[i]
                i += 1
                length += len(cont) + 2
                if max_size and length > max_size:
                    raise LimitRequestHeaders("limit request headers fields size")
                parts.append(cont.strip(" \t"))
            value = " ".join(parts)
        if FIELD_VALUE_BADCHAR_RE.search(value) is not None:
            raise InvalidHeader(name)
        if max_size and length > max_size:
            raise LimitRequestHeaders("limit request headers fields size")
        headers.append((name, value))
    return headers


def apply_underscore_policy(
    headers: list[tuple[str, str]], s: ParserSettings, trusted: bool
) -> list[tuple[str, str]]:
    """Apply ``header_map`` / ``forwarder_headers`` to names containing "_".

    Dropped fields disappear (they were already counted against the limits);
    refused ones raise InvalidHeaderName.
    """
    action = s.policy.underscore_action
    out = []
    for item in headers:
        name = item[0]
        if "_" in name:
            verdict = action(name, trusted)
            if verdict == "drop":
                continue
            if verdict == "refuse":
                raise InvalidHeaderName(name)
        out.append(item)
    return out
