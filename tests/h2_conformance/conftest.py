"""Fixtures for the HTTP/2 conformance tests (RFC 9113, RFC 7541).

Every case runs against each worker class that serves HTTP/2, as the external
conformance suite is run: gthread with default settings (one thread) and with
``--threads 4``, gevent, eventlet and asgi, over TLS with ALPN h2, and
gthread over cleartext with prior knowledge (h2spec without ``-t``).  A
server is started once per module and worker, with default settings
otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(os.path.dirname(HERE), "http2_e2e")
for path in (HERE, E2E):
    if path not in sys.path:
        sys.path.insert(0, path)

from h2e2e_support import TLSFiles, make_tls_files, tls_args  # noqa: E402
from raw_h2 import RawH2  # noqa: E402

from tests.support.server import run_server  # noqa: E402

#: test id -> the worker options of that server
SERVERS = {
    "gthread": ("--worker-class", "gthread"),
    "gthread-t4": ("--worker-class", "gthread", "--threads", "4"),
    "gevent": ("--worker-class", "gevent"),
    "eventlet": ("--worker-class", "eventlet"),
    "asgi": ("--worker-class", "asgi"),
    # cleartext with prior knowledge (h2spec without -t); 127.0.0.1 is in
    # the default forwarded_allow_ips, which h2c requires
    "gthread-h2c": ("--worker-class", "gthread", "--http2-cleartext", "prior-knowledge"),
}


@dataclass
class Target:
    """A running server (``srv``) and the client TLS context that reaches it
    (None: cleartext, HTTP/2 with prior knowledge)."""

    name: str
    srv: Any
    ctx: Any

    def connect(self, **kw: Any) -> RawH2:
        """A new RawH2 connection (preface and SETTINGS already sent)."""
        return RawH2(self.srv.host, self.srv.port, self.ctx, **kw)

    def assert_serving(self) -> None:
        """A new connection still gets a complete 200 response."""
        from conf_app import BODY

        client = self.connect()
        try:
            seen = client.get("/")
            assert seen.status == 200 and seen.ended and bytes(seen.data) == BODY
        finally:
            client.close()


@pytest.fixture(scope="session")
def conformance_tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(str(tmp_path_factory.mktemp("h2conf")))


@pytest.fixture(scope="module", params=list(SERVERS))
def target(request: pytest.FixtureRequest, conformance_tls: TLSFiles) -> Iterator[Target]:
    """A one-worker server offering h2 (ids: the keys of SERVERS): over TLS
    with ALPN, or cleartext for the ``-h2c`` ones."""
    name = request.param
    app = "conf_app:asgi_app" if name == "asgi" else "conf_app:app"
    tls = not name.endswith("-h2c")
    args = [*SERVERS[name], "--workers", "1", "--http-protocols", "h2,h1",
            *(tls_args(conformance_tls) if tls else ()), "--chdir", HERE, app]
    with run_server(*args) as srv:
        srv.wait_workers(1)
        yield Target(name, srv, conformance_tls.client_context(alpn=["h2"]) if tls else None)


def _handshaken(target: Target, **kw: Any) -> Iterator[RawH2]:
    """A connection opened with *kw*, past the handshake; after the test
    the server must still serve a new connection."""
    c = target.connect(**kw)
    try:
        c.sync()
        yield c
    finally:
        c.close()
    target.assert_serving()


@pytest.fixture
def conn(target: Target) -> Iterator[RawH2]:
    """A connection past the handshake: SETTINGS both ways, acknowledged.
    After the test the server must still serve a new connection."""
    yield from _handshaken(target)


@pytest.fixture
def quiet(target: Target) -> Iterator[RawH2]:
    """Like ``conn``, but the client never re-opens flow-control windows by
    itself: only the test's WINDOW_UPDATE frames do (RFC 9113 section 6.9)."""
    yield from _handshaken(target, credit=False)
