"""Fixtures for the asgi worker tests: real ``python -m gunicorn -k asgi``
processes serving the applications of ``asgi_apps.py``."""

from __future__ import annotations

import pytest

from tests.asgi.asgi_support import asgi_server


@pytest.fixture(scope="module", params=["uvloop", "asyncio"])
def h1_server(request):
    """One asgi worker per event loop, access log on stdout, keep-alive 5 s."""
    with asgi_server("--access-logfile", "-", "--keep-alive", "5", "--log-level", "debug",
                     "--root-path", "/mount", "--asgi-loop", request.param) as srv:
        srv.loop_name = request.param
        yield srv
