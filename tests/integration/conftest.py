"""Fixtures for the integration suite: real server processes, real clients.

Every test module starts its server once (module scope) through
``tests.support.server.run_server`` and talks to it with two clients: httpx and
the curl binary. The ``fetch`` fixture hides the difference so each route test
runs once per client.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator

import pytest

from tests.integration.integration_support import UPLOAD_SIZE, CurlFetcher, HttpxFetcher


@pytest.fixture(params=["httpx", "curl"])
def fetch(request: pytest.FixtureRequest) -> Iterator[HttpxFetcher | CurlFetcher]:
    """A client (httpx, then curl) with ``request(method, url, ...) -> Reply``."""
    if request.param == "curl":
        if shutil.which("curl") is None:
            pytest.skip("curl is not installed")
        fetcher: HttpxFetcher | CurlFetcher = CurlFetcher()
    else:
        fetcher = HttpxFetcher()
    try:
        yield fetcher
    finally:
        fetcher.close()


@pytest.fixture(scope="session")
def upload_blob() -> tuple[bytes, str]:
    """10 MiB of random bytes and their sha256 hex digest."""
    blob = os.urandom(UPLOAD_SIZE)
    return blob, hashlib.sha256(blob).hexdigest()
