"""Fixtures of the sans-IO HTTP/2 tests (helpers live in h2_helpers)."""

import pytest

from tests.http2.h2_helpers import Peer


@pytest.fixture
def peer() -> Peer:
    return Peer()
