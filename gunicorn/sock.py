"""Listeners: bound, listening sockets shared by the master and its workers.

Also re-exports the TLS helpers that live in ``gunicorn.tls`` (reference 10).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
import struct
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn import util
from gunicorn.tls import (
    _get_alpn_protocols,  # noqa: F401 - re-exported under the upstream name
    get_negotiated_protocol,
    is_http2_negotiated,
    ssl_context,
    ssl_wrap_socket,
)

__all__ = [
    "BaseSocket",
    "TCPSocket",
    "TCP6Socket",
    "UnixSocket",
    "create_sockets",
    "close_sockets",
    "ssl_context",
    "ssl_wrap_socket",
    "get_negotiated_protocol",
    "is_http2_negotiated",
    "fast_acceptor",
]

# struct tcp_info (linux/tcp.h): 8 one-byte fields, then u32 fields; tcpi_unacked is the
# fifth u32. For a listener it holds the current accept-queue length.
_TCPI_UNACKED_OFFSET = 8 + 4 * 4

# binding an address is tried this many times, this many seconds apart
_BIND_ATTEMPTS = 5
_BIND_RETRY_DELAY = 1.0

# extra log line for the bind failures people most often hit
_BIND_HINTS: dict[int | None, str] = {
    errno.EADDRINUSE: "Connection in use: %s",
    errno.EADDRNOTAVAIL: "Invalid address: %s",
}

PLATFORM: str = sys.platform  # gunicorn 25.0 module constant ("linux", "darwin", ...)

# setsockopt(SO_REUSEPORT) errors meaning "not supported here": carry on without it
_NO_REUSEPORT = (errno.ENOPROTOOPT, errno.EINVAL)

# unix socket names in the Linux abstract namespace (unix(7)): no file, so no
# stat/unlink/chown. "@name" is the common spelling of "\0name".
_ABSTRACT_MARKS: tuple[Any, ...] = ("\0", b"\0")
if sys.platform.startswith("linux"):
    _ABSTRACT_MARKS += ("@", b"@")


def _is_abstract(name: Any) -> bool:
    """True for a unix socket name that lives in the abstract namespace."""
    return isinstance(name, (str, bytes)) and name[:1] in _ABSTRACT_MARKS


def _kernel_name(name: Any) -> Any:
    """The address to hand to bind(): "@name" becomes "\0name"."""
    if _is_abstract(name) and name[:1] in ("@", b"@"):
        return name[:0] + (b"\0" if isinstance(name, bytes) else "\0") + name[1:]
    return name


def _allow_port_sharing(sock: socket.socket) -> None:
    """Set SO_REUSEPORT where the platform has it (silently skipped otherwise)."""
    option = getattr(socket, "SO_REUSEPORT", None)
    if option is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, option, 1)
    except OSError as err:
        if err.errno not in _NO_REUSEPORT:
            raise


def _already_listening(sock: Any) -> bool:
    """Whether an adopted socket is in the listening state (SO_ACCEPTCONN).

    Unknown (option missing or refused) counts as "no": listen() is then
    called, which is harmless on a listening socket on most systems.
    """
    option = getattr(socket, "SO_ACCEPTCONN", None)
    if option is None:
        return False
    try:
        return bool(sock.getsockopt(socket.SOL_SOCKET, option))
    except OSError:
        return False


class BaseSocket:
    """A listening socket. Attribute access not defined here goes to the real socket.

    Args:
        address: what to bind: ``(host, port)`` or a unix path.
        conf: the Config (``reuse_port``, ``backlog``, ``umask``, ``uid``, ``gid``, ``is_ssl``).
        log: the Logger.
        fd: an already bound fd to adopt (systemd, GUNICORN_FD, ``fd://N``).
            The object takes it over under the same number (systemd and a
            later USR2 hand-over count on stable numbers) and does not put it
            in listening state a second time.
    """

    FAMILY: int = socket.AF_INET

    def __init__(self, address: Any, conf: Any, log: Any, fd: int | None = None) -> None:
        self.cfg_addr = address
        self.conf = conf
        self.log = log
        adopted = fd is not None
        if adopted:
            raw = socket.socket(fileno=fd)
        else:
            raw = socket.socket(self.FAMILY, socket.SOCK_STREAM)
        try:
            self.sock: socket.socket | None = self.set_options(raw, bound=adopted)
        except BaseException:
            # an fd we were handed stays open: its owner decides about it
            if adopted:
                raw.detach()
            else:
                raw.close()
            raise

    def __str__(self) -> str:
        return "<socket %d>" % self._live().fileno()

    def _live(self) -> socket.socket:
        """The open socket; AttributeError once closed, as for delegated names."""
        sock = self.sock
        if sock is None:
            raise AttributeError("sock")
        return sock

    def __getattr__(self, name: str) -> Any:
        sock = self.__dict__.get("sock")
        if sock is None:
            raise AttributeError(name)
        return getattr(sock, name)

    def set_options(self, sock: socket.socket, bound: bool = False) -> socket.socket:
        """Prepare ``sock``: SO_REUSEADDR (plus SO_REUSEPORT when configured),
        bind unless ``bound``, non-blocking, inheritable (a USR2 re-exec
        passes it on), then listen with ``conf.backlog`` unless an adopted
        socket already listens."""
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.conf.reuse_port:
            _allow_port_sharing(sock)
        if not bound:
            self.bind(sock)
        sock.setblocking(False)
        sock.set_inheritable(True)
        if not (bound and _already_listening(sock)):
            sock.listen(self.conf.backlog)
        return sock

    def bind(self, sock: socket.socket) -> None:
        """Bind ``sock`` to ``self.cfg_addr``."""
        sock.bind(self.cfg_addr)

    def close(self) -> None:
        """Close the socket; errors are logged, not raised. Idempotent."""
        sock, self.sock = self.sock, None
        if sock is None:
            return
        try:
            sock.close()
        except OSError as e:
            self.log.info("Error while closing socket %s", str(e))

    def get_backlog(self) -> int:
        """Connections waiting in the accept queue, or -1 when unknown."""
        return -1


class TCPSocket(BaseSocket):
    """An IPv4 TCP listener; ``str()`` is ``http(s)://HOST:PORT`` with the bound port."""

    FAMILY = socket.AF_INET

    def __str__(self) -> str:
        scheme = "https" if self.conf.is_ssl else "http"
        addr = self._live().getsockname()
        return "%s://%s:%d" % (scheme, addr[0], addr[1])

    def set_options(self, sock: socket.socket, bound: bool = False) -> socket.socket:
        """Set TCP_NODELAY (inherited by accepted sockets on Linux), then the
        common options of :meth:`BaseSocket.set_options`."""
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().set_options(sock, bound=bound)

    def get_backlog(self) -> int:
        """Length of the accept queue from TCP_INFO (Linux), else -1."""
        if self.sock is None or not hasattr(socket, "TCP_INFO"):
            return -1
        try:
            info = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            return struct.unpack_from("I", info, _TCPI_UNACKED_OFFSET)[0]
        except (OSError, struct.error):
            return -1


class TCP6Socket(TCPSocket):
    """An IPv6 TCP listener; ``str()`` is ``http(s)://[HOST]:PORT``."""

    FAMILY = socket.AF_INET6

    def __str__(self) -> str:
        scheme = "https" if self.conf.is_ssl else "http"
        addr = self._live().getsockname()
        return "%s://[%s]:%d" % (scheme, addr[0], addr[1])


def _clear_stale_socket_file(path: Any) -> None:
    """Remove a socket file left by an earlier run.

    Raises:
        ValueError: something other than a socket exists at ``path``.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ValueError("%r is not a socket" % path)
    os.remove(path)


class UnixSocket(BaseSocket):
    """A unix-domain listener; ``str()`` is ``unix:PATH``.

    A stale socket file at the path is removed before binding; any other kind
    of file there raises ValueError. The socket file is created under
    ``conf.umask`` and chowned to ``conf.uid``/``conf.gid``. Abstract names
    (leading NUL, or "@" on Linux) have no file: both steps are skipped.
    """

    FAMILY = socket.AF_UNIX

    def __init__(self, addr: Any, conf: Any, log: Any, fd: int | None = None) -> None:
        if fd is None and not _is_abstract(addr):
            _clear_stale_socket_file(addr)
        super().__init__(addr, conf, log, fd=fd)

    def __str__(self) -> str:
        addr = self.cfg_addr
        if isinstance(addr, bytes):
            addr = addr.decode("utf-8", "replace")
        return "unix:%s" % addr

    def bind(self, sock: socket.socket) -> None:
        """Bind under ``conf.umask``, then chown the file to ``conf.uid``/``conf.gid``.

        Raises OSError when the path cannot be bound or chowned.
        """
        name = self.cfg_addr
        saved_umask = os.umask(self.conf.umask)
        try:
            sock.bind(_kernel_name(name))
        finally:
            os.umask(saved_umask)
        if not _is_abstract(name):
            util.chown(name, self.conf.uid, self.conf.gid)


def _sock_type(addr: Any) -> type[BaseSocket]:
    """Pick the listener class for a parsed address (tuple = TCP, str/bytes = unix)."""
    if isinstance(addr, tuple):
        return TCP6Socket if util.is_ipv6(addr[0]) else TCPSocket
    if isinstance(addr, (str, bytes)):
        return UnixSocket
    raise TypeError("Unable to create socket from: %r" % (addr,))


def _adopt_fd(fd: int, conf: Any, log: Any) -> BaseSocket:
    """Wrap an inherited, already bound fd; its address tells the listener class."""
    probe = socket.socket(fileno=fd)
    try:
        name = probe.getsockname()
    finally:
        probe.detach()  # keep the fd open for the listener object
    if isinstance(name, tuple):
        if util.is_ipv6(name[0]):
            return TCP6Socket(name[:2], conf, log, fd=fd)
        return TCPSocket(name, conf, log, fd=fd)
    return UnixSocket(name, conf, log, fd=fd)


def _check_tls_files(conf: Any) -> None:
    for setting in ("certfile", "keyfile"):
        path = getattr(conf, setting)
        if path and not os.path.exists(path):
            raise ValueError('%s "%s" does not exist' % (setting, path))


def _bind_with_retries(addr: Any, conf: Any, log: Any) -> BaseSocket | None:
    """Bind one address, retrying; None (after logging) when every attempt failed."""
    factory = _sock_type(addr)
    shown = str(addr)
    for attempt in range(1, _BIND_ATTEMPTS + 1):
        try:
            return factory(addr, conf, log)
        except OSError as e:
            hint = _BIND_HINTS.get(e.errno)
            if hint is not None:
                log.error(hint, shown)
            log.error("connection to %s failed: %s", shown, str(e))
        if attempt < _BIND_ATTEMPTS:
            log.debug("Retrying in 1 second.")
            time.sleep(_BIND_RETRY_DELAY)
    log.error("Can't connect to %s", shown)
    return None


def create_sockets(conf: Any, log: Any, fds: Iterable[int] | None = None) -> list[BaseSocket]:
    """Create the listeners for ``conf.address``.

    Inherited ``fds`` (systemd or a USR2 re-exec) win: they are the complete
    listener set and nothing else is bound. Otherwise ``fd://N`` binds adopt
    fd N, and each other address is bound, retried 5 times 1 s apart.
    Adopted sockets that already listen are not listened on again.

    Raises:
        ValueError: certfile or keyfile is set but does not exist.
        SystemExit(1): an address could not be bound after the retries.
    """
    _check_tls_files(conf)
    if fds:
        return [_adopt_fd(int(fd), conf, log) for fd in fds]

    opened: list[BaseSocket] = []
    for addr in conf.address:
        if isinstance(addr, int):
            opened.append(_adopt_fd(addr, conf, log))
            continue
        listener = _bind_with_retries(addr, conf, log)
        if listener is None:
            close_sockets(opened, unlink=False)
            sys.exit(1)
        opened.append(listener)
    return opened


def close_sockets(listeners: Iterable[BaseSocket], unlink: bool = True) -> None:
    """Close ``listeners``; with ``unlink``, also remove unix socket files."""
    for listener in listeners:
        try:
            name = listener.getsockname()
        except (OSError, AttributeError):
            name = None
        listener.close()
        has_file = isinstance(name, (str, bytes)) and bool(name) and not _is_abstract(name)
        if unlink and has_file:
            with contextlib.suppress(OSError):
                os.unlink(name)


# BSD and macOS hand out accepted sockets with the listener's O_NONBLOCK;
# Linux does not (accept(2)), and PEP 446 makes them close-on-exec everywhere.
_ACCEPTED_INHERIT_NONBLOCK = not sys.platform.startswith("linux")


def fast_acceptor(listener: Any) -> Callable[[], tuple[socket.socket, Any]]:
    """Return a function accepting one connection from ``listener``.

    The function returns ``(client, addr)`` with ``client`` a blocking,
    close-on-exec socket, or raises OSError (``BlockingIOError`` when
    nothing waits on a non-blocking listener).  It calls the raw socket's
    accept with family and type read once, avoiding per-connection
    attribute delegation and ``socket.accept``'s enum conversions: worker
    hot path.  Objects that are not (wrapped) sockets use their ``accept``.
    """
    raw = getattr(listener, "sock", listener)
    raw_accept = getattr(raw, "_accept", None)
    if raw_accept is None or not isinstance(raw, socket.socket):
        plain_accept: Callable[[], tuple[socket.socket, Any]] = listener.accept
        return plain_accept
    family, kind, proto = int(raw.family), int(raw.type), raw.proto
    new_socket = socket.socket

    if _ACCEPTED_INHERIT_NONBLOCK:
        def accept_blocking() -> tuple[socket.socket, Any]:
            fd, addr = raw_accept()
            client = new_socket(family, kind, proto, fd)
            client.setblocking(True)
            return client, addr

        return accept_blocking

    def accept() -> tuple[socket.socket, Any]:
        fd, addr = raw_accept()
        return new_socket(family, kind, proto, fd), addr

    return accept
