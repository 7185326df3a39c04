"""Fixtures of the framework tests: one real ``-k asgi`` server per
framework for the whole module (started once; the apps are in ``apps/``)."""

from __future__ import annotations

import pytest

from tests.asgi_frameworks.fw_support import FRAMEWORKS, framework_server


@pytest.fixture(scope="module", params=list(FRAMEWORKS))
def fw_server(request, tmp_path_factory):
    """A server for each framework (lifespan ``auto``, access log on stdout);
    ``srv.framework`` names it, ``srv.marker_dir`` holds its lifespan markers.
    Tests for a subset parametrize it indirectly with the framework names."""
    marker_dir = tmp_path_factory.mktemp("markers-%s" % request.param)
    with framework_server(request.param, "--access-logfile", "-", "--keep-alive", "5",
                          marker_dir=str(marker_dir)) as srv:
        srv.framework = request.param
        srv.marker_dir = marker_dir
        yield srv
