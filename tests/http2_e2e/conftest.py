"""Fixtures for the HTTP/2 end-to-end tests: certificates and servers."""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from h2e2e_support import H2_WSGI_WORKERS, TLSFiles, h2_worker, make_tls_files  # noqa: E402


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(str(tmp_path_factory.mktemp("h2certs")))


@pytest.fixture(scope="module", params=H2_WSGI_WORKERS)
def worker(request: pytest.FixtureRequest) -> str:
    """Each WSGI worker class that serves HTTP/2, in turn (test ids ``[gevent]``);
    module-scoped so that one server per worker serves a module's tests."""
    return request.param


@pytest.fixture(scope="module")
def h2_server(worker: str, tls_files: TLSFiles):
    """A TLS server of *worker* (gthread: 8 threads), h2 and http/1.1 offered
    through ALPN; ``srv.worker`` names the worker class."""
    with h2_worker(worker, tls_files) as srv:
        srv.worker = worker
        yield srv
