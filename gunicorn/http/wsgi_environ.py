"""Building the PEP 3333 environ for an HTTP/1.x request.

``base_environ`` holds the per-server keys, ``default_environ`` adds the
request-line keys, ``header_environ`` maps the header fields and
``proxy_environ`` the PROXY protocol addresses.  ``gunicorn.http.wsgi.create``
puts them together.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from gunicorn import SERVER_SOFTWARE
from gunicorn.http.errors import ConfigurationProblem

__all__ = [
    "FileWrapper",
    "WSGIErrorsWrapper",
    "base_environ",
    "default_environ",
    "proxy_environ",
    "header_environ",
    "server_environ",
    "path_environ",
    "unquote_path",
    "InvalidScriptName",
]


class FileWrapper:
    """``wsgi.file_wrapper`` (PEP 3333 "Optional Platform-Specific File Handling").

    Args:
        filelike: an object with ``read(size)``; its ``close`` (if any) is
            exposed as this wrapper's ``close``.  When it also has a real
            ``fileno()``, the response writer may use ``sendfile(2)``.
        blksize: bytes per block when the file is iterated.

    Iterates blocks of at most ``blksize`` bytes until ``read`` returns an
    empty value; supports both the iterator protocol and the legacy
    ``__getitem__`` protocol.
    """

    def __init__(self, filelike: Any, blksize: int = 8192) -> None:
        self.filelike = filelike
        self.blksize = blksize
        # PEP 3333: the wrapper's close() must close the wrapped file.
        closer = getattr(filelike, "close", None)
        if closer is not None:
            self.close = closer

    def __iter__(self) -> FileWrapper:
        return self

    def __next__(self) -> bytes:
        block = self.filelike.read(self.blksize)
        if not block:
            raise StopIteration
        return block

    def __getitem__(self, key: Any) -> bytes:
        # The old sequence protocol: indexing until IndexError.
        try:
            return self.__next__()
        except StopIteration:
            raise IndexError(key) from None


class WSGIErrorsWrapper(io.RawIOBase):
    """``wsgi.errors``: text written here goes to the error log streams.

    Args:
        cfg: the Config; when ``errorlog`` is ``-`` the text goes to
            ``sys.stderr`` (and the first ``gunicorn.error`` handler, the
            stderr one, is skipped), plus every other ``gunicorn.error``
            handler that has a ``stream``.

    The streams are looked up on each write, so a log reopen (USR1) or a
    logger reconfiguration never leaves this object writing to a closed file.
    """

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        self._to_stderr = getattr(cfg, "errorlog", "-") == "-"

    @property
    def streams(self) -> list[Any]:
        """The text streams a write goes to, in order."""
        handlers = logging.getLogger("gunicorn.error").handlers
        streams: list[Any] = []
        if self._to_stderr:
            streams.append(sys.stderr)
            handlers = handlers[1:]
        for h in handlers:
            stream = getattr(h, "stream", None)
            if stream is not None:
                streams.append(stream)
        return streams

    def writable(self) -> bool:
        """Always True: ``wsgi.errors`` is an output stream (PEP 3333)."""
        return True

    def write(self, data: Any) -> int:  # type: ignore[override]
        """Write ``data`` (str, or bytes decoded as UTF-8) to every stream and flush."""
        for stream in self.streams:
            try:
                stream.write(data)
            except (UnicodeError, TypeError):
                if isinstance(data, str):
                    stream.write(data.encode("utf-8", "replace"))
                else:
                    stream.write(bytes(data).decode("utf-8", "replace"))
            stream.flush()
        return len(data)

    def writelines(self, lines: Iterable[Any]) -> None:  # type: ignore[override]
        """Write each item of ``lines`` as :meth:`write` does."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Flush every stream."""
        for stream in self.streams:
            stream.flush()


# One cached copy of the per-server keys: building them costs a logger
# lookup; the cache is keyed on the Config object and the settings it reads.
_base_cache: tuple[Any, Any, dict[str, Any]] = (None, None, {})


# Keys that are the same for every server: WSGI 1.0 (PEP 3333), one thread
# per request in the base worker, and the input ends where the body does.
_FIXED_SERVER_KEYS: tuple[tuple[str, Any], ...] = (
    ("wsgi.version", (1, 0)),
    ("wsgi.multithread", False),
    ("wsgi.run_once", False),
    ("wsgi.input_terminated", True),
    ("wsgi.file_wrapper", FileWrapper),
    ("SERVER_SOFTWARE", SERVER_SOFTWARE),
)


