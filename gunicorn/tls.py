"""TLS for listeners: the server SSLContext, socket wrapping and ALPN.

One context is built per process and reused for every connection; it is
rebuilt when the certificate or key file changes on disk (checked at most
once per second), when the TLS settings change, in every new process (so
the workers a HUP starts build their own), or when
:func:`invalidate_ssl_context` is called.  Renewed certificates are
therefore picked up without a restart.

``gunicorn.sock`` re-exports :func:`ssl_context`, :func:`ssl_wrap_socket`,
:func:`get_negotiated_protocol`, :func:`is_http2_negotiated` and
:func:`_get_alpn_protocols` under their upstream names.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from typing import Any, Callable

__all__ = [
    "ALPN_PROTOCOL_MAP",
    "ssl_context",
    "ssl_wrap_socket",
    "get_negotiated_protocol",
    "is_http2_negotiated",
    "invalidate_ssl_context",
    "is_tls_socket",
]

# Settings names (``http_protocols`` entries) to ALPN protocol IDs (RFC 7301).
# "h3" is accepted by the setting but never offered: HTTP/3 runs over QUIC,
# not over this TCP+TLS listener, so announcing it would mislead clients.
ALPN_PROTOCOL_MAP: dict[str, str] = {"h1": "http/1.1", "h2": "h2"}

# How often (seconds) the certificate files are stat()ed for changes.
_RECHECK_INTERVAL = 1.0

_h2_available: bool | None = None


def _h2_importable() -> bool:
    """True when HTTP/2 can be served: the ``h2`` package imports and
    ``gunicorn.http2.server_ready()`` says a worker serves it (cached per process).

    Advertising h2 without a way to speak it would break every client that
    prefers h2, so both are required.
    """
    global _h2_available
    if _h2_available is None:
        try:
            import h2  # noqa: F401
        except ImportError:
            _h2_available = False
        else:
            from gunicorn import http2

            _h2_available = http2.server_ready()
    return _h2_available


def _worker_serves_http2(conf: Any) -> bool:
    """False when the configured worker class declares ``serves_http2 = False``
    (sync): ALPN must not offer h2 to clients of a worker that cannot speak it."""
    try:
        worker_class = conf.worker_class
    except Exception:
        return True
    return getattr(worker_class, "serves_http2", True) is not False


def _get_alpn_protocols(conf: Any) -> list[str]:
    """ALPN protocol IDs to advertise, in preference order.

    Args:
        conf: a Config; reads ``http_protocols`` (list of "h1"/"h2"/"h3";
            "h3" is never advertised here).

    Returns:
        ``[]`` unless "h2" is configured and HTTP/2 can be served (the h2
        package and ``gunicorn.http2`` are importable);
        otherwise each configured entry mapped through ALPN_PROTOCOL_MAP
        (unknown entries are skipped).  RFC 7301 section 3.1.
    """
    protocols = getattr(conf, "http_protocols", None) or ["h1"]
    if isinstance(protocols, str):
        protocols = [p.strip() for p in protocols.split(",") if p.strip()]
    if "h2" not in protocols or not _h2_importable() or not _worker_serves_http2(conf):
        return []
    return [ALPN_PROTOCOL_MAP[p] for p in protocols if p in ALPN_PROTOCOL_MAP]


def _build_default_context(conf: Any) -> ssl.SSLContext:
    """Build the stock server context from the SSL settings (section "SSL")."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=conf.ca_certs)
    context.verify_mode = conf.cert_reqs
    context.load_cert_chain(conf.certfile, conf.keyfile)
    # optional parts: only applied when configured (empty means library default)
    optional: tuple[tuple[Callable[[Any], None], Any], ...] = (
        (context.set_ciphers, conf.ciphers),
        (context.set_alpn_protocols, _get_alpn_protocols(conf)),
    )
    for apply, value in optional:
        if value:
            apply(value)
    return context


def _file_stamp(path: str | None) -> tuple[int, int] | None:
    """(mtime_ns, size) of ``path``, or None when unset or missing."""
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _settings_key(conf: Any) -> tuple[Any, ...]:
    """Everything the context depends on, so a settings change rebuilds it."""
    return (
        id(conf),
        conf.certfile,
        conf.keyfile,
        conf.ca_certs,
        conf.cert_reqs,
        conf.ciphers,
        tuple(_get_alpn_protocols(conf)),
        getattr(conf, "ssl_context", None),
    )


