"""Fixtures shared by the proxy suites: certificates and a 10 MiB upload."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest

from tests.tls.tls_support import TLSFiles, make_tls_files


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSFiles]:
    """A trustme CA and a server certificate for 127.0.0.1/localhost."""
    yield make_tls_files(str(tmp_path_factory.mktemp("proxy-tls")))


@pytest.fixture(scope="session")
def upload_blob() -> tuple[bytes, str]:
    """10 MiB of random bytes and their sha256 hex digest."""
    blob = os.urandom(10 * 1024 * 1024)
    return blob, hashlib.sha256(blob).hexdigest()
