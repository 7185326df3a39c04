"""Small helpers shared by the arbiter, the workers and the HTTP layer.

The names and signatures are the ones other projects import from
``gunicorn.util``; each function is written for this project.
"""

from __future__ import annotations

import errno
import fcntl
import html
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

REDIRECT_TO: str = getattr(os, "devnull", "/dev/null")

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (None, "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

try:
    from setproctitle import getproctitle as _getproctitle
    from setproctitle import setproctitle as _setproctitle_impl
except ImportError:  # optional dependency
    _getproctitle = None
    _setproctitle_impl = None


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


def set_non_blocking(fd: int) -> None:
    """Put ``fd`` in non-blocking mode (O_NONBLOCK)."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)


def close(sock: Any) -> None:
    """Close a socket or file object, ignoring errors from an already dead peer."""
    try:
        sock.close()
    except OSError:
        pass


def getcwd() -> str:
    """Return the working directory, preferring ``$PWD`` when it names the same inode.

    Keeps symlinked deploy paths (``/srv/app/current``) as the user typed them.
    """
    cwd = os.getcwd()
    pwd_env = os.environ.get("PWD")
    if pwd_env:
        try:
            a, b = os.stat(pwd_env), os.stat(cwd)
        except OSError:
            return cwd
        if a.st_ino == b.st_ino and a.st_dev == b.st_dev:
            return pwd_env
    return cwd


def daemonize(enable_stdio_inheritance: bool = False) -> None:
    """Detach from the terminal with the classic double fork.

    Skipped when ``GUNICORN_FD`` is set (a re-exec'd master is already detached).
    stdio goes to /dev/null; with ``enable_stdio_inheritance`` stdin is kept,
    and stdout/stderr are kept unless they are ttys.
    """
    if "GUNICORN_FD" in os.environ:
        return
    if os.fork():
        os._exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)
    os.umask(0o22)

    if not enable_stdio_inheritance:
        closerange_fd = os.open(REDIRECT_TO, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(closerange_fd, fd)
        if closerange_fd > 2:
            os.close(closerange_fd)
        return

    devnull = os.open(REDIRECT_TO, os.O_RDWR)
    os.dup2(devnull, 0)
    for stream in (sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
        except (AttributeError, io.UnsupportedOperation, ValueError):
            continue
        if os.isatty(fd):
            os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)


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
    return sum(
        1
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )


def load_class(
    uri: Any,
    default: str = "gunicorn.workers.sync.SyncWorker",
    section: str = "gunicorn.workers",
) -> Any:
    """Resolve a worker or logger class from a class object, a short name, an
    ``egg:dist#name`` entry point, or a dotted path.

    Raises RuntimeError ``class uri %r invalid or not found`` with the cause.
    """
    if inspect.isclass(uri):
        return uri
    if uri.startswith("egg:"):
        entry_str = uri.split("egg:")[1]
        dist, _, name = entry_str.rpartition("#")
        if not dist:
            dist, name = entry_str, default
        return _load_entry_point(dist, section, name, uri)

    components = uri.split(".")
    if len(components) == 1:
        name = uri[1:] if uri.startswith("#") else uri
        from gunicorn.workers import SUPPORTED_WORKERS

        if section == "gunicorn.workers" and name in SUPPORTED_WORKERS:
            uri = SUPPORTED_WORKERS[name]
            components = uri.split(".")
        else:
            try:
                return _load_entry_point("gunicorn", section, name, uri)
            except RuntimeError:
                raise RuntimeError("class uri %r invalid or not found: \n\n[%s]" % (
                    uri, "no such short name"))

    klass = components.pop(-1)
    try:
        mod = importlib.import_module(".".join(components))
    except Exception:
        exc = traceback.format_exc()
        raise RuntimeError("class uri %r invalid or not found: \n\n[%s]" % (uri, exc))
    try:
        return getattr(mod, klass)
    except AttributeError:
        raise RuntimeError("class uri %r invalid or not found: \n\n[%s]" % (
            uri, "module %r has no attribute %r" % (mod.__name__, klass)))


def _load_entry_point(dist: str, group: str, name: str, uri: str) -> Any:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        eps = distribution(dist).entry_points
    except PackageNotFoundError:
        raise RuntimeError("class uri %r invalid or not found: \n\n[%s]" % (
            uri, "distribution %r not found" % dist))
    for ep in eps:
        if ep.group == group and ep.name == name:
            try:
                return ep.load()
            except Exception:
                raise RuntimeError("class uri %r invalid or not found: \n\n[%s]" % (
                    uri, traceback.format_exc()))
    raise RuntimeError("class uri %r invalid or not found: \n\n[%s]" % (
        uri, "entry point %r not found in %r" % (name, group)))


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
    if netloc.startswith("unix://"):
        return netloc.split("unix://", 1)[1]
    if netloc.startswith("unix:"):
        return netloc.split("unix:", 1)[1]
    if netloc.startswith("fd://"):
        fd = netloc[5:]
        try:
            return int(fd)
        except ValueError:
            raise RuntimeError("%r is not a valid file descriptor." % fd) from None
    if netloc.startswith("tcp://"):
        netloc = netloc.split("tcp://", 1)[1]

    host, port = netloc, default_port
    if "[" in netloc and "]" in netloc:
        host = netloc.split("]")[0][1:]
        port = (netloc.split("]:") + [default_port])[1]
    elif ":" in netloc:
        host, port = (netloc.split(":") + [default_port])[:2]
    elif netloc == "":
        host, port = "0.0.0.0", default_port

    try:
        port_num = int(port)
    except ValueError:
        raise RuntimeError("%r is not a valid port number." % port)
    return host.lower(), port_num


def split_request_uri(uri: str) -> urllib.parse.SplitResult:
    """Split a request-target into scheme, netloc, path, query and fragment.

    A target starting with ``//`` is an origin-form path, not a
    network-path reference (RFC 9112 section 3.2.1), so it is kept as path.
    """
    if uri.startswith("//"):
        parts = urllib.parse.urlsplit("." + uri)
        return parts._replace(path=parts.path[1:])
    return urllib.parse.urlsplit(uri)


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

    Args:
        sock: the client socket.
        status_int: HTTP status code, e.g. 400.
        reason: reason phrase, e.g. ``Bad Request``.
        mesg: detail shown in the page (HTML-escaped).
    """
    body = (
        "<html>\n  <head>\n    <title>%(reason)s</title>\n  </head>\n"
        "  <body>\n    <h1><p>%(reason)s</p></h1>\n    %(mesg)s\n  </body>\n</html>\n"
    ) % {"reason": html.escape(reason), "mesg": html.escape(mesg)}
    payload = body.encode("utf-8")
    head = (
        "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: text/html\r\n"
        "Content-Length: %d\r\n\r\n" % (status_int, reason, len(payload))
    )
    write_nonblock(sock, head.encode("latin-1") + payload)


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
    if not hasattr(obj, "fileno"):
        return False
    try:
        obj.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False
    return True


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
    "bytes_to_str",
    "check_is_writable",
    "chown",
    "close",
    "close_on_exec",
    "daemonize",
    "get_arity",
    "getcwd",
    "getproctitle",
    "has_fileno",
    "http_date",
    "import_app",
    "is_hoppish",
    "is_ipv6",
    "load_class",
    "make_fail_app",
    "parse_address",
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
