"""Listeners: bound, listening sockets shared by the master and its workers.

Also re-exports the TLS helpers that live in ``gunicorn.tls`` (reference 10).
"""

from __future__ import annotations

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

try:
    from gunicorn.tls import (
        _get_alpn_protocols,
        get_negotiated_protocol,
        is_http2_negotiated,
        ssl_context,
        ssl_wrap_socket,
    )
except ImportError:  # gunicorn.tls not written yet or failed: resolve on first use

    def ssl_context(conf: Any) -> Any:
        """Build the server SSLContext; see ``gunicorn.tls.ssl_context``."""
        from gunicorn import tls

        return tls.ssl_context(conf)

    def ssl_wrap_socket(sock: Any, conf: Any) -> Any:
        """Wrap an accepted socket in TLS; see ``gunicorn.tls.ssl_wrap_socket``."""
        from gunicorn import tls

        return tls.ssl_wrap_socket(sock, conf)

    def _get_alpn_protocols(conf: Any) -> list[str]:
        from gunicorn import tls

        return tls._get_alpn_protocols(conf)

    def get_negotiated_protocol(ssl_socket: Any) -> str | None:
        """The ALPN protocol chosen on ``ssl_socket``; see ``gunicorn.tls``."""
        from gunicorn import tls

        return tls.get_negotiated_protocol(ssl_socket)

    def is_http2_negotiated(ssl_socket: Any) -> bool:
        """Whether ALPN selected h2 on ``ssl_socket``; see ``gunicorn.tls``."""
        from gunicorn import tls

        return tls.is_http2_negotiated(ssl_socket)


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


class BaseSocket:
    """A listening socket. Attribute access not defined here goes to the real socket.

    Args:
        address: what to bind: ``(host, port)`` or a unix path.
        conf: the Config (``reuse_port``, ``backlog``, ``umask``, ``uid``, ``gid``, ``is_ssl``).
        log: the Logger.
        fd: an already bound and listening fd to adopt (systemd, GUNICORN_FD, ``fd://N``);
            the object takes ownership and keeps the fd number.
    """

    FAMILY: int = socket.AF_INET

    def __init__(self, address: Any, conf: Any, log: Any, fd: int | None = None) -> None:
        self.log = log
        self.conf = conf
        self.cfg_addr = address
        if fd is None:
            sock = socket.socket(self.FAMILY, socket.SOCK_STREAM)
            bound = False
        else:
            sock = socket.socket(fileno=fd)
            bound = True
        try:
            self.sock: socket.socket | None = self.set_options(sock, bound=bound)
        except BaseException:
            if fd is None:
                sock.close()
            else:
                sock.detach()
            raise

    def __str__(self) -> str:
        return "<socket %d>" % self.sock.fileno()

    def __getattr__(self, name: str) -> Any:
        sock = self.__dict__.get("sock")
        if sock is None:
            raise AttributeError(name)
        return getattr(sock, name)

    def set_options(self, sock: socket.socket, bound: bool = False) -> socket.socket:
        """Apply SO_REUSEADDR (and SO_REUSEPORT when configured), bind unless ``bound``,
        make the socket non-blocking and inheritable, and listen with ``conf.backlog``."""
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.conf.reuse_port and hasattr(socket, "SO_REUSEPORT"):
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            except OSError as err:
                if err.errno not in (errno.ENOPROTOOPT, errno.EINVAL):
                    raise
        if not bound:
            self.bind(sock)
        sock.setblocking(False)
        # inheritable so a USR2 re-exec can pass the fd to the new master
        sock.set_inheritable(True)
        sock.listen(self.conf.backlog)
        return sock

    def bind(self, sock: socket.socket) -> None:
        """Bind ``sock`` to ``self.cfg_addr``."""
        sock.bind(self.cfg_addr)

    def close(self) -> None:
        """Close the socket; errors are logged, not raised. Idempotent."""
        sock = self.sock
        if sock is None:
            return
        try:
            sock.close()
        except OSError as e:
            self.log.info("Error while closing socket %s", str(e))
        self.sock = None

    def get_backlog(self) -> int:
        """Connections waiting in the accept queue, or -1 when unknown."""
        return -1


class TCPSocket(BaseSocket):
    """An IPv4 TCP listener; ``str()`` is ``http(s)://HOST:PORT`` with the bound port."""

    FAMILY = socket.AF_INET

    def __str__(self) -> str:
        scheme = "https" if self.conf.is_ssl else "http"
        addr = self.sock.getsockname()
        return "%s://%s:%d" % (scheme, addr[0], addr[1])

    def set_options(self, sock: socket.socket, bound: bool = False) -> socket.socket:
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
        addr = self.sock.getsockname()
        return "%s://[%s]:%d" % (scheme, addr[0], addr[1])


