"""Small helpers shared by the arbiter, the workers and the HTTP layer.

The names and signatures are the ones other projects import from
``gunicorn.util``; each function is written for this project.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib
import inspect
import io
import os
import pwd
import random
import socket
import sys
import textwrap
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from gunicorn.errors import AppImportError
from gunicorn.workers import SUPPORTED_WORKERS, unavailable_worker_message

# Response header names the application may not set itself (RFC 9110
# section 7.6.1 hop-by-hop fields, plus the two the server owns).
HOP_HEADERS: frozenset[str] = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "server",
        "date",
    )
)

# gunicorn 25.0's name for the same lowercase names, as a (mutable) set; the
# server itself reads the frozen HOP_HEADERS, so changing this set does not
# change what is_hoppish() answers.
hop_headers: set[str] = set(HOP_HEADERS)

# The parameter kinds get_arity() counts (positional-only and positional-or-keyword).
positionals: tuple[Any, ...] = (
    inspect.Parameter.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
)

REDIRECT_TO: str = getattr(os, "devnull", "/dev/null")

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (None, "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

try:
    from setproctitle import getproctitle as _getproctitle
    from setproctitle import setproctitle as _setproctitle_impl
except ImportError:  # optional dependency
    _getproctitle = None  # type: ignore[assignment]
    _setproctitle_impl = None  # type: ignore[assignment]


# ---------------------------------------------------------------- processes


def _setproctitle(title: str) -> None:
    """Set the process title to ``gunicorn: <title>`` when setproctitle is installed.

    A no-op without the package and on macOS (where it is unreliable).
    """
    if _setproctitle_impl is None or sys.platform == "darwin":
        return
    _setproctitle_impl("gunicorn: %s" % title)


def getproctitle() -> str:
    """Return the current process title (``sys.argv`` joined when unknown)."""
    if _getproctitle is None:
        return " ".join(sys.argv)
    return _getproctitle()


def set_owner_process(uid: int | None, gid: int | None, initgroups: bool = False) -> None:
    """Switch the process to ``uid``/``gid`` (``--user``/``--group``), group first.

    The supplementary groups are replaced too: with ``initgroups`` by the
    user's groups from the group database, otherwise by ``[gid]``, so a
    worker started by root keeps none of root's groups. ``None`` leaves that
    id unchanged, and nothing changes when the ids are already ours.
    Raises OSError without the privilege.
    """
    uid = os.getuid() if uid is None else uid
    gid = os.getgid() if gid is None else gid
    if uid == os.getuid() and gid == os.getgid():
        return
    if os.geteuid() == 0:
        username = None
        if initgroups:
            try:
                username = pwd.getpwuid(uid).pw_name
            except KeyError:
                username = None
        if username is not None:
            os.initgroups(username, gid)
        else:
            os.setgroups([gid])
    if gid != os.getgid():
        os.setgid(gid)
    if uid != os.getuid():
        os.setuid(uid)


def get_username(uid: int) -> str:
    """Return the login name of user id ``uid`` from the password database.

    Raises KeyError when no user has that id.
    """
    return pwd.getpwuid(uid).pw_name


def chown(path: str, uid: int, gid: int) -> None:
    """Change the owner of ``path``; ``-1`` leaves that id unchanged."""
    os.chown(path, uid, gid)


def unlink(filename: str) -> None:
    """Remove ``filename``, ignoring a file that is already gone."""
    try:
        os.unlink(filename)
    except FileNotFoundError:
        pass


def is_ipv6(addr: str) -> bool:
    """True when ``addr`` is a literal IPv6 address."""
    try:
        socket.inet_pton(socket.AF_INET6, addr)
    except (OSError, ValueError):
        return False
    return True


def close_on_exec(fd: int) -> None:
    """Set FD_CLOEXEC on ``fd`` so exec'd children do not inherit it."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFD)
    fcntl.fcntl(fd, fcntl.F_SETFD, flags | fcntl.FD_CLOEXEC)


def close_fd(fd: int) -> None:
    """Close the raw file descriptor ``fd``, ignoring one already closed (EBADF)."""
    try:
        os.close(fd)
    except OSError:
        pass


