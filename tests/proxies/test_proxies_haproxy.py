"""The server behind a real HAProxy (Debian package) sending the PROXY protocol.

HAProxy runs in TCP mode and sends a PROXY v1 (``send-proxy``) or v2
(``send-proxy-v2``) header to the server over TCP, over a unix socket and
over TLS (``ssl verify none``).  Clients connect from 127.0.0.5 so the
address the server reports can only come from the PROXY header.  Malformed
headers are sent with raw sockets straight to the server.  Spec:
https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.proxies.proxy_support import (
    CLIENT_IP,
    PROXY_WORKERS,
    UNTRUSTED_IP,
    ProxyProcess,
    app_args,
    free_port,
    raw_exchange,
    run_haproxy,
)
from tests.support.server import GunicornServer, run_server
from tests.tls.tls_support import TLSFiles

PP_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
WORKERS = list(PROXY_WORKERS)
# HAProxy listeners of the main stack: name -> (server address kind, option)
LISTENERS = {
    "v1_tcp": ("tcp", "send-proxy"),
    "v2_tcp": ("tcp", "send-proxy-v2"),
    "v1_unix": ("unix", "send-proxy"),
    "v2_unix": ("unix", "send-proxy-v2"),
    # HAProxy connecting from an address outside --proxy-allow-from
    "v2_forbidden": ("tcp", "send-proxy-v2 source %s" % UNTRUSTED_IP),
}
ACCESS_LOG_RE = r'(?m)^%s - - \[[^\]]+\] "%s %s HTTP/1\.1" %d '


@dataclass
class Stack:
    """A server (one worker) with HAProxy in front: ``ports`` maps listener
    names to HAProxy ports, ``boot_pid`` is the worker that served first."""

    worker: str
    server: GunicornServer
    haproxy: ProxyProcess
    ports: dict[str, int]
    boot_pid: int


def _haproxy_sections(ports: dict[str, int], listeners: dict[str, tuple[str, str]],
                      tcp_port: int | None, sock: str | None, tls: bool = False) -> str:
    out = []
    for name, (kind, option) in listeners.items():
        target = "127.0.0.1:%s" % tcp_port if kind == "tcp" else "unix@%s" % sock
        ssl = " ssl verify none" if tls else ""
        out.append("listen %s\n    bind 127.0.0.1:%d\n    server app %s%s %s\n"
                   % (name, ports[name], target, ssl, option))
    return "".join(out)


def get_info(port: int, target: str = "/info", source: str = CLIENT_IP,
             prefix: bytes = b"") -> tuple[dict[str, Any], int]:
    """GET *target* from *source* through *port* (optionally after raw
    *prefix* bytes); returns (the JSON info, the client's source port)."""
    reply = raw_exchange(port, prefix + b"GET %s HTTP/1.1\r\nHost: proxied\r\nConnection: close\r\n\r\n"
                         % target.encode(), source=source)
    assert reply.status == 200, reply.raw[:500]
    return json.loads(reply.body), reply.local_port


@pytest.fixture(scope="module", params=WORKERS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One server per worker class with ``--proxy-protocol auto``, listening
    on TCP and a unix socket, behind HAProxy."""
    worker = request.param
    tmp = tmp_path_factory.mktemp("haproxy-%s" % worker)
    sock = str(tmp / "app.sock")
    with run_server("--bind", "unix:%s" % sock, "--proxy-protocol", "auto",
                    "--proxy-allow-from", "127.0.0.1,::1", "--access-logfile", "-",
                    *app_args(worker)) as srv:
        ports = {name: free_port() for name in LISTENERS}
        sections = _haproxy_sections(ports, LISTENERS, srv.port, sock)
        with run_haproxy(str(tmp), sections, ports) as haproxy:
            assert srv.port is not None
            info, _ = get_info(srv.port, source="127.0.0.1")
            yield Stack(worker, srv, haproxy, ports, info["pid"])


@pytest.mark.parametrize("listener", ["v1_tcp", "v2_tcp", "v1_unix", "v2_unix"])
def test_client_address_from_proxy_header(stack: Stack, listener: str) -> None:
    tag = uuid.uuid4().hex
    port = stack.ports[listener]
    info, client_port = get_info(port, "/info?tag=" + tag)
    assert info["remote_addr"] == CLIENT_IP
    assert info["remote_port"] == str(client_port)
    if stack.worker != "asgi":
        # PROXY_* keys are WSGI environ keys; the ASGI scope has no place for them
        assert info["proxy_protocol"] == "TCP4"
        assert info["proxy_addr"] == "127.0.0.1"
        assert info["proxy_port"] == str(port)
    stack.server.wait_for_output(ACCESS_LOG_RE % (re.escape(CLIENT_IP), "GET",
                                                  re.escape("/info?tag=" + tag), 200))


def test_proxy_info_kept_for_keepalive_requests(stack: Stack) -> None:
    """The PROXY header comes once per connection and covers every request on it
    (the sync worker closes after each response, so it gets a header each time)."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports["v2_tcp"], timeout=10,
                                      source_address=(CLIENT_IP, 0))
    connects = 0
    try:
        for i in range(3):
            if conn.sock is None:
                conn.connect()
                connects += 1
            client_port = conn.sock.getsockname()[1]
            conn.request("POST", "/info?n=%d" % i, body=b"x" * (i * 1000))
            resp = conn.getresponse()
            info = json.loads(resp.read())
            assert resp.status == 200
            assert info["remote_addr"] == CLIENT_IP
            assert info["remote_port"] == str(client_port)
            assert info["body_length"] == i * 1000
            if resp.will_close:
                conn.close()
    finally:
        conn.close()
    assert connects == (3 if stack.worker == "sync" else 1)


def test_forbidden_proxy_peer_through_haproxy(stack: Stack) -> None:
    reply = raw_exchange(stack.ports["v2_forbidden"],
                         b"GET /info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                         source=CLIENT_IP)
    assert reply.status == 403, reply.raw[:300]
    _still_serving(stack)


def _v2_header(src: str, dst: str, sport: int, dport: int, ver_cmd: int = 0x21,
               fam_proto: int = 0x11, length: int | None = None) -> bytes:
    block = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport)
    return PP_V2_SIGNATURE + struct.pack(">BBH", ver_cmd, fam_proto,
                                         len(block) if length is None else length) + block


REQUEST = b"GET /info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
# name -> (bytes sent, half-close after sending, expected status or None for
# "closed without a response")
MALFORMED: dict[str, tuple[bytes, bool, int | None]] = {
    "v1_missing_fields": (b"PROXY TCP4 198.51.100.7 127.0.0.1 4000\r\n" + REQUEST, False, 400),
    # no line end within the 107 bytes a v1 line may take: refused without waiting for more
    "v1_oversized_line": (b"PROXY TCP4 " + b"1" * 300, False, 400),
    "v1_oversized_six_fields": (b"PROXY TCP4 198.51.100.7 127.0.0.1 4000 " + b"8" * 100 + b"\r\n" + REQUEST,
                                False, 400),
    "v1_unknown_family": (b"PROXY UNKNOWN\r\n" + REQUEST, False, 400),
    "v1_bad_address": (b"PROXY TCP4 198.51.100.300 127.0.0.1 4000 80\r\n" + REQUEST, False, 400),
    "v1_bad_port": (b"PROXY TCP4 198.51.100.7 127.0.0.1 70000 80\r\n" + REQUEST, False, 400),
    "v1_truncated_eof": (b"PROXY TCP4 198.51.100.7 127.0", True, None),
    "v2_wrong_signature": (b"\r\n\r\n\x00\r\nQUIX\n" + _v2_header("198.51.100.7", "127.0.0.1", 4000, 80)[12:]
                           + REQUEST, False, 400),
    "v2_bad_version": (_v2_header("198.51.100.7", "127.0.0.1", 4000, 80, ver_cmd=0x11) + REQUEST,
                       False, 400),
    "v2_bad_command": (_v2_header("198.51.100.7", "127.0.0.1", 4000, 80, ver_cmd=0x2F) + REQUEST,
                       False, 400),
    "v2_datagram": (_v2_header("198.51.100.7", "127.0.0.1", 4000, 80, fam_proto=0x12) + REQUEST,
                    False, 400),
    "v2_short_address_block": (PP_V2_SIGNATURE + b"\x21\x11\x00\x04" + b"\xc6\x33\x64\x07" + REQUEST,
                               False, 400),
    "v2_truncated_eof": (_v2_header("198.51.100.7", "127.0.0.1", 4000, 80)[:22], True, None),
}


def _still_serving(stack: Stack) -> None:
    """A good PROXY v2 request straight to the server works, on the same worker
    (the client address it carries is checked by test_client_address_raw)."""
    assert stack.server.port is not None
    reply = raw_exchange(stack.server.port, _v2_header("198.51.100.9", "127.0.0.1", 5555, 80) + REQUEST)
    assert reply.status == 200, reply.raw[:300]
    assert json.loads(reply.body)["pid"] == stack.boot_pid


RAW_HEADERS = {
    "v1_tcp4": (b"PROXY TCP4 198.51.100.9 127.0.0.1 5555 80\r\n", "198.51.100.9", "TCP4"),
    "v1_tcp6": (b"PROXY TCP6 2001:db8::9 ::1 5555 80\r\n", "2001:db8::9", "TCP6"),
    "v2_tcp4": (_v2_header("198.51.100.9", "127.0.0.1", 5555, 80), "198.51.100.9", "TCP4"),
    "v2_tcp6": (PP_V2_SIGNATURE + b"\x21\x21\x00\x24" + socket.inet_pton(socket.AF_INET6, "2001:db8::9")
                + socket.inet_pton(socket.AF_INET6, "::1") + struct.pack(">HH", 5555, 80),
                "2001:db8::9", "TCP6"),
}


@pytest.mark.parametrize("case", list(RAW_HEADERS))
def test_client_address_raw(stack: Stack, case: str) -> None:
    """PROXY v1/v2 headers for IPv4 and IPv6 clients sent straight to the server."""
    prefix, address, family = RAW_HEADERS[case]
    assert stack.server.port is not None
    info, _ = get_info(stack.server.port, source="127.0.0.1", prefix=prefix)
    assert (info["remote_addr"], info["remote_port"]) == (address, "5555")
    if stack.worker != "asgi":
        assert info["proxy_protocol"] == family
        assert info["proxy_port"] == "80"


def test_v2_local_command_keeps_socket_peer(stack: Stack) -> None:
    """A v2 LOCAL header (the proxy's own health check) carries no client:
    the socket peer stays the remote address."""
    assert stack.server.port is not None
    info, port = get_info(stack.server.port, source="127.0.0.1",
                          prefix=PP_V2_SIGNATURE + b"\x20\x00\x00\x00")
    assert (info["remote_addr"], info["remote_port"]) == ("127.0.0.1", str(port))
    if stack.worker != "asgi":
        assert info["proxy_protocol"] == "LOCAL"


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_proxy_header(stack: Stack, case: str) -> None:
    data, shut, status = MALFORMED[case]
    assert stack.server.port is not None
    reply = raw_exchange(stack.server.port, data, source="127.0.0.1", shut_write=shut)
    assert reply.status == status, reply.raw[:300]
    _still_serving(stack)


def test_forbidden_peer_raw(stack: Stack) -> None:
    """A PROXY header from a peer outside --proxy-allow-from gets 403 (v1 and v2)."""
    assert stack.server.port is not None
    for prefix in (_v2_header("198.51.100.7", "127.0.0.1", 4000, 80),
                   b"PROXY TCP4 198.51.100.7 127.0.0.1 4000 80\r\n"):
        reply = raw_exchange(stack.server.port, prefix + REQUEST, source=UNTRUSTED_IP)
        assert reply.status == 403, reply.raw[:300]
    # without a PROXY header that peer is an ordinary client (auto mode)
    info, port = get_info(stack.server.port, source=UNTRUSTED_IP)
    assert (info["remote_addr"], info["remote_port"]) == (UNTRUSTED_IP, str(port))
    assert info["proxy_protocol"] is None
    _still_serving(stack)


# -- explicit modes -----------------------------------------------------------------------

@pytest.fixture(scope="module", params=["v1", "v2"])
def mode_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[str, dict[str, int], GunicornServer]]:
    """A sync server with ``--proxy-protocol v1`` or ``v2`` behind HAProxy
    listeners sending each version."""
    mode = request.param
    tmp = tmp_path_factory.mktemp("haproxy-mode-%s" % mode)
    listeners = {"v1": ("tcp", "send-proxy"), "v2": ("tcp", "send-proxy-v2")}
    with run_server("--proxy-protocol", mode, "--proxy-allow-from", "127.0.0.1",
                    *app_args("sync")) as srv:
        ports = {name: free_port() for name in listeners}
        with run_haproxy(str(tmp), _haproxy_sections(ports, listeners, srv.port, None), ports):
            yield mode, ports, srv