class UnixSocket(BaseSocket):
    """A unix-domain listener; ``str()`` is ``unix:PATH``.

    A stale socket file at the path is removed before binding; any other kind
    of file there raises ValueError. The socket file is created under
    ``conf.umask`` and chowned to ``conf.uid``/``conf.gid``.
    """

    FAMILY = socket.AF_UNIX

    def __init__(self, addr: Any, conf: Any, log: Any, fd: int | None = None) -> None:
        if fd is None:
            try:
                st = os.stat(addr)
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise
            else:
                if stat.S_ISSOCK(st.st_mode):
                    os.remove(addr)
                else:
                    raise ValueError("%r is not a socket" % addr)
        super().__init__(addr, conf, log, fd=fd)

    def __str__(self) -> str:
        addr = self.cfg_addr
        if isinstance(addr, bytes):
            addr = addr.decode("utf-8", "replace")
        return "unix:%s" % addr

    def bind(self, sock: socket.socket) -> None:
        old_umask = os.umask(self.conf.umask)
        try:
            sock.bind(self.cfg_addr)
        finally:
            os.umask(old_umask)
        util.chown(self.cfg_addr, self.conf.uid, self.conf.gid)


def _sock_type(addr: Any) -> type[BaseSocket]:
    """Pick the listener class for a parsed address (tuple = TCP, str/bytes = unix)."""
    if isinstance(addr, tuple):
        return TCP6Socket if util.is_ipv6(addr[0]) else TCPSocket
    if isinstance(addr, (str, bytes)):
        return UnixSocket
    raise TypeError("Unable to create socket from: %r" % (addr,))


def _adopt_fd(fd: int, conf: Any, log: Any) -> BaseSocket:
    """Wrap an inherited listening fd, discovering its family with getsockname()."""
    probe = socket.socket(fileno=fd)
    try:
        name = probe.getsockname()
        family = probe.family
    finally:
        probe.detach()
    if family == socket.AF_UNIX:
        return UnixSocket(name, conf, log, fd=fd)
    if family == socket.AF_INET6:
        return TCP6Socket(name[:2], conf, log, fd=fd)
    return TCPSocket(name, conf, log, fd=fd)


def create_sockets(conf: Any, log: Any, fds: Iterable[int] | None = None) -> list[BaseSocket]:
    """Create the listeners for ``conf.address``.

    Inherited ``fds`` (systemd or a USR2 re-exec) win: they are the complete
    listener set and nothing else is bound. Otherwise ``fd://N`` binds adopt
    fd N, and each other address is bound, retried 5 times 1 s apart.

    Raises:
        ValueError: certfile or keyfile is set but does not exist.
        SystemExit(1): an address could not be bound after the retries.
    """
    if conf.certfile and not os.path.exists(conf.certfile):
        raise ValueError('certfile "%s" does not exist' % conf.certfile)
    if conf.keyfile and not os.path.exists(conf.keyfile):
        raise ValueError('keyfile "%s" does not exist' % conf.keyfile)

    if fds:
        return [_adopt_fd(int(fd), conf, log) for fd in fds]

    listeners: list[BaseSocket] = []
    for addr in conf.address:
        if isinstance(addr, int):
            listeners.append(_adopt_fd(addr, conf, log))
            continue
        sock_type = _sock_type(addr)
        listener = None
        for attempt in range(5):
            try:
                listener = sock_type(addr, conf, log)
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    log.error("Connection in use: %s", str(addr))
                elif e.errno == errno.EADDRNOTAVAIL:
                    log.error("Invalid address: %s", str(addr))
                log.error("connection to %s failed: %s", str(addr), str(e))
                if attempt < 4:
                    log.debug("Retrying in 1 second.")
                    time.sleep(1)
            else:
                break
        if listener is None:
            log.error("Can't connect to %s", str(addr))
            for done in listeners:
                done.close()
            sys.exit(1)
        listeners.append(listener)
    return listeners


def close_sockets(listeners: Iterable[BaseSocket], unlink: bool = True) -> None:
    """Close ``listeners``; with ``unlink``, also remove unix socket files."""
    for listener in listeners:
        try:
            sock_name = listener.getsockname()
        except (OSError, AttributeError):
            sock_name = None
        listener.close()
        if unlink and isinstance(sock_name, (str, bytes)) and sock_name:
            try:
                os.unlink(sock_name)
            except OSError:
                pass


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