def base_environ(cfg: Any) -> dict[str, Any]:
    """Return a new dict with the per-server environ keys (PEP 3333).

    ``wsgi.errors``, ``wsgi.version`` (1, 0), ``wsgi.multithread`` False,
    ``wsgi.multiprocess`` (``cfg.workers > 1``), ``wsgi.run_once`` False,
    ``wsgi.file_wrapper`` FileWrapper, ``wsgi.input_terminated`` True and
    ``SERVER_SOFTWARE`` "gunicorn/<version>".
    """
    derived = getattr(type(cfg), "derived", None)
    if derived is not None:
        # a Config: rebuilt only after one of its settings changes
        return derived(cfg, "gunicorn.wsgi.base_environ", _build_base_environ).copy()
    global _base_cache
    workers = cfg.workers
    key = (workers, cfg.errorlog)
    cached_cfg, cached_key, cached = _base_cache  # one read: safe across threads
    if cached_cfg is cfg and cached_key == key:
        return cached.copy()
    environ = _build_base_environ(cfg)
    _base_cache = (cfg, key, environ)
    return environ.copy()


def _build_base_environ(cfg: Any) -> dict[str, Any]:
    environ = dict(_FIXED_SERVER_KEYS)
    environ["wsgi.errors"] = WSGIErrorsWrapper(cfg)
    environ["wsgi.multiprocess"] = cfg.workers > 1
    return environ


def default_environ(req: Any, sock: Any, cfg: Any) -> dict[str, Any]:
    """Return base_environ plus the request-line keys.

    Adds ``wsgi.input`` (``req.body``), ``gunicorn.socket`` (the client
    socket), ``REQUEST_METHOD``, ``QUERY_STRING``, ``RAW_URI`` (the
    request-target as received) and ``SERVER_PROTOCOL`` ("HTTP/1.1").
    """
    environ = base_environ(cfg)
    version = req.version
    protocol = _PROTOCOLS.get(version)
    if protocol is None:
        protocol = "HTTP/%d.%d" % version
    environ["wsgi.input"] = req.body
    environ["gunicorn.socket"] = sock
    environ["REQUEST_METHOD"] = req.method
    environ["QUERY_STRING"] = req.query
    environ["RAW_URI"] = req.uri
    environ["SERVER_PROTOCOL"] = protocol
    return environ


_PROTOCOLS = {(1, 1): "HTTP/1.1", (1, 0): "HTTP/1.0", (2, 0): "HTTP/2.0"}


def proxy_environ(req: Any) -> dict[str, str]:
    """Environ keys from a PROXY protocol header (``req.proxy_protocol_info``).

    Returns ``{}`` when there was no PROXY header, else ``PROXY_PROTOCOL``
    and, when the header carried addresses (not LOCAL / UNSPEC),
    ``REMOTE_ADDR``, ``REMOTE_PORT`` (the original client), ``PROXY_ADDR``
    and ``PROXY_PORT`` (the proxy), as str.
    """
    info = getattr(req, "proxy_protocol_info", None)
    if not info:
        return {}
    environ = {"PROXY_PROTOCOL": info.get("proxy_protocol")}
    # LOCAL connections carry no addresses: keep the peer's (WSGI values are str).
    if info.get("client_addr") is not None:
        environ["REMOTE_ADDR"] = info["client_addr"]
        environ["REMOTE_PORT"] = str(info.get("client_port"))
    if info.get("proxy_addr") is not None:
        environ["PROXY_ADDR"] = info["proxy_addr"]
        environ["PROXY_PORT"] = str(info.get("proxy_port"))
    return environ


# Field-name -> environ key, for names seen before (bounded, names come from
# the network).
_KEY_CACHE: dict[str, str] = {}
_KEY_CACHE_MAX = 512
_CGI_OWN_KEYS = {"CONTENT-TYPE": "CONTENT_TYPE", "CONTENT-LENGTH": "CONTENT_LENGTH"}


