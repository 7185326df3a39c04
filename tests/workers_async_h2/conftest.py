"""Fixtures for HTTP/2 on the greenlet workers: certificates and servers.

The behaviour tests shared with gthread run on every HTTP/2 worker from
tests/http2_e2e; here are only what the greenlet workers do alone.  The
applications are the HTTP/2 end-to-end ones (``tests/http2_e2e/h2_apps.py``),
the frame-level client is ``tests/http2_e2e/h2_client.py``.
"""

from __future__ import annotations

import pytest

from tests.http2_e2e.h2e2e_support import APP_ARGS, green_h2, tls_args
from tests.tls.tls_support import TLSFiles, make_tls_files

__all__ = ["APP_ARGS", "H2_WORKERS", "green_h2", "tls_args"]

#: the greenlet workers that serve HTTP/2 (gevent_pywsgi does not)
H2_WORKERS = ("gevent", "eventlet")


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(str(tmp_path_factory.mktemp("h2certs")))


@pytest.fixture(scope="module", params=H2_WORKERS)
def worker(request: pytest.FixtureRequest) -> str:
    """Each greenlet worker's short name in turn (one module-wide server each)."""
    return request.param


@pytest.fixture(scope="module")
def h2_server(worker: str, tls_files: TLSFiles):
    """A TLS server of *worker*, h2 and http/1.1 offered through ALPN."""
    with green_h2(worker, tls_files) as srv:
        srv.worker = worker
        yield srv
