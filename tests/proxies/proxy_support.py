"""Run HAProxy and nginx in front of the server, without Docker.

Both proxies run in the foreground from a configuration written to a
temporary directory, listen on free loopback ports and are always stopped
when the ``with`` block ends.  The nginx binary, its configuration wrapper,
the process and the port helpers come from tests/support/nginx.py.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tests.support import nginx as nginx_support
from tests.support.client import parse_response_head, read_until_close
from tests.support.nginx import (
    NGINX,
    UWSGI_PARAMS,
    ProxyProcess,
    free_port,
    nginx_version,
    run_proxy,
    wait_port,
)
from tests.support.server import WORKER_ARGS

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

# Extra loopback addresses (all of 127.0.0.0/8 is local on Linux): a client
# address the proxies must pass on, and an address outside the allow lists.
CLIENT_IP = "127.0.0.5"
UNTRUSTED_IP = "127.0.0.3"

__all__ = [
    "CLIENT_IP", "HAPROXY", "NGINX", "PROXY_WORKERS", "UNTRUSTED_IP", "UWSGI_PARAMS", "LoadResult",
    "ProxyProcess", "RawReply", "app_args", "free_port", "nginx_version", "raw_exchange", "run_haproxy",
    "run_load", "run_nginx", "wait_port",
]

HERE = os.path.dirname(os.path.abspath(__file__))

# Workers whose HTTP/1 path parses the PROXY protocol (gevent_pywsgi hands the
# connection to gevent's own server, which does not).
PROXY_WORKERS: dict[str, tuple[str, ...]] = {
    name: WORKER_ARGS[name] for name in ("sync", "gthread", "gevent", "eventlet")
}
PROXY_WORKERS["asgi"] = ("--worker-class", "asgi")


def app_args(worker: str) -> tuple[str, ...]:
    """Worker-class arguments plus the application of proxy_apps.py for *worker*
    (a key of PROXY_WORKERS); the application name comes last, so pass these
    after every other option."""
    app = "proxy_apps:asgi_app" if worker == "asgi" else "proxy_apps:app"
    return (*PROXY_WORKERS[worker], "--chdir", HERE, app)


@contextlib.contextmanager
def run_haproxy(tmp: str, sections: str, ports: dict[str, int]) -> Iterator[ProxyProcess]:
    """Run ``haproxy -db`` with *sections* (frontends/backends/listens) after a
    TCP-mode ``global``/``defaults`` header, for the duration of the block.

    *ports*: name -> port of every listener *sections* declares; the block
    starts once all of them accept connections.
    """
    if not os.path.exists(HAPROXY):
        raise RuntimeError("haproxy is required: run tests/install-deps.sh")
    conf = os.path.join(tmp, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(_HAPROXY_HEAD + sections)
    check = subprocess.run([HAPROXY, "-c", "-q", "-f", conf], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError("bad haproxy configuration:\n%s%s\n%s" % (check.stdout, check.stderr, sections))
    with run_proxy([HAPROXY, "-db", "-f", conf], tmp, ports) as proxy:
        yield proxy


_HAPROXY_HEAD = """
global
    maxconn 1024
defaults
    mode tcp
    # no second attempt: a failed connection to the server must show up as an
    # error, not be hidden by a retry
    retries 0
    timeout connect 5s
    timeout client 60s
    timeout server 60s
"""


@contextlib.contextmanager
def run_nginx(tmp: str, http_body: str, ports: dict[str, int]) -> Iterator[ProxyProcess]:
    """Run nginx in the foreground with *http_body* inside its ``http {}``
    block (tests/support/nginx.py: temp paths, no access log; request bodies
    up to 64 MiB) for the duration of the block.

    *ports*: name -> port of every ``listen`` in *http_body*.
    """
    body = "    client_max_body_size 64m;\n" + http_body
    with nginx_support.run_nginx(tmp, body, ports) as proxy:
        yield proxy


@dataclass
class RawReply:
    """What came back on one raw connection.

    ``status`` is None when the server closed without a response; ``raw``
    holds every byte received; ``local_port`` is the client's source port.
    """

    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    raw: bytes
    local_port: int


def raw_exchange(port: int, data: bytes, *, source: str = "127.0.0.1", host: str = "127.0.0.1",
                 shut_write: bool = False, timeout: float = 10.0) -> RawReply:
    """Connect from *source* (an address to bind, port chosen by the kernel),
    send *data*, optionally half-close, and read until the peer closes.

    Raises socket.timeout when nothing closes the connection in *timeout*
    seconds.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.bind((source, 0))
        local_port = s.getsockname()[1]
        s.connect((host, port))
        try:
            s.sendall(data)
            if shut_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        raw = read_until_close(s, reset_ends=True)
    if not raw:
        return RawReply(None, [], b"", raw, local_port)
    status, _, headers, rest = parse_response_head(raw)
    return RawReply(status, headers, rest, raw, local_port)


@dataclass
class LoadResult:
    """Outcome of ``run_load``: ``sent`` requests, ``ok`` correct answers,
    ``errors`` (one text per failed request), elapsed ``seconds``."""

    sent: int = 0
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_load(host: str, port: int, total: int, clients: int, target: Callable[[int], str],
             expected: Callable[[int], bytes], timeout: float = 30.0,
             source: str | None = None) -> LoadResult:
    """Send *total* GET requests from *clients* concurrent keep-alive
    connections (``http.client``, reconnecting after a close) and check each body.

    ``target(i)`` is the request-target of request *i* and ``expected(i)``
    the exact body it must get with status 200.  Every exception, other
    status or wrong body is one entry in ``errors``.
    """
    result = LoadResult()
    lock = threading.Lock()
    counter = iter(range(total))

    def next_index() -> int | None:
        with lock:
            return next(counter, None)

    def client() -> None:
        conn: http.client.HTTPConnection | None = None
        while True:
            i = next_index()
            if i is None:
                break
            error = None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(
                        host, port, timeout=timeout,
                        source_address=(source, 0) if source else None)
                conn.request("GET", target(i))
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    error = "request %d: status %d %r" % (i, resp.status, body[:200])
                elif body != expected(i):
                    error = "request %d: wrong body %r" % (i, body[:200])
                if resp.will_close:
                    conn.close()
                    conn = None
            except Exception as exc:  # each failure is recorded, none ends the run
                error = "request %d: %r" % (i, exc)
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                result.sent += 1
                if error is None:
                    result.ok += 1
                else:
                    result.errors.append(error)
        if conn is not None:
            conn.close()

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    result.seconds = time.monotonic() - start
    return result
