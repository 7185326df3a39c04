"""ABNF of HTTP/1.1 requests as precompiled regular expressions.

Patterns work on ``str`` obtained by decoding the wire bytes as latin-1, so
each character is exactly one octet (0x00-0xFF).  References: RFC 9110
section 5 (fields), RFC 9112 sections 2-7 (message syntax), RFC 5234 (core
rules).
"""

from __future__ import annotations

import re

# tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA        (RFC 9110 5.6.2)
TCHAR = r"-!#$%&'*+.^_`|~0-9A-Za-z"
# token = 1*tchar
TOKEN = r"[" + TCHAR + r"]+"
TOKEN_RE = re.compile(TOKEN)

# field-vchar = VCHAR / obs-text                             (RFC 9110 5.5)
FIELD_VCHAR = r"[\x21-\x7e\x80-\xff]"
# field-value   = *field-content
# field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
# Matched together with its trailing OWS, for whole lines: it
# starts with a field-vchar, so it never trades characters with the leading
# OWS and a failing line is rejected in linear time (a field-value pattern
# between two OWS backtracks quadratically on long runs of spaces).  The
# caller strips the trailing SP / HTAB.
FIELD_VALUE_OWS = r"(?:" + FIELD_VCHAR + r"[\t\x20-\x7e\x80-\xff]*)?"

# field-line = field-name ":" OWS field-value OWS           (RFC 9112 5)
# groups: field-name, field-value with trailing OWS.
FIELD_LINE = r"(" + TOKEN + r"):[ \t]*(" + FIELD_VALUE_OWS + r")\r\n"
# The field lines of a block, each matched from a line start.  A match never
# spans an LF, so when the number of matches equals the number of LFs in a
# block that ends with CRLF, every line matched whole: no obs-fold, no
# whitespace before ":", no bare CR or LF, no forbidden characters.
FIELD_LINES_RE = re.compile(r"^" + FIELD_LINE, re.M)
# CTLs other than HTAB, and DEL, are never allowed in a field value (RFC 9110 5.5).
FIELD_VALUE_BADCHAR_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# NUL, CR, LF: the characters RFC 9110 5.5 calls invalid and dangerous.
RFC9110_5_5_INVALID_AND_DANGEROUS = re.compile(r"[\0\r\n]")

# Methods that are conventional: a token of 3..20 characters without lowercase
# letters or "#" (a gunicorn rule on top of RFC 9110 section 9).
METHOD_BADCHAR_RE = re.compile(r"[a-z#]")
CONVENTIONAL_METHOD = r"[-!$%&'*+.^_`|~0-9A-Z]{3,20}"

# HTTP-version = HTTP-name "/" DIGIT "." DIGIT               (RFC 9112 2.3)
VERSION_RE = re.compile(r"HTTP/([0-9])\.([0-9])")

# request-target characters: visible US-ASCII only; controls, SP and raw
# octets >= 0x80 are rejected (RFC 9112 3.2, RFC 3986 2).
TARGET_RE = re.compile(r"[\x21-\x7e]+")

# The common case in one match: conventional method, origin-form target,
# HTTP/1.x version.  Anything else goes through the detailed checks.
#   request-line = method SP request-target SP HTTP-version  (RFC 9112 3)
FAST_REQUEST_LINE_RE = re.compile(
    r"(" + CONVENTIONAL_METHOD + r") (/[\x21-\x7e]*) HTTP/1\.([0-9])"
)

# scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )         (RFC 3986 3.1)
# absolute-form = absolute-URI                               (RFC 9112 3.2.2)
ABSOLUTE_FORM_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[\x21-\x7e]*")
# authority-form = uri-host ":" port                         (RFC 9112 3.2.3)
AUTHORITY_FORM_RE = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]|[-A-Za-z0-9._~!$&'()*+,;=%]+):[0-9]+"
)

# chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF  (RFC 9112 7.1)
# chunk-size     = 1*HEXDIG
# chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
# chunk-ext-val  = token / quoted-string
# quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE   (RFC 9110 5.6.4)
QUOTED_STRING = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
CHUNK_EXT = (
    r"(?:[ \t]*;[ \t]*" + TOKEN
    + r"(?:[ \t]*=[ \t]*(?:" + TOKEN + r"|" + QUOTED_STRING + r"))?)*"
)
CHUNK_SIZE_LINE_RE = re.compile(r"([0-9A-Fa-f]+)(" + CHUNK_EXT + r")")
# 16 significant hex digits do not fit in a signed 64-bit size; refuse them.
MAX_CHUNK_SIZE_DIGITS = 15

# Content-Length = 1*DIGIT                                    (RFC 9110 8.6)
DIGITS_RE = re.compile(r"[0-9]+")

# Finds a field line whose name contains "_" (header_map applies to those only).
UNDERSCORE_NAME_RE = re.compile(r"^[^:\r\n_]*_", re.M)