def set_non_blocking(fd: int) -> None:
    """Put ``fd`` in non-blocking mode (O_NONBLOCK)."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)


def close(sock: Any) -> None:
    """Close a socket or file object, ignoring errors from an already dead peer."""
    with contextlib.suppress(OSError):
        sock.close()


def _same_inode(first: str, second: str) -> bool:
    try:
        return os.path.samestat(os.stat(first), os.stat(second))
    except OSError:
        return False


def getcwd() -> str:
    """Return the working directory, preferring ``$PWD`` when it names the same inode.

    Keeps symlinked deploy paths (``/srv/app/current``) as the user typed them.
    """
    physical = os.getcwd()
    as_typed = os.environ.get("PWD")
    return as_typed if as_typed and _same_inode(as_typed, physical) else physical


def daemonize(enable_stdio_inheritance: bool = False) -> None:
    """Detach from the terminal with the classic double fork.

    Skipped when ``GUNICORN_FD`` is set (a re-exec'd master is already detached).
    stdio goes to /dev/null; with ``enable_stdio_inheritance`` stdin is kept,
    and stdout/stderr are kept unless they are ttys.
    """
    if "GUNICORN_FD" in os.environ:
        return
    # Fork so the shell gets its prompt back, start a new session to drop
    # the controlling terminal, then fork again so that the survivor is not
    # a session leader and can never reacquire one.
    _continue_in_child()
    os.setsid()
    _continue_in_child()
    os.umask(0o22)

    if enable_stdio_inheritance:
        targets = [0] + [fd for fd in map(_stream_fd, (sys.stdout, sys.stderr))
                         if fd is not None and os.isatty(fd)]
    else:
        targets = [0, 1, 2]
    _redirect_to_devnull(targets)


def _continue_in_child() -> None:
    if os.fork() != 0:
        os._exit(0)


def _stream_fd(stream: Any) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, io.UnsupportedOperation, ValueError):
        return None


def _redirect_to_devnull(fds: list[int]) -> None:
    null_fd = os.open(REDIRECT_TO, os.O_RDWR)
    for fd in fds:
        os.dup2(null_fd, fd)
    if null_fd not in (0, 1, 2):
        os.close(null_fd)


def seed() -> None:
    """Reseed ``random`` after fork so workers do not share a sequence."""
    try:
        random.seed(os.urandom(64))
    except NotImplementedError:
        random.seed("%s.%s" % (time.time(), os.getpid()))


def check_is_writable(path: str) -> None:
    """Raise RuntimeError when ``path`` cannot be opened for appending."""
    try:
        with open(path, "a"):
            pass
    except OSError as e:
        raise RuntimeError("Error: '%s' isn't writable [%r]" % (path, e))


# ---------------------------------------------------------------- loading


def import_app(module: str) -> Callable[..., Any]:
    """Import ``module[:expression]`` and return the application callable.

    See :func:`gunicorn.app.importer.import_app` for the accepted forms.
    Raises AppImportError or ImportError.
    """
    from gunicorn.app.importer import import_app as _import_app

    return _import_app(module)


def get_arity(f: Callable[..., Any]) -> int:
    """Number of positional parameters of ``f`` (those with defaults included)."""
    sig = inspect.signature(f)
    return sum(1 for p in sig.parameters.values() if p.kind in positionals)


_WORKER_GROUP = "gunicorn.workers"


class _ClassNotFound(RuntimeError):
    """RuntimeError in the fixed "class uri ... invalid or not found" wording."""

    def __init__(self, uri: str, detail: str) -> None:
        super().__init__("class uri %r invalid or not found: \n\n[%s]" % (uri, detail))


class WorkerNotAvailable(RuntimeError):
    """A built-in gunicorn 25.0 worker (gevent, eventlet, tornado, asgi) that
    this release does not have yet; the message names the available ones."""


def load_entry_point(distribution: str, group: str, name: str) -> Any:
    """Load entry point ``name`` of ``group`` declared by installed ``distribution``.

    Example: ``load_entry_point("gunicorn", "gunicorn.workers", "sync")``.
    Raises ``importlib.metadata.PackageNotFoundError`` (an ImportError) when
    the distribution is not installed, ImportError when it declares no such
    entry point, and whatever importing the target raises.
    """
    from importlib.metadata import distribution as find_distribution

    for entry_point in find_distribution(distribution).entry_points.select(
            group=group, name=name):
        return entry_point.load()
    raise ImportError("Entry point %r not found" % ((group, name),))


def load_class(
    uri: Any,
    default: str = "gunicorn.workers.sync.SyncWorker",
    section: str = _WORKER_GROUP,
) -> Any:
    """Resolve a worker or logger class from a class object, a short name, an
    ``egg:dist#name`` entry point, or a dotted path.

    Raises RuntimeError ``class uri %r invalid or not found`` with the cause,
    and :class:`WorkerNotAvailable` (a RuntimeError) for a gunicorn 25.0
    worker this release does not have yet (``gevent``, ``eventlet``, ...).
    """
    if inspect.isclass(uri):
        return uri
    if section == _WORKER_GROUP:
        refusal = unavailable_worker_message(uri)
        if refusal is not None:
            raise WorkerNotAvailable(refusal)
    if uri.startswith("egg:"):
        # "egg:DIST#NAME"; without "#NAME" the default name is looked up.
        spec = uri[len("egg:"):]
        dist, _, entry_name = spec.rpartition("#")
        if dist:
            return _load_entry_point(dist, section, entry_name, uri)
        return _load_entry_point(spec, section, default, uri)

    dotted = uri
    if "." not in uri:
        short = uri.removeprefix("#")
        builtin = SUPPORTED_WORKERS.get(short) if section == _WORKER_GROUP else None
        if builtin is None:
            try:
                return _load_entry_point("gunicorn", section, short, uri)
            except RuntimeError:
                raise _ClassNotFound(uri, "no such short name") from None
        dotted = builtin

    module_path, _, class_name = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_path)
    except Exception:
        raise _ClassNotFound(dotted, traceback.format_exc()) from None
    found = getattr(module, class_name, _ABSENT)
    if found is _ABSENT:
        raise _ClassNotFound(
            dotted, "module %r has no attribute %r" % (module.__name__, class_name))
    return found


_ABSENT = object()


def _load_entry_point(dist: str, group: str, name: str, uri: str) -> Any:
    """:func:`load_entry_point`, failures worded as "class uri ... not found"."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        candidates = distribution(dist).entry_points.select(group=group, name=name)
    except PackageNotFoundError:
        raise _ClassNotFound(uri, "distribution %r not found" % dist) from None
    for entry_point in candidates:
        try:
            return entry_point.load()
        except Exception:
            raise _ClassNotFound(uri, traceback.format_exc()) from None
    raise _ClassNotFound(uri, "entry point %r not found in %r" % (name, group))


def make_fail_app(msg: str | bytes) -> Callable[..., Iterable[bytes]]:
    """Return a WSGI app that answers every request with a 500 and ``msg``.

    Used when ``--reload`` is on and the application failed to import, so
    the developer sees the traceback in the browser.
    """
    body = to_bytestring(msg)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(
            "500 Internal Server Error",
            [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


def reraise(tp: type[BaseException] | None, value: BaseException, tb: Any = None) -> NoReturn:
    """Raise ``value`` again with traceback ``tb``."""
    if value.__traceback__ is not tb:
        raise value.with_traceback(tb)
    raise value


# ---------------------------------------------------------------- addresses


def parse_address(netloc: str, default_port: str = "8000") -> Any:
    """Parse a bind address.

    Returns a path str for ``unix:PATH``/``unix://PATH``, an int fd for
    ``fd://N``, otherwise a lowercased ``(host, port)`` tuple. ``tcp://`` is
    stripped, ``[v6]:port`` is understood, and an empty host means 0.0.0.0.
    Raises RuntimeError for a port that is not a number.
    """
    for unix_prefix in ("unix://", "unix:"):
        if netloc.startswith(unix_prefix):
            return netloc[len(unix_prefix):]
    if netloc.startswith("fd://"):
        return _parse_fd(netloc[len("fd://"):])

    netloc = netloc.removeprefix("tcp://")
    if not netloc:
        host, port = "0.0.0.0", default_port
    elif "[" in netloc and "]" in netloc:
        # "[v6-literal]" optionally followed by ":port" (RFC 3986 section 3.2.2).
        host = netloc.partition("]")[0][1:]
        _, has_port, after = netloc.partition("]:")
        port = after.partition("]:")[0] if has_port else default_port
    else:
        host, has_port, after = netloc.partition(":")
        port = after.partition(":")[0] if has_port else default_port

    if not _is_int_text(port):
        raise RuntimeError("%r is not a valid port number." % port)
    return host.lower(), int(port)


def _is_int_text(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _parse_fd(text: str) -> int:
    if not _is_int_text(text):
        raise RuntimeError("%r is not a valid file descriptor." % text)
    return int(text)


def split_request_uri(uri: str) -> urllib.parse.SplitResult:
    """Split a request-target into scheme, netloc, path, query and fragment.

    A target starting with ``//`` is an origin-form path, not a
    network-path reference (RFC 9112 section 3.2.1), so it is kept as path.
    """
    if not uri.startswith("//"):
        return urllib.parse.urlsplit(uri)
    # Hide the leading "//" from urlsplit behind "./", then drop the ".".
    dotted = urllib.parse.urlsplit("." + uri)
    return dotted._replace(path=dotted.path[1:])


# ---------------------------------------------------------------- HTTP bits


def http_date(timestamp: float | None = None) -> str:
    """Format ``timestamp`` (seconds since the epoch; now when None) as an
    IMF-fixdate, RFC 9110 section 5.6.7: ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    if timestamp is None:
        timestamp = time.time()
    t = time.gmtime(timestamp)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _WEEKDAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon], t.tm_year,
        t.tm_hour, t.tm_min, t.tm_sec,
    )


def is_hoppish(header: str) -> bool:
    """True when ``header`` is a hop-by-hop field the app may not set."""
    return header.lower().strip() in HOP_HEADERS


def write_chunk(sock: Any, data: bytes | str) -> None:
    """Send ``data`` as one HTTP/1.1 chunk (RFC 9112 section 7.1)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    sock.sendall(b"%X\r\n%s\r\n" % (len(data), data))


def write(sock: Any, data: bytes, chunked: bool = False) -> None:
    """Send ``data`` on ``sock``, framed as a chunk when ``chunked``."""
    if chunked:
        return write_chunk(sock, data)
    sock.sendall(data)


def write_nonblock(sock: Any, data: bytes, chunked: bool = False) -> None:
    """Send ``data`` without waiting on a slow peer: the socket is made
    non-blocking for the write and blocking again afterwards."""
    timeout = sock.gettimeout()
    if timeout != 0.0:
        try:
            sock.setblocking(False)
            return write(sock, data, chunked)
        finally:
            sock.setblocking(True)
    return write(sock, data, chunked)


def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Answer with a small HTML error page and ``Connection: close``.

    The bytes come from the HTTP/1.1 connection core
    (``ServerConnection.send(ErrorResponse(...))``), as every response does.

    Args:
        sock: the client socket.
        status_int: HTTP status code, e.g. 400.
        reason: reason phrase, e.g. ``Bad Request``.
        mesg: detail shown in the page (HTML-escaped).
    """
    from gunicorn.http.core import ErrorResponse, ServerConnection

    page = ServerConnection(None).send(ErrorResponse(status_int, reason, mesg))
    write_nonblock(sock, page)


def to_bytestring(value: str | bytes, encoding: str = "utf8") -> bytes:
    """Encode ``value`` when it is a str; bytes pass through. TypeError otherwise."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise TypeError("%r is not a string" % value)
    return value.encode(encoding)


def bytes_to_str(b: str | bytes) -> str:
    """Decode bytes as latin-1 (the WSGI "native string" rule, PEP 3333)."""
    if isinstance(b, str):
        return b
    return str(b, "latin1")


def unquote_to_wsgi_str(string: str) -> str:
    """Percent-decode ``string`` to a latin-1 native string (PEP 3333)."""
    return urllib.parse.unquote_to_bytes(string).decode("latin-1")


def has_fileno(obj: Any) -> bool:
    """True when ``obj.fileno()`` returns a usable descriptor."""
    probe = getattr(obj, "fileno", None)
    if probe is None:
        return False
    # In-memory streams (BytesIO) have the method but no descriptor.
    with contextlib.suppress(AttributeError, OSError, io.UnsupportedOperation):
        probe()
        return True
    return False


def warn(msg: str) -> None:
    """Print a ``!!!`` banner with ``msg`` to stderr."""
    print("!!!", file=sys.stderr)
    for num, line in enumerate(msg.splitlines()):
        # the first line carries the WARNING label tools grep for
        print("!!! WARNING: %s" % line if num == 0 else "!!! %s" % line, file=sys.stderr)
    print("!!!\n", file=sys.stderr)
    sys.stderr.flush()


def is_connection_error(exc: BaseException) -> bool:
    """True for socket errors that mean the peer went away."""
    return isinstance(exc, OSError) and exc.errno in (
        errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.ECONNABORTED,
    )


def dedent(text: str) -> str:
    """``textwrap.dedent`` with leading/trailing blank lines removed."""
    return textwrap.dedent(text).strip("\n")


__all__ = [
    "AppImportError",
    "HOP_HEADERS",
    "SUPPORTED_WORKERS",
    "WorkerNotAvailable",
    "bytes_to_str",
    "check_is_writable",
    "chown",
    "close",
    "close_on_exec",
    "daemonize",
    "get_arity",
    "get_username",
    "getcwd",
    "getproctitle",
    "has_fileno",
    "hop_headers",
    "http_date",
    "import_app",
    "is_hoppish",
    "is_ipv6",
    "load_class",
    "load_entry_point",
    "make_fail_app",
    "parse_address",
    "positionals",
    "reraise",
    "seed",
    "set_non_blocking",
    "set_owner_process",
    "split_request_uri",
    "to_bytestring",
    "unlink",
    "unquote_to_wsgi_str",
    "warn",
    "write",
    "write_chunk",
    "write_error",
    "write_nonblock",
]