def test_explicit_mode_accepts_its_version(mode_stack: tuple[str, dict[str, int], GunicornServer]) -> None:
    mode, ports, _ = mode_stack
    info, client_port = get_info(ports[mode])
    assert (info["remote_addr"], info["remote_port"]) == (CLIENT_IP, str(client_port))
    assert info["proxy_protocol"] == "TCP4"


def test_explicit_mode_rejects_the_other_version(
        mode_stack: tuple[str, dict[str, int], GunicornServer]) -> None:
    mode, ports, _ = mode_stack
    other = "v1" if mode == "v2" else "v2"
    reply = raw_exchange(ports[other], REQUEST, source=CLIENT_IP)
    # the other version's header is not a PROXY header here: a bad request line
    assert reply.status == 400, reply.raw[:300]


# -- TLS listener ---------------------------------------------------------------------------

@pytest.fixture(scope="module", params=WORKERS)
def tls_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              tls_files: TLSFiles) -> Iterator[tuple[str, dict[str, int]]]:
    """A TLS server (``--certfile``) with ``--proxy-protocol auto`` behind
    HAProxy connecting with ``ssl verify none`` and sending v1, v2 or no
    PROXY header."""
    worker = request.param
    tmp = tmp_path_factory.mktemp("haproxy-tls-%s" % worker)
    listeners = {"v1": ("tcp", "send-proxy"), "v2": ("tcp", "send-proxy-v2"), "none": ("tcp", "")}
    with run_server("--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                    "--proxy-protocol", "auto", *app_args(worker)) as srv:
        ports = {name: free_port() for name in listeners}
        sections = _haproxy_sections(ports, listeners, srv.port, None, tls=True)
        with run_haproxy(str(tmp), sections, ports):
            yield worker, ports


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_proxy_header_before_tls(tls_stack: tuple[str, dict[str, int]], version: str) -> None:
    """HAProxy sends the PROXY header in clear, then the TLS handshake (the
    header always starts the TCP connection)."""
    _, ports = tls_stack
    info, client_port = get_info(ports[version])
    assert (info["remote_addr"], info["remote_port"]) == (CLIENT_IP, str(client_port))
    assert info["scheme"] == "https"


def test_tls_upstream_without_proxy_header(tls_stack: tuple[str, dict[str, int]]) -> None:
    """The same HAProxy TLS link without a PROXY header works (auto mode):
    the failures above come from the header, not from the TLS setup."""
    _, ports = tls_stack
    info, _ = get_info(ports["none"])
    assert info["remote_addr"] == "127.0.0.1"
    assert info["scheme"] == "https"