def header_environ(environ: dict[str, Any], headers: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """Add CGI-style keys for the request header fields to ``environ``.

    ``headers`` is the parser's list of (UPPERCASE-NAME, value).
    CONTENT-TYPE and CONTENT-LENGTH become ``CONTENT_TYPE`` / ``CONTENT_LENGTH``;
    every other field becomes ``HTTP_<NAME with "-" as "_">``, and repeated
    fields are joined with "," (RFC 9110 section 5.3) in linear time.

    Returns (Host value or None, trusted SCRIPT_NAME header value or None).
    """
    host = None
    script_name = None
    repeated: dict[str, list[str]] | None = None
    cache = _KEY_CACHE
    for name, value in headers:
        key = cache.get(name)
        if key is None:
            # RFC 3875 section 4.1.18: HTTP_<name>, except the two fields
            # that CGI already carries as meta-variables of their own.
            key = _CGI_OWN_KEYS.get(name) or "HTTP_" + name.replace("-", "_")
            if len(cache) < _KEY_CACHE_MAX:
                cache[name] = key
        if key == "HTTP_HOST":
            host = value
        elif name == "SCRIPT_NAME":
            # Only the underscore spelling, which the parser keeps for trusted
            # forwarders alone (forwarder_headers); "Script-Name" maps to the
            # same environ key but is an ordinary field anyone can send.
            script_name = value
        if key in environ:
            if repeated is None:
                repeated = {}
            parts = repeated.get(key)
            if parts is None:
                repeated[key] = [environ[key], value]
            else:
                parts.append(value)
        else:
            environ[key] = value
    if repeated:
        for key, parts in repeated.items():
            environ[key] = ",".join(parts)
    return host, script_name


def server_environ(environ: dict[str, Any], client: Any, server: Any, host: str | None, scheme: str) -> None:
    """Set ``REMOTE_ADDR``/``REMOTE_PORT`` and ``SERVER_NAME``/``SERVER_PORT``.

    Args:
        client: the peer address: a (host, port, ...) tuple, or a str/bytes
            for a unix-socket peer (then no REMOTE_PORT).
        server: the listener address: a (host, port, ...) tuple, a
            ``"host:port"`` str, or a unix socket path (str/bytes).
        host: the Host header value, used for unix listeners (RFC 3875 4.1.14
            cannot describe them): ``name[:port]``, the port defaulting to 80
            for http and 443 for https; empty strings without a Host.
        scheme: ``wsgi.url_scheme``.
    """
    if type(client) is tuple and client:
        # the usual TCP peer, first
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    elif isinstance(client, (str, bytes)):
        environ["REMOTE_ADDR"] = client.decode("latin-1") if isinstance(client, bytes) else client
    elif client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    else:
        environ["REMOTE_ADDR"] = ""

    if type(server) is tuple:
        environ["SERVER_NAME"] = server[0]
        environ["SERVER_PORT"] = str(server[1])
        return
    if isinstance(server, bytes):
        server = server.decode("latin-1")
    if isinstance(server, str):
        name, sep, port = server.rpartition(":")
        if sep and name and port.isdigit() and not server.startswith("/"):
            environ["SERVER_NAME"] = name
            environ["SERVER_PORT"] = port
            return
        # A unix listener: derive the values from Host when there is one.
        if host:
            if host.startswith("["):
                end = host.find("]")
                hname, port = host[: end + 1], host[end + 1 :].lstrip(":")
            else:
                hname, _, port = host.partition(":")
            if not port:
                port = {"http": "80", "https": "443"}.get(scheme, "")
            environ["SERVER_NAME"] = hname
            environ["SERVER_PORT"] = port
        else:
            environ["SERVER_NAME"] = ""
            environ["SERVER_PORT"] = ""
        return
    environ["SERVER_NAME"] = server[0]
    environ["SERVER_PORT"] = str(server[1])


def unquote_path(path: str) -> str:
    """Percent-decode a path to the WSGI form: bytes shown as a latin-1 str (PEP 3333)."""
    if "%" not in path:
        return path
    return unquote_to_bytes(path).decode("latin-1")


_SCRIPT_NAME_KEY = os.environ.encodekey("SCRIPT_NAME") if hasattr(os.environ, "encodekey") else None


def _environ_script_name() -> str:
    """``os.environ.get("SCRIPT_NAME", "")``, read on every request (it may
    change at run time) but without the KeyError a plain ``get`` raises
    and catches inside ``os.environ`` when the variable is unset."""
    env = os.environ
    data = getattr(env, "_data", None)
    if type(data) is dict and _SCRIPT_NAME_KEY is not None and _SCRIPT_NAME_KEY not in data:
        return ""
    return env.get("SCRIPT_NAME", "")


class InvalidScriptName(ConfigurationProblem):
    """A trusted forwarder's ``SCRIPT_NAME`` field does not prefix the request path.

    The value arrived with the request, so this is a bad request (400,
    RFC 9110 section 15.5.1) logged as one warning line, not a server fault
    with a traceback.  It stays a ``ConfigurationProblem`` so that code
    catching that class keeps catching it.
    """

    status_code = 400
    reason = "Bad Request"

    def __init__(self, info: Any) -> None:
        super().__init__(info)
        self.code = 400

    def __str__(self) -> str:
        return "Invalid SCRIPT_NAME field: %s" % (self.info,)


def path_environ(environ: dict[str, Any], path: str, script_name: str | None) -> None:
    """Set ``SCRIPT_NAME`` and ``PATH_INFO``.

    Args:
        path: the request path as received (still percent-encoded).
        script_name: a trusted ``SCRIPT_NAME`` header value, or None to use
            the ``SCRIPT_NAME`` environment variable (default "").

    Raises:
        InvalidScriptName: the path does not start with the ``SCRIPT_NAME``
            field's value (answered with 400).
        ConfigurationProblem: the path does not start with the ``SCRIPT_NAME``
            environment variable (answered with 500).
    """
    from_field = script_name is not None
    if script_name is None:
        script_name = _environ_script_name()
    if script_name:
        if not path.startswith(script_name):
            error = InvalidScriptName if from_field else ConfigurationProblem
            raise error("Request path %r does not start with SCRIPT_NAME %r" % (path, script_name))
        path = path[len(script_name) :]
    environ["SCRIPT_NAME"] = script_name
    environ["PATH_INFO"] = unquote_path(path)