class _ContextCache:
    """The per-process SSLContext plus what it was built from."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.context: ssl.SSLContext | None = None
        self.pid = 0
        self.key: tuple[Any, ...] = ()
        self.stamps: tuple[Any, ...] = ()
        self.checked_at = 0.0

    def clear(self) -> None:
        self.context = None
        self.key = ()
        self.stamps = ()
        self.checked_at = 0.0


_cache = _ContextCache()


def invalidate_ssl_context() -> None:
    """Forget the cached context so the next connection builds a new one.

    For callers that know better than the file check (see the module
    docstring), e.g. a ``ssl_context`` hook whose inputs changed.
    """
    with _cache.lock:
        _cache.clear()


def _build(conf: Any) -> ssl.SSLContext:
    """Build a context through the ``ssl_context`` server hook."""

    def default_ssl_context_factory() -> ssl.SSLContext:
        return _build_default_context(conf)

    hook: Callable[..., ssl.SSLContext] | None = getattr(conf, "ssl_context", None)
    if hook is None:
        return default_ssl_context_factory()
    return hook(conf, default_ssl_context_factory)


def ssl_context(conf: Any) -> ssl.SSLContext:
    """Return the server SSLContext for ``conf``, cached per process.

    Args:
        conf: a Config with the SSL settings (certfile, keyfile, ca_certs,
            cert_reqs, ciphers, http_protocols) and the ``ssl_context`` hook
            ``(config, default_ssl_context_factory) -> SSLContext``.

    Returns:
        An ``ssl.SSLContext`` for server-side use.  The default factory uses
        ``ssl.create_default_context(Purpose.CLIENT_AUTH, cafile=ca_certs)``,
        loads the certificate chain, sets ``verify_mode = cert_reqs``, the
        cipher string when given, and ALPN (RFC 7301).

    Raises:
        ssl.SSLError, OSError: the certificate or key cannot be loaded.
    """
    cache = _cache
    now = time.monotonic()
    ctx = cache.context
    if ctx is not None and cache.pid == os.getpid() and now - cache.checked_at < _RECHECK_INTERVAL:
        return ctx
    with cache.lock:
        key = _settings_key(conf)
        stamps = (_file_stamp(conf.certfile), _file_stamp(conf.keyfile))
        same_process = cache.context is not None and cache.pid == os.getpid()
        if not same_process or cache.key != key:
            cache.context = _build(conf)
            cache.pid = os.getpid()
            cache.key = key
            cache.stamps = stamps
        elif cache.stamps != stamps:
            try:
                cache.context = _build(conf)
            except (ssl.SSLError, OSError, ValueError):
                # files caught mid-replacement: keep serving the old
                # certificate and try again at the next check
                pass
            else:
                cache.stamps = stamps
        cache.checked_at = now
        assert cache.context is not None
        return cache.context


def ssl_wrap_socket(
    sock: socket.socket, conf: Any, do_handshake_on_connect: bool | None = None
) -> ssl.SSLSocket:
    """Wrap an accepted socket for server-side TLS.

    Args:
        sock: the accepted client socket.
        conf: a Config (see :func:`ssl_context`; also ``suppress_ragged_eofs``
            and ``do_handshake_on_connect``).
        do_handshake_on_connect: overrides the setting; workers that drive the
            handshake themselves on non-blocking sockets pass False.

    Returns:
        The ``ssl.SSLSocket``.  When the handshake is not done on connect the
        caller must call ``do_handshake()`` before reading.

    Raises:
        ssl.SSLError, OSError: the context cannot be built or, with
        do_handshake_on_connect, the handshake fails.
    """
    if do_handshake_on_connect is None:
        do_handshake_on_connect = bool(conf.do_handshake_on_connect)
    return ssl_context(conf).wrap_socket(
        sock,
        server_side=True,
        suppress_ragged_eofs=conf.suppress_ragged_eofs,
        do_handshake_on_connect=do_handshake_on_connect,
    )


def is_tls_socket(sock: Any) -> bool:
    """True when ``sock`` is an ``ssl.SSLSocket``."""
    return isinstance(sock, ssl.SSLSocket)


def get_negotiated_protocol(sock: Any) -> str | None:
    """The ALPN protocol selected on a TLS socket (RFC 7301 section 3.2).

    Returns:
        e.g. "h2" or "http/1.1"; None for plain sockets, before the
        handshake, when nothing was negotiated, or on any error.
    """
    if not isinstance(sock, ssl.SSLSocket):
        return None
    try:
        return sock.selected_alpn_protocol()
    except (ssl.SSLError, OSError, ValueError, AttributeError):
        return None


def is_http2_negotiated(sock: Any) -> bool:
    """True when ALPN selected "h2" on ``sock``."""
    return get_negotiated_protocol(sock) == "h2"


def is_tls_eof(exc: BaseException) -> bool:
    """True for TLS errors that only mean the peer went away early."""
    return isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)) or (
        isinstance(exc, ssl.SSLError) and getattr(exc, "reason", None) == "UNEXPECTED_EOF_WHILE_READING"
    )
