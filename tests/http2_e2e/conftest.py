"""Fixtures for the HTTP/2 end-to-end tests: certificates and servers."""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from h2e2e_support import TLSFiles, gthread_h2, make_tls_files  # noqa: E402


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(str(tmp_path_factory.mktemp("h2certs")))


@pytest.fixture(scope="module")
def h2_server(tls_files: TLSFiles):
    """TLS gthread server, 8 threads, h2 and http/1.1 offered."""
    with gthread_h2(tls_files) as srv:
        yield srv
