"""h2c for the ASGI worker: a cleartext HTTP/1.1 connection handed to HTTP/2.

Two ways in (``http2_cleartext``), both only for trusted peers: the client
preface sent with prior knowledge (RFC 9113 section 3.3) and an HTTP/1.1
request with ``Upgrade: h2c`` (RFC 7540 section 3.2).  *proto* is the
connection's ``ASGIProtocol`` (``conn``, ``worker``, ``peer``, ``start_h2``).
The HTTP/2 layer is imported only when a connection switches.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http.core import RequestHead

__all__ = ["maybe_h2c", "maybe_h2c_upgrade"]


def maybe_h2c(proto: Any, data: bytes) -> bool:
    """Cleartext: hand the connection to HTTP/2 when *data* starts the
    client preface of a trusted peer (RFC 9113 section 3.3)."""
    from gunicorn.http2.core import detect_preface, h2c_allowed

    buffered, _ = proto.conn.trailing_data
    whole = bytes(buffered) + data if buffered else data
    found = detect_preface(whole)
    if found is False or not h2c_allowed(proto.worker.cfg, proto.peer)[0]:
        return False
    if found is None:
        proto.conn.receive_data(data)  # wait for the rest of the preface
        return True
    proto.conn.take_buffered()
    proto.start_h2(whole)
    return True


def maybe_h2c_upgrade(proto: Any, head: RequestHead) -> bool:
    """Cleartext: switch to HTTP/2 when a trusted peer's request without
    content asks for ``Upgrade: h2c`` with a valid HTTP2-Settings value;
    the request becomes stream 1 (RFC 7540 section 3.2).  False: serve
    it as HTTP/1.1 (a request with content included, as RFC 9113
    section 3.1 lets a server ignore the upgrade)."""
    from gunicorn.http2.core import decode_http2_settings, h2c_allowed, h2c_upgrade_settings

    if head.version != (1, 1) or head.chunked or head.content_length:
        return False
    settings = h2c_upgrade_settings(head.headers)
    if settings is None or not h2c_allowed(proto.worker.cfg, proto.peer)[1]:
        return False
    try:
        decode_http2_settings(settings)
    except ValueError:
        return False
    proto.conn.next_event()  # the end of the (empty) request
    proto.start_h2(proto.conn.take_buffered(), upgrade=(settings, head))
    return True
