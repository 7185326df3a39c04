"""Settings of the "HTTP/2" section (RFC 9113)."""

from __future__ import annotations

from gunicorn.settings.base import define
from gunicorn.settings.validators import (
    validate_http2_cleartext,
    validate_http2_frame_size,
    validate_http2_max_concurrent_streams,
    validate_http2_window_size,
    validate_http_protocols,
    validate_pos_int,
)

SECTION = "HTTP/2"

HTTPProtocols = define(
    "HTTPProtocols",
    name="http_protocols",
    section=SECTION,
    cli=["--http-protocols"],
    meta="STRING",
    validator=validate_http_protocols,
    default="h1",
    desc="""
    HTTP versions to offer, in order of preference, as a comma list of ``h1`` and ``h2``.

    HTTP/2 is served by the ``gthread``, ``gevent``, ``eventlet`` and ``asgi``
    workers: with TLS, ALPN offers the protocols in this order (``h1`` is
    ``http/1.1``). ``h2`` needs the ``h2`` package (>= 4.1.0), or gunicorn
    refuses to start. The ``sync``, ``tornado`` and ``gevent_pywsgi`` workers
    do not offer ``h2`` (a warning says so) and serve HTTP/1.x. A list (``["h2", "h1"]``) is refused with a
    TypeError, as in gunicorn 25.0. ``h3`` is refused, as in gunicorn 26.2
    and later.
    """,
)

HTTP2MaxConcurrentStreams = define(
    "HTTP2MaxConcurrentStreams",
    name="http2_max_concurrent_streams",
    section=SECTION,
    cli=["--http2-max-concurrent-streams"],
    meta="INT",
    type=int,
    validator=validate_http2_max_concurrent_streams,
    default=100,
    desc="""
    Most streams a client may have open on one HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS).

    HTTP/2 (gthread, gevent, eventlet and asgi workers). 0 is accepted, as in gunicorn 25.0: it
    lets a client open no stream at all (RFC 9113 section 6.5.2).
    """,
)

HTTP2InitialWindowSize = define(
    "HTTP2InitialWindowSize",
    name="http2_initial_window_size",
    section=SECTION,
    cli=["--http2-initial-window-size"],
    meta="INT",
    type=int,
    validator=validate_http2_window_size,
    default=65535,
    desc="""
    Initial flow-control window per stream in bytes (SETTINGS_INITIAL_WINDOW_SIZE).

    HTTP/2 (gthread, gevent, eventlet and asgi workers). At most 2147483647 (2**31 - 1, RFC 9113 section 6.9.2).
    """,
)

HTTP2MaxFrameSize = define(
    "HTTP2MaxFrameSize",
    name="http2_max_frame_size",
    section=SECTION,
    cli=["--http2-max-frame-size"],
    meta="INT",
    type=int,
    validator=validate_http2_frame_size,
    default=16384,
    desc="""
    Largest frame payload in bytes the server accepts (SETTINGS_MAX_FRAME_SIZE).

    HTTP/2 (gthread, gevent, eventlet and asgi workers). Must be between 16384 and 16777215.
    """,
)

HTTP2MaxHeaderListSize = define(
    "HTTP2MaxHeaderListSize",
    name="http2_max_header_list_size",
    section=SECTION,
    cli=["--http2-max-header-list-size"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=65536,
    desc="""
    Largest header list in bytes the server accepts (SETTINGS_MAX_HEADER_LIST_SIZE).

    HTTP/2 (gthread, gevent, eventlet and asgi workers).
    """,
)

HTTP2Cleartext = define(
    "HTTP2Cleartext",
    name="http2_cleartext",
    section=SECTION,
    cli=["--http2-cleartext"],
    meta="MODE",
    validator=validate_http2_cleartext,
    default="off",
    desc="""
    HTTP/2 without TLS (h2c): ``off``, ``prior-knowledge``, ``upgrade`` or ``both``.

    Served by the ``gthread``, ``gevent``, ``eventlet`` and ``asgi`` workers: ``prior-knowledge`` takes connections
    that start with the HTTP/2 client preface, ``upgrade`` switches an
    HTTP/1.1 request carrying ``Upgrade: h2c`` and ``HTTP2-Settings`` (RFC
    7540 section 3.2; its body, up to 64 KiB, is read first, a bigger one is
    served over HTTP/1.1), ``both`` does both. Only peers in
    ``forwarded_allow_ips`` may use it; other clients get HTTP/1.1.
    """,
)
