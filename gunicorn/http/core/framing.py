"""Message body framing and connection persistence (RFC 9112 sections 6 and 9.3).

Request side: ``decide_framing`` (how the request content is delimited) and
``should_close`` (what the request says about persistence).  Response side:
``response_framing`` (how our content is delimited).
"""

from __future__ import annotations

from ..errors import InvalidHeader, UnsupportedTransferCoding
from .grammar import DIGITS_RE

__all__ = [
    "decide_framing",
    "should_close",
    "response_framing",
    "COMPRESSION_CODINGS",
    "BODY_NONE",
    "BODY_LENGTH",
    "BODY_CHUNKED",
    "BODY_CLOSE",
    "BODY_RAW",
]

# Codings we pass through undecoded; they may only precede "chunked".  The
# legacy aliases x-gzip/x-compress are unsupported (501), as in gunicorn.
COMPRESSION_CODINGS = frozenset({"gzip", "deflate", "compress"})


def decide_framing(
    version: tuple[int, int],
    content_length: str | None,
    transfer_encoding: list[str] | None,
) -> tuple[int | None, bool, bool]:
    """Decide how the request body is delimited.

    *content_length* is the single Content-Length value (duplicates were
    already refused) or None; *transfer_encoding* the Transfer-Encoding field
    values in wire order or None.  Returns ``(length, chunked, force_close)``:
    ``length`` is the body size in bytes (0 when the request has no framing,
    None when chunked).  Raises InvalidHeader (400) for CL+TE, chunked twice or
    not last, chunked on HTTP/1.0, a Content-Length that is not plain digits
    or too long for ``int()`` (over 4300 digits by default);
    UnsupportedTransferCoding (501) for codings we do not know and for empty
    list elements (``, chunked``, ``chunked,``, an empty Transfer-Encoding
    field): RFC 9110 section 5.6.1 lets a recipient skip them, but a front
    proxy that does not see "chunked" there would take the body for the next
    request, so they are refused as gunicorn 27.0 does.
    """
    if transfer_encoding is not None:
        codings = []
        for value in transfer_encoding:
            for item in value.split(","):
                coding = item.strip(" \t").lower()
                if not coding:
                    raise UnsupportedTransferCoding(value)
                codings.append((coding, value))
        chunked = False
        force_close = False
        for coding, value in codings:
            if chunked:
                # nothing may follow chunked, not even a second chunked (RFC 9112 6.1)
                raise InvalidHeader("TRANSFER-ENCODING")
            if coding == "chunked":
                chunked = True
            elif coding in COMPRESSION_CODINGS:
                force_close = True
            elif coding != "identity":
                raise UnsupportedTransferCoding(value)
        if not chunked:
            # a request whose final coding is not chunked has no reliable length (RFC 9112 6.3)
            raise InvalidHeader("TRANSFER-ENCODING")
        if version < (1, 1):
            raise InvalidHeader("TRANSFER-ENCODING")
        if content_length is not None:
            raise InvalidHeader("CONTENT-LENGTH")
        return None, True, force_close
    if content_length is not None:
        # Content-Length = 1*DIGIT: no sign, no list, no inner whitespace (RFC 9110 8.6)
        if DIGITS_RE.fullmatch(content_length) is None:
            raise InvalidHeader("CONTENT-LENGTH")
        try:
            return int(content_length), False, False
        except ValueError:
            # more digits than int() converts (sys.get_int_max_str_digits):
            # a parse error, not a crash (RFC 9110 8.6 asks to expect huge values)
            raise InvalidHeader("CONTENT-LENGTH") from None
    return 0, False, False


def should_close(must_close: bool, connection: str | None, version: tuple[int, int]) -> bool:
    """Keep-alive decision (RFC 9112 section 9.3), gunicorn-compatible.

    *connection* is "close" when any Connection field carries the close
    option, otherwise the Connection options (lowercased, several fields
    joined with ", "), or None.  "close" closes, a "keep-alive" option
    keeps (RFC 9112 section 9.3, HTTP/1.0); otherwise HTTP/1.0 closes.
    """
    if must_close:
        return True
    if connection is not None:
        if connection == "close":
            return True
        if connection == "keep-alive" or (
            "keep-alive" in connection
            and "keep-alive" in {opt.strip(" \t") for opt in connection.split(",")}
        ):
            return False
    return version <= (1, 0)


# How a response's content is delimited (RFC 9112 section 6.3).
BODY_NONE = 0      # no content whatever the fields say (HEAD, 1xx, 204, 304)
BODY_LENGTH = 1    # Content-Length
BODY_CHUNKED = 2   # chunked transfer coding (HTTP/1.1 and later)
BODY_CLOSE = 3     # delimited by closing the connection (HTTP/1.0, no length)
BODY_RAW = 4       # 101 Switching Protocols: the bytes that follow are another protocol


def response_framing(method: str, version: tuple[int, int], status_code: int,
                     content_length: int | None) -> int:
    """How the response content is framed (RFC 9112 section 6.3, RFC 9110 6.4.1).

    *method* and *version* are the request's; *content_length* the
    response's Content-Length or None.  Returns one of the ``BODY_*``
    constants: no content for HEAD, 1xx (except 101), 204 and 304; the
    Content-Length when given; chunked for HTTP/1.1+; else close-delimited.
    """
    if status_code == 101:
        return BODY_RAW
    if method == "HEAD" or status_code < 200 or status_code == 204 or status_code == 304:
        return BODY_NONE
    if content_length is not None:
        return BODY_LENGTH
    if version >= (1, 1):
        return BODY_CHUNKED
    return BODY_CLOSE
