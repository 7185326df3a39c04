"""``--reload`` is announced as a development tool when the server starts."""

from __future__ import annotations

import pytest

from tests.config.cli_helpers import APP_SOURCE
from tests.support.server import run_server

WARNING = ("[WARNING] Code reloading is on (--reload): workers restart whenever a watched "
           "file changes. The reloader is for development only; do not use it in production.")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(APP_SOURCE)
    return tmp_path


@pytest.mark.parametrize("how", ["cli", "config"])
def test_reload_logs_the_development_only_warning(project, how):
    args = ["--reload", "app:app"]
    if how == "config":
        (project / "gunicorn.conf.py").write_text("reload = True\n")
        args = ["app:app"]
    with run_server(*args, cwd=str(project)) as srv:
        srv.wait_for_output(r"Code reloading is on")
        out = srv.output()
    assert WARNING in out
    assert out.count("reloader is for development only") == 1  # once, by the master
    # logged after the worker type, before any worker boots
    assert out.index("Using worker:") < out.index(WARNING) < out.index("Booting worker")


def test_no_warning_without_reload(project):
    with run_server("app:app", cwd=str(project)) as srv:
        out = srv.output()
    assert "Booting worker" in out
    assert "development only" not in out
