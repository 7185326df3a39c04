"""Settings of the "Security" section: limits on request heads."""

from __future__ import annotations

from gunicorn.settings.base import define
from gunicorn.settings.validators import validate_pos_int

SECTION = "Security"

LimitRequestLine = define(
    "LimitRequestLine",
    name="limit_request_line",
    section=SECTION,
    cli=["--limit-request-line"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=4094,
    desc="""
    Largest request line (method, request-target and version) in bytes.

    0 means no limit; values above 8190 are treated as 8190. A longer line is
    answered with 414 URI Too Long. Guards against oversized requests.
    """,
)

LimitRequestFields = define(
    "LimitRequestFields",
    name="limit_request_fields",
    section=SECTION,
    cli=["--limit-request-fields"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=100,
    desc="""
    Most header fields accepted in one request.

    0 or values above 32768 mean 32768. More fields get 431 Request Header
    Fields Too Large.
    """,
)

LimitRequestFieldSize = define(
    "LimitRequestFieldSize",
    name="limit_request_field_size",
    section=SECTION,
    cli=["--limit-request-field_size"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=8190,
    desc="""
    Largest single header field line in bytes.

    A longer field gets 431 Request Header Fields Too Large. A value of 0
    (or anything not above 0) selects the default of 8190 bytes; fields are
    never unlimited.
    """,
)
